/* SPDX-License-Identifier: MIT */
/*
 * QEMU adapter: every libvpci model as a QEMU PCI device ("vpci-" + name).
 *
 * The adapter translates between QEMU and libvpci's host-services contract
 * (include/vpci/host.h) and holds no device logic: config space, BAR
 * decode, access widths, MSI/MSI-X, INTx, reset, FLR and save/restore are
 * all libvpci's; QEMU provides address spaces, DMA, interrupt delivery,
 * a clock and migration.
 *
 *  - Types: an abstract "vpci-device" and one subtype per model of
 *    vpci_model_at(), registered at type-registration time; the model's
 *    properties become QEMU properties (bool; size for u32/u64, which takes
 *    K/M/G suffixes; str).  Only the ones set (-device, -global) are passed
 *    to libvpci, so the model still tells given values from defaults.  A
 *    name QEMU already uses ("type") gets a "vpci-" prefix.  Models with a
 *    type 1 header (pci-bridge) are not registered: a bridge needs a
 *    secondary PCIBus and QEMU's bridge windows, which QEMU's own bridges
 *    provide.
 *  - Express or conventional is per instance (virt-pci has pcie=on/off), so
 *    the types implement both interfaces and the realize wrapper sets
 *    QEMU_PCI_CAP_EXPRESS from the function libvpci built before QEMU's
 *    pci_qdev_realize() sizes config space (what vfio-pci does).
 *  - Config space: PCIDeviceClass config_read/config_write go to
 *    vpci_cfg_read/vpci_cfg_write.  pdev->config is a mirror for QEMU's own
 *    core (INTERRUPT_PIN for pci_set_irq, COMMAND.MASTER, the migration
 *    check), refreshed after every write, reset and load; QEMU's wmask and
 *    w1cmask are cleared so QEMU's generic reset never edits it, and the
 *    mirror's INTX_DISABLE bit stays 0 because libvpci already applies it
 *    to the level it drives (pci_irq_handler would apply it twice).
 *  - BARs: one MemoryRegion per declared BAR (and ROM), mapped, moved and
 *    unmapped in pci_address_space()/pci_address_space_io() as the effects
 *    of a config write, reset or load say (priority 1, as pci.c maps BARs).
 *    pci_register_bar() is not used: QEMU would decode the BAR registers
 *    itself, a second decoder that could disagree with libvpci's.
 *    Accesses of 1..8 bytes, aligned or not, reach vpci_bar_read/write as
 *    the CPU made them; libvpci enforces what the model accepts.  QEMU's
 *    address_space_rw() (qtest, DMA from other devices) cuts an access into
 *    naturally aligned pieces first (impl.unaligned = false), as it does for
 *    QEMU's own devices.
 *  - Bus master: bus_master_enable_region follows COMMAND.MASTER, synced
 *    from libvpci before every DMA and MSI (a message replayed inside the
 *    config write that sets MASTER must not be dropped) and after effects.
 *  - DMA: pci_dma_rw() through the device's bus-master address space, so
 *    an IOMMU (intel-iommu, smmuv3) translates and faults; any MemTxResult
 *    error is -EFAULT.  MSI/MSI-X: msi_send_message() of the address/data
 *    libvpci computed.  INTx: pci_set_irq().  Clock and timers:
 *    QEMU_CLOCK_VIRTUAL, one QEMUTimer per vpci_timer, made on first arm.
 *  - Reset: DeviceClass reset is vpci_dev_reset(); FLR happens inside
 *    libvpci and comes back as effects of the config write.
 *  - Migration: the PCIDevice state plus libvpci's state blob
 *    (vpci_dev_save/vpci_dev_load); the load's effects map the BARs.
 */
#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "qapi/util.h"
#include "qapi/visitor.h"
#include "hw/pci/pci.h"
#if __has_include("hw/pci/pci_device.h")
#include "hw/pci/pci_device.h"
#endif
#include "hw/pci/msi.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "sysemu/dma.h"

#include <vpci/bar.h>
#include <vpci/config.h>
#include <vpci/dev.h>
#include <vpci/host.h>
#include <vpci/model.h>
#include <vpci/timer.h>

