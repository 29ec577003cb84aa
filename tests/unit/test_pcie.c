/* SPDX-License-Identifier: MIT */
/*
 * PCI Express capability and AER (libvpci/cap_pcie.c): register layout by
 * Device/Port type, write masks, accepted field values, W1C status,
 * Function Level Reset, and vpci_err_report().
 *
 * The builder takes its configuration from `T`: the PCIe config, whether
 * to add AER, and whether the function is a bridge (ports).  The function
 * always has BAR 0 (4 KiB MEM32, RAM).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vpci/vpci.h>

#include "internal.h"
#include "testhost.h"

#define BAR_ADDR 0xfebf0000u
#define AER_SEVERITY_RESET 0x00462030u
#define DEVCTL_RESET                                                        \
    (PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_NOSNOOP_EN |                  \
     PCI_EXP_DEVCTL_READRQ_512B)

static struct {
    struct testhost *h;
    struct vpci_dev *dev;
    struct vpci_effects fx;
    struct vpci_pcie_config cfg;
    bool express, bridge, aer, aer_first;
    int rc[4];
    unsigned cap, aer_off;
} T;

static int setup(void **state)
{
    (void)state;
    memset(&T, 0, sizeof(T));
    T.h = testhost_new(0);
    T.express = true;
    T.aer = true;
    T.cfg.type = VPCI_PCIE_ENDPOINT;
    T.cfg.max_payload = 1;      /* 256 bytes */
    T.cfg.link_speed = 2;       /* 5 GT/s */
    T.cfg.link_width = 4;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vpci_dev_destroy(T.dev);
    testhost_free(T.h);
    memset(&T, 0, sizeof(T));
    return 0;
}

static int build(struct vpci_dev *dev)
{
    const struct vpci_identity id = {
        .vendor_id = 0x1b36, .device_id = 0x0044, .class_code = 0xff0000,
        .express = T.express, .bridge = T.bridge,
    };
    int rc = vpci_dev_set_identity(dev, &id);
    if (!rc)
        rc = vpci_bar_define(dev, 0, VPCI_BAR_MEM32, 4096, 0);
    if (!rc)
        rc = vpci_bar_set_ram(dev, 0);
    if (rc)
        return rc;
    if (T.aer_first)
        T.rc[2] = vpci_ecap_add_aer(dev, 0, NULL);
    T.rc[0] = vpci_cap_add_pcie(dev, 0, &T.cfg, &T.cap);
    T.rc[1] = vpci_cap_add_pcie(dev, 0, &T.cfg, NULL);
    if (T.aer)
        T.rc[2] = vpci_ecap_add_aer(dev, 0, &T.aer_off);
    if (T.aer)
        T.rc[3] = vpci_ecap_add_aer(dev, 0, NULL);
    return 0;
}

static void create(void)
{
    assert_int_equal(testhost_create(T.h, build, &T.dev), 0);
}

static void create_ok(void)
{
    create();
    assert_int_equal(T.rc[0], 0);
    if (T.aer)
        assert_int_equal(T.rc[2], 0);
}

static uint16_t rd16(unsigned reg)
{
    return (uint16_t)vpci_cfg_read(T.dev, T.cap + reg, 2);
}

static uint32_t rd32(unsigned reg)
{
    return vpci_cfg_read(T.dev, T.cap + reg, 4);
}

static void wr16(unsigned reg, uint16_t v)
{
    assert_int_equal(vpci_cfg_write(T.dev, T.cap + reg, 2, v, &T.fx), 0);
}

static uint32_t aer32(unsigned reg)
{
    return vpci_cfg_read(T.dev, T.aer_off + reg, 4);
}

static void aer_wr32(unsigned reg, uint32_t v)
{
    assert_int_equal(vpci_cfg_write(T.dev, T.aer_off + reg, 4, v, &T.fx), 0);
}

static int fx_find(enum vpci_effect_type type)
{
    for (unsigned i = 0; i < T.fx.count && i < VPCI_EFFECTS_MAX; i++)
        if (T.fx.fx[i].type == type)
            return (int)i;
    return -1;
}

static void use_root_port(bool slot)
{
    T.bridge = true;
    T.cfg.type = VPCI_PCIE_ROOT_PORT;
    T.cfg.slot = slot;
}

/* ---- layout ---- */

