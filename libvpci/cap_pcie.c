/* SPDX-License-Identifier: MIT */
/*
 * PCI Express capability, version 2 (PCIe 3.0 7.8), Advanced Error
 * Reporting (extended capability, PCIe 3.0 7.10) and the error-signalling
 * helper models use to report what they detect.
 *
 * The registers present depend on the Device/Port type: link registers
 * for everything with a link (not RC integrated endpoints), slot registers
 * for root/downstream ports that implement a slot, root registers for root
 * ports.  Everything a function does not implement reads as zero and is
 * read-only (v2 "hardwired to 0"), with the spec's one exception: Presence
 * Detect State reads 1 on a downstream port without a slot.
 *
 * Behaviour beyond the masks (vpci_pcie_cfg_written):
 *  - DevCtl.Max_Payload_Size above what DevCap supports, a reserved
 *    Max_Read_Request_Size, an unsupported Completion Timeout Value or
 *    Target Link Speed is not accepted: the field keeps its old value;
 *  - DevCtl.Initiate_FLR (bit 15) of an FLR-capable endpoint performs the
 *    reset and always reads 0.
 */
#include "internal.h"

#define PCIE_CAP_VERSION 2u
/* The whole v2 structure, through Slot Status 2 (PCIe 3.0 figure 7-21). */
#define PCIE_CAP_SIZEOF (PCI_EXP_SLTSTA2 + 2)
#define DEVCTL_PAYLOAD_SHIFT 5
#define DEVCTL_READRQ_SHIFT 12
#define FLAGS_TYPE_SHIFT 4
#define LNKCAP_MLW_SHIFT 4
#define SIZE_CODE_MAX 5u   /* 4096-byte payload / read request */
/* DevCap2 Completion Timeout Ranges Supported (bits 3:0) and DevCtl2
 * Completion Timeout Values (PCIe 3.0 7.8.15-16): ranges A and B. */
#define DEVCAP2_CTO_RANGES_AB 0x3u
#define CTO_DEFAULT 0x0u       /* 50 us .. 50 ms */
#define CTO_A_LOW 0x1u         /* 50 us .. 100 us */
#define CTO_A_HIGH 0x2u        /* 1 ms .. 10 ms */
#define CTO_B_LOW 0x5u         /* 16 ms .. 55 ms */
#define CTO_B_HIGH 0x6u        /* 65 ms .. 210 ms */
/* Widths a Link Capabilities register may report (PCIe 3.0 7.8.6). */
static const uint8_t link_widths[] = { 1, 2, 4, 8, 12, 16, 32 };

/* ---- AER ---- */
#ifndef PCI_ERR_SIZEOF
#define PCI_ERR_SIZEOF 0x48    /* through the TLP Prefix Log */
#endif
#define AER_VERSION 2u
#define AER_UNC_SUPPORTED                                                   \
    (PCI_ERR_UNC_DLP | PCI_ERR_UNC_SURPDN | PCI_ERR_UNC_POISON_TLP |        \
     PCI_ERR_UNC_FCP | PCI_ERR_UNC_COMP_TIME | PCI_ERR_UNC_COMP_ABORT |     \
     PCI_ERR_UNC_UNX_COMP | PCI_ERR_UNC_RX_OVER | PCI_ERR_UNC_MALF_TLP |    \
     PCI_ERR_UNC_ECRC | PCI_ERR_UNC_UNSUP | PCI_ERR_UNC_ACSV |              \
     PCI_ERR_UNC_INTN | PCI_ERR_UNC_MCBTLP | PCI_ERR_UNC_ATOMEG |           \
     PCI_ERR_UNC_TLPPRE)
/* Uncorrectable Error Severity default (PCIe 3.0 7.10.4): 0x00462030. */
#define AER_UNC_SEVERITY_DEFAULT                                            \
    (PCI_ERR_UNC_DLP | PCI_ERR_UNC_SURPDN | PCI_ERR_UNC_FCP |               \
     PCI_ERR_UNC_RX_OVER | PCI_ERR_UNC_MALF_TLP | PCI_ERR_UNC_INTN)