#define TYPE_VPCI_DEVICE "vpci-device"
#define VPCI_QEMU_MAX_PROPS 32
#define VPCI_QEMU_BARS (VPCI_ROM_BAR + 1)

typedef struct VpciQemuState VpciQemuState;

typedef struct VpciQemuBar {
    VpciQemuState *s;
    unsigned index;
    bool present;           /* declared by the model */
    bool mapped;
    MemoryRegion *space;    /* PCI memory or IO space */
    MemoryRegion mr;
} VpciQemuBar;

struct VpciQemuState {
    PCIDevice parent_obj;
    struct vpci_dev *dev;
    VpciQemuBar bars[VPCI_QEMU_BARS];
    GPtrArray *timers;      /* QEMUTimer *, freed at unrealize */
    /* the model's properties, by index in its descriptor table */
    bool given[VPCI_QEMU_MAX_PROPS];
    bool val_bool[VPCI_QEMU_MAX_PROPS];
    uint64_t val_u64[VPCI_QEMU_MAX_PROPS];
    char *val_str[VPCI_QEMU_MAX_PROPS];
    bool trace;
    char *create_error;     /* libvpci's message when creation fails */
    uint8_t *blob;          /* libvpci state, between pre_save/post_load */
    uint32_t blob_len;
};

typedef struct VpciQemuClass {
    PCIDeviceClass parent_class;
    const struct vpci_model *model;
    DeviceRealize parent_realize;
} VpciQemuClass;

#define VPCI_QEMU(obj) OBJECT_CHECK(VpciQemuState, (obj), TYPE_VPCI_DEVICE)
#define VPCI_QEMU_CLASS(oc) \
    OBJECT_CLASS_CHECK(VpciQemuClass, (oc), TYPE_VPCI_DEVICE)
#define VPCI_QEMU_GET_CLASS(obj) \
    OBJECT_GET_CLASS(VpciQemuClass, (obj), TYPE_VPCI_DEVICE)

/* ---- QEMU state that follows libvpci's ---------------------------------- */

static void vpci_qemu_sync_master(VpciQemuState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    /* a cold-plugged device gets its region at machine-done */
    if (memory_region_is_mapped(&pdev->bus_master_enable_region)) {
        memory_region_set_enabled(&pdev->bus_master_enable_region,
                                  vpci_dev_bus_master(s->dev));
    }
}

static void vpci_qemu_sync_config(VpciQemuState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    unsigned size = MIN(vpci_cfg_size(s->dev), pci_config_size(pdev));

    for (unsigned off = 0; off < size; off += 4) {
        pci_set_long(pdev->config + off, vpci_cfg_read(s->dev, off, 4));
    }
    pci_word_test_and_clear_mask(pdev->config + PCI_COMMAND,
                                 PCI_COMMAND_INTX_DISABLE);
}

static void vpci_qemu_place_bar(VpciQemuState *s, unsigned i, bool map,
                                uint64_t addr)
{
    VpciQemuBar *b;

    if (i >= VPCI_QEMU_BARS || !s->bars[i].present) {
        return;
    }
    b = &s->bars[i];
    if (b->mapped) {
        memory_region_del_subregion(b->space, &b->mr);
    }
    b->mapped = map;
    if (map) {
        memory_region_add_subregion_overlap(b->space, addr, &b->mr, 1);
    }
}

static void vpci_qemu_apply(VpciQemuState *s, const struct vpci_effects *fx)
{
    memory_region_transaction_begin();
    if (fx->count > VPCI_EFFECTS_MAX) {
        /* the list overflowed: place every BAR where libvpci decodes it */
        for (unsigned i = 0; i < VPCI_QEMU_BARS; i++) {
            struct vpci_bar_info info;
            if (!vpci_bar_info(s->dev, i, &info)) {
                vpci_qemu_place_bar(s, i, info.mapped, info.addr);
            }
        }
    } else {
        for (unsigned n = 0; n < fx->count; n++) {
            const struct vpci_effect *e = &fx->fx[n];
            switch (e->type) {
            case VPCI_FX_BAR_MAP:
            case VPCI_FX_BAR_MOVE:
            case VPCI_FX_BAR_UNMAP:
                vpci_qemu_place_bar(s, e->u.bar.bar,
                                    e->type != VPCI_FX_BAR_UNMAP,
                                    e->u.bar.new_addr);
                break;
            default:
                /* bus master is synced below; decode toggles arrive as BAR
                 * effects; MSI, power state and FLR are libvpci's own */
                break;
            }
        }
    }
    vpci_qemu_sync_master(s);
    memory_region_transaction_commit();
    vpci_qemu_sync_config(s);
}