static void endpoint_capability_layout(void **state)
{
    (void)state;
    T.cfg.flr = true;
    create_ok();
    assert_int_equal(T.cap, 0x40);
    assert_int_equal(vpci_cap_find(T.dev, PCI_CAP_ID_EXP), T.cap);
    assert_int_equal(rd16(PCI_EXP_FLAGS),
                     2 | PCI_EXP_TYPE_ENDPOINT << 4);
    uint32_t devcap = rd32(PCI_EXP_DEVCAP);
    assert_int_equal(devcap & PCI_EXP_DEVCAP_PAYLOAD, 1);
    assert_true(devcap & PCI_EXP_DEVCAP_FLR);
    assert_true(devcap & PCI_EXP_DEVCAP_RBER);
    assert_int_equal(rd16(PCI_EXP_DEVCTL), DEVCTL_RESET);
    assert_int_equal(rd16(PCI_EXP_DEVSTA), 0);
    uint32_t lnkcap = rd32(PCI_EXP_LNKCAP);
    assert_int_equal(lnkcap & PCI_EXP_LNKCAP_SLS, PCI_EXP_LNKCAP_SLS_5_0GB);
    assert_int_equal((lnkcap & PCI_EXP_LNKCAP_MLW) >> 4, 4);
    assert_false(lnkcap & PCI_EXP_LNKCAP_DLLLARC);
    uint16_t lnksta = rd16(PCI_EXP_LNKSTA);
    assert_int_equal(lnksta & PCI_EXP_LNKSTA_CLS, PCI_EXP_LNKSTA_CLS_5_0GB);
    assert_int_equal(lnksta & PCI_EXP_LNKSTA_NLW, PCI_EXP_LNKSTA_NLW_X4);
    assert_false(lnksta & PCI_EXP_LNKSTA_DLLLA);
    assert_int_equal(rd32(PCI_EXP_LNKCAP2),
                     PCI_EXP_LNKCAP2_SLS_2_5GB | PCI_EXP_LNKCAP2_SLS_5_0GB);
    assert_int_equal(rd16(PCI_EXP_LNKCTL2), PCI_EXP_LNKCTL2_TLS_5_0GT);
    /* endpoints: no slot, no root registers, no ARI forwarding */
    assert_int_equal(rd32(PCI_EXP_SLTCAP), 0);
    assert_int_equal(rd16(PCI_EXP_SLTSTA), 0);
    assert_int_equal(rd32(PCI_EXP_RTCTL), 0);
    assert_false(rd32(PCI_EXP_DEVCAP2) & PCI_EXP_DEVCAP2_ARI);
    assert_true(rd32(PCI_EXP_DEVCAP2) & PCI_EXP_DEVCAP2_COMP_TMOUT_DIS);
}

