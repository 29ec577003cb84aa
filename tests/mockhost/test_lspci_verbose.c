/* SPDX-License-Identifier: MIT */
/*
 * `vpci-host lspci -v` (mockhost/lspci.c) block by block: each capability
 * kind, each PCI Express Device/Port type, the header types (normal,
 * PCI-to-PCI bridge, CardBus, unknown), bridge windows and bus numbers,
 * BARs in every state, the expansion ROM, the flags line, subsystem
 * names, and the -t tree's rarer shapes.
 *
 * The registered models come in by their spec strings; what no model
 * builds comes from two test models: "port" (a PCI Express port of any
 * type) and "raw" (an identity plus any capabilities, bytes set as a
 * config space could hold them), and from config bytes set afterwards
 * with vpci_cfg_set().  Every expected block was checked against
 * pciutils 3.9's `lspci -F DUMP -v` on the -xxxx dump of the same
 * machine (our BARs and ROM add " [size=N]", which lspci learns from
 * sysfs, not from a dump).
 */
#include "lspcitest.h"

/* ------------------------------------------------------------------ */
/* Test models                                                         */
/* ------------------------------------------------------------------ */

/* "port": a PCI Express port (type 1 header); type=N is the Device/Port
 * type, slot=on gives it a slot. */
static int port_init(struct vpci_dev *dev, const struct vpci_props *p)
{
    const struct vpci_identity id = {
        .vendor_id = 0x1b36, .device_id = 0x000c, .class_code = 0x060400,
        .express = true, .bridge = true, .interrupt_pin = 1,
    };
    const struct vpci_pcie_config pcie = {
        .type = (enum vpci_pcie_type)vpci_prop_u32(p, "type"),
        .slot = vpci_prop_bool(p, "slot"),
    };
    int rc;
    if ((rc = vpci_dev_set_identity(dev, &id)) ||
        (rc = vpci_cap_add_msi(dev, 0x40, 1, 0, NULL)) ||
        (rc = vpci_cap_add_pcie(dev, 0x60, &pcie, NULL)) ||
        (rc = vpci_ecap_add_aer(dev, 0x100, NULL)))
        return rc;
    return 0;
}

static const struct vpci_model *port_model(void)
{
    static const struct vpci_prop_desc props[] = {
        { "type", VPCI_PROP_U32, "4", "PCIe Device/Port type" },
        { "slot", VPCI_PROP_BOOL, "off", "slot implemented" },
        { .name = NULL },
    };
    static const struct vpci_model model = {
        .name = "port",
        .desc = "lspci test PCI Express port",
        .props = props,
        .init = port_init,
    };
    return &model;
}

/* "raw": the identity and capabilities *raw_spec says, linked in order. */
struct raw_cap {
    uint8_t id;          /* 0 ends the list */
    uint8_t off;
    uint8_t size;
    uint16_t flags;      /* the word at +2 */
    uint32_t body;       /* the dword at +4 (when size > 4) */
};

struct raw_ecap {
    uint16_t id;         /* 0 ends the list */
    uint8_t version;
    uint16_t off;
    uint16_t size;
    uint32_t dw1, dw2;   /* the dwords at +4 and +8 (when they fit) */
};

struct raw_spec {
    struct vpci_identity id;
    const struct raw_cap *caps;
    const struct raw_ecap *ecaps;
};

static const struct raw_spec *raw_spec;

static int raw_init(struct vpci_dev *dev, const struct vpci_props *p)
{
    (void)p;
    int rc = vpci_dev_set_identity(dev, &raw_spec->id);
    for (const struct raw_cap *c = raw_spec->caps; !rc && c && c->id; c++) {
        if ((rc = vpci_cap_add(dev, c->id, c->off, c->size, NULL)) ||
            (rc = vpci_cfg_set(dev, c->off + 2u, 2, c->flags)))
            break;
        if (c->size > 4)
            rc = vpci_cfg_set(dev, c->off + 4u, 4, c->body);
    }
    for (const struct raw_ecap *e = raw_spec->ecaps; !rc && e && e->id; e++) {
        if ((rc = vpci_ecap_add(dev, e->id, e->version, e->off, e->size,
                                NULL)))
            break;
        if (e->size >= 8)
            rc = vpci_cfg_set(dev, e->off + 4u, 4, e->dw1);
        if (!rc && e->size >= 12)
            rc = vpci_cfg_set(dev, e->off + 8u, 4, e->dw2);
    }
    return rc;
}

