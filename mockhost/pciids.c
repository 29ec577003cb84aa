/* SPDX-License-Identifier: MIT */
/*
 * The pci.ids name database and lspci's naming rules, for `vpci-host
 * lspci` (see pciids.h).
 *
 * The file is parsed as pciutils 3.9's lib/names-parse.c does: vendors,
 * their devices and subsystems; "C" classes with sub-classes and prog-ifs;
 * "S" generic subsystem blocks of a known vendor; other one-letter blocks
 * skipped.  A malformed line ends the parse there (what came before it
 * stays known).  Names follow lib/names.c's formats for known and
 * unknown IDs.  This file is an independent implementation of them.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pciids.h"

/* ------------------------------------------------------------------ */
/* pci.ids                                                             */
/* ------------------------------------------------------------------ */

enum ids_cat {
    IDS_VENDOR,
    IDS_DEVICE,
    IDS_SUBSYSTEM,
    IDS_GEN_SUBSYSTEM,
    IDS_CLASS,
    IDS_SUBCLASS,
    IDS_PROGIF,
};

struct pciids_entry {
    uint8_t cat;
    uint16_t id1, id2, id3, id4;
    const char *name;
};

static int ids_hex(const char *p, int cnt)
{
    int x = 0;
    while (cnt--) {
        x <<= 4;
        if (*p >= '0' && *p <= '9')
            x += *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            x += *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            x += *p - 'A' + 10;
        else
            return -1;
        p++;
    }
    return x;
}

static bool ids_white(char c)
{
    return c == ' ' || c == '\t';
}

static const char *ids_find(const struct pciids *ids, enum ids_cat cat, int id1,
                            int id2, int id3, int id4)
{
    for (size_t i = 0; i < ids->n; i++) {
        const struct pciids_entry *e = &ids->e[i];
        if (e->cat == cat && e->id1 == id1 && e->id2 == id2 &&
            e->id3 == id3 && e->id4 == id4)
            return e->name;
    }
    return NULL;
}

static int ids_add(struct pciids *ids, enum ids_cat cat, int id1, int id2,
                   int id3, int id4, const char *name)
{
    /* a duplicate (lspci refuses such a file) is stored too; lookups
     * find the first */
    if (ids->n == ids->cap) {
        size_t ncap = ids->cap ? ids->cap * 2 : 4096;
        struct pciids_entry *ne = realloc(ids->e, ncap * sizeof(*ne));
        if (!ne)
            return -ENOMEM;
        ids->e = ne;
        ids->cap = ncap;
    }
    ids->e[ids->n++] = (struct pciids_entry){ (uint8_t)cat, (uint16_t)id1,
                                              (uint16_t)id2, (uint16_t)id3,
                                              (uint16_t)id4, name };
    return 0;
}

