/* SPDX-License-Identifier: MIT */
/*
 * Config space as data: the type 0 / type 1 header layout, the one generic
 * write path (masks, then reactions) and the effects it returns.
 */
#include "internal.h"

#include <stdio.h>


/* STATUS error bits software clears by writing 1 (PCI 3.0 6.2.3). */
#define STATUS_W1C                                                          \
    (PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |                      \
     PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |            \
     PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)
#define COMMAND_WRITABLE                                                    \
    (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |             \
     PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
#define BRIDGE_CTL_WRITABLE                                                 \
    (PCI_BRIDGE_CTL_PARITY | PCI_BRIDGE_CTL_SERR | PCI_BRIDGE_CTL_ISA |     \
     PCI_BRIDGE_CTL_VGA | 0x10 /* VGA 16-bit decode */ |                   \
     PCI_BRIDGE_CTL_MASTER_ABORT | PCI_BRIDGE_CTL_BUS_RESET)

void vpci_cfg_init_field(struct vpci_dev *dev, unsigned off, unsigned len,
                         uint32_t val, uint32_t wmask, uint32_t w1cmask)
{
    for (unsigned i = 0; i < len; i++) {
        dev->config[off + i] = (uint8_t)(val >> (8 * i));
        dev->wmask[off + i] = (uint8_t)(wmask >> (8 * i));
        dev->w1cmask[off + i] = (uint8_t)(w1cmask >> (8 * i));
        dev->used[off + i] = 1;
    }
}

void vpci_cfg_init_header(struct vpci_dev *dev)
{
    const struct vpci_identity *id = &dev->id;
    memset(dev->config, 0, sizeof(dev->config));
    memset(dev->wmask, 0, sizeof(dev->wmask));
    memset(dev->w1cmask, 0, sizeof(dev->w1cmask));
    memset(dev->used, 0, sizeof(dev->used));

    uint8_t type = id->bridge ? PCI_HEADER_TYPE_BRIDGE : PCI_HEADER_TYPE_NORMAL;
    if (id->multifunction)
        type |= 0x80;
    vpci_cfg_init_field(dev, PCI_VENDOR_ID, 2, id->vendor_id, 0, 0);
    vpci_cfg_init_field(dev, PCI_DEVICE_ID, 2, id->device_id, 0, 0);
    vpci_cfg_init_field(dev, PCI_COMMAND, 2, 0, COMMAND_WRITABLE, 0);
    vpci_cfg_init_field(dev, PCI_STATUS, 2, 0, 0, STATUS_W1C);
    vpci_cfg_init_field(dev, PCI_REVISION_ID, 1, id->revision, 0, 0);
    vpci_cfg_init_field(dev, PCI_CLASS_PROG, 3, id->class_code, 0, 0);
    vpci_cfg_init_field(dev, PCI_CACHE_LINE_SIZE, 1, 0, 0xff, 0);
    /* PCIe 7.5.1.1.5: Latency Timer is read-only zero on Express. */
    vpci_cfg_init_field(dev, PCI_LATENCY_TIMER, 1, 0, id->express ? 0 : 0xff,
                        0);
    vpci_cfg_init_field(dev, PCI_HEADER_TYPE, 1, type, 0, 0);
    vpci_cfg_init_field(dev, PCI_BIST, 1, 0, 0, 0);
    vpci_cfg_init_field(dev, PCI_CAPABILITY_LIST, 1, 0, 0, 0);
    vpci_cfg_init_field(dev, PCI_INTERRUPT_LINE, 1, 0, 0xff, 0);
    vpci_cfg_init_field(dev, PCI_INTERRUPT_PIN, 1, id->interrupt_pin, 0, 0);

    if (!id->bridge) {
        vpci_cfg_init_field(dev, PCI_SUBSYSTEM_VENDOR_ID, 2,
                            id->subsystem_vendor_id, 0, 0);
        vpci_cfg_init_field(dev, PCI_SUBSYSTEM_ID, 2, id->subsystem_id, 0, 0);
        vpci_cfg_init_field(dev, PCI_MIN_GNT, 2, 0, 0, 0);
        return;
    }
    /* Type 1: bus numbers, then windows whose low nibbles say the bridge
     * decodes 32-bit IO and 64-bit prefetchable memory. */
    vpci_cfg_init_field(dev, PCI_PRIMARY_BUS, 3, 0, 0xffffff, 0);
    vpci_cfg_init_field(dev, PCI_SEC_LATENCY_TIMER, 1, 0,
                        id->express ? 0 : 0xff, 0);
    vpci_cfg_init_field(dev, PCI_IO_BASE, 1, PCI_IO_RANGE_TYPE_32, 0xf0, 0);
    vpci_cfg_init_field(dev, PCI_IO_LIMIT, 1, PCI_IO_RANGE_TYPE_32, 0xf0, 0);
    vpci_cfg_init_field(dev, PCI_SEC_STATUS, 2, 0, 0, STATUS_W1C);
    vpci_cfg_init_field(dev, PCI_MEMORY_BASE, 2, 0, 0xfff0, 0);
    vpci_cfg_init_field(dev, PCI_MEMORY_LIMIT, 2, 0, 0xfff0, 0);
    vpci_cfg_init_field(dev, PCI_PREF_MEMORY_BASE, 2, PCI_PREF_RANGE_TYPE_64,
                        0xfff0, 0);
    vpci_cfg_init_field(dev, PCI_PREF_MEMORY_LIMIT, 2, PCI_PREF_RANGE_TYPE_64,
                        0xfff0, 0);
    vpci_cfg_init_field(dev, PCI_PREF_BASE_UPPER32, 4, 0, 0xffffffff, 0);
    vpci_cfg_init_field(dev, PCI_PREF_LIMIT_UPPER32, 4, 0, 0xffffffff, 0);
    vpci_cfg_init_field(dev, PCI_IO_BASE_UPPER16, 2, 0, 0xffff, 0);
    vpci_cfg_init_field(dev, PCI_IO_LIMIT_UPPER16, 2, 0, 0xffff, 0);
    vpci_cfg_init_field(dev, PCI_BRIDGE_CONTROL, 2, 0, BRIDGE_CTL_WRITABLE, 0);
}

unsigned vpci_cfg_size(const struct vpci_dev *dev)
{
    return dev ? dev->cfg_size : 0;
}

static bool access_fits(const struct vpci_dev *dev, unsigned off, unsigned len)
{
    return (len == 1 || len == 2 || len == 4) && off < dev->cfg_size &&
           len <= dev->cfg_size - off;
}

uint32_t vpci_cfg_read(struct vpci_dev *dev, unsigned off, unsigned len)
{
    if (!dev || !access_fits(dev, off, len))
        return len == 1 ? 0xff : len == 2 ? 0xffff : 0xffffffff;
    uint32_t v = 0;
    for (unsigned i = 0; i < len; i++)
        v |= (uint32_t)dev->config[off + i] << (8 * i);
    return v;
}

int vpci_cfg_write(struct vpci_dev *dev, unsigned off, unsigned len,
                   uint32_t val, struct vpci_effects *fx)
{
    if (fx)
        fx->count = 0;
    if (!dev)
        return -EINVAL;
    if (!access_fits(dev, off, len)) {
        vpci_log(dev, VPCI_LOG_WARN,
                 "config write of %u bytes at 0x%x does not fit %u bytes: "
                 "ignored", len, off, dev->cfg_size);
        return -EINVAL;
    }
    uint8_t old[4];
    memcpy(old, dev->config + off, len);
    for (unsigned i = 0; i < len; i++) {
        unsigned b = off + i;
        uint8_t v = (uint8_t)(val >> (8 * i));
        dev->config[b] = (uint8_t)((dev->config[b] & ~dev->wmask[b]) |
                                   (v & dev->wmask[b]));
        dev->config[b] &= (uint8_t)~(v & dev->w1cmask[b]);
    }
    if (dev->trace)
        vpci_log(dev, VPCI_LOG_TRACE, "cfg write 0x%03x [%u] = 0x%x -> 0x%x",
                 off, len, val, vpci_cfg_read(dev, off, len));
    vpci_bars_cfg_written(dev, off, len);
    vpci_pm_cfg_written(dev, off, len, old, fx);
    vpci_pcie_cfg_written(dev, off, len, old, fx);
    vpci_cfg_sync(dev, fx);
    return 0;
}

int vpci_cfg_set(struct vpci_dev *dev, unsigned off, unsigned len, uint32_t val)
{
    if (!dev || !access_fits(dev, off, len))
        return -EINVAL;
    for (unsigned i = 0; i < len; i++) {
        dev->config[off + i] = (uint8_t)(val >> (8 * i));
        if (dev->initializing)
            dev->used[off + i] = 1;
    }
    return 0;
}

static int set_mask(struct vpci_dev *dev, uint8_t *mask, unsigned off,
                    unsigned len, uint32_t val, const char *what)
{
    int rc = vpci_require_init(dev, what);
    if (rc)
        return rc;
    if (!access_fits(dev, off, len))
        return -EINVAL;
    for (unsigned i = 0; i < len; i++)
        mask[off + i] = (uint8_t)(val >> (8 * i));
    return 0;
}

int vpci_cfg_set_wmask(struct vpci_dev *dev, unsigned off, unsigned len,
                       uint32_t mask)
{
    return set_mask(dev, dev ? dev->wmask : NULL, off, len, mask,
                    "vpci_cfg_set_wmask");
}

int vpci_cfg_set_w1cmask(struct vpci_dev *dev, unsigned off, unsigned len,
                         uint32_t mask)
{
    return set_mask(dev, dev ? dev->w1cmask : NULL, off, len, mask,
                    "vpci_cfg_set_w1cmask");
}

/* ---- effects ---- */

void vpci_fx_push(struct vpci_effects *fx, const struct vpci_effect *e)
{
    if (!fx)
        return;
    if (fx->count < VPCI_EFFECTS_MAX)
        fx->fx[fx->count] = *e;
    fx->count++;
}

void vpci_fx_toggle(struct vpci_effects *fx, enum vpci_effect_type t, bool on)
{
    struct vpci_effect e = { .type = t, .u.toggle.on = on };
    vpci_fx_push(fx, &e);
}

static void sync_command(struct vpci_dev *dev, struct vpci_effects *fx)
{
    static const struct {
        uint16_t bit;
        enum vpci_effect_type fx;
    } toggles[] = {
        { PCI_COMMAND_IO, VPCI_FX_IO_DECODE },
        { PCI_COMMAND_MEMORY, VPCI_FX_MEM_DECODE },
        { PCI_COMMAND_MASTER, VPCI_FX_BUS_MASTER },
        { PCI_COMMAND_INTX_DISABLE, VPCI_FX_INTX_DISABLE },
    };
    uint16_t cmd = cfg_get16(dev, PCI_COMMAND);
    uint16_t diff = cmd ^ dev->last_command;
    for (size_t i = 0; i < VPCI_ARRAY_SIZE(toggles); i++)
        if (diff & toggles[i].bit)
            vpci_fx_toggle(fx, toggles[i].fx, cmd & toggles[i].bit);
    dev->last_command = cmd;
}

/* Bus numbers, windows and secondary reset of a PCI-to-PCI bridge. */
static void sync_bridge(struct vpci_dev *dev, struct vpci_effects *fx)
{
    const uint8_t *buses = dev->config + PCI_PRIMARY_BUS;
    if (memcmp(buses, dev->last_buses, 3)) {
        struct vpci_effect e = { .type = VPCI_FX_BRIDGE_BUSES };
        e.u.buses.primary = buses[0];
        e.u.buses.secondary = buses[1];
        e.u.buses.subordinate = buses[2];
        vpci_fx_push(fx, &e);
        memcpy(dev->last_buses, buses, 3);
    }
    /* The windows are 0x1C/0x1D and 0x20..0x33 (0x1E is secondary status). */
    uint8_t win[sizeof(dev->last_windows)];
    memcpy(win, dev->config + PCI_IO_BASE, sizeof(win));
    win[PCI_SEC_STATUS - PCI_IO_BASE] = 0;
    win[PCI_SEC_STATUS + 1 - PCI_IO_BASE] = 0;
    if (memcmp(win, dev->last_windows, sizeof(win))) {
        struct vpci_effect e = { .type = VPCI_FX_BRIDGE_WINDOWS };
        vpci_fx_push(fx, &e);
        memcpy(dev->last_windows, win, sizeof(win));
    }
    bool reset = cfg_get16(dev, PCI_BRIDGE_CONTROL) & PCI_BRIDGE_CTL_BUS_RESET;
    if (reset != dev->last_sec_reset) {
        vpci_fx_toggle(fx, VPCI_FX_BRIDGE_SEC_RESET, reset);
        dev->last_sec_reset = reset;
    }
}

void vpci_cfg_sync(struct vpci_dev *dev, struct vpci_effects *fx)
{
    bool was_master = dev->last_command & PCI_COMMAND_MASTER;
    vpci_pm_sync(dev, fx);   /* first: a D3hot->D0 reset follows it */
    sync_command(dev, fx);
    vpci_msi_sync(dev, fx);
    vpci_msix_sync(dev, fx);
    if (dev->id.bridge)
        sync_bridge(dev, fx);
    vpci_bars_update(dev, fx);
    vpci_irq_update_intx(dev);
    if (!was_master && (dev->last_command & PCI_COMMAND_MASTER))
        vpci_irq_flush_pending(dev);
}

const char *vpci_effect_name(enum vpci_effect_type type)
{
    static const char *const names[] = {
        [VPCI_FX_BAR_MAP] = "bar-map",
        [VPCI_FX_BAR_UNMAP] = "bar-unmap",
        [VPCI_FX_BAR_MOVE] = "bar-move",
        [VPCI_FX_IO_DECODE] = "io-decode",
        [VPCI_FX_MEM_DECODE] = "mem-decode",
        [VPCI_FX_BUS_MASTER] = "bus-master",
        [VPCI_FX_INTX_DISABLE] = "intx-disable",
        [VPCI_FX_MSI_ENABLE] = "msi-enable",
        [VPCI_FX_MSI_MASK] = "msi-mask",
        [VPCI_FX_MSIX_ENABLE] = "msix-enable",
        [VPCI_FX_MSIX_FUNC_MASK] = "msix-function-mask",
        [VPCI_FX_POWER_STATE] = "power-state",
        [VPCI_FX_RESET] = "reset",
        [VPCI_FX_FLR] = "flr",
        [VPCI_FX_BRIDGE_BUSES] = "bridge-buses",
        [VPCI_FX_BRIDGE_WINDOWS] = "bridge-windows",
        [VPCI_FX_BRIDGE_SEC_RESET] = "bridge-secondary-reset",
    };
    if ((unsigned)type < VPCI_ARRAY_SIZE(names) && names[type])
        return names[type];
    return "unknown";
}

int vpci_effect_format(const struct vpci_effect *e, char *buf, unsigned len)
{
    if (!e || !buf)
        return -EINVAL;
    const char *name = vpci_effect_name(e->type);
    switch (e->type) {
    case VPCI_FX_BAR_MAP:
    case VPCI_FX_BAR_UNMAP:
    case VPCI_FX_BAR_MOVE: {
        char which[8] = "rom";
        if (e->u.bar.bar != VPCI_ROM_BAR)
            snprintf(which, sizeof(which), "bar%u", e->u.bar.bar);
        return snprintf(buf, len, "%s %s %s 0x%llx -> 0x%llx size 0x%llx",
                        name, which, vpci_bar_kind_name(e->u.bar.kind),
                        (unsigned long long)e->u.bar.old_addr,
                        (unsigned long long)e->u.bar.new_addr,
                        (unsigned long long)e->u.bar.size);
    }
    case VPCI_FX_MSI_MASK:
        return snprintf(buf, len, "%s vector %u %s", name, e->u.mask.vector,
                        e->u.mask.masked ? "masked" : "unmasked");
    case VPCI_FX_POWER_STATE:
        return snprintf(buf, len, "%s D%u -> D%u", name, e->u.power.from,
                        e->u.power.to);
    case VPCI_FX_BRIDGE_BUSES:
        return snprintf(buf, len, "%s %02x:%02x:%02x", name,
                        e->u.buses.primary, e->u.buses.secondary,
                        e->u.buses.subordinate);
    case VPCI_FX_RESET:
    case VPCI_FX_FLR:
    case VPCI_FX_BRIDGE_WINDOWS:
        return snprintf(buf, len, "%s", name);
    default:
        return snprintf(buf, len, "%s %s", name,
                        e->u.toggle.on ? "on" : "off");
    }
}