static const struct vpci_model *raw_model(void)
{
    static const struct vpci_model model = {
        .name = "raw",
        .desc = "lspci test function built from a table",
        .init = raw_init,
    };
    return &model;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static struct vpci_mock_fn *add_model(const struct vpci_model *model,
                                      const char *spec)
{
    struct vpci_mock_fn *fn = mt_add(mm.m, model, spec);
    assert_non_null(fn);
    return fn;
}

static struct vpci_mock_fn *add_raw(const struct raw_spec *spec,
                                    const char *addr)
{
    raw_spec = spec;
    return add_model(raw_model(), addr);
}

static void enumerate(void)
{
    assert_int_equal(vpci_mock_enumerate(mm.m), 0);
}

/* Set config bytes as the function's own logic would (no side effects). */
static void poke(struct vpci_mock_fn *fn, unsigned off, unsigned len,
                 uint32_t val)
{
    assert_int_equal(vpci_cfg_set(vpci_mock_fn_dev(fn), off, len, val), 0);
}

/* A guest config write through the mock host (with its effects). */
static void guest_write(struct vpci_mock_fn *fn, unsigned off, unsigned len,
                        uint32_t val)
{
    assert_int_equal(vpci_mock_cfg_write(mm.m, vpci_mock_fn_bus(fn),
                                         vpci_mock_fn_devfn(fn), off, len,
                                         val), 0);
}

static uint64_t bar_addr(struct vpci_mock_fn *fn, unsigned bar)
{
    struct vpci_bar_info info;
    assert_int_equal(vpci_bar_info(vpci_mock_fn_dev(fn), bar, &info), 0);
    return info.addr;
}

static unsigned irq_line(struct vpci_mock_fn *fn)
{
    return vpci_mock_cfg_read(mm.m, vpci_mock_fn_bus(fn),
                              vpci_mock_fn_devfn(fn), PCI_INTERRUPT_LINE, 1);
}

/* The -v block of the function at @slot ("00:02.0"), up to and with its
 * blank line (free() it). */
static char *block_of(const char *slot)
{
    char *s = print(0, false, 1, false);
    char key[16];
    snprintf(key, sizeof(key), "%s ", slot);
    const char *p = s;
    while (p && strncmp(p, key, strlen(key)) != 0) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    assert_non_null(p);
    const char *end = strstr(p, "\n\n");
    assert_non_null(end);
    char *b = strndup(p, (size_t)(end + 2 - p));
    assert_non_null(b);
    free(s);
    return b;
}

/* Assert that the -v block of @slot is exactly @expect. */
static void expect_block(const char *slot, const char *expect)
{
    char *b = block_of(slot);
    assert_string_equal(b, expect);
    free(b);
}

/* ------------------------------------------------------------------ */
/* Registered models                                                   */
/* ------------------------------------------------------------------ */

static void virt_pci_shows_maskable_64bit_msi_msix_and_express_endpoint(
    void **state)
{
    (void)state;
    no_ids();
    struct vpci_mock_fn *fn;
    assert_int_equal(vpci_mock_add(mm.m, "virt-pci,addr=02.0,msi=on,msix=on,"
                                         "pcie=on", &fn), 0);
    enumerate();
    char expect[1024];
    snprintf(expect, sizeof(expect),
             "00:02.0 Class 00ff: Device 1234:0001\n"
             "\tSubsystem: Device 1af4:1100\n"
             "\tFlags: bus master, fast devsel, latency 0, IRQ %u\n"
             "\tMemory at %08llx (32-bit, non-prefetchable) [size=512]\n"
             "\tI/O ports at %04llx [size=512]\n"
             "\tMemory at %08llx (32-bit, non-prefetchable) [size=4K]\n"
             "\tCapabilities: [40] MSI: Enable- Count=1/1 Maskable+ 64bit+\n"
             "\tCapabilities: [60] MSI-X: Enable- Count=1 Masked-\n"
             "\tCapabilities: [70] Express Endpoint, MSI 00\n"
             "\n",
             irq_line(fn), (unsigned long long)bar_addr(fn, 0),
             (unsigned long long)bar_addr(fn, 1),
             (unsigned long long)bar_addr(fn, 2));
    expect_block("00:02.0", expect);
}

static void edu_msi_is_64bit_and_not_maskable(void **state)
{
    (void)state;
    no_ids();
    struct vpci_mock_fn *fn;
    assert_int_equal(vpci_mock_add(mm.m, "edu,addr=03.0", &fn), 0);
    enumerate();
    char expect[1024];
    snprintf(expect, sizeof(expect),
             "00:03.0 Class 00ff: Device 1234:11e8 (rev 10)\n"
             "\tSubsystem: Device 1af4:1100\n"
             "\tFlags: bus master, fast devsel, latency 0, IRQ %u\n"
             "\tMemory at %08llx (32-bit, non-prefetchable) [size=1M]\n"
             "\tCapabilities: [40] MSI: Enable- Count=1/1 Maskable- 64bit+\n"
             "\n",
             irq_line(fn), (unsigned long long)bar_addr(fn, 0));
    expect_block("00:03.0", expect);
}

static void dma_engine_is_rciep_by_default_and_endpoint_on_request(
    void **state)
{
    (void)state;
    no_ids();
    add("dma-engine,addr=04.0");
    add("dma-engine,addr=05.0,type=endpoint");
    enumerate();
    char *b = block_of("00:04.0");
    assert_non_null(strstr(b, "\tCapabilities: [c0] Express Root Complex "
                              "Integrated Endpoint, MSI 00\n"));
    assert_null(strstr(b, "Express Endpoint"));
    free(b);
    b = block_of("00:05.0");
    assert_non_null(strstr(b, "\tCapabilities: [c0] Express Endpoint, "
                              "MSI 00\n"));
    free(b);
}

static void epf_test_shows_six_bars_and_32_vector_msi(void **state)
{
    (void)state;
    no_ids();
    struct vpci_mock_fn *fn;
    assert_int_equal(vpci_mock_add(mm.m, "epf-test,addr=06.0", &fn), 0);
    enumerate();
    char expect[1024];
    snprintf(expect, sizeof(expect),
             "00:06.0 Class ff00: Device 104c:b500\n"
             "\tFlags: bus master, fast devsel, latency 0, IRQ %u\n"
             "\tMemory at %08llx (32-bit, non-prefetchable) [size=1K]\n"
             "\tMemory at %08llx (32-bit, non-prefetchable) [size=512]\n"
             "\tMemory at %08llx (32-bit, non-prefetchable) [size=1K]\n"
             "\tMemory at %08llx (32-bit, non-prefetchable) [size=16K]\n"
             "\tMemory at %08llx (32-bit, non-prefetchable) [size=128K]\n"
             "\tMemory at %08llx (32-bit, non-prefetchable) [size=1M]\n"
             "\tCapabilities: [40] MSI: Enable- Count=1/32 Maskable+ 64bit+\n"
             "\tCapabilities: [58] MSI-X: Enable- Count=32 Masked-\n"
             "\n",
             irq_line(fn), (unsigned long long)bar_addr(fn, 0),
             (unsigned long long)bar_addr(fn, 1),
             (unsigned long long)bar_addr(fn, 2),
             (unsigned long long)bar_addr(fn, 3),
             (unsigned long long)bar_addr(fn, 4),
             (unsigned long long)bar_addr(fn, 5));
    expect_block("00:06.0", expect);
}

/* MSI and MSI-X flags are read live: enabled, multiple message enable,
 * function mask. */
static void msi_and_msix_state_follows_guest_writes(void **state)
{
    (void)state;
    no_ids();
    struct vpci_mock_fn *x = add_x("addr=02.0");
    enumerate();
    /* MSI at 0x50 (4 vectors): enable with 2 of them */
    guest_write(x, 0x50 + PCI_MSI_FLAGS, 2,
                PCI_MSI_FLAGS_ENABLE | 1u << 4);
    /* MSI-X at 0x70: enabled and all masked */
    guest_write(x, 0x70 + PCI_MSIX_FLAGS, 2,
                PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    char *b = block_of("00:02.0");
    assert_non_null(strstr(b, "\tCapabilities: [50] MSI: Enable+ Count=2/4 "
                              "Maskable+ 64bit+\n"));
    assert_non_null(strstr(b, "\tCapabilities: [70] MSI-X: Enable+ Count=8 "
                              "Masked+\n"));
    free(b);
}

/* pci-bridge: bus numbers, the three windows, its Slot ID capability. */
static void bridge_shows_bus_numbers_windows_and_slot_id(void **state)
{
    (void)state;
    use_ids("1b36  Red Hat, Inc.\n"
            "\t0001  QEMU PCI-PCI bridge\n"
            "C 06  Bridge\n"
            "\t04  PCI bridge\n"
            "\t\t00  Normal decode\n");
    struct vpci_mock_fn *br0, *br1;
    assert_int_equal(vpci_mock_add(mm.m, "pci-bridge,addr=03.0,id=br0,"
                                         "chassis_nr=7", &br0), 0);
    add("virt-pci,bus=br0,addr=01.0");        /* 512 B of IO and memory */
    assert_int_equal(vpci_mock_add(mm.m, "pci-bridge,bus=br0,addr=02.0,"
                                         "id=br1", &br1), 0);
    add("edu,bus=br1,addr=00.0");             /* 1 MiB of memory */
    enumerate();
    /* windows from the start of the machine's IO and 32-bit windows:
     * 4 KiB of IO, 1 MiB granules of memory (edu's, then virt-pci's) */
    const struct vpci_mock_map *map = vpci_mock_get_map(mm.m);
    unsigned long long io = map->io_base, mem = map->mmio32_base;
    char expect[1024];
    snprintf(expect, sizeof(expect),
        "00:03.0 PCI bridge: Red Hat, Inc. QEMU PCI-PCI bridge "
        "(prog-if 00 [Normal decode])\n"
        "\tFlags: bus master, fast devsel, latency 0, IRQ %u\n"
        "\tBus: primary=00, secondary=01, subordinate=02, sec-latency=0\n"
        "\tI/O behind bridge: %08llx-%08llx [size=4K] [32-bit]\n"
        "\tMemory behind bridge: %08llx-%08llx [size=2M] [32-bit]\n"
        "\tPrefetchable memory behind bridge: [disabled] [64-bit]\n"
        "\tCapabilities: [40] Slot ID: 0 slots, First+, chassis 07\n"
        "\n", irq_line(br0), io, io + 0xfff, mem, mem + 0x1fffff);
    expect_block("00:03.0", expect);
    snprintf(expect, sizeof(expect),
        "01:02.0 PCI bridge: Red Hat, Inc. QEMU PCI-PCI bridge "
        "(prog-if 00 [Normal decode])\n"
        "\tFlags: bus master, fast devsel, latency 0, IRQ %u\n"
        "\tBus: primary=01, secondary=02, subordinate=02, sec-latency=0\n"
        "\tI/O behind bridge: [disabled] [32-bit]\n"
        "\tMemory behind bridge: %08llx-%08llx [size=1M] [32-bit]\n"
        "\tPrefetchable memory behind bridge: [disabled] [64-bit]\n"
        "\n", irq_line(br1), mem, mem + 0xfffff);
    expect_block("01:02.0", expect);
}

/* ------------------------------------------------------------------ */
/* PCI Express Device/Port types                                       */
/* ------------------------------------------------------------------ */

static void express_port_types_are_named(void **state)
{
    (void)state;
    no_ids();
    add_model(port_model(), "addr=01.0,type=4,slot=on");
    add_model(port_model(), "addr=02.0,type=5");
    add_model(port_model(), "addr=03.0,type=6");
    add_model(port_model(), "addr=04.0,type=4");
    enumerate();
    static const struct {
        const char *slot, *express;
    } ports[] = {
        { "00:01.0", "Express Root Port (Slot+), MSI 00" },
        { "00:02.0", "Express Upstream Port, MSI 00" },
        { "00:03.0", "Express Downstream Port (Slot-), MSI 00" },
        { "00:04.0", "Express Root Port (Slot-), MSI 00" },
    };
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        char caps[256];
        snprintf(caps, sizeof(caps),
                 "\tCapabilities: [40] MSI: Enable- Count=1/1 Maskable- "
                 "64bit-\n"
                 "\tCapabilities: [60] %s\n"
                 "\tCapabilities: [100] Advanced Error Reporting\n\n",
                 ports[i].express);
        char *b = block_of(ports[i].slot);
        assert_non_null(strstr(b, caps));
        free(b);
    }
}

/* The types libvpci does not build, and the interrupt message number, as
 * the capability register says them. */
static void express_types_from_the_flags_register(void **state)
{
    (void)state;
    no_ids();
    struct vpci_mock_fn *x = add_x("addr=02.0");
    enumerate();
    static const struct {
        uint16_t type;
        const char *text;
    } types[] = {
        { 0x1, "Express Legacy Endpoint, MSI 00\n" },
        { 0x7, "Express PCI-Express to PCI/PCI-X Bridge, MSI 00\n" },
        { 0x8, "Express PCI/PCI-X to PCI-Express Bridge (Slot-), MSI 00\n" },
        { 0x9, "Express Root Complex Integrated Endpoint, MSI 00\n" },
        { 0xa, "Express Root Complex Event Collector, MSI 00\n" },
        { 0x3, "Express Unknown type 3, MSI 00\n" },
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        poke(x, 0x80 + PCI_EXP_FLAGS, 2, 2u | types[i].type << 4);
        char *b = block_of("00:02.0");
        char line[128];
        snprintf(line, sizeof(line), "\tCapabilities: [80] %s",
                 types[i].text);
        assert_non_null(strstr(b, line));
        free(b);
    }
    /* PCI/PCI-X to PCIe bridge with a slot; interrupt message 0x1f */
    poke(x, 0x80 + PCI_EXP_FLAGS, 2,
         2u | 0x8u << 4 | PCI_EXP_FLAGS_SLOT | 0x1fu << 9);
    char *b = block_of("00:02.0");
    assert_non_null(strstr(b, "\tCapabilities: [80] Express PCI/PCI-X to "
                              "PCI-Express Bridge (Slot+), MSI 1f\n"));
    free(b);
}

/* ------------------------------------------------------------------ */
/* Capabilities no model builds                                        */
/* ------------------------------------------------------------------ */

static void standard_capabilities_are_decoded(void **state)
{
    (void)state;
    no_ids();
    static const struct raw_cap caps[] = {
        { PCI_CAP_ID_AGP, 0x40, 4, 0x0030, 0 },
        { PCI_CAP_ID_VPD, 0x44, 8, 0x0000, 0 },
        { PCI_CAP_ID_SLOTID, 0x4c, 4, 0x0523, 0 },
        { PCI_CAP_ID_CHSWP, 0x50, 4, 0, 0 },
        { PCI_CAP_ID_DBG, 0x54, 4, 0x4123, 0 },
        { PCI_CAP_ID_CCRC, 0x58, 4, 0, 0 },
        { PCI_CAP_ID_SHPC, 0x5c, 4, 0, 0 },
        { PCI_CAP_ID_SSVID, 0x60, 8, 0, 0x5678abcd },
        { PCI_CAP_ID_AGP3, 0x68, 4, 0, 0 },
        { PCI_CAP_ID_SECDEV, 0x6c, 4, 0, 0 },
        { PCI_CAP_ID_SATA, 0x70, 8, 0x0012, 0 },
        { PCI_CAP_ID_AF, 0x78, 6, 0, 0 },
        { 0x15, 0x80, 4, 0xbeef, 0 },
        { 0 },
    };
    static const struct raw_spec spec = {
        .id = { .vendor_id = 0x1234, .device_id = 0x5678,
                .class_code = 0xff0000 },
        .caps = caps,
    };
    add_raw(&spec, "addr=02.0");
    enumerate();
    expect_block("00:02.0",
        "00:02.0 Class ff00: Device 1234:5678\n"
        "\tFlags: bus master, fast devsel, latency 0\n"
        "\tCapabilities: [40] AGP version 3.0\n"
        "\tCapabilities: [44] Vital Product Data\n"
        "\tCapabilities: [4c] Slot ID: 3 slots, First+, chassis 05\n"
        "\tCapabilities: [50] CompactPCI hot-swap <?>\n"
        "\tCapabilities: [54] Debug port: BAR=2 offset=0123\n"
        "\tCapabilities: [58] CompactPCI central resource control <?>\n"
        "\tCapabilities: [5c] Hot-plug capable\n"
        "\tCapabilities: [60] Subsystem: Device abcd:5678\n"
        "\tCapabilities: [68] AGP3 <?>\n"
        "\tCapabilities: [6c] Secure device <?>\n"
        "\tCapabilities: [70] SATA HBA v1.2\n"
        "\tCapabilities: [78] PCI Advanced Features\n"
        "\tCapabilities: [80] Capability ID 0x15 [beef]\n"
        "\n");
}

/* Null capability, a list that loops, one that ends in an ID of ff. */
static void broken_capability_lists_are_reported(void **state)
{
    (void)state;
    no_ids();
    static const struct raw_cap caps[] = {
        { PCI_CAP_ID_SHPC, 0x40, 4, 0, 0 },
        { PCI_CAP_ID_AF, 0x48, 6, 0, 0 },
        { PCI_CAP_ID_SATA, 0x50, 8, 0x0010, 0 },
        { 0 },
    };
    static const struct raw_spec spec = {
        .id = { .vendor_id = 0x1234, .device_id = 0x5678,
                .class_code = 0xff0000 },
        .caps = caps,
    };
    struct vpci_mock_fn *fn = add_raw(&spec, "addr=02.0");
    enumerate();
    poke(fn, 0x48, 1, 0x00);           /* the second one: Null */
    poke(fn, 0x51, 1, 0x40);           /* the third links back */
    expect_block("00:02.0",
        "00:02.0 Class ff00: Device 1234:5678\n"
        "\tFlags: bus master, fast devsel, latency 0\n"
        "\tCapabilities: [40] Hot-plug capable\n"
        "\tCapabilities: [48] Null\n"
        "\tCapabilities: [50] SATA HBA v1.0\n"
        "\tCapabilities: [40] <chain looped>\n"
        "\n");
    poke(fn, 0x51, 1, 0x58);           /* to bytes of all ones */
    poke(fn, 0x58, 4, 0xffffffffu);
    expect_block("00:02.0",
        "00:02.0 Class ff00: Device 1234:5678\n"
        "\tFlags: bus master, fast devsel, latency 0\n"
        "\tCapabilities: [40] Hot-plug capable\n"
        "\tCapabilities: [48] Null\n"
        "\tCapabilities: [50] SATA HBA v1.0\n"
        "\tCapabilities: [58] <chain broken>\n"
        "\n");
}

/* VirtIO's vendor capabilities are named (vendor 1af4, device
 * 1000..107f, at least 16 bytes); others show their length. */
static void vendor_capability_names_virtio_structures(void **state)
{
    (void)state;
    no_ids();
    static const struct raw_cap caps[] = {
        { PCI_CAP_ID_VNDR, 0x40, 16, 0x0110, 0 },   /* CommonCfg */
        { PCI_CAP_ID_VNDR, 0x50, 20, 0x0214, 0 },   /* Notify */
        { PCI_CAP_ID_VNDR, 0x64, 16, 0x0310, 0 },   /* ISR */
        { PCI_CAP_ID_VNDR, 0x74, 16, 0x0410, 0 },   /* DeviceCfg */
        { PCI_CAP_ID_VNDR, 0x84, 16, 0x0810, 0 },   /* type 8 */
        { PCI_CAP_ID_VNDR, 0x94, 8, 0x0108, 0 },    /* too short */
        { 0 },
    };
    static const struct raw_spec virtio = {
        .id = { .vendor_id = 0x1af4, .device_id = 0x1041,
                .class_code = 0x020000 },
        .caps = caps,
    };
    static const struct raw_spec other = {
        .id = { .vendor_id = 0x1af4, .device_id = 0x1100,
                .class_code = 0x020000 },
        .caps = caps,
    };
    add_raw(&virtio, "addr=02.0");
    add_raw(&other, "addr=03.0");
    enumerate();
    expect_block("00:02.0",
        "00:02.0 Class 0200: Device 1af4:1041\n"
        "\tFlags: bus master, fast devsel, latency 0\n"
        "\tCapabilities: [40] Vendor Specific Information: VirtIO: "
        "CommonCfg\n"
        "\tCapabilities: [50] Vendor Specific Information: VirtIO: Notify\n"
        "\tCapabilities: [64] Vendor Specific Information: VirtIO: ISR\n"
        "\tCapabilities: [74] Vendor Specific Information: VirtIO: "
        "DeviceCfg\n"
        "\tCapabilities: [84] Vendor Specific Information: VirtIO: "
        "<unknown>\n"
        "\tCapabilities: [94] Vendor Specific Information: Len=08 <?>\n"
        "\n");
    expect_block("00:03.0",
        "00:03.0 Class 0200: Device 1af4:1100\n"
        "\tFlags: bus master, fast devsel, latency 0\n"
        "\tCapabilities: [40] Vendor Specific Information: Len=10 <?>\n"
        "\tCapabilities: [50] Vendor Specific Information: Len=14 <?>\n"
        "\tCapabilities: [64] Vendor Specific Information: Len=10 <?>\n"
        "\tCapabilities: [74] Vendor Specific Information: Len=10 <?>\n"
        "\tCapabilities: [84] Vendor Specific Information: Len=10 <?>\n"
        "\tCapabilities: [94] Vendor Specific Information: Len=08 <?>\n"
        "\n");
}

/* Extended capabilities: named ones, serial number, vendor-specific and
 * designated vendor-specific headers, unknown IDs, a null header at 0x100
 * when the list starts elsewhere. */
static void extended_capabilities_are_decoded(void **state)
{
    (void)state;
    no_ids();
    static const struct raw_cap caps[] = {
        { PCI_CAP_ID_EXP, 0x40, 60, 0x0002, 0 },   /* v2 endpoint */
        { 0 },
    };
    static const struct raw_ecap ecaps[] = {
        { PCI_EXT_CAP_ID_DSN, 1, 0x140, 12, 0x44332211, 0x88776655 },
        { PCI_EXT_CAP_ID_ACS, 1, 0x150, 8, 0, 0 },
        { PCI_EXT_CAP_ID_ARI, 1, 0x158, 8, 0, 0 },
        { PCI_EXT_CAP_ID_LTR, 1, 0x160, 8, 0, 0 },
        { PCI_EXT_CAP_ID_VNDR, 1, 0x168, 12, 0x0181abcd, 0 },
        { PCI_EXT_CAP_ID_DVSEC, 1, 0x178, 12, 0x00c21e98, 0x0007 },
        { 0x2f, 1, 0x188, 4, 0, 0 },
        { PCI_EXT_CAP_ID_PTM, 1, 0x18c, 12, 0, 0 },
        { 0 },
    };
    static const struct raw_spec spec = {
        .id = { .vendor_id = 0x1234, .device_id = 0x5678,
                .class_code = 0xff0000, .express = true },
        .caps = caps,
        .ecaps = ecaps,
    };
    add_raw(&spec, "addr=02.0");
    enumerate();
    expect_block("00:02.0",
        "00:02.0 Class ff00: Device 1234:5678\n"
        "\tFlags: bus master, fast devsel, latency 0\n"
        "\tCapabilities: [40] Express Endpoint, MSI 00\n"
        "\tCapabilities: [100] Null\n"
        "\tCapabilities: [140] Device Serial Number "
        "88-77-66-55-44-33-22-11\n"
        "\tCapabilities: [150] Access Control Services\n"
        "\tCapabilities: [158] Alternative Routing-ID Interpretation (ARI)\n"
        "\tCapabilities: [160] Latency Tolerance Reporting\n"
        "\tCapabilities: [168] Vendor Specific Information: ID=abcd Rev=1 "
        "Len=018 <?>\n"
        "\tCapabilities: [178] Designated Vendor-Specific: Vendor=1e98 "
        "ID=0007 Rev=2 Len=12 <?>\n"
        "\tCapabilities: [188] Extended Capability ID 0x2f\n"
        "\tCapabilities: [18c] Precision Time Measurement\n"
        "\n");
}

/* A PCI-X capability also leads lspci to the extended list; a looping
 * extended list and headers that do not fit are reported. */
static void extended_list_loops_and_truncated_headers(void **state)
{
    (void)state;
    no_ids();
    static const struct raw_cap caps[] = {
        { PCI_CAP_ID_PCIX, 0x40, 8, 0x0000, 0 },
        { 0 },
    };
    static const struct raw_ecap ecaps[] = {
        { PCI_EXT_CAP_ID_ERR, 2, 0x100, 8, 0, 0 },
        { PCI_EXT_CAP_ID_VNDR, 1, 0xff8, 8, 0x00101234, 0 },
        { 0 },
    };
    static const struct raw_spec spec = {
        .id = { .vendor_id = 0x1234, .device_id = 0x5678,
                .class_code = 0xff0000, .express = true },
        .caps = caps,
        .ecaps = ecaps,
    };
    struct vpci_mock_fn *fn = add_raw(&spec, "addr=02.0");
    enumerate();
    expect_block("00:02.0",
        "00:02.0 Class ff00: Device 1234:5678\n"
        "\tFlags: bus master, fast devsel, latency 0\n"
        "\tCapabilities: [40] PCI-X non-bridge device\n"
        "\tCapabilities: [100] Advanced Error Reporting\n"
        "\tCapabilities: [ff8] Vendor Specific Information: ID=1234 Rev=0 "
        "Len=001 <?>\n"
        "\n");
    /* the last one links back to the first */
    uint32_t hdr = vpci_cfg_read(vpci_mock_fn_dev(fn), 0xff8, 4);
    poke(fn, 0xff8, 4, (hdr & 0xfffffu) | 0x100u << 20);
    char *b = block_of("00:02.0");
    assert_non_null(strstr(b, "\tCapabilities: [ff8] Vendor Specific "
                              "Information: ID=1234 Rev=0 Len=001 <?>\n"
                              "\tCapabilities: [100] <chain looped>\n"));
    free(b);
    /* the vendor-specific and DVSEC headers past the end of config space */
    poke(fn, 0xff8, 4, 0);
    poke(fn, 0x100, 4, (uint32_t)PCI_EXT_CAP_ID_ERR | 2u << 16 |
                           0xffcu << 20);
    poke(fn, 0xffc, 4, PCI_EXT_CAP_ID_VNDR | 1u << 16);
    b = block_of("00:02.0");
    assert_non_null(strstr(b, "\tCapabilities: [ffc] Vendor Specific "
                              "Information: <unreadable>\n"));
    free(b);
    poke(fn, 0xffc, 4, PCI_EXT_CAP_ID_DVSEC | 1u << 16);
    b = block_of("00:02.0");
    assert_non_null(strstr(b, "\tCapabilities: [ffc] Designated "
                              "Vendor-Specific: <unreadable>\n"));
    free(b);
}

/* VPD and PCI-X are named; PCI-X by the kind of header it sits in (and,
 * as in lspci, not at all in a CardBus bridge's, where the line stays
 * open). */
static void vpd_and_pcix_capabilities_by_header_type(void **state)
{
    (void)state;
    no_ids();
    static const struct raw_cap caps[] = {
        { PCI_CAP_ID_VPD, 0x40, 8, 0x0000, 0 },
        { PCI_CAP_ID_PCIX, 0x48, 8, 0x0000, 0 },
        { 0 },
    };
    static const struct raw_spec endpoint = {
        .id = { .vendor_id = 0x1234, .device_id = 0x0001,
                .class_code = 0xff0000 },
        .caps = caps,
    };
    static const struct raw_spec bridge = {
        .id = { .vendor_id = 0x1234, .device_id = 0x0002,
                .class_code = 0x060400, .bridge = true },
        .caps = caps,
    };
    add_raw(&endpoint, "addr=02.0");
    add_raw(&bridge, "addr=03.0");
    struct vpci_mock_fn *cbus = add_raw(&endpoint, "addr=04.0");
    enumerate();
    poke(cbus, PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_CARDBUS);
    poke(cbus, PCI_CLASS_DEVICE, 2, 0x0607);
    poke(cbus, PCI_CB_CAPABILITY_LIST, 1, 0x40);
    char *b = block_of("00:02.0");
    assert_non_null(strstr(b, "\tCapabilities: [40] Vital Product Data\n"
                              "\tCapabilities: [48] PCI-X non-bridge "
                              "device\n\n"));
    free(b);
    b = block_of("00:03.0");
    assert_non_null(strstr(b, "\tCapabilities: [40] Vital Product Data\n"
                              "\tCapabilities: [48] PCI-X bridge "
                              "device\n\n"));
    free(b);
    /* the last function: its blank line ends the open one */
    char *s = print(0, false, 1, false);
    const char *tail = "\tCapabilities: [40] Vital Product Data\n"
                       "\tCapabilities: [48] \n";
    assert_true(strlen(s) > strlen(tail));
    assert_string_equal(s + strlen(s) - strlen(tail), tail);
    free(s);
}

/* ------------------------------------------------------------------ */
/* Header types, flags, BIST                                           */
/* ------------------------------------------------------------------ */

static void flags_line_shows_command_and_status_bits(void **state)
{
    (void)state;
    no_ids();
    static const struct raw_spec spec = {
        .id = { .vendor_id = 0x1234, .device_id = 0x5678,
                .class_code = 0xff0000 },
    };
    struct vpci_mock_fn *fn = add_raw(&spec, "addr=02.0");
    enumerate();
    poke(fn, PCI_COMMAND, 2, PCI_COMMAND_VGA_PALETTE | PCI_COMMAND_WAIT |
                             PCI_COMMAND_FAST_BACK);
    poke(fn, PCI_STATUS, 2, PCI_STATUS_66MHZ | PCI_STATUS_UDF |
                            PCI_STATUS_DEVSEL_MEDIUM);
    expect_block("00:02.0",
        "00:02.0 Class ff00: Device 1234:5678\n"
        "\tFlags: VGA palette snoop, stepping, fast Back2Back, 66MHz, "
        "user-definable features, medium devsel\n"
        "\n");
    poke(fn, PCI_STATUS, 2, PCI_STATUS_DEVSEL_SLOW);
    poke(fn, PCI_INTERRUPT_LINE, 1, 10);
    poke(fn, PCI_BIST, 1, PCI_BIST_CAPABLE | 0x5);
    expect_block("00:02.0",
        "00:02.0 Class ff00: Device 1234:5678\n"
        "\tFlags: VGA palette snoop, stepping, fast Back2Back, slow devsel, "
        "IRQ 10\n"
        "\tBIST result: 05\n"
        "\n");
    poke(fn, PCI_STATUS, 2, PCI_STATUS_DEVSEL_MASK);
    poke(fn, PCI_BIST, 1, PCI_BIST_CAPABLE | PCI_BIST_START);
    expect_block("00:02.0",
        "00:02.0 Class ff00: Device 1234:5678\n"
        "\tFlags: VGA palette snoop, stepping, fast Back2Back, ?? devsel, "
        "IRQ 10\n"
        "\tBIST is running\n"
        "\n");
}

static void header_type_and_class_mismatches_are_flagged(void **state)
{
    (void)state;
    no_ids();
    static const struct raw_spec bridge_class = {
        .id = { .vendor_id = 0x1234, .device_id = 0x0001,
                .class_code = 0x060400 },
    };
    static const struct raw_spec unknown = {
        .id = { .vendor_id = 0x1234, .device_id = 0x0002,
                .class_code = 0xff0000 },
    };
    add_raw(&bridge_class, "addr=02.0");        /* type 0, class 0604 */
    struct vpci_mock_fn *u = add_raw(&unknown, "addr=03.0");
    struct vpci_mock_fn *br = add_model(tbridge_model(), "addr=04.0");
    enumerate();
    poke(u, PCI_HEADER_TYPE, 1, 0x03);
    poke(br, PCI_CLASS_DEVICE, 2, 0xff00);       /* type 1, class ff00 */
    expect_block("00:02.0",
        "00:02.0 Class 0604: Device 1234:0001\n"
        "\t!!! Invalid class 0604 for header type 00\n"
        "\tFlags: bus master, fast devsel, latency 0\n"
        "\n");
    expect_block("00:03.0",
        "00:03.0 Class ff00: Device 1234:0002\n"
        "\t!!! Unknown header type 03\n"
        "\n");
    char *b = block_of("00:04.0");
    assert_non_null(strstr(b, "00:04.0 Class ff00: Device 1b36:0001\n"
                              "\t!!! Invalid class ff00 for header type 01\n"
                              "\tFlags: bus master, fast devsel, latency 0\n"
                              "\tBus: primary=00, secondary=01, "));
    free(b);
}

/* A CardBus bridge (header type 2): windows, legacy ports, SERR, the
 * subsystem at 0x40, its capability pointer at 0x14. */
static void cardbus_bridge_header_is_decoded(void **state)
{
    (void)state;
    no_ids();
    static const struct raw_spec spec = {
        .id = { .vendor_id = 0x104c, .device_id = 0xac56,
                .class_code = 0x060700 },
    };
    struct vpci_mock_fn *fn = add_raw(&spec, "addr=02.0");
    enumerate();
    poke(fn, PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_CARDBUS);
    poke(fn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    poke(fn, PCI_STATUS, 2, PCI_STATUS_CAP_LIST | PCI_STATUS_DEVSEL_MEDIUM);
    poke(fn, PCI_CB_CAPABILITY_LIST, 1, 0x80);
    poke(fn, 0x80, 4, PCI_CAP_ID_SHPC);
    poke(fn, PCI_CB_SEC_STATUS, 2, PCI_STATUS_SIG_SYSTEM_ERROR);
    poke(fn, PCI_CB_PRIMARY_BUS, 4, 0x40050400);  /* 00, 04, 05, lat 64 */
    poke(fn, PCI_CB_MEMORY_BASE_0, 4, 0x20000000);
    poke(fn, PCI_CB_MEMORY_LIMIT_0, 4, 0x20fff000);
    poke(fn, PCI_CB_MEMORY_BASE_1, 4, 0x30000000);
    poke(fn, PCI_CB_MEMORY_LIMIT_1, 4, 0x2ffff000);   /* closed */
    poke(fn, PCI_CB_IO_BASE_0, 4, 0x00a04000);        /* 16-bit: the */
    poke(fn, PCI_CB_IO_LIMIT_0, 4, 0x00a040fc);       /* upper half off */
    poke(fn, PCI_CB_IO_BASE_1, 4, 0x00015001);        /* 32-bit */
    poke(fn, PCI_CB_IO_LIMIT_1, 4, 0x000150fc);
    poke(fn, PCI_CB_BRIDGE_CONTROL, 2, PCI_CB_BRIDGE_CTL_PREFETCH_MEM0);
    poke(fn, PCI_CB_SUBSYSTEM_VENDOR_ID, 4, 0x00011234);
    poke(fn, PCI_CB_LEGACY_MODE_BASE, 4, 0x3e0);
    expect_block("00:02.0",
        "00:02.0 Class 0607: Device 104c:ac56\n"
        "\tSubsystem: Device 1234:0001\n"
        "\tFlags: medium devsel\n"
        "\tBus: primary=00, secondary=04, subordinate=05, sec-latency=64\n"
        "\tMemory window 0: 20000000-20ffffff (prefetchable)\n"
        "\tI/O window 0: 00004000-000040ff [disabled]\n"
        "\tI/O window 1: 00015000-000150ff [disabled]\n"
        "\tSecondary status: SERR\n"
        "\t16-bit legacy interface ports at 03e0\n"
        "\tCapabilities: [80] Hot-plug capable\n"
        "\n");
    /* -x of a CardBus bridge is 128 bytes */
    char *s = print(1, false, 0, false);
    assert_int_equal(count_lines(s, "70: "), 1);
    assert_int_equal(count_lines(s, "80: "), 0);
    free(s);
    /* memory decode off: the windows say so */
    poke(fn, PCI_COMMAND, 2, PCI_COMMAND_IO);
    char *b = block_of("00:02.0");
    assert_non_null(strstr(b, "\tMemory window 0: 20000000-20ffffff "
                              "[disabled] (prefetchable)\n"
                              "\tI/O window 0: 00004000-000040ff\n"));
    free(b);
}

/* ------------------------------------------------------------------ */
/* Bridge windows                                                      */
/* ------------------------------------------------------------------ */

/* 16-bit IO window, 32-bit prefetchable window, and range type fields
 * lspci does not know. */
static void bridge_window_types_and_unknown_types(void **state)
{
    (void)state;
    no_ids();
    struct vpci_mock_fn *br = add_model(tbridge_model(), "addr=03.0");
    enumerate();
    poke(br, PCI_IO_BASE, 2, 0x3020);              /* 16-bit 2000-3fff */
    poke(br, PCI_PREF_MEMORY_BASE, 4, 0x40f04000);  /* 32-bit 40000000- */
    poke(br, PCI_PREF_BASE_UPPER32, 4, 0);
    poke(br, PCI_PREF_LIMIT_UPPER32, 4, 0);
    poke(br, PCI_MEMORY_BASE, 4, 0x00000010);       /* closed: disabled */
    char *b = block_of("00:03.0");
    assert_non_null(strstr(b,
        "\tI/O behind bridge: 2000-3fff [size=8K] [16-bit]\n"
        "\tMemory behind bridge: [disabled] [32-bit]\n"
        "\tPrefetchable memory behind bridge: 40000000-40ffffff [size=16M] "
        "[32-bit]\n"));
    free(b);
    poke(br, PCI_IO_BASE, 2, 0x3021);              /* 32-bit / 16-bit */
    poke(br, PCI_MEMORY_BASE, 4, 0x00010001);       /* type 1 */
    poke(br, PCI_PREF_MEMORY_BASE, 4, 0x00020002);  /* type 2 */
    b = block_of("00:03.0");
    assert_non_null(strstr(b,
        "\t!!! Unknown I/O range types 21/30\n"
        "\t!!! Unknown memory range types 1/1\n"
        "\t!!! Unknown prefetchable memory range types 2/2\n"));
    free(b);
    poke(br, PCI_IO_BASE, 2, 0x0202);               /* both type 2 */
    b = block_of("00:03.0");
    assert_non_null(strstr(b, "\t!!! Unknown I/O range types 2/2\n"));
    free(b);
}

/* A 64-bit prefetchable window above 4 GiB, as firmware programs it for
 * a 64-bit BAR that does not fit below. */
static void bridge_prefetchable_window_above_4g(void **state)
{
    (void)state;
    no_ids();
    add("pci-bridge,addr=03.0,id=br0");
    struct vpci_mock_fn *x = add_x("bus=br0,addr=00.0,big=on");
    enumerate();
    uint64_t a = bar_addr(x, 2);
    assert_true(a >= 1ull << 32);
    char line[160];
    snprintf(line, sizeof(line),
             "\tPrefetchable memory behind bridge: %016llx-%016llx "
             "[size=8G] [64-bit]\n",
             (unsigned long long)a,
             (unsigned long long)(a + (8ull << 30) - 1));
    char *b = block_of("00:03.0");
    assert_non_null(strstr(b, line));
    free(b);
}

/* Subsystem IDs of a bridge come from its Subsystem ID capability. */
static void bridge_subsystem_from_ssvid_capability(void **state)
{
    (void)state;
    use_ids("1af4  Red Hat, Inc.\n"
            "\t1100  QEMU Virtual Machine\n"
            "1b36  Red Hat, Inc.\n"
            "\t0001  QEMU PCI-PCI bridge\n"
            "\t\t1af4 1100  QEMU bridge sub\n");
    static const struct raw_cap caps[] = {
        { PCI_CAP_ID_SHPC, 0x40, 4, 0, 0 },
        { PCI_CAP_ID_SSVID, 0x48, 8, 0, 0x11001af4 },
        { 0 },
    };
    static const struct raw_spec spec = {
        .id = { .vendor_id = 0x1b36, .device_id = 0x0001,
                .class_code = 0x060400, .bridge = true },
        .caps = caps,
    };
    struct vpci_mock_fn *fn = add_raw(&spec, "addr=03.0");
    enumerate();
    char *b = block_of("00:03.0");
    assert_non_null(strstr(b, "00:03.0 Class 0604: Red Hat, Inc. QEMU "
                              "PCI-PCI bridge\n"
                              "\tSubsystem: Red Hat, Inc. QEMU bridge sub\n"
                              "\tFlags: "));
    assert_non_null(strstr(b, "\tCapabilities: [48] Subsystem: Red Hat, "
                              "Inc. QEMU bridge sub\n"));
    free(b);
    /* a broken list before it: no subsystem line */
    poke(fn, 0x40, 1, 0xff);
    b = block_of("00:03.0");
    assert_non_null(strstr(b, "00:03.0 Class 0604: Red Hat, Inc. QEMU "
                              "PCI-PCI bridge\n"
                              "\tFlags: "));
    assert_non_null(strstr(b, "\tCapabilities: [40] <chain broken>\n"));
    assert_null(strstr(b, "Subsystem"));
    free(b);
}

/* ------------------------------------------------------------------ */
/* BARs and ROM                                                        */
/* ------------------------------------------------------------------ */

/* Before enumeration nothing is assigned and decode is off: IO and
 * 64-bit BARs are "<unassigned>"; a 32-bit memory BAR reads 0 and, as in
 * lspci, is not shown at all (nor is a ROM of 0). */
static void unassigned_bars_and_rom_of_unenumerated_machine(void **state)
{
    (void)state;
    no_ids();
    add("virt-pci,addr=02.0");
    add_x("addr=03.0");
    expect_block("00:02.0",
        "00:02.0 Class 00ff: Device 1234:0001\n"
        "\tSubsystem: Device 1af4:1100\n"
        "\tFlags: fast devsel\n"
        "\tI/O ports at <unassigned> [disabled] [size=512]\n"
        "\n");
    char *b = block_of("00:03.0");
    assert_non_null(strstr(b,
        "\tFlags: fast devsel\n"
        "\tI/O ports at <unassigned> [disabled] [size=64]\n"
        "\tMemory at <unassigned> (64-bit, prefetchable) [disabled] "
        "[size=1M]\n"
        "\tCapabilities: [40] "));
    assert_null(strstr(b, "Expansion ROM"));
    free(b);
}

/* COMMAND decode bits off: assigned BARs say [disabled]. */
static void decode_off_marks_bars_disabled(void **state)
{
    (void)state;
    no_ids();
    struct vpci_mock_fn *fn;
    assert_int_equal(vpci_mock_add(mm.m, "virt-pci,addr=02.0", &fn), 0);
    enumerate();
    guest_write(fn, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
    char expect[512];
    snprintf(expect, sizeof(expect),
             "00:02.0 Class 00ff: Device 1234:0001\n"
             "\tSubsystem: Device 1af4:1100\n"
             "\tFlags: bus master, fast devsel, latency 0, IRQ %u\n"
             "\tMemory at %08llx (32-bit, non-prefetchable) [disabled] "
             "[size=512]\n"
             "\tI/O ports at %04llx [disabled] [size=512]\n"
             "\n",
             irq_line(fn), (unsigned long long)bar_addr(fn, 0),
             (unsigned long long)bar_addr(fn, 1));
    expect_block("00:02.0", expect);
}

/* BAR registers lspci reads without a libvpci BAR behind them: memory
 * types below 1M and reserved, all ones; no size to show. */
static void bar_registers_without_a_bar(void **state)
{
    (void)state;
    no_ids();
    static const struct raw_spec spec = {
        .id = { .vendor_id = 0x1234, .device_id = 0x5678,
                .class_code = 0xff0000 },
    };
    struct vpci_mock_fn *fn = add_raw(&spec, "addr=02.0");
    enumerate();
    poke(fn, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    poke(fn, PCI_BASE_ADDRESS_0, 4, 0x000d0002);    /* low-1M */
    poke(fn, PCI_BASE_ADDRESS_1, 4, 0x20000006);    /* type 3 */
    poke(fn, PCI_BASE_ADDRESS_2, 4, 0xffffffffu);   /* all ones: none */
    poke(fn, PCI_BASE_ADDRESS_3, 4, 0x00000001);    /* IO at 0, IO on */
    poke(fn, PCI_BASE_ADDRESS_4, 4, 0x00000004);    /* 64-bit, no upper */
    poke(fn, PCI_BASE_ADDRESS_5, 4, 0x00000000);
    expect_block("00:02.0",
        "00:02.0 Class ff00: Device 1234:5678\n"
        "\tFlags: fast devsel\n"
        "\tMemory at 000d0000 (low-1M, non-prefetchable)\n"
        "\tMemory at 20000000 (type 3, non-prefetchable)\n"
        "\tI/O ports at 0000\n"
        "\tMemory at <unassigned> (64-bit, non-prefetchable)\n"
        "\n");
}

/* The ROM line: enabled, enabled with memory decode off, an address of
 * all ones (ignored), the enable bit alone (unassigned). */
static void expansion_rom_states(void **state)
{
    (void)state;
    no_ids();
    struct vpci_mock_fn *x = add_x("addr=02.0");
    enumerate();
    uint64_t rom = bar_addr(x, VPCI_ROM_BAR);
    assert_true(rom != 0);
    char line[128];

    guest_write(x, PCI_ROM_ADDRESS, 4, (uint32_t)rom | PCI_ROM_ADDRESS_ENABLE);
    snprintf(line, sizeof(line), "\tExpansion ROM at %08llx [size=64K]\n",
             (unsigned long long)rom);
    char *b = block_of("00:02.0");
    assert_non_null(strstr(b, line));
    free(b);

    guest_write(x, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    snprintf(line, sizeof(line),
             "\tExpansion ROM at %08llx [disabled by cmd] [size=64K]\n",
             (unsigned long long)rom);
    b = block_of("00:02.0");
    assert_non_null(strstr(b, line));
    free(b);

    poke(x, PCI_ROM_ADDRESS, 4, 0xffffffffu);
    b = block_of("00:02.0");
    assert_non_null(strstr(b, "\tExpansion ROM at <ignored> [disabled by "
                              "cmd] [size=64K]\n"));
    free(b);

    poke(x, PCI_ROM_ADDRESS, 4, PCI_ROM_ADDRESS_ENABLE);
    b = block_of("00:02.0");
    assert_non_null(strstr(b, "\tExpansion ROM at <unassigned> [disabled by "
                              "cmd] [size=64K]\n"));
    free(b);
}

/* ------------------------------------------------------------------ */
/* Names in -v                                                         */
/* ------------------------------------------------------------------ */

/* Subsystem names: the device's own subsystem entry, the generic "S"
 * block, the device's name when the subsystem IDs are its own IDs. */
static void subsystem_names_follow_lspci_rules(void **state)
{
    (void)state;
    use_ids("1234  Test Vendor\n"
            "\t11e8  Edu Thing\n"
            "\t\t1af4 1100  Edu Sub\n"
            "\t0001  Virt Thing\n"
            "1af4  Red Hat, Inc.\n"
            "\t1100  QEMU Virtual Machine\n"
            "S 1af4\n"
            "\t2222  Generic Sub\n");
    static const struct raw_spec same = {
        .id = { .vendor_id = 0x1234, .device_id = 0x0001,
                .subsystem_vendor_id = 0x1234, .subsystem_id = 0x0001,
                .class_code = 0xff0000 },
    };
    static const struct raw_spec generic = {
        .id = { .vendor_id = 0x1234, .device_id = 0x0001,
                .subsystem_vendor_id = 0x1af4, .subsystem_id = 0x2222,
                .class_code = 0xff0000 },
    };
    static const struct raw_spec unknown = {
        .id = { .vendor_id = 0x1234, .device_id = 0x0001,
                .subsystem_vendor_id = 0x1af4, .subsystem_id = 0x3333,
                .class_code = 0xff0000 },
    };
    add("edu,addr=02.0");
    add_raw(&same, "addr=03.0");
    add_raw(&generic, "addr=04.0");
    add_raw(&unknown, "addr=05.0");
    enumerate();
    char *s = print(0, false, 1, false);
    assert_non_null(strstr(s, "00:02.0 Class 00ff: Test Vendor Edu Thing "
                              "(rev 10)\n\tSubsystem: Red Hat, Inc. Edu "
                              "Sub\n"));
    assert_non_null(strstr(s, "00:03.0 Class ff00: Test Vendor Virt Thing\n"
                              "\tSubsystem: Test Vendor Virt Thing\n"));
    assert_non_null(strstr(s, "00:04.0 Class ff00: Test Vendor Virt Thing\n"
                              "\tSubsystem: Red Hat, Inc. Generic Sub\n"));
    assert_non_null(strstr(s, "00:05.0 Class ff00: Test Vendor Virt Thing\n"
                              "\tSubsystem: Red Hat, Inc. Device 3333\n"));
    free(s);
}

/* An IDE controller's prog-if without a name is decoded from its bits;
 * an unnamed prog-if of another class shows the number only. */
static void ide_prog_if_is_decoded(void **state)
{
    (void)state;
    no_ids();
    static const struct raw_spec ide = {
        .id = { .vendor_id = 0x8086, .device_id = 0x7010,
                .class_code = 0x01018a },
    };
    static const struct raw_spec ide0 = {
        .id = { .vendor_id = 0x8086, .device_id = 0x7011,
                .class_code = 0x010100 },
    };
    static const struct raw_spec other = {
        .id = { .vendor_id = 0x8086, .device_id = 0x7012,
                .class_code = 0x0c0330 },
    };
    add_raw(&ide, "addr=02.0");
    add_raw(&ide0, "addr=03.0");
    add_raw(&other, "addr=04.0");
    enumerate();
    char *s = print(0, false, 1, false);
    assert_non_null(strstr(s, "00:02.0 Class 0101: Device 8086:7010 "
                              "(prog-if 8a [Master SecP PriP])\n"));
    assert_non_null(strstr(s, "00:03.0 Class 0101: Device 8086:7011 "
                              "(prog-if 00 [])\n"));
    assert_non_null(strstr(s, "00:04.0 Class 0c03: Device 8086:7012 "
                              "(prog-if 30)\n"));
    free(s);
}

/* ------------------------------------------------------------------ */
/* -t                                                                  */
/* ------------------------------------------------------------------ */

/* A function on a bus that no bridge's range covers hangs from the host
 * bridge as a root bus of its own, as lspci shows several host bridges. */
static void tree_with_a_second_root_bus(void **state)
{
    (void)state;
    no_ids();
    struct vpci_mock_fn *br = add_model(tbridge_model(), "addr=01.0,id=br0");
    add("edu,bus=br0,addr=05.0");
    enumerate();
    poke(br, PCI_SUBORDINATE_BUS, 1, 0);      /* covers no bus now */
    char *s = print(0, true, 0, false);
    assert_string_equal(s,
        "-+-[0000:00]-+-00.0\n"
        " |           \\-01.0-[01-00]--\n"
        " \\-[0000:01]---05.0\n");
    free(s);
}

/* lspci builds each line in a 1024-byte buffer: a longer one is cut and
 * ends in "...".  70 bridges, each behind the one before. */
static void tree_cuts_lines_longer_than_lspci_buffer(void **state)
{
    (void)state;
    no_ids();
    char spec[64];
    add_model(tbridge_model(), "addr=01.0,id=b0");
    for (unsigned i = 1; i < 70; i++) {
        snprintf(spec, sizeof(spec), "bus=b%u,addr=00.0,id=b%u", i - 1, i);
        add_model(tbridge_model(), spec);
    }
    enumerate();
    /* the whole second line, then cut at 1022 characters */
    char expect[2048];
    int n = snprintf(expect, sizeof(expect),
                     "-[0000:00]-+-00.0\n"
                     "           \\-01.0-[01-46]-");
    for (unsigned bus = 1; bus < 70; bus++)
        n += snprintf(expect + n, sizeof(expect) - (size_t)n,
                      "---00.0-[%02x-46]-", bus + 1);
    strcpy(expect + strlen("-[0000:00]-+-00.0\n") + 1022, "...\n");
    char *s = print(0, true, 0, false);
    assert_string_equal(s, expect);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(virt_pci_shows_maskable_64bit_msi_msix_and_express_endpoint),
        T(edu_msi_is_64bit_and_not_maskable),
        T(dma_engine_is_rciep_by_default_and_endpoint_on_request),
        T(epf_test_shows_six_bars_and_32_vector_msi),
        T(msi_and_msix_state_follows_guest_writes),
        T(bridge_shows_bus_numbers_windows_and_slot_id),
        T(express_port_types_are_named),
        T(express_types_from_the_flags_register),
        T(standard_capabilities_are_decoded),
        T(broken_capability_lists_are_reported),
        T(vendor_capability_names_virtio_structures),
        T(extended_capabilities_are_decoded),
        T(extended_list_loops_and_truncated_headers),
        T(vpd_and_pcix_capabilities_by_header_type),
        T(flags_line_shows_command_and_status_bits),
        T(header_type_and_class_mismatches_are_flagged),
        T(cardbus_bridge_header_is_decoded),
        T(bridge_window_types_and_unknown_types),
        T(bridge_prefetchable_window_above_4g),
        T(bridge_subsystem_from_ssvid_capability),
        T(unassigned_bars_and_rom_of_unenumerated_machine),
        T(decode_off_marks_bars_disabled),
        T(bar_registers_without_a_bar),
        T(expansion_rom_states),
        T(subsystem_names_follow_lspci_rules),
        T(ide_prog_if_is_decoded),
        T(tree_with_a_second_root_bus),
        T(tree_cuts_lines_longer_than_lspci_buffer),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