#define AER_COR_SUPPORTED                                                   \
    (PCI_ERR_COR_RCVR | PCI_ERR_COR_BAD_TLP | PCI_ERR_COR_BAD_DLLP |        \
     PCI_ERR_COR_REP_ROLL | PCI_ERR_COR_REP_TIMER | PCI_ERR_COR_ADV_NFAT |  \
     PCI_ERR_COR_INTERNAL | PCI_ERR_COR_LOG_OVER)
/* Correctable Error Mask default: Advisory Non-Fatal masked (7.10.6). */
#define AER_COR_MASK_DEFAULT PCI_ERR_COR_ADV_NFAT
#define AER_FEP_MASK 0x1fu
#define AER_ROOT_CMD_MASK                                                   \
    (PCI_ERR_ROOT_CMD_COR_EN | PCI_ERR_ROOT_CMD_NONFATAL_EN |               \
     PCI_ERR_ROOT_CMD_FATAL_EN)
#define AER_ROOT_STATUS_W1C                                                 \
    (PCI_ERR_ROOT_COR_RCV | PCI_ERR_ROOT_MULTI_COR_RCV |                    \
     PCI_ERR_ROOT_UNCOR_RCV | PCI_ERR_ROOT_MULTI_UNCOR_RCV |                \
     PCI_ERR_ROOT_FIRST_FATAL | PCI_ERR_ROOT_NONFATAL_RCV |                 \
     PCI_ERR_ROOT_FATAL_RCV)

static bool type_is_endpoint(enum vpci_pcie_type t)
{
    return t == VPCI_PCIE_ENDPOINT || t == VPCI_PCIE_LEGACY_ENDPOINT ||
           t == VPCI_PCIE_RC_ENDPOINT;
}

/* Ports below which a link (and maybe a slot) goes downstream. */
static bool type_is_downstream(enum vpci_pcie_type t)
{
    return t == VPCI_PCIE_ROOT_PORT || t == VPCI_PCIE_DOWNSTREAM_PORT;
}

static const char *type_name(enum vpci_pcie_type t)
{
    switch (t) {
    case VPCI_PCIE_ENDPOINT: return "endpoint";
    case VPCI_PCIE_LEGACY_ENDPOINT: return "legacy endpoint";
    case VPCI_PCIE_ROOT_PORT: return "root port";
    case VPCI_PCIE_UPSTREAM_PORT: return "upstream port";
    case VPCI_PCIE_DOWNSTREAM_PORT: return "downstream port";
    case VPCI_PCIE_RC_ENDPOINT: return "RC integrated endpoint";
    }
    return NULL;
}

/* Why @cfg cannot describe this function, or NULL. */
static const char *pcie_config_error(const struct vpci_dev *dev,
                                     const struct vpci_pcie_config *cfg)
{
    if (!cfg)
        return "needs a configuration";
    if (!dev->id.express)
        return "needs a PCI Express function (identity.express)";
    if (!type_name(cfg->type))
        return "unknown Device/Port type";
    if (type_is_endpoint(cfg->type) == dev->id.bridge)
        return "endpoints have a type 0 header, ports a type 1 (bridge) "
               "header";
    if (cfg->flr && !type_is_endpoint(cfg->type))
        return "only endpoints can be Function Level Reset capable";
    if (cfg->slot && !type_is_downstream(cfg->type))
        return "only root and downstream ports implement a slot";
    if (cfg->max_payload > SIZE_CODE_MAX)
        return "max_payload is 0 (128 bytes) .. 5 (4096 bytes)";
    if (cfg->link_speed > PCI_EXP_LNKCAP_SLS_64_0GB)
        return "link_speed is 1 (2.5 GT/s) .. 6 (64 GT/s)";
    if (cfg->link_width) {
        for (size_t i = 0; i < VPCI_ARRAY_SIZE(link_widths); i++)
            if (cfg->link_width == link_widths[i])
                return NULL;
        return "link_width is 1, 2, 4, 8, 12, 16 or 32 lanes";
    }
    return NULL;
}