/* ---- host services ------------------------------------------------------ */

static int vpci_qemu_dma_rw(void *host, struct vpci_dev *dev, uint64_t addr,
                            void *buf, size_t len, enum vpci_dma_dir dir)
{
    VpciQemuState *s = host;
    MemTxResult r;

    vpci_qemu_sync_master(s);
    r = pci_dma_rw(PCI_DEVICE(s), addr, buf, len,
                   dir == VPCI_DMA_TO_DEVICE ? DMA_DIRECTION_TO_DEVICE
                                             : DMA_DIRECTION_FROM_DEVICE,
                   MEMTXATTRS_UNSPECIFIED);
    return r == MEMTX_OK ? 0 : -EFAULT;
}

static int vpci_qemu_dma_translated(void *host, struct vpci_dev *dev)
{
    return pci_device_iommu_address_space(PCI_DEVICE(host)) !=
           &address_space_memory;
}

static void vpci_qemu_set_intx(void *host, struct vpci_dev *dev, bool level)
{
    PCIDevice *pdev = PCI_DEVICE(host);

    if (pci_intx(pdev) >= 0) {
        pci_set_irq(pdev, level);
    }
}

static void vpci_qemu_msi_send(void *host, struct vpci_dev *dev,
                               uint64_t addr, uint32_t data)
{
    MSIMessage msg = { .address = addr, .data = data };

    vpci_qemu_sync_master(host);
    msi_send_message(PCI_DEVICE(host), msg);
}

static uint64_t vpci_qemu_clock_ns(void *host)
{
    return MAX(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), 0);
}

static void vpci_qemu_timer_cb(void *opaque)
{
    vpci_timer_fire(opaque);
}

static void vpci_qemu_timer_arm(void *host, struct vpci_timer *t,
                                uint64_t deadline_ns)
{
    VpciQemuState *s = host;
    QEMUTimer *qt = vpci_timer_host_data(t);

    if (!qt) {
        qt = timer_new_ns(QEMU_CLOCK_VIRTUAL, vpci_qemu_timer_cb, t);
        vpci_timer_set_host_data(t, qt);
        g_ptr_array_add(s->timers, qt);
    }
    timer_mod(qt, MIN(deadline_ns, (uint64_t)INT64_MAX));
}

static void vpci_qemu_timer_cancel(void *host, struct vpci_timer *t)
{
    QEMUTimer *qt = vpci_timer_host_data(t);

    if (qt) {
        timer_del(qt);
    }
}

static void vpci_qemu_log(void *host, struct vpci_dev *dev,
                          enum vpci_log_level level, const char *msg)
{
    VpciQemuState *s = host;
    const char *who = dev ? vpci_dev_label(dev)
                          : object_get_typename(OBJECT(s));

    switch (level) {
    case VPCI_LOG_ERROR:
        if (!s->dev) {          /* creating: realize reports them */
            char *all = g_strconcat(s->create_error ? s->create_error : "",
                                    s->create_error ? "; " : "", msg, NULL);
            g_free(s->create_error);
            s->create_error = all;
        } else {
            error_report("%s: %s", who, msg);
        }
        break;
    case VPCI_LOG_WARN:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s\n", who, msg);
        break;
    default:                    /* shown when QEMU logs (-d ..., -D file) */
        qemu_log("%s: %s\n", who, msg);
        break;
    }
}

static const struct vpci_host_ops vpci_qemu_host_ops = {
    .dma_rw = vpci_qemu_dma_rw,
    .dma_translated = vpci_qemu_dma_translated,
    .set_intx = vpci_qemu_set_intx,
    .msi_send = vpci_qemu_msi_send,
    .clock_ns = vpci_qemu_clock_ns,
    .timer_arm = vpci_qemu_timer_arm,
    .timer_cancel = vpci_qemu_timer_cancel,
    .log = vpci_qemu_log,
};

