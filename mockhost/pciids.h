/* SPDX-License-Identifier: MIT */
/*
 * The pci.ids name database and lspci's naming rules (mockhost/pciids.c),
 * for `vpci-host lspci` (mockhost/lspci.c).  Private to the mock host: not
 * installed.
 *
 * The database is /usr/share/misc/pci.ids, or the file $VPCI_PCI_IDS
 * names; it is read at the first lookup that needs it (never with
 * numeric set).  Without the file every lookup finds nothing and the
 * names take lspci's unknown forms ("Device 1234:11e8", "Class 00ff").
 *
 * Names are formatted into the caller's buffer, cut with "..." when they
 * do not fit, as lspci does (its buffers are 128 bytes); each function
 * returns the buffer (or a constant string).
 */
#ifndef VPCI_MOCKHOST_PCIIDS_H
#define VPCI_MOCKHOST_PCIIDS_H

#include <stdbool.h>
#include <stddef.h>

#define PCIIDS_DEFAULT_PATH "/usr/share/misc/pci.ids"
#define PCIIDS_ENV "VPCI_PCI_IDS"

struct pciids_entry;

/* Zero-initialize, set numeric if wanted; pciids_free() when done. */
struct pciids {
    bool numeric;                /* lspci -n: numbers, no names */
    /* private */
    bool tried;                  /* load attempted (loaded or not) */
    char *text;                  /* the file; names point into it */
    struct pciids_entry *e;
    size_t n, cap;
};

/* Release the database (the struct may be used again: it reloads). */
void pciids_free(struct pciids *ids);

/* "Host bridge", "Bridge [0604]" (only the class known), "Class 0604";
 * "0604" with numeric.  @cls is base class << 8 | sub-class. */
const char *pciids_class(struct pciids *ids, char *buf, int size,
                         unsigned cls);
/* "Vendor Device", "Vendor Device 11e8", "Device 1234:11e8";
 * "1234:11e8" with numeric. */
const char *pciids_vendor_device(struct pciids *ids, char *buf, int size,
                                 unsigned ven, unsigned dev);
/* A subsystem (sven:sdev) of device ven:dev, by lspci's rules: the
 * device's subsystem entry, else the generic "S" block's, else the device
 * name when the subsystem IDs equal the device IDs. */
const char *pciids_subsystem(struct pciids *ids, char *buf, int size,
                             unsigned ven, unsigned dev, unsigned sven,
                             unsigned sdev);
/* The prog-if name alone, or NULL when unknown; even with numeric (as
 * lspci -vn).  IDE controllers (0101) without a name get lspci's decode
 * of the mode bits ("Master SecP PriP"). */
const char *pciids_progif(struct pciids *ids, unsigned cls, unsigned pif,
                          char *buf, size_t size);

#endif