static void pcie_init_link(struct vpci_dev *dev, unsigned cap,
                           const struct vpci_pcie_config *cfg)
{
    enum vpci_pcie_type t = cfg->type;
    uint32_t speed =
        cfg->link_speed ? cfg->link_speed : PCI_EXP_LNKCAP_SLS_2_5GB;
    uint32_t width = cfg->link_width ? cfg->link_width : 1;
    bool ds = type_is_downstream(t);

    /* Data Link Layer Link Active reporting: downstream ports (7.8.6). */
    vpci_cfg_init_field(dev, cap + PCI_EXP_LNKCAP, 4,
                        speed | width << LNKCAP_MLW_SHIFT |
                            (ds ? PCI_EXP_LNKCAP_DLLLARC : 0),
                        0, 0);
    /* RCB is set by software on endpoints; hardwired on root ports (to
     * 64 bytes here) and switch ports (7.8.7).  Retrain Link reads 0. */
    uint16_t lnkctl_w = PCI_EXP_LNKCTL_ASPMC | PCI_EXP_LNKCTL_CCC |
                        PCI_EXP_LNKCTL_ES;
    if (type_is_endpoint(t))
        lnkctl_w |= PCI_EXP_LNKCTL_RCB;
    vpci_cfg_init_field(dev, cap + PCI_EXP_LNKCTL, 2, 0, lnkctl_w, 0);
    /* The link trained at its best speed and full width, and is up. */
    vpci_cfg_init_field(dev, cap + PCI_EXP_LNKSTA, 2,
                        speed | width << PCI_EXP_LNKSTA_NLW_SHIFT |
                            (ds ? PCI_EXP_LNKSTA_DLLLA : 0),
                        0, 0);
    /* Supported Link Speeds Vector: bit n for speed n (7.8.18). */
    uint32_t vector = ((1u << speed) - 1) << 1;
    vpci_cfg_init_field(dev, cap + PCI_EXP_LNKCAP2, 4, vector, 0, 0);
    /* Target Link Speed: defaults to the highest supported (7.8.19). */
    vpci_cfg_init_field(dev, cap + PCI_EXP_LNKCTL2, 2, speed,
                        PCI_EXP_LNKCTL2_TLS, 0);
    vpci_cfg_init_field(dev, cap + PCI_EXP_LNKSTA2, 2, 0, 0, 0);
}

static void pcie_init_slot(struct vpci_dev *dev, unsigned cap,
                           const struct vpci_pcie_config *cfg)
{
    /* Nothing hot-pluggable: no button, indicators, power controller or
     * MRL.  Presence detect and link-state-change events remain. */
    vpci_cfg_init_field(dev, cap + PCI_EXP_SLTCAP, 4, 0, 0, 0);
    vpci_cfg_init_field(dev, cap + PCI_EXP_SLTCTL, 2, 0,
                        cfg->slot ? PCI_EXP_SLTCTL_PDCE | PCI_EXP_SLTCTL_DLLSCE
                                  : 0,
                        0);
    uint16_t w1c = PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PFD |
                   PCI_EXP_SLTSTA_MRLSC | PCI_EXP_SLTSTA_PDC |
                   PCI_EXP_SLTSTA_CC | PCI_EXP_SLTSTA_DLLSC;
    /* Downstream ports report a card present; without a slot the bit is
     * hardwired to 1 (7.8.11). */
    vpci_cfg_init_field(dev, cap + PCI_EXP_SLTSTA, 2, PCI_EXP_SLTSTA_PDS, 0,
                        cfg->slot ? w1c : 0);
}