/* Parse the text in place (lines are cut at their ends). */
static void ids_parse(struct pciids *ids)
{
    enum { CAT_NONE = -1, CAT_UNKNOWN = -2 };
    int cat = CAT_NONE;
    int id1 = 0, id2 = 0, id3 = 0, id4 = 0;
    char *line = ids->text;

    while (line && *line) {
        char *end = line, *p;
        while (*end && *end != '\n' && *end != '\r')
            end++;
        char *next = *end ? end + 1 : NULL;
        *end = 0;
        if (end > line && ids_white(end[-1]))
            *--end = 0;

        p = line;
        while (ids_white(*p))
            p++;
        if (!*p || *p == '#') {
            line = next;
            continue;
        }
        p = line;
        while (*p == '\t')
            p++;
        int nest = (int)(p - line);
        int ncat;

        if (!nest) {
            if (p[0] == 'C' && p[1] == ' ') {
                if ((id1 = ids_hex(p + 2, 2)) < 0 || !ids_white(p[4]))
                    return;
                ncat = IDS_CLASS;
                p += 5;
            } else if (p[0] == 'S' && p[1] == ' ') {
                if ((id1 = ids_hex(p + 2, 4)) < 0 || p[6])
                    return;
                if (!ids_find(ids, IDS_VENDOR, id1, 0, 0, 0))
                    return;
                cat = IDS_GEN_SUBSYSTEM;
                line = next;
                continue;
            } else if (p[0] >= 'A' && p[0] <= 'Z' && p[1] == ' ') {
                cat = CAT_UNKNOWN;
                line = next;
                continue;
            } else {
                if ((id1 = ids_hex(p, 4)) < 0 || !ids_white(p[4]))
                    return;
                ncat = IDS_VENDOR;
                p += 5;
            }
            id2 = id3 = id4 = 0;
        } else if (cat == CAT_UNKNOWN) {
            line = next;
            continue;
        } else if (nest == 1) {
            switch (cat) {
            case IDS_VENDOR:
            case IDS_DEVICE:
            case IDS_SUBSYSTEM:
                if ((id2 = ids_hex(p, 4)) < 0 || !ids_white(p[4]))
                    return;
                p += 5;
                ncat = IDS_DEVICE;
                id3 = id4 = 0;
                break;
            case IDS_GEN_SUBSYSTEM:
                if ((id2 = ids_hex(p, 4)) < 0 || !ids_white(p[4]))
                    return;
                p += 5;
                ncat = IDS_GEN_SUBSYSTEM;
                id3 = id4 = 0;
                break;
            case IDS_CLASS:
            case IDS_SUBCLASS:
            case IDS_PROGIF:
                if ((id2 = ids_hex(p, 2)) < 0 || !ids_white(p[2]))
                    return;
                p += 3;
                ncat = IDS_SUBCLASS;
                id3 = id4 = 0;
                break;
            default:
                return;
            }
        } else if (nest == 2) {
            switch (cat) {
            case IDS_DEVICE:
            case IDS_SUBSYSTEM:
                if ((id3 = ids_hex(p, 4)) < 0 || !ids_white(p[4]) ||
                    (id4 = ids_hex(p + 5, 4)) < 0 || !ids_white(p[9]))
                    return;
                p += 10;
                ncat = IDS_SUBSYSTEM;
                break;
            case IDS_CLASS:
            case IDS_SUBCLASS:
            case IDS_PROGIF:
                if ((id3 = ids_hex(p, 2)) < 0 || !ids_white(p[2]))
                    return;
                p += 3;
                ncat = IDS_PROGIF;
                id4 = 0;
                break;
            default:
                return;
            }
        } else {
            return;
        }
        cat = ncat;
        while (ids_white(*p))
            p++;
        if (!*p)
            return;
        if (ids_add(ids, (enum ids_cat)cat, id1, id2, id3, id4, p))
            return;
        line = next;
    }
}

