/* SPDX-License-Identifier: MIT */
/*
 * The mock host's front ends, behind the `vpci-host` command:
 *   vpci-host qtest [-machine q35|virt] [-m SIZE] [-iommu] -device SPEC ...
 *   vpci-host lspci [-machine ...] [-device SPEC ...] [-x|-xxx|-xxxx] [-t] [-v]
 *   vpci-host demo
 */
#ifndef VPCI_MOCKHOST_FRONTENDS_H
#define VPCI_MOCKHOST_FRONTENDS_H

#include <stdio.h>

#include "mockhost.h"

/*
 * Serve QEMU's qtest text protocol: read commands from @in, answer on @out
 * exactly as QEMU 7.2's qtest does, until EOF.  Returns 0 at EOF, or a
 * negative errno if the streams fail.
 */
int vpci_qtest_serve(struct vpci_mock *m, FILE *in, FILE *out);

struct vpci_lspci_opts {
    unsigned dump;      /* 0 none, 1 = -x (64 B), 2 = -xxx (256 B), 3 = -xxxx (4 KiB) */
    bool tree;          /* -t */
    unsigned verbose;   /* -v count */
    bool numeric;       /* -n: IDs as numbers, no names */
};
/* Print the functions of @m in lspci's formats. */
int vpci_lspci_print(struct vpci_mock *m, FILE *out,
                     const struct vpci_lspci_opts *opts);

/* `vpci-host demo`: the README's main job.  Returns the exit status. */
int vpci_demo_main(int argc, char **argv);

#endif
