/* SPDX-License-Identifier: MIT */
/*
 * Topology: the root bus, functions placed on buses by QEMU-like spec
 * strings, bridges with their secondary buses, and the host bridge
 * function at 00:00.0.
 *
 * A spec string is MODEL[,addr=DD[.F]][,bus=ID][,id=ID]
 * [,multifunction=on|off][,model properties...].  The host keys are taken
 * out; what is left goes to vpci_dev_create() as the model's properties,
 * which libvpci validates (an unknown key is -EINVAL there).
 *
 * Multi-function slots follow QEMU's rules (hw/pci/pci.c,
 * pci_init_multifunction): a function other than 0 may not join a slot
 * whose function 0 says single-function, and a single-function function 0
 * may not join a slot that has other functions.  A function's
 * "multifunction" is the header type bit 7, which the model sets through
 * vpci_identity.multifunction; multifunction=on makes the host set it on
 * a model that does not, with vpci_dev_set_multifunction(), which also
 * puts it in the reset image so resets keep it.  Like hardware, functions 1..7 of a slot without function 0
 * answer config cycles, but enumeration never looks for them.
 */
#include "internal.h"
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define SPEC_MAX 1024

/* ------------------------------------------------------------------ */
/* Host bridge functions (00:00.0)                                     */
/* ------------------------------------------------------------------ */

static int q35_host_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    (void)props;
    /* QEMU 7.2 "mch": 82G33/G31/P35/P31 Express DRAM Controller */
    const struct vpci_identity id = {
        .vendor_id = 0x8086, .device_id = 0x29c0,
        .subsystem_vendor_id = 0x1af4, .subsystem_id = 0x1100,
        .class_code = 0x060000,
    };
    return vpci_dev_set_identity(dev, &id);
}

static int virt_host_init(struct vpci_dev *dev, const struct vpci_props *props)
{
    (void)props;
    /* QEMU 7.2 "gpex-root": Red Hat QEMU PCIe Host bridge */
    const struct vpci_identity id = {
        .vendor_id = 0x1b36, .device_id = 0x0008,
        .subsystem_vendor_id = 0x1af4, .subsystem_id = 0x1100,
        .class_code = 0x060000,
    };
    return vpci_dev_set_identity(dev, &id);
}

static const struct vpci_model q35_host_model = {
    .name = "mch",
    .desc = "q35 host bridge (Intel 82G33 DRAM controller)",
    .init = q35_host_init,
};

static const struct vpci_model virt_host_model = {
    .name = "gpex-root",
    .desc = "virt host bridge (QEMU PCIe host bridge)",
    .init = virt_host_init,
};

int mock_add_host_bridge(struct vpci_mock *m)
{
    const struct vpci_model *model = m->machine == VPCI_MOCK_VIRT
                                         ? &virt_host_model
                                         : &q35_host_model;
    return vpci_mock_add_model(m, model, "addr=00.0,id=host", NULL);
}

/* ------------------------------------------------------------------ */
/* Buses and labels                                                    */
/* ------------------------------------------------------------------ */

uint8_t mock_bus_number(const struct mock_bus *bus)
{
    if (!bus->bridge)
        return 0;
    return (uint8_t)vpci_cfg_read(bus->bridge->dev, PCI_SECONDARY_BUS, 1);
}

void mock_fn_relabel(struct vpci_mock_fn *fn)
{
    int bus = mock_bus_number(fn->bus);
    if (bus == fn->labelled_bus)
        return;
    char label[160];
    snprintf(label, sizeof(label), "%s@%02x:%02x.%x", fn->id, bus,
             fn->devfn >> 3, fn->devfn & 7);
    if (vpci_dev_set_label(fn->dev, label) == 0)
        fn->labelled_bus = bus;
}

void mock_relabel_below(struct mock_bus *bus)
{
    for (unsigned i = 0; i < 256; i++) {
        struct vpci_mock_fn *fn = bus->fns[i];
        if (!fn)
            continue;
        mock_fn_relabel(fn);
        if (fn->secondary)
            mock_relabel_below(fn->secondary);
    }
}

static bool fn_is_multifunction(struct vpci_mock_fn *fn)
{
    return vpci_cfg_read(fn->dev, PCI_HEADER_TYPE, 1) & 0x80;
}

/* ------------------------------------------------------------------ */
/* Depth-first order                                                   */
/* ------------------------------------------------------------------ */

/* Each function, then (a bridge) the functions behind it, devfn order. */
static void order_walk(struct vpci_mock *m, struct mock_bus *bus)
{
    for (unsigned i = 0; i < 256; i++) {
        struct vpci_mock_fn *fn = bus->fns[i];
        if (!fn)
            continue;
        m->order[m->norder++] = fn;
        if (fn->secondary)
            order_walk(m, fn->secondary);
    }
}