int vpci_cap_add_pcie(struct vpci_dev *dev, unsigned offset,
                      const struct vpci_pcie_config *cfg, unsigned *out)
{
    int rc = vpci_require_init(dev, "vpci_cap_add_pcie");
    if (rc)
        return rc;
    if (dev->pcie_cap) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "PCI Express capability: already at 0x%x", dev->pcie_cap);
        return -EEXIST;
    }
    const char *why = pcie_config_error(dev, cfg);
    if (why) {
        const char *tn = cfg ? type_name(cfg->type) : NULL;
        vpci_log(dev, VPCI_LOG_ERROR, "PCI Express capability (%s): %s",
                 tn ? tn : "?", why);
        return -EINVAL;
    }
    unsigned cap;
    rc = vpci_cap_add(dev, PCI_CAP_ID_EXP, offset, PCIE_CAP_SIZEOF, &cap);
    if (rc)
        return rc;
    enum vpci_pcie_type t = cfg->type;
    bool ds = type_is_downstream(t);
    bool requester = type_is_endpoint(t) || t == VPCI_PCIE_ROOT_PORT;

    vpci_cfg_init_field(dev, cap + PCI_EXP_FLAGS, 2,
                        PCIE_CAP_VERSION | (uint32_t)t << FLAGS_TYPE_SHIFT |
                            (cfg->slot ? PCI_EXP_FLAGS_SLOT : 0),
                        0, 0);

    /* Device: 7.8.3 .. 7.8.5.  Role-based error reporting is mandatory
     * since 1.1; extended (8-bit) tags are supported. */
    vpci_cfg_init_field(dev, cap + PCI_EXP_DEVCAP, 4,
                        cfg->max_payload | PCI_EXP_DEVCAP_EXT_TAG |
                            PCI_EXP_DEVCAP_RBER |
                            (cfg->flr ? PCI_EXP_DEVCAP_FLR : 0),
                        0, 0);
    uint16_t devctl_w =
        PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE |
        PCI_EXP_DEVCTL_URRE | PCI_EXP_DEVCTL_RELAX_EN |
        PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_EXT_TAG |
        PCI_EXP_DEVCTL_PHANTOM | PCI_EXP_DEVCTL_AUX_PME |
        PCI_EXP_DEVCTL_NOSNOOP_EN | PCI_EXP_DEVCTL_READRQ |
        (cfg->flr ? PCI_EXP_DEVCTL_BCR_FLR : 0);
    /* Defaults: relaxed ordering and no snoop on, 512-byte reads. */
    vpci_cfg_init_field(dev, cap + PCI_EXP_DEVCTL, 2,
                        PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_NOSNOOP_EN |
                            PCI_EXP_DEVCTL_READRQ_512B,
                        devctl_w, 0);
    vpci_cfg_init_field(dev, cap + PCI_EXP_DEVSTA, 2, 0, 0,
                        PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED |
                            PCI_EXP_DEVSTA_FED | PCI_EXP_DEVSTA_URD);

    if (t != VPCI_PCIE_RC_ENDPOINT)
        pcie_init_link(dev, cap, cfg);
    if (ds)
        pcie_init_slot(dev, cap, cfg);
    if (t == VPCI_PCIE_ROOT_PORT) {
        vpci_cfg_init_field(dev, cap + PCI_EXP_RTCTL, 2, 0,
                            PCI_EXP_RTCTL_SECEE | PCI_EXP_RTCTL_SENFEE |
                                PCI_EXP_RTCTL_SEFEE | PCI_EXP_RTCTL_PMEIE,
                            0);
        vpci_cfg_init_field(dev, cap + PCI_EXP_RTSTA, 4, 0, 0,
                            PCI_EXP_RTSTA_PME);
    }

    /* Device 2: requesters time out completions (ranges A and B, or
     * disabled); downstream ports forward ARI. */
    uint32_t devcap2 = ds ? PCI_EXP_DEVCAP2_ARI : 0;
    uint16_t devctl2_w = ds ? PCI_EXP_DEVCTL2_ARI : 0;
    if (requester) {
        devcap2 |= DEVCAP2_CTO_RANGES_AB | PCI_EXP_DEVCAP2_COMP_TMOUT_DIS;
        devctl2_w |= PCI_EXP_DEVCTL2_COMP_TIMEOUT |
                     PCI_EXP_DEVCTL2_COMP_TMOUT_DIS;
    }
    vpci_cfg_init_field(dev, cap + PCI_EXP_DEVCAP2, 4, devcap2, 0, 0);
    vpci_cfg_init_field(dev, cap + PCI_EXP_DEVCTL2, 2, 0, devctl2_w, 0);

    dev->pcie_cap = cap;
    if (out)
        *out = cap;
    return 0;
}

