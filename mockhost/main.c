/* SPDX-License-Identifier: MIT */
/*
 * vpci-host: the mock PCI host on the command line.
 *
 *   vpci-host qtest [-machine q35|virt] [-m SIZE] [-iommu] [-device SPEC]...
 *   vpci-host lspci [-machine q35|virt] [-m SIZE] [-iommu] [-device SPEC]...
 *                   [-x|-xxx|-xxxx] [-t] [-v] [-n]
 *   vpci-host demo
 *   vpci-host list-models
 *   vpci-host --help
 *
 * Exit status: 0 success, 1 runtime failure, 2 usage error.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpci/vpci.h>

#include "frontends.h"
#include "mockhost.h"

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: vpci-host COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  qtest [MACHINE OPTIONS]    serve QEMU's qtest protocol on stdin/stdout,\n"
    "                             answering as QEMU 7.2 does (no firmware runs:\n"
    "                             BARs stay unassigned, as under -accel qtest)\n"
    "  lspci [MACHINE OPTIONS] [-x|-xxx|-xxxx] [-t] [-v] [-n]\n"
    "                             enumerate like firmware, then print the\n"
    "                             functions in lspci's formats\n"
    "  demo                       run the demonstration (README's main job)\n"
    "  list-models                list the device models and their properties\n"
    "  help, --help, -h           this text (also as an option of qtest and\n"
    "                             lspci)\n"
    "\n"
    "Machine options (also written --option, as QEMU accepts):\n"
    "  -machine q35|virt          x86 q35-like (CF8/CFC, ECAM) or arm virt-like\n"
    "                             (ECAM only); default q35 (-M is the same;\n"
    "                             pc-q35 and a ',accel=qtest' suffix are taken)\n"
    "  -m SIZE                    guest RAM: a number with a B/K/M/G/T suffix\n"
    "                             (KB, KiB: the same), MiB without one (as\n"
    "                             QEMU); a multiple of 4 KiB from 1 MiB (8 MiB\n"
    "                             with -iommu) to 256 GiB; default 128M\n"
    "  -iommu                     translate DMA through the mock IOMMU\n"
    "  -device SPEC               add a function, in order: MODEL[,addr=DD[.F]]\n"
    "                             [,bus=ID][,id=ID][,multifunction=on|off]\n"
    "                             [,PROP=VALUE...], e.g. edu,addr=01.0\n"
    "  -nodefaults, -nographic, -S, -display ARG, -accel qtest, -qtest stdio,\n"
    "  -qtest-log ARG             accepted and ignored, so that a QEMU command\n"
    "                             line can be pasted\n"
    "\n"
    "lspci options (may be bundled, as -tv):\n"
    "  -x, -xxx, -xxxx            hex dump of the first 64 bytes (-xx: the\n"
    "                             same), of 256, of all the config space\n"
    "  -t                         the bus tree (with -v: device names)\n"
    "  -v                         BARs with their sizes, ROM, bridge windows,\n"
    "                             capabilities (-vv and -vvv: the same as -v)\n"
    "  -n                         numeric IDs; else names from pci.ids\n"
    "                             ($VPCI_PCI_IDS or /usr/share/misc/pci.ids)\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("vpci-host: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'vpci-host --help' for more information.\n", stderr);
}

/* ------------------------------------------------------------------ */
/* Machine options shared by qtest and lspci                           */
/* ------------------------------------------------------------------ */

struct machine_opts {
    struct vpci_mock_config cfg;
    const char **devices;
    size_t ndevices;
};