static void order_rebuild(struct vpci_mock *m)
{
    m->norder = 0;
    order_walk(m, m->root);
}

struct vpci_mock_fn *vpci_mock_fn_at(const struct vpci_mock *m, size_t i)
{
    return m && i < m->norder ? m->order[i] : NULL;
}

/* ------------------------------------------------------------------ */
/* Spec strings                                                        */
/* ------------------------------------------------------------------ */

struct spec {
    char buf[SPEC_MAX];          /* the tokens, NUL-separated */
    const char *model;           /* first token when it has no '=' */
    const char *addr, *bus, *id, *multifunction;
    char props[SPEC_MAX];        /* the rest, comma-joined */
};

static int spec_parse(struct vpci_mock *m, const char *text, struct spec *s)
{
    memset(s, 0, sizeof(*s));
    if (!text)
        return 0;
    if (strlen(text) >= sizeof(s->buf)) {
        mock_log(m, VPCI_LOG_ERROR, "device spec too long (%zu bytes)",
                 strlen(text));
        return -EINVAL;
    }
    strcpy(s->buf, text);
    size_t plen = 0;
    bool first = true;
    char *save = NULL;
    for (char *tok = strtok_r(s->buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save), first = false) {
        char *eq = strchr(tok, '=');
        if (first && !eq) {
            s->model = tok;
            continue;
        }
        const char **host_key = NULL;
        size_t klen = eq ? (size_t)(eq - tok) : strlen(tok);
        static const char *const keys[] = { "addr", "bus", "id",
                                            "multifunction" };
        const char **slots[] = { &s->addr, &s->bus, &s->id,
                                 &s->multifunction };
        for (size_t k = 0; k < MOCK_ARRAY_SIZE(keys); k++)
            if (klen == strlen(keys[k]) && !strncmp(tok, keys[k], klen))
                host_key = slots[k];
        if (host_key) {
            if (!eq) {
                mock_log(m, VPCI_LOG_ERROR, "device spec \"%s\": %s needs "
                         "a value", text, tok);
                return -EINVAL;
            }
            if (*host_key) {
                mock_log(m, VPCI_LOG_ERROR,
                         "device spec \"%s\": %.*s given twice", text,
                         (int)klen, tok);
                return -EINVAL;
            }
            *host_key = eq + 1;
            continue;
        }
        /* A model property: passed on as written. */
        plen += (size_t)snprintf(s->props + plen, sizeof(s->props) - plen,
                                 "%s%s", plen ? "," : "", tok);
    }
    return 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "DD[.F]": slot 0..1f in hex (one or two digits), function 0..7. */
static int parse_addr(const char *text, uint8_t *devfn)
{
    unsigned slot = 0, func = 0, digits = 0;
    const char *p = text;
    for (; *p && *p != '.'; p++, digits++) {
        int d = hex_digit(*p);
        if (d < 0 || digits == 2)
            return -EINVAL;
        slot = slot * 16 + (unsigned)d;
    }
    if (!digits || slot > 0x1f)
        return -EINVAL;
    if (*p == '.') {
        if (p[1] < '0' || p[1] > '7' || p[2])
            return -EINVAL;
        func = (unsigned)(p[1] - '0');
    }
    *devfn = (uint8_t)(slot << 3 | func);
    return 0;
}

static bool slot_empty(const struct mock_bus *bus, unsigned slot)
{
    for (unsigned f = 0; f < 8; f++)
        if (bus->fns[slot << 3 | f])
            return false;
    return true;
}

struct vpci_mock_fn *vpci_mock_find(const struct vpci_mock *m, const char *id)
{
    for (size_t i = 0; m && id && i < m->nfns; i++)
        if (!strcmp(m->fns[i]->id, id))
            return m->fns[i];
    return NULL;
}

/* "<model><n>" with the lowest n not taken. */
static char *default_id(struct vpci_mock *m, const char *model)
{
    char buf[128];
    for (unsigned n = 0;; n++) {
        snprintf(buf, sizeof(buf), "%s%u", model, n);
        if (!vpci_mock_find(m, buf))
            return strdup(buf);
    }
}

/* QEMU's multi-function rules; 0 or -EINVAL after logging. */
static int check_multifunction(struct vpci_mock *m, struct mock_bus *bus,
                               uint8_t devfn, bool multi, const char *spec)
{
    unsigned slot = devfn >> 3;
    if (devfn & 7) {
        struct vpci_mock_fn *f0 = bus->fns[slot << 3];
        if (f0 && !fn_is_multifunction(f0)) {
            mock_log(m, VPCI_LOG_ERROR,
                     "device spec \"%s\": %02x.0 is single-function: it "
                     "cannot have function %x", spec, slot, devfn & 7);
            return -EINVAL;
        }
        return 0;
    }
    if (!multi && !slot_empty(bus, slot)) {
        mock_log(m, VPCI_LOG_ERROR,
                 "device spec \"%s\": slot %02x has other functions, so "
                 "function 0 needs multifunction=on", spec, slot);
        return -EINVAL;
    }
    return 0;
}

/* The model a spec names, or the caller's; NULL after logging why. */
static const struct vpci_model *spec_model(struct vpci_mock *m,
                                           const struct vpci_model *model,
                                           const struct spec *s,
                                           const char *shown)
{
    if (model) {
        if (s->model && strcmp(s->model, model->name)) {
            mock_log(m, VPCI_LOG_ERROR, "device spec \"%s\": model \"%s\" "
                     "is not \"%s\"", shown, s->model, model->name);
            return NULL;
        }
        return model;
    }
    if (!s->model) {
        mock_log(m, VPCI_LOG_ERROR, "device spec \"%s\": no model name",
                 shown);
        return NULL;
    }
    if (!(model = vpci_model_find(s->model)))
        mock_log(m, VPCI_LOG_ERROR, "device spec \"%s\": unknown model "
                 "\"%s\"", shown, s->model);
    return model;
}

/* bus= and addr=: where the function goes; 0 or -errno after logging. */
static int spec_place(struct vpci_mock *m, const struct spec *s,
                      const char *shown, struct mock_bus **busp,
                      uint8_t *devfnp)
{
    struct mock_bus *bus = m->root;
    if (s->bus) {
        struct vpci_mock_fn *br = vpci_mock_find(m, s->bus);
        if (!br || !br->secondary) {
            mock_log(m, VPCI_LOG_ERROR, "device spec \"%s\": no bus \"%s\" "
                     "(bus= names a bridge's id)", shown, s->bus);
            return -ENODEV;
        }
        bus = br->secondary;
    }
    uint8_t devfn = 0;
    if (s->addr) {
        if (parse_addr(s->addr, &devfn)) {
            mock_log(m, VPCI_LOG_ERROR, "device spec \"%s\": bad addr "
                     "\"%s\" (DD[.F]: slot 00..1f, function 0..7)", shown,
                     s->addr);
            return -EINVAL;
        }
        if (bus->fns[devfn]) {
            mock_log(m, VPCI_LOG_ERROR, "device spec \"%s\": %02x.%x is "
                     "taken by %s", shown, devfn >> 3, devfn & 7,
                     bus->fns[devfn]->id);
            return -EEXIST;
        }
    } else {
        unsigned slot = 0;
        while (slot < 32 && !slot_empty(bus, slot))
            slot++;
        if (slot == 32) {
            mock_log(m, VPCI_LOG_ERROR, "device spec \"%s\": the bus has no "
                     "free slot", shown);
            return -ENOSPC;
        }
        devfn = (uint8_t)(slot << 3);
    }
    *busp = bus;
    *devfnp = devfn;
    return 0;
}

/* id=: a copy of the given id or a default one; -errno after logging. */
static int spec_id(struct vpci_mock *m, const struct spec *s,
                   const struct vpci_model *model, const char *shown,
                   char **out)
{
    if (!s->id) {
        *out = default_id(m, model->name);
        return *out ? 0 : -ENOMEM;
    }
    if (!*s->id) {
        mock_log(m, VPCI_LOG_ERROR, "device spec \"%s\": empty id", shown);
        return -EINVAL;
    }
    if (vpci_mock_find(m, s->id)) {
        mock_log(m, VPCI_LOG_ERROR, "device spec \"%s\": id \"%s\" is taken",
                 shown, s->id);
        return -EEXIST;
    }
    *out = strdup(s->id);
    return *out ? 0 : -ENOMEM;
}

/* Room for one more function in the function and order arrays. */
static int reserve_fn(struct vpci_mock *m)
{
    struct vpci_mock_fn **fns = mock_grow(m->fns, &m->fns_cap, m->nfns + 1,
                                          sizeof(*fns));
    if (!fns)
        return -ENOMEM;
    m->fns = fns;
    /* the depth-first order holds the same functions */
    struct vpci_mock_fn **order = realloc(m->order,
                                          m->fns_cap * sizeof(*order));
    if (!order)
        return -ENOMEM;
    m->order = order;
    return 0;
}

static int add(struct vpci_mock *m, const struct vpci_model *model,
               const char *text, struct vpci_mock_fn **out)
{
    struct spec *s = malloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    struct vpci_mock_fn *fn = NULL;
    struct vpci_dev *dev = NULL;
    struct mock_bus *bus = NULL;
    uint8_t devfn = 0;
    char *id = NULL;
    const char *shown = text ? text : "";
    bool multi = false;
    int rc = spec_parse(m, text, s);
    if (rc)
        goto out;
    rc = -EINVAL;
    if (!(model = spec_model(m, model, s, shown)))
        goto out;
    if (s->multifunction) {
        multi = !strcmp(s->multifunction, "on");
        if (!multi && strcmp(s->multifunction, "off")) {
            mock_log(m, VPCI_LOG_ERROR, "device spec \"%s\": multifunction "
                     "is on or off", shown);
            goto out;
        }
    }
    if ((rc = spec_place(m, s, shown, &bus, &devfn)) ||
        (rc = spec_id(m, s, model, shown, &id)) || (rc = reserve_fn(m)))
        goto out;
    rc = -ENOMEM;
    if (!(fn = calloc(1, sizeof(*fn))))
        goto out;
    fn->m = m;
    fn->id = id;
    fn->bus = bus;
    fn->devfn = devfn;
    fn->intx_gsi = -1;
    fn->labelled_bus = -1;

    rc = vpci_dev_create(model, s->props, &mock_host_ops, m, &dev);
    if (rc) {
        mock_log(m, VPCI_LOG_ERROR, "device spec \"%s\": %s: %s", shown,
                 model->name, strerror(-rc));
        goto out;
    }
    fn->dev = dev;
    if (multi)
        vpci_dev_set_multifunction(dev, true);
    rc = check_multifunction(m, bus, devfn, fn_is_multifunction(fn), shown);
    if (rc)
        goto out;
    if (vpci_dev_is_bridge(dev)) {
        if (!(fn->secondary = calloc(1, sizeof(*fn->secondary)))) {
            rc = -ENOMEM;
            goto out;
        }
        fn->secondary->bridge = fn;
    }

    vpci_dev_set_host_data(dev, fn);
    vpci_dev_set_trace(dev, m->log_level >= VPCI_LOG_TRACE);
    bus->fns[devfn] = fn;
    m->fns[m->nfns++] = fn;
    order_rebuild(m);
    mock_fn_relabel(fn);
    m->decode_dirty = true;
    if (out)
        *out = fn;
    free(s);
    return 0;
out:
    vpci_dev_destroy(dev);
    if (fn)
        free(fn->secondary);
    free(fn);
    free(id);
    free(s);
    return rc;
}

int vpci_mock_add(struct vpci_mock *m, const char *spec,
                  struct vpci_mock_fn **out)
{
    if (out)
        *out = NULL;
    if (!m || !spec)
        return -EINVAL;
    return add(m, NULL, spec, out);
}

int vpci_mock_add_model(struct vpci_mock *m, const struct vpci_model *model,
                        const char *spec, struct vpci_mock_fn **out)
{
    if (out)
        *out = NULL;
    if (!m || !model)
        return -EINVAL;
    return add(m, model, spec, out);
}

void mock_topology_free(struct vpci_mock *m)
{
    for (size_t i = 0; i < m->nfns; i++)
        vpci_dev_destroy(m->fns[i]->dev);
    for (size_t i = 0; i < m->nfns; i++) {
        free(m->fns[i]->secondary);
        free(m->fns[i]->id);
        free(m->fns[i]);
    }
    free(m->fns);
    free(m->order);
    free(m->root);
    m->fns = m->order = NULL;
    m->nfns = m->norder = 0;
    m->root = NULL;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */
/* ------------------------------------------------------------------ */

struct vpci_dev *vpci_mock_fn_dev(const struct vpci_mock_fn *fn)
{
    return fn ? fn->dev : NULL;
}

const char *vpci_mock_fn_id(const struct vpci_mock_fn *fn)
{
    return fn ? fn->id : NULL;
}

uint8_t vpci_mock_fn_bus(const struct vpci_mock_fn *fn)
{
    return fn ? mock_bus_number(fn->bus) : 0;
}

uint8_t vpci_mock_fn_devfn(const struct vpci_mock_fn *fn)
{
    return fn ? fn->devfn : 0;
}

uint16_t vpci_mock_fn_rid(const struct vpci_mock_fn *fn)
{
    return fn ? (uint16_t)(vpci_mock_fn_bus(fn) << 8 | fn->devfn) : 0;
}

bool vpci_mock_fn_is_bridge(const struct vpci_mock_fn *fn)
{
    return fn && fn->secondary;
}