/*
 * Reset the function from inside a config write: vpci_dev_reset() starts
 * its @fx afresh, so collect its effects apart and append them to what the
 * write already reported.
 */
/* A 16-bit register as it was before the write of [off, off+len). */
static uint16_t old_word(const struct vpci_dev *dev, unsigned reg,
                         unsigned off, unsigned len, const uint8_t *old)
{
    uint8_t b[2];
    for (unsigned i = 0; i < 2; i++) {
        unsigned a = reg + i;
        b[i] = a >= off && a < off + len ? old[a - off] : dev->config[a];
    }
    return le_get16(b);
}

/*
 * Field @mask of 16-bit register @reg was just written: if its new value
 * fails @valid, put the old one back (the write is not accepted).
 */
static void keep_valid(struct vpci_dev *dev, unsigned reg, uint16_t mask,
                       bool valid, uint16_t was, const char *what)
{
    if (valid)
        return;
    uint16_t now = cfg_get16(dev, reg);
    vpci_log(dev, VPCI_LOG_WARN,
             "%s: value 0x%x is not supported: keeping 0x%x", what,
             (now & mask) >> __builtin_ctz(mask),
             (was & mask) >> __builtin_ctz(mask));
    le_put16(dev->config + reg, (uint16_t)((now & ~mask) | (was & mask)));
}

static bool cto_valid(unsigned v)
{
    return v == CTO_DEFAULT || v == CTO_A_LOW || v == CTO_A_HIGH ||
           v == CTO_B_LOW || v == CTO_B_HIGH;
}

void vpci_pcie_cfg_written(struct vpci_dev *dev, unsigned off, unsigned len,
                           const uint8_t *old, struct vpci_effects *fx)
{
    unsigned cap = dev->pcie_cap;
    if (!cap || !ranges_overlap(off, len, cap, PCIE_CAP_SIZEOF))
        return;

    unsigned reg = cap + PCI_EXP_DEVCTL;
    if (ranges_overlap(off, len, reg, 2)) {
        uint16_t was = old_word(dev, reg, off, len, old);
        uint16_t now = cfg_get16(dev, reg);
        unsigned mps_cap = cfg_get32(dev, cap + PCI_EXP_DEVCAP) &
                           PCI_EXP_DEVCAP_PAYLOAD;
        unsigned mps = (now & PCI_EXP_DEVCTL_PAYLOAD) >> DEVCTL_PAYLOAD_SHIFT;
        unsigned mrrs = (now & PCI_EXP_DEVCTL_READRQ) >> DEVCTL_READRQ_SHIFT;
        keep_valid(dev, reg, PCI_EXP_DEVCTL_PAYLOAD, mps <= mps_cap, was,
                   "DevCtl.Max_Payload_Size");
        keep_valid(dev, reg, PCI_EXP_DEVCTL_READRQ, mrrs <= SIZE_CODE_MAX, was,
                   "DevCtl.Max_Read_Request_Size");
        /* Initiate FLR: writable only when DevCap.FLR; always reads 0. */
        now = cfg_get16(dev, reg);
        if (now & PCI_EXP_DEVCTL_BCR_FLR) {
            le_put16(dev->config + reg, now & ~PCI_EXP_DEVCTL_BCR_FLR);
            if (dev->trace)
                vpci_log(dev, VPCI_LOG_TRACE, "function level reset");
            vpci_dev_do_reset(dev, VPCI_RESET_FLR, fx);
            struct vpci_effect e = { .type = VPCI_FX_FLR };
            vpci_fx_push(fx, &e);
            return;     /* every other register is back to reset */
        }
    }

    reg = cap + PCI_EXP_DEVCTL2;
    if (ranges_overlap(off, len, reg, 2)) {
        uint16_t now = cfg_get16(dev, reg);
        keep_valid(dev, reg, PCI_EXP_DEVCTL2_COMP_TIMEOUT,
                   cto_valid(now & PCI_EXP_DEVCTL2_COMP_TIMEOUT),
                   old_word(dev, reg, off, len, old),
                   "DevCtl2.Completion_Timeout_Value");
    }

    reg = cap + PCI_EXP_LNKCTL2;
    if (ranges_overlap(off, len, reg, 2) &&
        (dev->wmask[reg] & PCI_EXP_LNKCTL2_TLS)) {
        unsigned tls = cfg_get16(dev, reg) & PCI_EXP_LNKCTL2_TLS;
        uint32_t vector = cfg_get32(dev, cap + PCI_EXP_LNKCAP2);
        keep_valid(dev, reg, PCI_EXP_LNKCTL2_TLS,
                   tls && (vector & (1u << tls)),
                   old_word(dev, reg, off, len, old),
                   "LnkCtl2.Target_Link_Speed");
    }
}

