/* SPDX-License-Identifier: MIT */
/*
 * Power Management capability (PCI Bus Power Management 1.2): D0 and D3hot.
 *
 * PMC says what the function can do and nothing more: version 3 (PM 1.2),
 * no D1/D2, no PME#, no auxiliary current, no device-specific init.
 * PMCSR.PowerState is the only writable field.  A write of an unsupported
 * state (D1, D2) is ignored, as PM 1.2 5.4.1 tells hardware to do.  In
 * D3hot the function decodes no BAR (bar.c asks vpci_pm_state()); leaving
 * D3hot for D0 resets the function unless No_Soft_Reset is set, in which
 * case it comes back exactly as it was ("D0 initialized", PM 1.2 5.4.1).
 */
#include "internal.h"

/* PMC.Version 011b: complies with PCI Bus Power Management 1.2. */
#define PM_VERSION_1_2 0x3u
#define PM_STATE_D0 0u
#define PM_STATE_D1 1u
#define PM_STATE_D2 2u
#define PM_STATE_D3HOT 3u

/*
 * Reset the function from inside a config write: vpci_dev_reset() starts
 * its @fx afresh, so collect its effects apart and append them to what the
 * write already reported.
 */
int vpci_cap_add_pm(struct vpci_dev *dev, unsigned offset,
                    const struct vpci_pm_config *cfg, unsigned *out)
{
    int rc = vpci_require_init(dev, "vpci_cap_add_pm");
    if (rc)
        return rc;
    if (dev->pm_cap) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "power management capability: already at 0x%x", dev->pm_cap);
        return -EEXIST;
    }
    unsigned off;
    rc = vpci_cap_add(dev, PCI_CAP_ID_PM, offset, PCI_PM_SIZEOF, &off);
    if (rc)
        return rc;
    bool nsr = cfg && cfg->no_soft_reset;

    vpci_cfg_init_field(dev, off + PCI_PM_PMC, 2, PM_VERSION_1_2, 0, 0);
    /* PowerState RW; No_Soft_Reset RO; PME_En, Data_Select/Scale and
     * PME_Status hardwired to 0 since PMC advertises no PME# and no Data
     * register (PM 1.2 3.2.4). */
    vpci_cfg_init_field(dev, off + PCI_PM_CTRL, 2,
                        PM_STATE_D0 | (nsr ? PCI_PM_CTRL_NO_SOFT_RESET : 0),
                        PCI_PM_CTRL_STATE_MASK, 0);
    vpci_cfg_init_field(dev, off + PCI_PM_PPB_EXTENSIONS, 1, 0, 0, 0);
    vpci_cfg_init_field(dev, off + PCI_PM_DATA_REGISTER, 1, 0, 0, 0);

    dev->pm_cap = off;
    dev->pm_no_soft_reset = nsr;
    dev->last_pm_state = PM_STATE_D0;
    if (out)
        *out = off;
    return 0;
}

unsigned vpci_pm_state(const struct vpci_dev *dev)
{
    if (!dev || !dev->pm_cap)
        return PM_STATE_D0;
    return cfg_get16(dev, dev->pm_cap + PCI_PM_CTRL) & PCI_PM_CTRL_STATE_MASK;
}

void vpci_pm_sync(struct vpci_dev *dev, struct vpci_effects *fx)
{
    unsigned now = vpci_pm_state(dev);
    if (now == dev->last_pm_state)
        return;
    struct vpci_effect e = { .type = VPCI_FX_POWER_STATE };
    e.u.power.from = dev->last_pm_state;
    e.u.power.to = now;
    vpci_fx_push(fx, &e);
    if (dev->trace)
        vpci_log(dev, VPCI_LOG_TRACE, "power state D%u -> D%u",
                 dev->last_pm_state, now);
    dev->last_pm_state = now;
}

void vpci_pm_cfg_written(struct vpci_dev *dev, unsigned off, unsigned len,
                         const uint8_t *old, struct vpci_effects *fx)
{
    if (!dev->pm_cap)
        return;
    /* PowerState lives in PMCSR's low byte. */
    unsigned reg = dev->pm_cap + PCI_PM_CTRL;
    if (!ranges_overlap(off, len, reg, 1))
        return;
    uint8_t *pmcsr = dev->config + reg;
    unsigned from = old[reg - off] & PCI_PM_CTRL_STATE_MASK;
    unsigned to = *pmcsr & PCI_PM_CTRL_STATE_MASK;
    if (to == PM_STATE_D1 || to == PM_STATE_D2) {
        /* PMC says no D1/D2: hardware ignores the write (PM 1.2 5.4.1). */
        vpci_log(dev, VPCI_LOG_WARN,
                 "PMCSR: D%u is not supported: staying in D%u", to, from);
        *pmcsr = (uint8_t)((*pmcsr & ~PCI_PM_CTRL_STATE_MASK) | from);
        to = from;
    }
    /* D3hot -> D0 without No_Soft_Reset: "D0 uninitialized", i.e. the
     * function went through an internal reset (PM 1.2 5.4.1, PCIe 5.3.1.4). */
    if (from == PM_STATE_D3HOT && to == PM_STATE_D0 && !dev->pm_no_soft_reset) {
        vpci_dev_do_reset(dev, VPCI_RESET_CONVENTIONAL, fx);
        struct vpci_effect r = { .type = VPCI_FX_RESET };
        vpci_fx_push(fx, &r);
    }
}
