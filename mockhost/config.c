/* SPDX-License-Identifier: MIT */
/*
 * Config cycles: the direct API, CF8/CFC mechanism #1, ECAM, the routing
 * of bus numbers through PCI-to-PCI bridges, and the effects of config
 * writes applied to the machine.
 *
 * Routing (PCI-to-PCI Bridge Architecture 1.2, 3.1.2.1): bus 0 is the
 * root bus.  A cycle to another bus N is claimed by the bridge on a
 * reachable bus whose secondary..subordinate range (read from its own
 * config registers, as enumeration programmed them) holds N; it goes out
 * as a type 0 cycle when N is its secondary bus, else on down as type 1.
 * Nothing claims it: master abort, reads all ones, writes dropped.
 * Forwarding of config cycles does not depend on the bridge's COMMAND.
 *
 * CF8/CFC as QEMU's pci_host.c does it: CONFIG_ADDRESS changes only on a
 * dword write at 0xCF8 (narrower reads return its bytes); CONFIG_DATA at
 * 0xCFC..0xCFF takes byte, word and dword accesses; with the enable bit
 * (31) clear data reads are all ones and writes are dropped; bits 30:24
 * are ignored (no extended register bits), so only offsets below 256 are
 * reachable this way.  The two registers are separate ranges of the IO
 * decoder, so an access straddling one's end is split into bytes there
 * (as QEMU's memory core splits it at region ends).
 *
 * ECAM (PCIe 7.2.2): bus in address bits 27:20, device/function in 19:12,
 * register in 11:0.  An 8-byte access is two dword accesses, low first
 * (QEMU's pcie_mmcfg ops are at most 4 bytes wide and get split the same
 * way).  Offsets at or above 256 of a conventional function read all
 * ones and drop writes (libvpci's config space is 256 bytes then).
 */
#include "internal.h"
#include "core.h"

#define CF8_ENABLE 0x80000000u
#define PORT_CONFIG_ADDRESS 0xCF8
#define PORT_CONFIG_DATA 0xCFC

static uint32_t ones32(unsigned len)
{
    return len == 1 ? 0xff : len == 2 ? 0xffff : 0xffffffffu;
}

static bool cfg_len_ok(unsigned len)
{
    return len == 1 || len == 2 || len == 4;
}

/* ------------------------------------------------------------------ */
/* Routing                                                             */
/* ------------------------------------------------------------------ */

/* The bus numbered @n below @bus, through the bridges on it; NULL when
 * no bridge claims it or the claiming bridge's subtree has no such bus. */
static struct mock_bus *route_below(struct mock_bus *bus, uint8_t n)
{
    for (unsigned i = 0; i < 256; i++) {
        struct vpci_mock_fn *fn = bus->fns[i];
        if (!fn || !fn->secondary)
            continue;
        uint32_t sec = vpci_cfg_read(fn->dev, PCI_SECONDARY_BUS, 1);
        uint32_t sub = vpci_cfg_read(fn->dev, PCI_SUBORDINATE_BUS, 1);
        if (n < sec || n > sub)
            continue;
        if (n == sec)
            return fn->secondary;           /* type 1 -> type 0 */
        return route_below(fn->secondary, n);
    }
    return NULL;
}

struct vpci_mock_fn *mock_cfg_route(struct vpci_mock *m, uint8_t bus,
                                    uint8_t devfn)
{
    struct mock_bus *b = bus == 0 ? m->root : route_below(m->root, bus);
    return b ? b->fns[devfn] : NULL;
}

/* ------------------------------------------------------------------ */
/* Effects                                                             */
/* ------------------------------------------------------------------ */

/* Secondary bus reset: a conventional reset of everything below. */
static void reset_below(struct mock_bus *bus)
{
    for (unsigned i = 0; i < 256; i++) {
        struct vpci_mock_fn *fn = bus->fns[i];
        if (!fn)
            continue;
        struct vpci_effects fx;
        vpci_dev_reset(fn->dev, VPCI_RESET_CONVENTIONAL, &fx);
        mock_apply_effects(fn, &fx);
        if (fn->secondary)
            reset_below(fn->secondary);
    }
}