/* ---- config space and BAR accesses -------------------------------------- */

static uint32_t vpci_qemu_config_read(PCIDevice *pdev, uint32_t addr, int len)
{
    VpciQemuState *s = VPCI_QEMU(pdev);
    uint32_t val = 0;

    if (len == 1 || len == 2 || len == 4) {
        return vpci_cfg_read(s->dev, addr, len);
    }
    for (int i = 0; i < len; i++) {     /* 3 bytes at the end of config */
        val |= vpci_cfg_read(s->dev, addr + i, 1) << (8 * i);
    }
    return val;
}

static void vpci_qemu_config_write(PCIDevice *pdev, uint32_t addr,
                                   uint32_t val, int len)
{
    VpciQemuState *s = VPCI_QEMU(pdev);
    struct vpci_effects fx;

    if (len == 1 || len == 2 || len == 4) {
        vpci_cfg_write(s->dev, addr, len, val, &fx);
        vpci_qemu_apply(s, &fx);
        return;
    }
    for (int i = 0; i < len; i++) {
        vpci_cfg_write(s->dev, addr + i, 1, (val >> (8 * i)) & 0xff, &fx);
        vpci_qemu_apply(s, &fx);
    }
}

static uint64_t vpci_qemu_bar_read(void *opaque, hwaddr addr, unsigned size)
{
    VpciQemuBar *b = opaque;
    uint64_t val = 0;

    vpci_bar_read(b->s->dev, b->index, addr, size, &val);
    return val;
}

static void vpci_qemu_bar_write(void *opaque, hwaddr addr, uint64_t val,
                                unsigned size)
{
    VpciQemuBar *b = opaque;

    vpci_bar_write(b->s->dev, b->index, addr, size, val);
}

static const MemoryRegionOps vpci_qemu_bar_ops = {
    .read = vpci_qemu_bar_read,
    .write = vpci_qemu_bar_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8, .unaligned = false },
};

/* ---- model properties --------------------------------------------------- */

static const struct vpci_prop_desc *vpci_qemu_prop(Object *obj, void *opaque)
{
    return &VPCI_QEMU_GET_CLASS(obj)->model->props[(uintptr_t)opaque];
}

static void vpci_qemu_prop_get(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    VpciQemuState *s = VPCI_QEMU(obj);
    unsigned i = (uintptr_t)opaque;
    g_autofree char *str = NULL;

    switch (vpci_qemu_prop(obj, opaque)->type) {
    case VPCI_PROP_BOOL:
        visit_type_bool(v, name, &s->val_bool[i], errp);
        break;
    case VPCI_PROP_U32:
    case VPCI_PROP_U64:
        visit_type_size(v, name, &s->val_u64[i], errp);
        break;
    case VPCI_PROP_STRING:
        str = g_strdup(s->val_str[i] ? s->val_str[i] : "");
        visit_type_str(v, name, &str, errp);
        break;
    }
}

static void vpci_qemu_prop_set(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    VpciQemuState *s = VPCI_QEMU(obj);
    const struct vpci_prop_desc *d = vpci_qemu_prop(obj, opaque);
    unsigned i = (uintptr_t)opaque;
    uint64_t u;
    char *str;

    if (DEVICE(obj)->realized) {
        error_setg(errp, "property '%s' cannot be set on a realized device",
                   name);
        return;
    }
    switch (d->type) {
    case VPCI_PROP_BOOL:
        if (!visit_type_bool(v, name, &s->val_bool[i], errp)) {
            return;
        }
        break;
    case VPCI_PROP_U32:
    case VPCI_PROP_U64:
        if (!visit_type_size(v, name, &u, errp)) {
            return;
        }
        if (d->type == VPCI_PROP_U32 && u > UINT32_MAX) {
            error_setg(errp, "property '%s': %" PRIu64 " does not fit 32 bits",
                       name, u);
            return;
        }
        s->val_u64[i] = u;
        break;
    case VPCI_PROP_STRING:
        if (!visit_type_str(v, name, &str, errp)) {
            return;
        }
        if (strchr(str, ',')) {     /* libvpci's separator */
            error_setg(errp, "property '%s': no ',' allowed", name);
            g_free(str);
            return;
        }
        g_free(s->val_str[i]);
        s->val_str[i] = str;
        break;
    }
    s->given[i] = true;
}

