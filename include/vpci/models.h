/* SPDX-License-Identifier: MIT */
/*
 * The device models libvpci ships.  Each is also found by name with
 * vpci_model_find(); include/vpci/models/<name>.h documents its registers,
 * properties and error behaviour.
 */
#ifndef VPCI_MODELS_H
#define VPCI_MODELS_H

#include <vpci/model.h>

#ifdef __cplusplus
extern "C" {
#endif

extern const struct vpci_model vpci_model_edu;        /* "edu" */
extern const struct vpci_model vpci_model_pci_bridge; /* "pci-bridge" */
extern const struct vpci_model vpci_model_virt_pci;   /* "virt-pci" */
extern const struct vpci_model vpci_model_dma_engine; /* "dma-engine" */
extern const struct vpci_model vpci_model_epf_test;   /* "epf-test" */

#ifdef __cplusplus
}
#endif
#endif /* VPCI_MODELS_H */