void mock_apply_effects(struct vpci_mock_fn *fn, const struct vpci_effects *fx)
{
    struct vpci_mock *m = fn->m;
    if (!fx)
        return;
    unsigned n = fx->count;
    if (n > VPCI_EFFECTS_MAX) {
        mock_log(m, VPCI_LOG_WARN, "%s: %u effects, only %u kept", fn->id, n,
                 VPCI_EFFECTS_MAX);
        n = VPCI_EFFECTS_MAX;
    }
    for (unsigned i = 0; i < n; i++) {
        const struct vpci_effect *e = &fx->fx[i];
        if (m->log_level >= VPCI_LOG_TRACE) {
            char line[160];
            vpci_effect_format(e, line, sizeof(line));
            mock_log(m, VPCI_LOG_TRACE, "%s: %s", fn->id, line);
        }
        struct mock_bar_map *b;
        switch (e->type) {
        case VPCI_FX_BAR_MAP:
        case VPCI_FX_BAR_MOVE:
        case VPCI_FX_BAR_UNMAP:
            if (e->u.bar.bar >= MOCK_ARRAY_SIZE(fn->bars))
                break;
            b = &fn->bars[e->u.bar.bar];
            b->mapped = e->type != VPCI_FX_BAR_UNMAP;
            b->kind = e->u.bar.kind;
            b->addr = b->mapped ? e->u.bar.new_addr : 0;
            b->size = e->u.bar.size;
            m->decode_dirty = true;
            break;
        case VPCI_FX_IO_DECODE:
        case VPCI_FX_MEM_DECODE:
        case VPCI_FX_BRIDGE_WINDOWS:
            /* a bridge's forwarding changed (endpoints' BARs come as
             * their own map / unmap effects) */
            if (fn->secondary)
                m->decode_dirty = true;
            break;
        case VPCI_FX_BRIDGE_BUSES:
            if (fn->secondary)
                mock_relabel_below(fn->secondary);
            break;
        case VPCI_FX_BRIDGE_SEC_RESET:
            if (e->u.toggle.on && fn->secondary)
                reset_below(fn->secondary);
            break;
        default:
            break;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Accesses to one function                                            */
/* ------------------------------------------------------------------ */

uint32_t mock_fn_cfg_read(struct vpci_mock_fn *fn, unsigned off, unsigned len)
{
    return vpci_cfg_read(fn->dev, off, len);
}

void mock_fn_cfg_write(struct vpci_mock_fn *fn, unsigned off, unsigned len,
                       uint32_t val)
{
    struct vpci_effects fx;
    /* An access past the function's config space is logged by libvpci
     * and changes nothing. */
    if (vpci_cfg_write(fn->dev, off, len, val, &fx) == 0)
        mock_apply_effects(fn, &fx);
}

/* ------------------------------------------------------------------ */
/* Direct API                                                          */
/* ------------------------------------------------------------------ */

uint32_t vpci_mock_cfg_read(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                            unsigned off, unsigned len)
{
    if (!m || !cfg_len_ok(len)) {
        if (m)
            mock_log(m, VPCI_LOG_WARN, "config read of %u bytes: 1, 2 or 4",
                     len);
        return 0xffffffffu;
    }
    struct vpci_mock_fn *fn = mock_cfg_route(m, bus, devfn);
    return fn ? mock_fn_cfg_read(fn, off, len) : ones32(len);
}

int vpci_mock_cfg_write(struct vpci_mock *m, uint8_t bus, uint8_t devfn,
                        unsigned off, unsigned len, uint32_t val)
{
    if (!m)
        return -EINVAL;
    if (!cfg_len_ok(len)) {
        mock_log(m, VPCI_LOG_WARN, "config write of %u bytes: 1, 2 or 4",
                 len);
        return -EINVAL;
    }
    struct vpci_mock_fn *fn = mock_cfg_route(m, bus, devfn);
    if (!fn)
        return -ENODEV;     /* master abort: dropped */
    struct vpci_effects fx;
    int rc = vpci_cfg_write(fn->dev, off, len, val, &fx);
    if (rc == 0)
        mock_apply_effects(fn, &fx);
    return rc;
}

/* ------------------------------------------------------------------ */
/* CF8 / CFC                                                           */
/* ------------------------------------------------------------------ */

/*
 * The register a data port access reaches: CONFIG_ADDRESS bits 7:0 ORed
 * with the port's byte offset, as QEMU's pci_host_data_read/write form it
 * (so a CONFIG_ADDRESS with bits 1:0 set shifts the access, there too).
 */
static unsigned cf8_offset(const struct vpci_mock *m, unsigned port_byte)
{
    return (unsigned)(m->cf8 & 0xff) | port_byte;
}

uint32_t mock_cf8_in(struct vpci_mock *m, uint16_t port, unsigned len)
{
    if (port < PORT_CONFIG_DATA) {
        unsigned n = port - PORT_CONFIG_ADDRESS;
        if (n + len > 4)        /* the IO decoder splits these */
            return ones32(len);
        /* the register's bytes, as a dword register would answer */
        return (uint32_t)(m->cf8 >> (8 * n)) & ones32(len);
    }
    unsigned n = port - PORT_CONFIG_DATA;
    if (n + len > 4 || !(m->cf8 & CF8_ENABLE))
        return ones32(len);
    struct vpci_mock_fn *fn = mock_cfg_route(m, (uint8_t)(m->cf8 >> 16),
                                             (uint8_t)(m->cf8 >> 8));
    return fn ? mock_fn_cfg_read(fn, cf8_offset(m, n), len) : ones32(len);
}

void mock_cf8_out(struct vpci_mock *m, uint16_t port, unsigned len,
                  uint32_t val)
{
    if (port < PORT_CONFIG_DATA) {
        if (port == PORT_CONFIG_ADDRESS && len == 4)
            m->cf8 = val;
        else if (m->log_level >= VPCI_LOG_TRACE)
            mock_log(m, VPCI_LOG_TRACE, "out%s 0x%x: CONFIG_ADDRESS takes "
                     "dword writes only: ignored",
                     len == 1 ? "b" : len == 2 ? "w" : "l", port);
        return;
    }
    unsigned n = port - PORT_CONFIG_DATA;
    if (n + len > 4 || !(m->cf8 & CF8_ENABLE))
        return;
    struct vpci_mock_fn *fn = mock_cfg_route(m, (uint8_t)(m->cf8 >> 16),
                                             (uint8_t)(m->cf8 >> 8));
    if (fn)
        mock_fn_cfg_write(fn, cf8_offset(m, n), len, val);
}

/* ------------------------------------------------------------------ */
/* ECAM                                                                */
/* ------------------------------------------------------------------ */

static struct vpci_mock_fn *ecam_fn(struct vpci_mock *m, uint64_t off)
{
    unsigned bus = m->map.ecam_bus_first + (unsigned)(off >> 20);
    if (bus > m->map.ecam_bus_last)
        return NULL;
    return mock_cfg_route(m, (uint8_t)bus, (uint8_t)(off >> 12));
}

uint64_t mock_ecam_read(struct vpci_mock *m, uint64_t off, unsigned len)
{
    if (len == 8)
        return mock_ecam_read(m, off, 4) |
               mock_ecam_read(m, off + 4, 4) << 32;
    if (off >= m->map.ecam_size || !cfg_len_ok(len))
        return ones32(len);
    struct vpci_mock_fn *fn = ecam_fn(m, off);
    return fn ? mock_fn_cfg_read(fn, off & 0xfff, len) : ones32(len);
}

void mock_ecam_write(struct vpci_mock *m, uint64_t off, unsigned len,
                     uint64_t val)
{
    if (len == 8) {
        mock_ecam_write(m, off, 4, val & 0xffffffffu);
        mock_ecam_write(m, off + 4, 4, val >> 32);
        return;
    }
    if (off >= m->map.ecam_size || !cfg_len_ok(len))
        return;
    struct vpci_mock_fn *fn = ecam_fn(m, off);
    if (fn)
        mock_fn_cfg_write(fn, off & 0xfff, len, (uint32_t)val);
}