static void root_port_has_root_slot_and_active_link(void **state)
{
    (void)state;
    use_root_port(true);
    create_ok();
    assert_int_equal(rd16(PCI_EXP_FLAGS),
                     2 | PCI_EXP_TYPE_ROOT_PORT << 4 | PCI_EXP_FLAGS_SLOT);
    assert_true(rd32(PCI_EXP_LNKCAP) & PCI_EXP_LNKCAP_DLLLARC);
    assert_true(rd16(PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DLLLA);
    assert_true(rd16(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_PDS);
    assert_true(rd32(PCI_EXP_DEVCAP2) & PCI_EXP_DEVCAP2_ARI);
    assert_false(rd32(PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR);

    /* Root Control: the error and PME interrupt enables are writable */
    wr16(PCI_EXP_RTCTL, 0xffff);
    assert_int_equal(rd16(PCI_EXP_RTCTL),
                     PCI_EXP_RTCTL_SECEE | PCI_EXP_RTCTL_SENFEE |
                         PCI_EXP_RTCTL_SEFEE | PCI_EXP_RTCTL_PMEIE);
    wr16(PCI_EXP_RTCAP, 0xffff);
    assert_int_equal(rd16(PCI_EXP_RTCAP), 0);
    /* Root Status: PME Status is write-1-to-clear, the requester ID RO */
    vpci_cfg_set(T.dev, T.cap + PCI_EXP_RTSTA, 4, PCI_EXP_RTSTA_PME | 0x0100);
    assert_int_equal(vpci_cfg_write(T.dev, T.cap + PCI_EXP_RTSTA, 4, 0xffffffff,
                                    NULL), 0);
    assert_int_equal(rd32(PCI_EXP_RTSTA), 0x0100);
    /* ARI forwarding enable and the slot's event enables */
    wr16(PCI_EXP_DEVCTL2, PCI_EXP_DEVCTL2_ARI);
    assert_int_equal(rd16(PCI_EXP_DEVCTL2), PCI_EXP_DEVCTL2_ARI);
    wr16(PCI_EXP_SLTCTL, 0xffff);
    assert_int_equal(rd16(PCI_EXP_SLTCTL),
                     PCI_EXP_SLTCTL_PDCE | PCI_EXP_SLTCTL_DLLSCE);
}

static void rc_endpoint_has_no_link_registers(void **state)
{
    (void)state;
    T.cfg.type = VPCI_PCIE_RC_ENDPOINT;
    create_ok();
    assert_int_equal(rd16(PCI_EXP_FLAGS), 2 | PCI_EXP_TYPE_RC_END << 4);
    assert_int_equal(rd32(PCI_EXP_LNKCAP), 0);
    assert_int_equal(rd32(PCI_EXP_LNKCTL), 0);
    assert_int_equal(rd32(PCI_EXP_LNKCAP2), 0);
    assert_int_equal(rd32(PCI_EXP_LNKCTL2), 0);
    wr16(PCI_EXP_LNKCTL, 0xffff);
    wr16(PCI_EXP_LNKCTL2, 0xffff);
    assert_int_equal(rd32(PCI_EXP_LNKCTL), 0);
    assert_int_equal(rd32(PCI_EXP_LNKCTL2), 0);
    assert_int_equal(rd32(PCI_EXP_RTCTL), 0);
    wr16(PCI_EXP_RTCTL, 0xffff);
    assert_int_equal(rd32(PCI_EXP_RTCTL), 0);
}

static void switch_ports_differ_from_root_port(void **state)
{
    (void)state;
    T.bridge = true;
    T.cfg.type = VPCI_PCIE_UPSTREAM_PORT;
    create_ok();
    assert_int_equal(rd16(PCI_EXP_FLAGS), 2 | PCI_EXP_TYPE_UPSTREAM << 4);
    assert_false(rd16(PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DLLLA);
    assert_int_equal(rd32(PCI_EXP_DEVCAP2), 0);   /* no CTO, no ARI fwd */
    assert_int_equal(rd32(PCI_EXP_RTCTL), 0);
    assert_int_equal(rd16(PCI_EXP_SLTSTA), 0);
    vpci_dev_destroy(T.dev);
    T.dev = NULL;

    T.cfg.type = VPCI_PCIE_DOWNSTREAM_PORT;
    create_ok();
    assert_int_equal(rd16(PCI_EXP_FLAGS), 2 | PCI_EXP_TYPE_DOWNSTREAM << 4);
    assert_true(rd16(PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DLLLA);
    assert_int_equal(rd32(PCI_EXP_DEVCAP2), PCI_EXP_DEVCAP2_ARI);
    /* no slot: Presence Detect State is still hardwired to 1 */
    assert_int_equal(rd16(PCI_EXP_SLTSTA), PCI_EXP_SLTSTA_PDS);
    wr16(PCI_EXP_SLTCTL, 0xffff);
    assert_int_equal(rd16(PCI_EXP_SLTCTL), 0);
    assert_int_equal(rd32(PCI_EXP_RTCTL), 0);
}

static void pcie_config_that_contradicts_the_function_is_einval(void **state)
{
    (void)state;
    T.aer = false;
    T.cfg.type = VPCI_PCIE_ROOT_PORT;       /* but a type 0 header */
    create();
    assert_int_equal(T.rc[0], -EINVAL);
    assert_true(testhost_logged(T.h, "type 1"));
    vpci_dev_destroy(T.dev);
    T.dev = NULL;

    use_root_port(false);
    T.cfg.flr = true;                       /* FLR is for endpoints */
    create();
    assert_int_equal(T.rc[0], -EINVAL);
    vpci_dev_destroy(T.dev);
    T.dev = NULL;

    T.bridge = false;
    T.cfg.flr = false;
    T.cfg.type = VPCI_PCIE_ENDPOINT;
    T.cfg.slot = true;                      /* slots are for ports */
    create();
    assert_int_equal(T.rc[0], -EINVAL);
    vpci_dev_destroy(T.dev);
    T.dev = NULL;

    T.cfg.slot = false;
    T.cfg.max_payload = 6;
    create();
    assert_int_equal(T.rc[0], -EINVAL);
    vpci_dev_destroy(T.dev);
    T.dev = NULL;

    T.cfg.max_payload = 0;
    T.cfg.link_width = 3;
    create();
    assert_int_equal(T.rc[0], -EINVAL);
    vpci_dev_destroy(T.dev);
    T.dev = NULL;

    T.cfg.link_width = 1;
    T.cfg.type = (enum vpci_pcie_type)0x3;
    create();
    assert_int_equal(T.rc[0], -EINVAL);
    vpci_dev_destroy(T.dev);
    T.dev = NULL;

    T.cfg.type = VPCI_PCIE_ENDPOINT;
    T.express = false;                      /* 256-byte function */
    create();
    assert_int_equal(T.rc[0], -EINVAL);
    assert_true(testhost_logged(T.h, "identity.express"));
}

static void second_pcie_or_aer_cap_is_eexist(void **state)
{
    (void)state;
    create_ok();
    assert_int_equal(T.rc[1], -EEXIST);
    assert_int_equal(T.rc[3], -EEXIST);
}

static void aer_before_pcie_cap_is_einval(void **state)
{
    (void)state;
    T.aer = false;
    T.aer_first = true;
    create();
    assert_int_equal(T.rc[0], 0);
    assert_int_equal(T.rc[2], -EINVAL);
    assert_int_equal(vpci_ecap_find(T.dev, PCI_EXT_CAP_ID_ERR), 0);
}

/* ---- Device Control / Status ---- */

static void devctl_writable_bits_and_read_only_ones(void **state)
{
    (void)state;
    create_ok();
    uint16_t rw = PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE |
                  PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE |
                  PCI_EXP_DEVCTL_PAYLOAD_256B | PCI_EXP_DEVCTL_EXT_TAG |
                  PCI_EXP_DEVCTL_PHANTOM | PCI_EXP_DEVCTL_AUX_PME |
                  PCI_EXP_DEVCTL_READRQ_4096B;
    wr16(PCI_EXP_DEVCTL, rw);
    assert_int_equal(rd16(PCI_EXP_DEVCTL), rw);
    wr16(PCI_EXP_DEVCTL, 0);
    assert_int_equal(rd16(PCI_EXP_DEVCTL), 0);
    wr16(PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_NOSNOOP_EN);
    assert_int_equal(rd16(PCI_EXP_DEVCTL),
                     PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_NOSNOOP_EN);

    /* capability registers are read-only */
    uint16_t flags = rd16(PCI_EXP_FLAGS);
    uint32_t devcap = rd32(PCI_EXP_DEVCAP), lnkcap = rd32(PCI_EXP_LNKCAP);
    uint32_t devcap2 = rd32(PCI_EXP_DEVCAP2), lnkcap2 = rd32(PCI_EXP_LNKCAP2);
    vpci_cfg_write(T.dev, T.cap, 4, 0xffffffff, NULL);
    vpci_cfg_write(T.dev, T.cap + PCI_EXP_DEVCAP, 4, 0, NULL);
    vpci_cfg_write(T.dev, T.cap + PCI_EXP_LNKCAP, 4, 0xffffffff, NULL);
    vpci_cfg_write(T.dev, T.cap + PCI_EXP_DEVCAP2, 4, 0xffffffff, NULL);
    vpci_cfg_write(T.dev, T.cap + PCI_EXP_LNKCAP2, 4, 0, NULL);
    assert_int_equal(rd16(PCI_EXP_FLAGS), flags);
    assert_int_equal(vpci_cfg_read(T.dev, T.cap, 1), PCI_CAP_ID_EXP);
    assert_int_equal(rd32(PCI_EXP_DEVCAP), devcap);
    assert_int_equal(rd32(PCI_EXP_LNKCAP), lnkcap);
    assert_int_equal(rd32(PCI_EXP_DEVCAP2), devcap2);
    assert_int_equal(rd32(PCI_EXP_LNKCAP2), lnkcap2);
    /* link status is what the link negotiated, not writable */
    uint16_t lnksta = rd16(PCI_EXP_LNKSTA);
    wr16(PCI_EXP_LNKSTA, 0xffff);
    assert_int_equal(rd16(PCI_EXP_LNKSTA), lnksta);
}

static void max_payload_above_supported_keeps_old_value(void **state)
{
    (void)state;
    create_ok();   /* supports 256 bytes */
    wr16(PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_PAYLOAD_256B);
    assert_int_equal(rd16(PCI_EXP_DEVCTL) & PCI_EXP_DEVCTL_PAYLOAD,
                     PCI_EXP_DEVCTL_PAYLOAD_256B);
    /* 512 bytes: rejected; the other bits of the same write are taken */
    wr16(PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_PAYLOAD_512B | PCI_EXP_DEVCTL_CERE);
    assert_int_equal(rd16(PCI_EXP_DEVCTL),
                     PCI_EXP_DEVCTL_PAYLOAD_256B | PCI_EXP_DEVCTL_CERE);
    assert_true(testhost_logged(T.h, "Max_Payload_Size"));
    /* a byte write of the low byte is checked the same way */
    vpci_cfg_write(T.dev, T.cap + PCI_EXP_DEVCTL, 1, 0xe0, NULL);
    assert_int_equal(rd16(PCI_EXP_DEVCTL) & PCI_EXP_DEVCTL_PAYLOAD,
                     PCI_EXP_DEVCTL_PAYLOAD_256B);
    wr16(PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_PAYLOAD_128B);
    assert_int_equal(rd16(PCI_EXP_DEVCTL), 0);
    /* reserved read request sizes (6, 7) are refused too */
    wr16(PCI_EXP_DEVCTL, 0x6000);
    assert_int_equal(rd16(PCI_EXP_DEVCTL), 0);
}

static void devsta_error_bits_are_w1c_and_others_read_only(void **state)
{
    (void)state;
    create_ok();
    vpci_cfg_set(T.dev, T.cap + PCI_EXP_DEVSTA, 2, 0x3f);
    wr16(PCI_EXP_DEVSTA, 0);
    assert_int_equal(rd16(PCI_EXP_DEVSTA), 0x3f);
    wr16(PCI_EXP_DEVSTA, PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_URD);
    assert_int_equal(rd16(PCI_EXP_DEVSTA),
                     PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_FED |
                         PCI_EXP_DEVSTA_AUXPD | PCI_EXP_DEVSTA_TRPND);
    wr16(PCI_EXP_DEVSTA, 0xffff);
    assert_int_equal(rd16(PCI_EXP_DEVSTA),
                     PCI_EXP_DEVSTA_AUXPD | PCI_EXP_DEVSTA_TRPND);
}

/* ---- Function Level Reset ---- */

static void flr_restores_function_and_reports_it(void **state)
{
    (void)state;
    T.cfg.flr = true;
    create_ok();
    testhost_map_bar(T.dev, 0, BAR_ADDR);
    testhost_command(T.dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    aer_wr32(PCI_ERR_UNCOR_MASK, PCI_ERR_UNC_POISON_TLP);
    wr16(PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_EXT_TAG);
    uint64_t v;
    assert_int_equal(vpci_bar_read(T.dev, 0, 0, 4, &v), 0);

    wr16(PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_BCR_FLR);
    int flr = fx_find(VPCI_FX_FLR);
    assert_int_equal(flr, (int)T.fx.count - 1);
    int unmap = fx_find(VPCI_FX_BAR_UNMAP);
    assert_true(unmap >= 0 && unmap < flr);
    assert_int_equal(T.fx.fx[unmap].u.bar.old_addr, BAR_ADDR);
    int mem = fx_find(VPCI_FX_MEM_DECODE);
    assert_true(mem >= 0 && mem < flr);
    assert_false(T.fx.fx[mem].u.toggle.on);
    assert_true(fx_find(VPCI_FX_BUS_MASTER) >= 0);

    assert_int_equal(rd16(PCI_EXP_DEVCTL), DEVCTL_RESET);
    assert_false(rd16(PCI_EXP_DEVCTL) & PCI_EXP_DEVCTL_BCR_FLR);
    assert_int_equal(aer32(PCI_ERR_UNCOR_MASK), 0);
    assert_int_equal(vpci_cfg_read(T.dev, PCI_COMMAND, 2), 0);
    assert_int_equal(vpci_cfg_read(T.dev, PCI_BASE_ADDRESS_0, 4), 0);
    assert_int_equal(vpci_bar_read(T.dev, 0, 0, 4, &v), -EIO);
    /* capabilities are still listed */
    assert_int_equal(vpci_cap_find(T.dev, PCI_CAP_ID_EXP), T.cap);
    assert_int_equal(vpci_ecap_find(T.dev, PCI_EXT_CAP_ID_ERR), T.aer_off);
}

static void flr_bit_always_reads_zero(void **state)
{
    (void)state;
    T.cfg.flr = true;
    create_ok();
    /* byte write to DevCtl's high byte initiates it too */
    assert_int_equal(vpci_cfg_write(T.dev, T.cap + PCI_EXP_DEVCTL + 1, 1, 0x80,
                                    &T.fx), 0);
    assert_true(fx_find(VPCI_FX_FLR) >= 0);
    assert_int_equal(rd16(PCI_EXP_DEVCTL), DEVCTL_RESET);
    /* a write of 0 does nothing */
    wr16(PCI_EXP_DEVCTL, 0);
    assert_int_equal(fx_find(VPCI_FX_FLR), -1);
}

static void flr_bit_not_writable_without_flr_capability(void **state)
{
    (void)state;
    create_ok();
    assert_false(rd32(PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR);
    testhost_command(T.dev, PCI_COMMAND_MASTER);
    aer_wr32(PCI_ERR_UNCOR_MASK, PCI_ERR_UNC_POISON_TLP);
    wr16(PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_BCR_FLR | PCI_EXP_DEVCTL_CERE);
    assert_int_equal(fx_find(VPCI_FX_FLR), -1);
    assert_int_equal(rd16(PCI_EXP_DEVCTL), PCI_EXP_DEVCTL_CERE);
    assert_int_equal(vpci_cfg_read(T.dev, PCI_COMMAND, 2), PCI_COMMAND_MASTER);
    assert_int_equal(aer32(PCI_ERR_UNCOR_MASK), PCI_ERR_UNC_POISON_TLP);
}

/* ---- Link, Device 2 ---- */

static void lnkctl_writable_bits_depend_on_port_type(void **state)
{
    (void)state;
    create_ok();
    wr16(PCI_EXP_LNKCTL, 0xffff);
    assert_int_equal(rd16(PCI_EXP_LNKCTL),
                     PCI_EXP_LNKCTL_ASPMC | PCI_EXP_LNKCTL_RCB |
                         PCI_EXP_LNKCTL_CCC | PCI_EXP_LNKCTL_ES);
    vpci_dev_destroy(T.dev);
    T.dev = NULL;

    use_root_port(false);
    create_ok();
    /* root port: RCB hardwired; Retrain Link reads 0 */
    wr16(PCI_EXP_LNKCTL, 0xffff);
    assert_int_equal(rd16(PCI_EXP_LNKCTL),
                     PCI_EXP_LNKCTL_ASPMC | PCI_EXP_LNKCTL_CCC |
                         PCI_EXP_LNKCTL_ES);
    assert_false(rd16(PCI_EXP_LNKCTL) & PCI_EXP_LNKCTL_RL);
}

static void target_link_speed_accepts_supported_speeds_only(void **state)
{
    (void)state;
    create_ok();    /* 2.5 and 5 GT/s */
    wr16(PCI_EXP_LNKCTL2, PCI_EXP_LNKCTL2_TLS_2_5GT);
    assert_int_equal(rd16(PCI_EXP_LNKCTL2), PCI_EXP_LNKCTL2_TLS_2_5GT);
    wr16(PCI_EXP_LNKCTL2, PCI_EXP_LNKCTL2_TLS_8_0GT);
    assert_int_equal(rd16(PCI_EXP_LNKCTL2), PCI_EXP_LNKCTL2_TLS_2_5GT);
    wr16(PCI_EXP_LNKCTL2, 0);
    assert_int_equal(rd16(PCI_EXP_LNKCTL2), PCI_EXP_LNKCTL2_TLS_2_5GT);
    wr16(PCI_EXP_LNKCTL2, 0xffff);  /* TLS 0xf: refused; others RO */
    assert_int_equal(rd16(PCI_EXP_LNKCTL2), PCI_EXP_LNKCTL2_TLS_2_5GT);
    wr16(PCI_EXP_LNKCTL2, PCI_EXP_LNKCTL2_TLS_5_0GT);
    assert_int_equal(rd16(PCI_EXP_LNKCTL2), PCI_EXP_LNKCTL2_TLS_5_0GT);
}

static void completion_timeout_accepts_supported_ranges_only(void **state)
{
    (void)state;
    create_ok();
    wr16(PCI_EXP_DEVCTL2, 0x5 | PCI_EXP_DEVCTL2_COMP_TMOUT_DIS);
    assert_int_equal(rd16(PCI_EXP_DEVCTL2),
                     0x5 | PCI_EXP_DEVCTL2_COMP_TMOUT_DIS);
    wr16(PCI_EXP_DEVCTL2, 0x3);     /* range C: not supported */
    assert_int_equal(rd16(PCI_EXP_DEVCTL2), 0x5);
    wr16(PCI_EXP_DEVCTL2, PCI_EXP_DEVCTL2_ARI | 0x2); /* no ARI on endpoint */
    assert_int_equal(rd16(PCI_EXP_DEVCTL2), 0x2);
}

/* ---- AER ---- */

static void aer_layout_and_reset_values(void **state)
{
    (void)state;
    create_ok();
    assert_int_equal(T.aer_off, 0x100);
    uint32_t h = vpci_cfg_read(T.dev, 0x100, 4);
    assert_int_equal(PCI_EXT_CAP_ID(h), PCI_EXT_CAP_ID_ERR);
    assert_int_equal(PCI_EXT_CAP_VER(h), 2);
    assert_int_equal(PCI_EXT_CAP_NEXT(h), 0);
    assert_int_equal(aer32(PCI_ERR_UNCOR_STATUS), 0);
    assert_int_equal(aer32(PCI_ERR_UNCOR_MASK), 0);
    assert_int_equal(aer32(PCI_ERR_UNCOR_SEVER), AER_SEVERITY_RESET);
    assert_int_equal(aer32(PCI_ERR_COR_STATUS), 0);
    assert_int_equal(aer32(PCI_ERR_COR_MASK), PCI_ERR_COR_ADV_NFAT);
    assert_int_equal(aer32(PCI_ERR_CAP), 0);
    /* an endpoint has no root registers */
    aer_wr32(PCI_ERR_ROOT_COMMAND, 0xffffffff);
    assert_int_equal(aer32(PCI_ERR_ROOT_COMMAND), 0);
}

static void aer_masks_and_severity_are_rw_capabilities_ro(void **state)
{
    (void)state;
    create_ok();
    aer_wr32(PCI_ERR_UNCOR_SEVER, 0);
    assert_int_equal(aer32(PCI_ERR_UNCOR_SEVER), 0);
    aer_wr32(PCI_ERR_UNCOR_SEVER, PCI_ERR_UNC_UNSUP | PCI_ERR_UNC_UND);
    assert_int_equal(aer32(PCI_ERR_UNCOR_SEVER), PCI_ERR_UNC_UNSUP);
    aer_wr32(PCI_ERR_UNCOR_MASK, PCI_ERR_UNC_COMP_TIME);
    assert_int_equal(aer32(PCI_ERR_UNCOR_MASK), PCI_ERR_UNC_COMP_TIME);
    aer_wr32(PCI_ERR_COR_MASK, 0);
    assert_int_equal(aer32(PCI_ERR_COR_MASK), 0);
    aer_wr32(PCI_ERR_CAP, 0xffffffff);
    assert_int_equal(aer32(PCI_ERR_CAP), 0);
    aer_wr32(PCI_ERR_HEADER_LOG, 0xffffffff);
    assert_int_equal(aer32(PCI_ERR_HEADER_LOG), 0);
    aer_wr32(0, 0);
    assert_int_equal(PCI_EXT_CAP_ID(aer32(0)), PCI_EXT_CAP_ID_ERR);
}

static void aer_status_registers_are_w1c(void **state)
{
    (void)state;
    create_ok();
    assert_int_equal(vpci_err_report(T.dev, true, PCI_ERR_UNC_COMP_TIME), 0);
    assert_int_equal(vpci_err_report(T.dev, true, PCI_ERR_UNC_UNX_COMP), 0);
    assert_int_equal(vpci_err_report(T.dev, false, PCI_ERR_COR_BAD_TLP), 0);
    aer_wr32(PCI_ERR_UNCOR_STATUS, 0);
    assert_int_equal(aer32(PCI_ERR_UNCOR_STATUS),
                     PCI_ERR_UNC_COMP_TIME | PCI_ERR_UNC_UNX_COMP);
    aer_wr32(PCI_ERR_UNCOR_STATUS, PCI_ERR_UNC_COMP_TIME);
    assert_int_equal(aer32(PCI_ERR_UNCOR_STATUS), PCI_ERR_UNC_UNX_COMP);
    aer_wr32(PCI_ERR_COR_STATUS, 0xffffffff);
    assert_int_equal(aer32(PCI_ERR_COR_STATUS), 0);
}

static void root_port_aer_has_root_command_and_status(void **state)
{
    (void)state;
    use_root_port(false);
    create_ok();
    aer_wr32(PCI_ERR_ROOT_COMMAND, 0xffffffff);
    assert_int_equal(aer32(PCI_ERR_ROOT_COMMAND),
                     PCI_ERR_ROOT_CMD_COR_EN | PCI_ERR_ROOT_CMD_NONFATAL_EN |
                         PCI_ERR_ROOT_CMD_FATAL_EN);
    vpci_cfg_set(T.dev, T.aer_off + PCI_ERR_ROOT_STATUS, 4,
                 PCI_ERR_ROOT_COR_RCV | PCI_ERR_ROOT_UNCOR_RCV);
    vpci_cfg_set(T.dev, T.aer_off + PCI_ERR_ROOT_ERR_SRC, 4, 0x00080008);
    aer_wr32(PCI_ERR_ROOT_STATUS, PCI_ERR_ROOT_COR_RCV);
    assert_int_equal(aer32(PCI_ERR_ROOT_STATUS), PCI_ERR_ROOT_UNCOR_RCV);
    aer_wr32(PCI_ERR_ROOT_ERR_SRC, 0);
    assert_int_equal(aer32(PCI_ERR_ROOT_ERR_SRC), 0x00080008);
}

/* ---- vpci_err_report ---- */

static void err_report_sets_aer_status_first_error_pointer_and_devsta(
    void **state)
{
    (void)state;
    create_ok();
    /* Unsupported Request: non-fatal by default severity */
    assert_int_equal(vpci_err_report(T.dev, true, PCI_ERR_UNC_UNSUP), 0);
    assert_int_equal(aer32(PCI_ERR_UNCOR_STATUS), PCI_ERR_UNC_UNSUP);
    assert_int_equal(PCI_ERR_CAP_FEP(aer32(PCI_ERR_CAP)), 20);
    assert_int_equal(rd16(PCI_EXP_DEVSTA),
                     PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_URD);

    /* Malformed TLP: fatal; the first error is still the UR */
    assert_int_equal(vpci_err_report(T.dev, true, PCI_ERR_UNC_MALF_TLP), 0);
    assert_int_equal(PCI_ERR_CAP_FEP(aer32(PCI_ERR_CAP)), 20);
    assert_true(rd16(PCI_EXP_DEVSTA) & PCI_EXP_DEVSTA_FED);

    /* once software clears the UR, the next error becomes the first */
    aer_wr32(PCI_ERR_UNCOR_STATUS, PCI_ERR_UNC_UNSUP);
    assert_int_equal(vpci_err_report(T.dev, true, PCI_ERR_UNC_COMP_ABORT), 0);
    assert_int_equal(PCI_ERR_CAP_FEP(aer32(PCI_ERR_CAP)), 15);
    assert_true(vpci_cfg_read(T.dev, PCI_STATUS, 2) &
                PCI_STATUS_SIG_TARGET_ABORT);

    /* correctable: COR status + DevSta.CED */
    assert_int_equal(vpci_err_report(T.dev, false, PCI_ERR_COR_RCVR), 0);
    assert_int_equal(aer32(PCI_ERR_COR_STATUS), PCI_ERR_COR_RCVR);
    assert_true(rd16(PCI_EXP_DEVSTA) & PCI_EXP_DEVSTA_CED);
}

static void err_report_follows_severity_and_mask(void **state)
{
    (void)state;
    create_ok();
    /* severity register decides FED vs NFED */
    aer_wr32(PCI_ERR_UNCOR_SEVER, PCI_ERR_UNC_COMP_TIME);
    vpci_err_report(T.dev, true, PCI_ERR_UNC_COMP_TIME);
    assert_int_equal(rd16(PCI_EXP_DEVSTA), PCI_EXP_DEVSTA_FED);
    aer_wr32(PCI_ERR_UNCOR_STATUS, 0xffffffff);
    wr16(PCI_EXP_DEVSTA, 0xffff);

    /* a masked error sets its status bit and DevSta, not the pointer,
     * and signals no system error */
    testhost_command(T.dev, PCI_COMMAND_SERR);
    aer_wr32(PCI_ERR_UNCOR_MASK, PCI_ERR_UNC_ECRC);
    vpci_err_report(T.dev, true, PCI_ERR_UNC_ECRC);
    assert_int_equal(aer32(PCI_ERR_UNCOR_STATUS), PCI_ERR_UNC_ECRC);
    assert_int_equal(PCI_ERR_CAP_FEP(aer32(PCI_ERR_CAP)),
                     14 /* still COMP_TIME's */);
    assert_int_equal(rd16(PCI_EXP_DEVSTA), PCI_EXP_DEVSTA_NFED);
    assert_false(vpci_cfg_read(T.dev, PCI_STATUS, 2) &
                 PCI_STATUS_SIG_SYSTEM_ERROR);
    /* unmasked with SERR# enabled: Signaled System Error */
    vpci_err_report(T.dev, true, PCI_ERR_UNC_POISON_TLP);
    uint16_t st = (uint16_t)vpci_cfg_read(T.dev, PCI_STATUS, 2);
    assert_true(st & PCI_STATUS_SIG_SYSTEM_ERROR);
    assert_true(st & PCI_STATUS_DETECTED_PARITY);
    assert_int_equal(PCI_ERR_CAP_FEP(aer32(PCI_ERR_CAP)), 12);
}

static void err_report_rejects_anything_but_one_known_bit(void **state)
{
    (void)state;
    create_ok();
    assert_int_equal(vpci_err_report(T.dev, true, 0), -EINVAL);
    assert_int_equal(vpci_err_report(T.dev, true,
                                     PCI_ERR_UNC_UNSUP | PCI_ERR_UNC_ECRC),
                     -EINVAL);
    assert_int_equal(vpci_err_report(T.dev, true, PCI_ERR_UNC_UND), -EINVAL);
    assert_int_equal(vpci_err_report(T.dev, false, PCI_ERR_UNC_UNSUP),
                     -EINVAL);
    assert_int_equal(vpci_err_report(NULL, true, PCI_ERR_UNC_UNSUP), -EINVAL);
    assert_int_equal(aer32(PCI_ERR_UNCOR_STATUS), 0);
    assert_int_equal(rd16(PCI_EXP_DEVSTA), 0);
}

static void err_report_without_aer_sets_devsta_only(void **state)
{
    (void)state;
    T.aer = false;
    create_ok();
    assert_int_equal(vpci_err_report(T.dev, true, PCI_ERR_UNC_UNSUP), 0);
    assert_int_equal(rd16(PCI_EXP_DEVSTA),
                     PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_URD);
    assert_int_equal(vpci_err_report(T.dev, true, PCI_ERR_UNC_DLP), 0);
    assert_true(rd16(PCI_EXP_DEVSTA) & PCI_EXP_DEVSTA_FED);
    assert_int_equal(vpci_cfg_read(T.dev, 0x100, 4), 0);
}

static int build_conventional(struct vpci_dev *dev)
{
    const struct vpci_identity id = {
        .vendor_id = 0x1b36, .device_id = 0x0045, .class_code = 0xff0000,
    };
    return vpci_dev_set_identity(dev, &id);
}

static void err_report_on_conventional_function_sets_status(void **state)
{
    (void)state;
    assert_int_equal(testhost_create(T.h, build_conventional, &T.dev), 0);
    assert_int_equal(vpci_err_report(T.dev, true, PCI_ERR_UNC_COMP_ABORT), 0);
    assert_int_equal(vpci_cfg_read(T.dev, PCI_STATUS, 2),
                     PCI_STATUS_SIG_TARGET_ABORT);
    assert_int_equal(vpci_err_report(T.dev, false, PCI_ERR_COR_RCVR), 0);
    assert_int_equal(vpci_cfg_read(T.dev, PCI_STATUS, 2),
                     PCI_STATUS_SIG_TARGET_ABORT);
    /* the guest clears it as usual */
    vpci_cfg_write(T.dev, PCI_STATUS, 2, PCI_STATUS_SIG_TARGET_ABORT, NULL);
    assert_int_equal(vpci_cfg_read(T.dev, PCI_STATUS, 2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T_(endpoint_capability_layout),
        T_(root_port_has_root_slot_and_active_link),
        T_(rc_endpoint_has_no_link_registers),
        T_(switch_ports_differ_from_root_port),
        T_(pcie_config_that_contradicts_the_function_is_einval),
        T_(second_pcie_or_aer_cap_is_eexist),
        T_(aer_before_pcie_cap_is_einval),
        T_(devctl_writable_bits_and_read_only_ones),
        T_(max_payload_above_supported_keeps_old_value),
        T_(devsta_error_bits_are_w1c_and_others_read_only),
        T_(flr_restores_function_and_reports_it),
        T_(flr_bit_always_reads_zero),
        T_(flr_bit_not_writable_without_flr_capability),
        T_(lnkctl_writable_bits_depend_on_port_type),
        T_(target_link_speed_accepts_supported_speeds_only),
        T_(completion_timeout_accepts_supported_ranges_only),
        T_(aer_layout_and_reset_values),
        T_(aer_masks_and_severity_are_rw_capabilities_ro),
        T_(aer_status_registers_are_w1c),
        T_(root_port_aer_has_root_command_and_status),
        T_(err_report_sets_aer_status_first_error_pointer_and_devsta),
        T_(err_report_follows_severity_and_mask),
        T_(err_report_rejects_anything_but_one_known_bit),
        T_(err_report_without_aer_sets_devsta_only),
        T_(err_report_on_conventional_function_sets_status),
#undef T_
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