/* ---- Advanced Error Reporting ---- */

int vpci_ecap_add_aer(struct vpci_dev *dev, unsigned offset, unsigned *out)
{
    int rc = vpci_require_init(dev, "vpci_ecap_add_aer");
    if (rc)
        return rc;
    if (dev->aer_cap) {
        vpci_log(dev, VPCI_LOG_ERROR, "AER capability: already at 0x%x",
                 dev->aer_cap);
        return -EEXIST;
    }
    if (!dev->pcie_cap) {
        /* The root-port registers depend on the Device/Port type. */
        vpci_log(dev, VPCI_LOG_ERROR,
                 "AER capability: add the PCI Express capability first");
        return -EINVAL;
    }
    unsigned aer;
    rc = vpci_ecap_add(dev, PCI_EXT_CAP_ID_ERR, AER_VERSION, offset,
                       PCI_ERR_SIZEOF, &aer);
    if (rc)
        return rc;

    vpci_cfg_init_field(dev, aer + PCI_ERR_UNCOR_STATUS, 4, 0, 0,
                        AER_UNC_SUPPORTED);
    vpci_cfg_init_field(dev, aer + PCI_ERR_UNCOR_MASK, 4, 0, AER_UNC_SUPPORTED,
                        0);
    vpci_cfg_init_field(dev, aer + PCI_ERR_UNCOR_SEVER, 4,
                        AER_UNC_SEVERITY_DEFAULT, AER_UNC_SUPPORTED, 0);
    vpci_cfg_init_field(dev, aer + PCI_ERR_COR_STATUS, 4, 0, 0,
                        AER_COR_SUPPORTED);
    vpci_cfg_init_field(dev, aer + PCI_ERR_COR_MASK, 4, AER_COR_MASK_DEFAULT,
                        AER_COR_SUPPORTED, 0);
    /* First Error Pointer RO; no ECRC generation or checking, so their
     * enables are hardwired to 0 (7.10.7).  Header Log RO. */
    vpci_cfg_init_field(dev, aer + PCI_ERR_CAP, 4, 0, 0, 0);

    uint16_t flags = cfg_get16(dev, dev->pcie_cap + PCI_EXP_FLAGS);
    if (((flags & PCI_EXP_FLAGS_TYPE) >> FLAGS_TYPE_SHIFT) ==
        VPCI_PCIE_ROOT_PORT) {
        vpci_cfg_init_field(dev, aer + PCI_ERR_ROOT_COMMAND, 4, 0,
                            AER_ROOT_CMD_MASK, 0);
        vpci_cfg_init_field(dev, aer + PCI_ERR_ROOT_STATUS, 4, 0, 0,
                            AER_ROOT_STATUS_W1C);
    }
    dev->aer_cap = aer;
    if (out)
        *out = aer;
    return 0;
}