/* "key=value,..." of the properties set since instance_init */
static char *vpci_qemu_props_string(VpciQemuState *s,
                                    const struct vpci_model *m)
{
    GString *str = g_string_new("");

    for (unsigned i = 0; m->props && m->props[i].name; i++) {
        if (!s->given[i]) {
            continue;
        }
        g_string_append_printf(str, "%s%s=", str->len ? "," : "",
                               m->props[i].name);
        switch (m->props[i].type) {
        case VPCI_PROP_BOOL:
            g_string_append(str, s->val_bool[i] ? "on" : "off");
            break;
        case VPCI_PROP_U32:
        case VPCI_PROP_U64:
            g_string_append_printf(str, "%" PRIu64, s->val_u64[i]);
            break;
        case VPCI_PROP_STRING:
            g_string_append(str, s->val_str[i] ? s->val_str[i] : "");
            break;
        }
    }
    return g_string_free(str, false);
}

static void vpci_qemu_add_props(ObjectClass *oc, const struct vpci_model *m)
{
    static const char *const qtype[] = {
        [VPCI_PROP_BOOL] = "bool", [VPCI_PROP_U32] = "size",
        [VPCI_PROP_U64] = "size", [VPCI_PROP_STRING] = "str",
    };

    for (uintptr_t i = 0; m->props && m->props[i].name; i++) {
        const struct vpci_prop_desc *d = &m->props[i];
        g_autofree char *name = g_strdup(d->name);
        ObjectProperty *op;
        uint64_t u;
        bool b;

        if (i == VPCI_QEMU_MAX_PROPS) {
            error_report("vpci-%s: properties after the %dth are not "
                         "available", m->name, VPCI_QEMU_MAX_PROPS);
            break;
        }
        if (object_class_property_find(oc, name)) { /* e.g. QOM's "type" */
            g_free(name);
            name = g_strdup_printf("vpci-%s", d->name);
        }
        op = object_class_property_add(oc, name, qtype[d->type],
                                       vpci_qemu_prop_get, vpci_qemu_prop_set,
                                       NULL, (void *)i);
        object_class_property_set_description(oc, name, d->help);
        if (!d->defval) {
            continue;
        }
        /* defaults for -device help and qom-get; libvpci applies its own */
        if (d->type == VPCI_PROP_BOOL &&
            qapi_bool_parse(name, d->defval, &b, NULL)) {
            object_property_set_default_bool(op, b);
        } else if ((d->type == VPCI_PROP_U32 || d->type == VPCI_PROP_U64) &&
                   !qemu_strtosz(d->defval, NULL, &u)) {
            object_property_set_default_uint(op, u);
        } else if (d->type == VPCI_PROP_STRING) {
            object_property_set_default_str(op, d->defval);
        }
    }
}

/* ---- lifecycle ---------------------------------------------------------- */

static void vpci_qemu_realize(DeviceState *ds, Error **errp)
{
    VpciQemuState *s = VPCI_QEMU(ds);
    VpciQemuClass *vc = VPCI_QEMU_GET_CLASS(ds);
    PCIDevice *pdev = PCI_DEVICE(ds);
    g_autofree char *props = vpci_qemu_props_string(s, vc->model);
    Error *err = NULL;
    int rc;

    if (pdev->romfile) {    /* QEMU would map a second ROM BAR itself */
        error_setg(errp, "%s: romfile is not supported (a model declares "
                   "its ROM in libvpci)", object_get_typename(OBJECT(ds)));
        return;
    }
    rc = vpci_dev_create(vc->model, props, &vpci_qemu_host_ops, s, &s->dev);
    if (rc < 0) {
        s->dev = NULL;
        error_setg(errp, "%s: %s", object_get_typename(OBJECT(ds)),
                   s->create_error ? s->create_error : strerror(-rc));
        return;
    }
    if (vpci_dev_is_express(s->dev)) {
        pdev->cap_present |= QEMU_PCI_CAP_EXPRESS;
    } else {
        pdev->cap_present &= ~QEMU_PCI_CAP_EXPRESS;
    }
    vc->parent_realize(ds, &err);   /* pci_qdev_realize -> vpci_qemu_pci_realize */
    if (err) {
        vpci_dev_destroy(s->dev);
        s->dev = NULL;
        error_propagate(errp, err);
    }
}