static void ids_load(struct pciids *ids)
{
    const char *path = getenv(PCIIDS_ENV);
    FILE *f;
    size_t len = 0, cap = 0;
    char *buf = NULL;

    ids->tried = true;
    if (!path || !*path)
        path = PCIIDS_DEFAULT_PATH;
    f = fopen(path, "r");
    if (!f)
        return;
    for (;;) {
        if (cap - len < 65536) {
            size_t ncap = cap ? cap * 2 : 1 << 20;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (!got)
            break;
    }
    fclose(f);
    buf[len] = 0;
    ids->text = buf;
    ids_parse(ids);
}

void pciids_free(struct pciids *ids)
{
    bool numeric = ids->numeric;
    free(ids->e);
    free(ids->text);
    memset(ids, 0, sizeof(*ids));
    ids->numeric = numeric;
}

/* ------------------------------------------------------------------ */
/* Name formatting (lspci's rules)                                     */
/* ------------------------------------------------------------------ */

#define NM_NUMERIC 0x1u
#define NM_MIXED 0x2u

static const char *lookup(struct pciids *ids, enum ids_cat cat, int id1,
                          int id2, int id3, int id4)
{
    if (!ids->tried)
        ids_load(ids);
    return ids_find(ids, cat, id1, id2, id3, id4);
}

/* snprintf into buf; on truncation end with "..." as lspci does. */
static const char *fmt_fit(char *buf, int size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static const char *fmt_fit(char *buf, int size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int res = vsnprintf(buf, (size_t)size, fmt, ap);
    va_end(ap);
    if (res >= size && size >= 4)
        buf[size - 2] = buf[size - 3] = buf[size - 4] = '.';
    else if (res < 0 || res >= size)
        return "<pci_lookup_name: buffer too small>";
    return buf;
}

static const char *format_name(char *buf, int size, unsigned flags,
                               const char *name, const char *num,
                               const char *unknown)
{
    if (flags & NM_NUMERIC)
        return fmt_fit(buf, size, "%s", num);
    if (!name)      /* (NM_MIXED comes with a name) */
        return fmt_fit(buf, size, "%s %s", unknown, num);
    if (!(flags & NM_MIXED))
        return fmt_fit(buf, size, "%s", name);
    return fmt_fit(buf, size, "%s [%s]", name, num);
}

static const char *format_pair(char *buf, int size, unsigned flags,
                               const char *v, const char *d, const char *num)
{
    if (flags & NM_NUMERIC)
        return fmt_fit(buf, size, "%s", num);
    if (v && d)
        return fmt_fit(buf, size, "%s %s", v, d);
    if (!v)
        return fmt_fit(buf, size, "Device %s", num);
    return fmt_fit(buf, size, "%s Device %s", v, num + 5);
}

static unsigned name_flags(const struct pciids *ids)
{
    return ids->numeric ? NM_NUMERIC : 0;
}

const char *pciids_class(struct pciids *ids, char *buf, int size,
                         unsigned cls)
{
    unsigned flags = name_flags(ids);
    const char *n = NULL;
    char num[16];
    snprintf(num, sizeof(num), "%04x", cls);
    if (!(flags & NM_NUMERIC)) {
        n = lookup(ids, IDS_SUBCLASS, (int)(cls >> 8), (int)(cls & 0xff), 0, 0);
        if (!n && (n = lookup(ids, IDS_CLASS, (int)(cls >> 8), 0, 0, 0)))
            flags |= NM_MIXED;
    }
    return format_name(buf, size, flags, n, num, "Class");
}

const char *pciids_vendor_device(struct pciids *ids, char *buf, int size,
                                 unsigned ven, unsigned dev)
{
    unsigned flags = name_flags(ids);
    const char *v = NULL, *d = NULL;
    char num[16];
    snprintf(num, sizeof(num), "%04x:%04x", ven, dev);
    if (!(flags & NM_NUMERIC)) {
        v = lookup(ids, IDS_VENDOR, (int)ven, 0, 0, 0);
        d = lookup(ids, IDS_DEVICE, (int)ven, (int)dev, 0, 0);
    }
    return format_pair(buf, size, flags, v, d, num);
}

const char *pciids_subsystem(struct pciids *ids, char *buf, int size,
                             unsigned ven, unsigned dev, unsigned sven,
                             unsigned sdev)
{
    unsigned flags = name_flags(ids);
    const char *v = NULL, *d = NULL;
    char num[16];
    snprintf(num, sizeof(num), "%04x:%04x", sven, sdev);
    if (!(flags & NM_NUMERIC)) {
        v = lookup(ids, IDS_VENDOR, (int)sven, 0, 0, 0);
        if (ven > 0 && dev > 0)
            d = lookup(ids, IDS_SUBSYSTEM, (int)ven, (int)dev, (int)sven,
                       (int)sdev);
        if (!d)
            d = lookup(ids, IDS_GEN_SUBSYSTEM, (int)sven, (int)sdev, 0, 0);
        if (!d && ven == sven && dev == sdev)
            d = lookup(ids, IDS_DEVICE, (int)ven, (int)dev, 0, 0);
    }
    return format_pair(buf, size, flags, v, d, num);
}

const char *pciids_progif(struct pciids *ids, unsigned cls, unsigned pif,
                          char *buf, size_t size)
{
    const char *n = lookup(ids, IDS_PROGIF, (int)(cls >> 8), (int)(cls & 0xff),
                           (int)pif, 0);
    if (!n && cls == 0x0101 && !(pif & 0x70)) {
        snprintf(buf, size, "%s%s%s%s%s", (pif & 0x80) ? " Master" : "",
                 (pif & 0x08) ? " SecP" : "", (pif & 0x04) ? " SecO" : "",
                 (pif & 0x02) ? " PriP" : "", (pif & 0x01) ? " PriO" : "");
        n = buf[0] ? buf + 1 : buf;
    }
    return n;
}