/*
 * Record an error the function detected (PCIe 3.0 6.2.5 and figure 6-2):
 *  - AER (if present): the status bit, and for an unmasked uncorrectable
 *    error the First Error Pointer when the error it points at is no longer
 *    pending.  Masked errors still set their status bit;
 *  - PCIe Device Status (if present): CED, or NFED / FED by the severity
 *    (AER's Severity register, else the spec's default), plus URD for an
 *    Unsupported Request, regardless of masks and enables;
 *  - the legacy STATUS register of every function: Completer Abort sets
 *    Signaled Target Abort, Poisoned TLP sets Detected Parity Error, and an
 *    unmasked uncorrectable error with COMMAND.SERR set signals a system
 *    error (Signaled System Error).
 * No message is sent: libvpci has no upstream port to send it to.
 */
int vpci_err_report(struct vpci_dev *dev, bool uncorrectable, uint32_t bit)
{
    if (!dev)
        return -EINVAL;
    uint32_t known = uncorrectable ? AER_UNC_SUPPORTED : AER_COR_SUPPORTED;
    if (!is_pow2(bit) || !(bit & known)) {
        vpci_log(dev, VPCI_LOG_ERROR,
                 "vpci_err_report: 0x%08x is not one %s error bit", bit,
                 uncorrectable ? "PCI_ERR_UNC_*" : "PCI_ERR_COR_*");
        return -EINVAL;
    }
    bool masked = false;
    bool fatal = uncorrectable && (bit & AER_UNC_SEVERITY_DEFAULT);
    unsigned aer = dev->aer_cap;
    if (aer && uncorrectable) {
        uint32_t status = cfg_get32(dev, aer + PCI_ERR_UNCOR_STATUS);
        masked = cfg_get32(dev, aer + PCI_ERR_UNCOR_MASK) & bit;
        fatal = cfg_get32(dev, aer + PCI_ERR_UNCOR_SEVER) & bit;
        uint32_t errcap = cfg_get32(dev, aer + PCI_ERR_CAP);
        if (!masked && !(status & (1u << PCI_ERR_CAP_FEP(errcap))))
            le_put32(dev->config + aer + PCI_ERR_CAP,
                     (errcap & ~AER_FEP_MASK) | (uint32_t)__builtin_ctz(bit));
        le_put32(dev->config + aer + PCI_ERR_UNCOR_STATUS, status | bit);
    } else if (aer) {
        uint32_t status = cfg_get32(dev, aer + PCI_ERR_COR_STATUS);
        masked = cfg_get32(dev, aer + PCI_ERR_COR_MASK) & bit;
        le_put32(dev->config + aer + PCI_ERR_COR_STATUS, status | bit);
    }

    if (dev->pcie_cap) {
        unsigned reg = dev->pcie_cap + PCI_EXP_DEVSTA;
        uint16_t sta = cfg_get16(dev, reg);
        if (!uncorrectable)
            sta |= PCI_EXP_DEVSTA_CED;
        else
            sta |= fatal ? PCI_EXP_DEVSTA_FED : PCI_EXP_DEVSTA_NFED;
        if (uncorrectable && bit == PCI_ERR_UNC_UNSUP)
            sta |= PCI_EXP_DEVSTA_URD;
        le_put16(dev->config + reg, sta);
    }

    uint16_t status = cfg_get16(dev, PCI_STATUS);
    if (uncorrectable && bit == PCI_ERR_UNC_COMP_ABORT)
        status |= PCI_STATUS_SIG_TARGET_ABORT;
    if (uncorrectable && bit == PCI_ERR_UNC_POISON_TLP)
        status |= PCI_STATUS_DETECTED_PARITY;
    if (uncorrectable && !masked &&
        (cfg_get16(dev, PCI_COMMAND) & PCI_COMMAND_SERR))
        status |= PCI_STATUS_SIG_SYSTEM_ERROR;
    le_put16(dev->config + PCI_STATUS, status);

    if (dev->trace)
        vpci_log(dev, VPCI_LOG_TRACE, "%s error 0x%08x%s%s",
                 uncorrectable ? "uncorrectable" : "correctable", bit,
                 fatal ? " (fatal)" : "", masked ? " (masked)" : "");
    return 0;
}