static void vpci_qemu_pci_realize(PCIDevice *pdev, Error **errp)
{
    VpciQemuState *s = VPCI_QEMU(pdev);
    DeviceState *ds = DEVICE(pdev);
    unsigned size = pci_config_size(pdev);

    vpci_dev_set_multifunction(s->dev, pdev->cap_present &
                                       QEMU_PCI_CAP_MULTIFUNCTION);
    vpci_dev_set_label(s->dev, ds->id ? ds->id : object_get_typename(OBJECT(s)));
    vpci_dev_set_trace(s->dev, s->trace);
    memset(pdev->wmask, 0, size);
    memset(pdev->w1cmask, 0, size);
    vpci_qemu_sync_config(s);
    if (pci_is_express(pdev)) {
        pdev->exp.exp_cap = pci_find_capability(pdev, PCI_CAP_ID_EXP);
    }

    for (unsigned i = 0; i < VPCI_QEMU_BARS; i++) {
        VpciQemuBar *b = &s->bars[i];
        struct vpci_bar_info info;
        g_autofree char *name = NULL;

        if (vpci_bar_info(s->dev, i, &info) || info.kind == VPCI_BAR_NONE) {
            continue;
        }
        name = i == VPCI_ROM_BAR
                   ? g_strdup_printf("%s-rom", object_get_typename(OBJECT(s)))
                   : g_strdup_printf("%s-bar%u", object_get_typename(OBJECT(s)), i);
        b->s = s;
        b->index = i;
        b->present = true;
        b->space = info.kind == VPCI_BAR_IO ? pci_address_space_io(pdev)
                                            : pci_address_space(pdev);
        memory_region_init_io(&b->mr, OBJECT(s), &vpci_qemu_bar_ops, b, name,
                              info.size);
    }
}

static void vpci_qemu_exit(PCIDevice *pdev)
{
    VpciQemuState *s = VPCI_QEMU(pdev);

    memory_region_transaction_begin();
    for (unsigned i = 0; i < VPCI_QEMU_BARS; i++) {
        vpci_qemu_place_bar(s, i, false, 0);
    }
    memory_region_transaction_commit();
    vpci_dev_destroy(s->dev);   /* cancels its timers */
    s->dev = NULL;
    for (unsigned i = 0; i < s->timers->len; i++) {
        timer_free(g_ptr_array_index(s->timers, i));
    }
    g_ptr_array_set_size(s->timers, 0);
}

static void vpci_qemu_reset(DeviceState *ds)
{
    VpciQemuState *s = VPCI_QEMU(ds);
    struct vpci_effects fx;

    if (s->dev) {
        vpci_dev_reset(s->dev, VPCI_RESET_CONVENTIONAL, &fx);
        vpci_qemu_apply(s, &fx);
    }
}

static void vpci_qemu_instance_init(Object *obj)
{
    VpciQemuState *s = VPCI_QEMU(obj);

    /* class property defaults were set before instance_init: not given */
    memset(s->given, 0, sizeof(s->given));
    s->timers = g_ptr_array_new();
}

static void vpci_qemu_instance_finalize(Object *obj)
{
    VpciQemuState *s = VPCI_QEMU(obj);

    for (unsigned i = 0; i < VPCI_QEMU_MAX_PROPS; i++) {
        g_free(s->val_str[i]);
    }
    g_free(s->create_error);
    g_free(s->blob);
    g_ptr_array_free(s->timers, true);
}

/* ---- migration ---------------------------------------------------------- */

static int vpci_qemu_pre_save(void *opaque)
{
    VpciQemuState *s = opaque;
    void *blob;
    size_t len;
    int rc = vpci_dev_save(s->dev, &blob, &len);

    if (rc < 0 || len > UINT32_MAX) {
        error_report("%s: cannot save the device state: %s",
                     vpci_dev_label(s->dev), strerror(rc < 0 ? -rc : EFBIG));
        if (!rc) {
            free(blob);
        }
        return rc < 0 ? rc : -EFBIG;
    }
    g_free(s->blob);
    s->blob = g_memdup2(blob, len);
    s->blob_len = len;
    free(blob);
    return 0;
}

