/* SPDX-License-Identifier: MIT */
/* Small helpers models share. */
#ifndef VPCI_UTIL_H
#define VPCI_UTIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) exactly as Linux's
 * crc32_le(seed, buf, len): no pre- or post-inversion of its own, so
 * vpci_crc32_le(~0u, buf, len) is what pci-epf-test reports and
 * ~vpci_crc32_le(~0u, buf, len) is zlib's crc32().
 */
uint32_t vpci_crc32_le(uint32_t seed, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* VPCI_UTIL_H */