/* QEMU's -m: a number with an optional K/M/G/T suffix; MiB without one. */
static bool parse_ram_size(const char *s, uint64_t *out)
{
    char *ep;
    uint64_t shift = 20;

    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &ep, 0);
    if (errno || ep == s)
        return false;
    if (*ep) {
        switch (*ep) {
        case 'b': case 'B': shift = 0; break;
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        case 't': case 'T': shift = 40; break;
        default: return false;
        }
        if (ep[1] && !((ep[1] == 'i' || ep[1] == 'I') &&
                       (ep[2] == 'b' || ep[2] == 'B') && !ep[3]) &&
            !((ep[1] == 'b' || ep[1] == 'B') && !ep[2]))
            return false;
    }
    if (v == 0 || v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

static bool parse_machine(const char *s, enum vpci_mock_machine *out)
{
    char name[32];
    size_t n = strcspn(s, ",");
    if (n == 0 || n >= sizeof(name))
        return false;
    memcpy(name, s, n);
    name[n] = '\0';
    /* QEMU-style options after the name: only accel=qtest is meaningful */
    for (const char *p = s + n; *p == ','; ) {
        const char *opt = p + 1;
        size_t len = strcspn(opt, ",");
        if (!(len == strlen("accel=qtest") &&
              strncmp(opt, "accel=qtest", len) == 0))
            return false;
        p = opt + len;
    }
    if (!strcmp(name, "q35") || !strcmp(name, "pc-q35"))
        *out = VPCI_MOCK_Q35;
    else if (!strcmp(name, "virt"))
        *out = VPCI_MOCK_VIRT;
    else
        return false;
    return true;
}

/*
 * Parse one machine option at argv[*i] (advancing *i past its argument).
 * Returns 1 when it was one, 0 when it is not a machine option, -1 after a
 * usage error was reported.
 */
static int machine_option(struct machine_opts *mo, int argc, char **argv,
                          int *i)
{
    const char *opt = argv[*i];
    /* QEMU accepts --opt as -opt */
    if (opt[0] == '-' && opt[1] == '-' && opt[2])
        opt++;
    const char *arg = *i + 1 < argc ? argv[*i + 1] : NULL;

    if (!strcmp(opt, "-iommu")) {
        mo->cfg.iommu = true;
        return 1;
    }
    if (!strcmp(opt, "-nodefaults") || !strcmp(opt, "-nographic") ||
        !strcmp(opt, "-S"))
        return 1;

    bool takes_arg = !strcmp(opt, "-machine") || !strcmp(opt, "-M") ||
                     !strcmp(opt, "-m") || !strcmp(opt, "-device") ||
                     !strcmp(opt, "-display") || !strcmp(opt, "-accel") ||
                     !strcmp(opt, "-qtest") || !strcmp(opt, "-qtest-log");
    if (!takes_arg)
        return 0;
    if (!arg) {
        usage_error("option '%s' needs an argument", argv[*i]);
        return -1;
    }
    ++*i;
    if (!strcmp(opt, "-machine") || !strcmp(opt, "-M")) {
        if (!parse_machine(arg, &mo->cfg.machine)) {
            usage_error("unknown machine '%s' (q35 or virt)", arg);
            return -1;
        }
    } else if (!strcmp(opt, "-m")) {
        if (!parse_ram_size(arg, &mo->cfg.ram_size)) {
            usage_error("bad RAM size '%s'", arg);
            return -1;
        }
    } else if (!strcmp(opt, "-device")) {
        const char **d = realloc(mo->devices,
                                 (mo->ndevices + 1) * sizeof(*d));
        if (!d) {
            fprintf(stderr, "vpci-host: out of memory\n");
            return -1;
        }
        mo->devices = d;
        mo->devices[mo->ndevices++] = arg;
    } else if (!strcmp(opt, "-accel")) {
        if (strcmp(arg, "qtest") != 0) {
            usage_error("only '-accel qtest' is accepted, not '%s'", arg);
            return -1;
        }
    } else if (!strcmp(opt, "-qtest")) {
        if (strcmp(arg, "stdio") != 0) {
            usage_error("only '-qtest stdio' is accepted, not '%s'", arg);
            return -1;
        }
    }
    /* -display, -qtest-log: ignored */
    return 1;
}

/* Create the machine and add the devices in order: 0, 1 (runtime), 2. */
static int machine_build(const struct machine_opts *mo, struct vpci_mock **out)
{
    struct vpci_mock *m;
    int rc = vpci_mock_new(&mo->cfg, &m);
    if (rc) {
        fprintf(stderr, "vpci-host: cannot create the machine: %s\n",
                strerror(-rc));
        return rc == -EINVAL ? EXIT_USAGE : EXIT_FAILURE;
    }
    for (size_t i = 0; i < mo->ndevices; i++) {
        rc = vpci_mock_add(m, mo->devices[i], NULL);
        if (rc) {
            fprintf(stderr, "vpci-host: -device %s: %s\n", mo->devices[i],
                    rc == -EINVAL ? "invalid device specification"
                                  : strerror(-rc));
            vpci_mock_free(m);
            return rc == -ENOMEM ? EXIT_FAILURE : EXIT_USAGE;
        }
    }
    *out = m;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Subcommands                                                         */
/* ------------------------------------------------------------------ */

static bool is_help(const char *arg)
{
    return !strcmp(arg, "--help") || !strcmp(arg, "-h") ||
           !strcmp(arg, "-help");
}

static int print_usage(void)
{
    fputs(usage_text, stdout);
    return fflush(stdout) == EOF ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int cmd_qtest(int argc, char **argv)
{
    struct machine_opts mo = { .cfg = { .machine = VPCI_MOCK_Q35 } };
    struct vpci_mock *m = NULL;
    int status;

    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            free(mo.devices);
            return print_usage();
        }
        int r = machine_option(&mo, argc, argv, &i);
        if (r < 0) {
            free(mo.devices);
            return EXIT_USAGE;
        }
        if (r == 0) {
            usage_error("qtest: unknown option '%s'", argv[i]);
            free(mo.devices);
            return EXIT_USAGE;
        }
    }
    status = machine_build(&mo, &m);
    free(mo.devices);
    if (status)
        return status;

    int rc = vpci_qtest_serve(m, stdin, stdout);
    vpci_mock_free(m);
    if (rc == -EPROTO)
        return EXIT_FAILURE;     /* where QEMU's qtest would have aborted */
    if (rc) {
        fprintf(stderr, "vpci-host: qtest: %s\n", strerror(-rc));
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}

/* -x.., -t, -v.., -n, possibly bundled as in "-tv" or "-vvv". */
static bool lspci_flags(const char *arg, struct vpci_lspci_opts *o,
                        unsigned *xs)
{
    if (arg[0] != '-' || !arg[1])
        return false;
    for (const char *p = arg + 1; *p; p++) {
        switch (*p) {
        case 'x': ++*xs; break;
        case 't': o->tree = true; break;
        case 'v': o->verbose++; break;
        case 'n': o->numeric = true; break;
        default: return false;
        }
    }
    return true;
}

static int cmd_lspci(int argc, char **argv)
{
    struct machine_opts mo = { .cfg = { .machine = VPCI_MOCK_Q35 } };
    struct vpci_lspci_opts lo = { 0 };
    struct vpci_mock *m = NULL;
    unsigned xs = 0;
    int status;

    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            free(mo.devices);
            return print_usage();
        }
        int r = machine_option(&mo, argc, argv, &i);
        if (r < 0) {
            free(mo.devices);
            return EXIT_USAGE;
        }
        if (r == 0 && !lspci_flags(argv[i], &lo, &xs)) {
            usage_error("lspci: unknown option '%s'", argv[i]);
            free(mo.devices);
            return EXIT_USAGE;
        }
    }
    /* lspci: -x and -xx dump 64 bytes, -xxx 256, -xxxx 4096 */
    lo.dump = xs == 0 ? 0 : xs <= 2 ? 1 : xs == 3 ? 2 : 3;

    status = machine_build(&mo, &m);
    free(mo.devices);
    if (status)
        return status;

    int rc = vpci_mock_enumerate(m);
    if (rc) {
        fprintf(stderr, "vpci-host: lspci: enumeration failed: %s\n",
                strerror(-rc));
        vpci_mock_free(m);
        return EXIT_FAILURE;
    }
    rc = vpci_lspci_print(m, stdout, &lo);
    vpci_mock_free(m);
    if (rc || fflush(stdout) == EOF) {
        fprintf(stderr, "vpci-host: lspci: %s\n",
                strerror(rc ? -rc : EIO));
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}

static const char *prop_type_name(enum vpci_prop_type t)
{
    switch (t) {
    case VPCI_PROP_BOOL: return "bool";
    case VPCI_PROP_U32: return "u32";
    case VPCI_PROP_U64: return "u64";
    case VPCI_PROP_STRING: return "string";
    }
    return "?";
}

static int cmd_list_models(int argc, char **argv)
{
    if (argc > 1) {
        usage_error("list-models: unexpected argument '%s'", argv[1]);
        return EXIT_USAGE;
    }
    const struct vpci_model *model;
    for (size_t i = 0; (model = vpci_model_at(i)) != NULL; i++) {
        printf("%-16s %s\n", model->name, model->desc ? model->desc : "");
        for (const struct vpci_prop_desc *p = model->props; p && p->name;
             p++) {
            printf("    %s=<%s>", p->name, prop_type_name(p->type));
            if (p->defval)
                printf(" (default %s)", p->defval);
            if (p->help)
                printf("  %s", p->help);
            putchar('\n');
        }
    }
    if (fflush(stdout) == EOF) {
        perror("vpci-host: list-models");
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (is_help(cmd) || !strcmp(cmd, "help"))
        return print_usage();
    if (!strcmp(cmd, "qtest"))
        return cmd_qtest(argc - 1, argv + 1);
    if (!strcmp(cmd, "lspci"))
        return cmd_lspci(argc - 1, argv + 1);
    if (!strcmp(cmd, "demo"))
        return vpci_demo_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "list-models"))
        return cmd_list_models(argc - 1, argv + 1);
    usage_error("unknown command '%s'", cmd);
    return EXIT_USAGE;
}