static int vpci_qemu_post_save(void *opaque)
{
    VpciQemuState *s = opaque;

    g_free(s->blob);
    s->blob = NULL;
    s->blob_len = 0;
    return 0;
}

static int vpci_qemu_post_load(void *opaque, int version_id)
{
    VpciQemuState *s = opaque;
    struct vpci_effects fx;
    int rc = vpci_dev_load(s->dev, s->blob, s->blob_len, &fx);

    vpci_qemu_post_save(s);
    if (rc < 0) {
        error_report("%s: libvpci rejected the device state: %s",
                     vpci_dev_label(s->dev), strerror(-rc));
        return rc;
    }
    vpci_qemu_apply(s, &fx);
    return 0;
}

static const VMStateDescription vpci_qemu_vmstate = {
    .name = "vpci",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_load = vpci_qemu_post_save,    /* drop any stale blob */
    .pre_save = vpci_qemu_pre_save,
    .post_save = vpci_qemu_post_save,
    .post_load = vpci_qemu_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, VpciQemuState),
        VMSTATE_UINT32(blob_len, VpciQemuState),
        VMSTATE_VBUFFER_ALLOC_UINT32(blob, VpciQemuState, 0, NULL, blob_len),
        VMSTATE_END_OF_LIST()
    },
};

/* ---- types -------------------------------------------------------------- */

static Property vpci_qemu_properties[] = {
    DEFINE_PROP_BOOL("vpci-trace", VpciQemuState, trace, false),
    DEFINE_PROP_END_OF_LIST(),
};

static void vpci_qemu_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(oc);
    VpciQemuClass *vc = VPCI_QEMU_CLASS(oc);

    device_class_set_parent_realize(dc, vpci_qemu_realize, &vc->parent_realize);
    pc->realize = vpci_qemu_pci_realize;
    pc->exit = vpci_qemu_exit;
    pc->config_read = vpci_qemu_config_read;
    pc->config_write = vpci_qemu_config_write;
    dc->reset = vpci_qemu_reset;
    dc->vmsd = &vpci_qemu_vmstate;
    device_class_set_props(dc, vpci_qemu_properties);
    object_class_property_set_description(oc, "vpci-trace",
        "libvpci trace lines (accesses, effects) in QEMU's log (-d/-D)");
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static void vpci_qemu_model_class_init(ObjectClass *oc, void *data)
{
    const struct vpci_model *m = data;

    VPCI_QEMU_CLASS(oc)->model = m;
    DEVICE_CLASS(oc)->desc = m->desc;
    vpci_qemu_add_props(oc, m);
}

static const TypeInfo vpci_qemu_type_info = {
    .name = TYPE_VPCI_DEVICE,
    .parent = TYPE_PCI_DEVICE,
    .abstract = true,
    .instance_size = sizeof(VpciQemuState),
    .instance_init = vpci_qemu_instance_init,
    .instance_finalize = vpci_qemu_instance_finalize,
    .class_size = sizeof(VpciQemuClass),
    .class_init = vpci_qemu_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

/* A function with a type 1 header needs QEMU's bridge machinery. */
static bool vpci_qemu_model_is_bridge(const struct vpci_model *m)
{
    struct vpci_dev *dev;
    bool bridge;

    if (vpci_dev_create(m, NULL, NULL, NULL, &dev) < 0) {
        return false;           /* realize will say why */
    }
    bridge = vpci_dev_is_bridge(dev);
    vpci_dev_destroy(dev);
    return bridge;
}

static void vpci_qemu_register_types(void)
{
    const struct vpci_model *m;

    type_register_static(&vpci_qemu_type_info);
    for (size_t i = 0; (m = vpci_model_at(i)); i++) {
        g_autofree char *name = g_strdup_printf("vpci-%s", m->name);
        TypeInfo ti = {
            .name = name,
            .parent = TYPE_VPCI_DEVICE,
            .class_init = vpci_qemu_model_class_init,
            .class_data = (void *)m,
        };

        if (!vpci_qemu_model_is_bridge(m)) {
            type_register(&ti);
        }
    }
}

type_init(vpci_qemu_register_types)
