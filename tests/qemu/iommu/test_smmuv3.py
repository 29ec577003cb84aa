#!/usr/bin/env python3
"""DMA through QEMU's SMMUv3 on the arm virt machine, under qtest.

No guest code runs under qtest, so this script plays Linux's arm-smmu-v3
driver: it reads SMMU_IDR0/IDR1/IDR5, puts a linear stream table, a
command queue and an event queue in guest RAM, programs CR1/CR2,
STRTAB_BASE(_CFG) and the queue bases, enables CMDQEN, EVENTQEN and SMMUEN
through CR0 (each waited for in CR0ACK), then writes the stream table
entry of the device's stream id (its requester id on virt's pcie.0) for
stage-1 translation through a context descriptor and AArch64 4 KiB-granule
page tables it builds, invalidates through the command queue (CMD_CFGI_*,
CMD_TLBI_*, CMD_SYNC, waiting for CMDQ_CONS) and makes the device DMA:

  1. a translated copy, device read and device write, which must land on
     the physical pages the tables name and not at physical == IOVA;
  2. faults: a device write and a device read of an unmapped IOVA, and a
     device write of a read-only mapping; each must put event records
     (F_TRANSLATION / F_PERMISSION, the stream id, the IOVA, RnW) in the
     event queue and leave RAM untouched, and the device must see the
     failure; the event queue interrupt reaches the GIC;
  3. stream table entries: a bypass STE (physical == IOVA), an abort STE
     (the DMA fails, nothing is recorded) and an invalid one (C_BAD_STE).

The edu sequence runs on QEMU's own edu and on libvpci's vpci-edu (the
adapter), and everything each observes is compared, except one documented
difference (a write that runs past a faulting page: QEMU's edu goes on,
the model stops); vpci-dma-engine runs its own sequence.  The device-side
sequences are iommu_dma.py's, shared with test_intel_iommu.py.  Every
check prints "PASS name" or "FAIL name: why".  Exit 0 if all pass, 1 if
one fails, 77 if there is no QEMU (unless VPCI_REQUIRE_QEMU=1).  See
README.md here.

References: "Arm System Memory Management Unit Architecture
Specification, SMMU architecture version 3" (Arm IHI 0070), cited as
"SMMUv3" with its section names; the Arm ARM's "VMSAv8-64 translation
table format descriptors" for the page tables; QEMU 7.2's hw/arm/smmuv3.c,
smmuv3-internal.h, smmu-common.c and virt.c for what QEMU implements.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))          # tests/qemu
import qemulib                                     # noqa: E402
from qemulib import Checks, Qemu                   # noqa: E402
from qtestgen import VIRT                          # noqa: E402
import iommu_dma                                   # noqa: E402
from iommu_dma import (PAGE, Run, compare, DECOY, GUARD,  # noqa: E402
                       LEN, RO_FILL)

# ====================================================================
# The SMMU on QEMU's virt (hw/arm/virt.c)
# ====================================================================

SMMU_BASE = 0x09050000          # memmap[VIRT_SMMU]: 0x09050000, 128 KiB
SMMU_PAGE1 = 0x10000            # SMMUv3 "Register overview": page 1
# irqmap[VIRT_SMMU]: SPIs 74..77 are eventq, priq, cmdq-sync, gerror
# (edge).  QEMU's GICv2 numbers its inputs by SPI, so the event queue
# interrupt is GIC input 74.
EVENTQ_SPI = 74
GERROR_SPI = 77
# virt's GICv2 has no name of its own (see tests/qtest/models/*.py,
# INTX_INTERCEPT): device[0] is the CPU.
GIC_PATH = "/machine/unattached/device[1]"

# ====================================================================
# Registers (SMMUv3 "Register formats"; offsets in page 0 unless noted)
# ====================================================================

IDR0 = 0x00
IDR1 = 0x04
IDR5 = 0x14
AIDR = 0x1c                     # architecture revision (0x1: SMMUv3.1)
CR0 = 0x20
CR0ACK = 0x24
CR1 = 0x28
CR2 = 0x2c
IRQ_CTRL = 0x50
IRQ_CTRLACK = 0x54
GERROR = 0x60
GERRORN = 0x64
STRTAB_BASE = 0x80              # 64-bit
STRTAB_BASE_CFG = 0x88
CMDQ_BASE = 0x90                # 64-bit
CMDQ_PROD = 0x98
CMDQ_CONS = 0x9c
EVENTQ_BASE = 0xa0              # 64-bit
# The event queue's indexes live in page 1 (SMMUv3 "SMMU_EVENTQ_PROD",
# "SMMU_EVENTQ_CONS"), as Linux uses them; QEMU aliases page 0 and 1.
EVENTQ_PROD = SMMU_PAGE1 + 0xa8
EVENTQ_CONS = SMMU_PAGE1 + 0xac


def field(value, lo, width):
    return (value >> lo) & ((1 << width) - 1)


# SMMU_IDR0
IDR0_S2P = 1 << 0               # stage 2 translation
IDR0_S1P = 1 << 1               # stage 1 translation
IDR0_TTF_SHIFT, IDR0_TTF_BITS = 2, 2      # table formats
TTF_AARCH64 = 0x2               # bit 1 of TTF: AArch64 tables
IDR0_MSI = 1 << 13              # MSIs for queues and GERROR
IDR0_STALL_SHIFT, IDR0_STALL_BITS = 24, 2  # STALL_MODEL
IDR0_TERM_MODEL = 1 << 26       # 1: faulting transactions always abort
IDR0_ST_LEVEL_SHIFT, IDR0_ST_LEVEL_BITS = 27, 2
# SMMU_IDR1
IDR1_SIDSIZE_SHIFT, IDR1_SIDSIZE_BITS = 0, 6
IDR1_EVENTQS_SHIFT, IDR1_EVENTQS_BITS = 16, 5
IDR1_CMDQS_SHIFT, IDR1_CMDQS_BITS = 21, 5
# SMMU_IDR5
IDR5_OAS_SHIFT, IDR5_OAS_BITS = 0, 3
IDR5_GRAN4K = 1 << 4
OAS_BITS = {0: 32, 1: 36, 2: 40, 3: 42, 4: 44, 5: 48, 6: 52}

# SMMU_CR0 (acknowledged in CR0ACK)
CR0_SMMUEN = 1 << 0
CR0_EVENTQEN = 1 << 2
CR0_CMDQEN = 1 << 3
# SMMU_CR1: cacheability and shareability of the SMMU's own accesses to
# tables and queues, as Linux sets them (write-back, inner shareable)
CR1_QUEUE_IC_SHIFT, CR1_QUEUE_OC_SHIFT, CR1_QUEUE_SH_SHIFT = 0, 2, 4
CR1_TABLE_IC_SHIFT, CR1_TABLE_OC_SHIFT, CR1_TABLE_SH_SHIFT = 6, 8, 10
CACHE_WB = 0x1                  # Normal, Write-Back cacheable
SH_ISH = 0x3                    # Inner Shareable
CR1_VALUE = (CACHE_WB << CR1_QUEUE_IC_SHIFT | CACHE_WB << CR1_QUEUE_OC_SHIFT |
             SH_ISH << CR1_QUEUE_SH_SHIFT | CACHE_WB << CR1_TABLE_IC_SHIFT |
             CACHE_WB << CR1_TABLE_OC_SHIFT | SH_ISH << CR1_TABLE_SH_SHIFT)
# SMMU_CR2: record C_BAD_STREAMID for stream ids outside the table
# (RECINVSID) and do not take part in broadcast TLB maintenance (PTM):
# Linux's setting.
CR2_RECINVSID = 1 << 1
CR2_PTM = 1 << 2
# SMMU_IRQ_CTRL (acknowledged in IRQ_CTRLACK)
IRQ_CTRL_GERROR_IRQEN = 1 << 0
IRQ_CTRL_EVENTQ_IRQEN = 1 << 2
# SMMU_GERROR: global errors, each active while its bit differs from
# GERRORN's (CMDQ_ERR, EVENTQ_ABT_ERR: QEMU's answer to a full event queue)

# SMMU_STRTAB_BASE, SMMU_STRTAB_BASE_CFG
STRTAB_BASE_RA = 1 << 62        # read-allocate hint
STRTAB_CFG_FMT_LINEAR = 0 << 16
STRTAB_CFG_LOG2SIZE_SHIFT = 0
# SMMU_CMDQ_BASE / SMMU_EVENTQ_BASE: ADDR, LOG2SIZE in bits 4:0
Q_BASE_RA_WA = 1 << 62          # CMDQ: read-allocate; EVENTQ: write-alloc
# SMMU_CMDQ_CONS.ERR: why the command queue stopped (0: CERROR_NONE)
CMDQ_CONS_ERR_SHIFT, CMDQ_CONS_ERR_BITS = 24, 7
# SMMU_EVENTQ_PROD.OVFLG: events were lost because the queue was full
EVENTQ_PROD_OVFLG = 1 << 31

# ====================================================================
# Commands (SMMUv3 "Commands": 16 bytes; opcode in bits 7:0)
# ====================================================================

CMD_SIZE = 16
CMD_CFGI_STE = 0x03             # SID in 63:32, Leaf in bit 64
CMD_CFGI_STE_RANGE = 0x04       # Range 31 in bits 68:64: CMD_CFGI_ALL
CFGI_ALL_RANGE = 31
CMD_CFGI_CD = 0x05              # SSID in 31:12, SID in 63:32, Leaf
CMD_TLBI_NH_ASID = 0x11         # ASID in 63:48
CMD_TLBI_NSNH_ALL = 0x30        # every non-secure, non-Hyp TLB entry
CMD_SYNC = 0x46                 # CS in 13:12; SIG_NONE: poll CMDQ_CONS
CMD_SYNC_CS_SIG_NONE = 0 << 12
CMD_SSID_SHIFT = 12             # SubstreamID: bits 31:12
CMD_SID_SHIFT = 32              # StreamID: bits 63:32
CMD_ASID_SHIFT = 48             # ASID: bits 63:48
CMD_LEAF = 1 << 0               # dword 1: only leaf entries changed


def cmd_cfgi_ste(sid):
    return (CMD_CFGI_STE | sid << CMD_SID_SHIFT, CMD_LEAF)


def cmd_cfgi_all():
    return (CMD_CFGI_STE_RANGE, CFGI_ALL_RANGE)


def cmd_cfgi_cd(sid, ssid=0):
    return (CMD_CFGI_CD | ssid << CMD_SSID_SHIFT | sid << CMD_SID_SHIFT,
            CMD_LEAF)


def cmd_tlbi_nh_asid(asid):
    return (CMD_TLBI_NH_ASID | asid << CMD_ASID_SHIFT, 0)


def cmd_tlbi_nsnh_all():
    return (CMD_TLBI_NSNH_ALL, 0)


def cmd_sync():
    return (CMD_SYNC | CMD_SYNC_CS_SIG_NONE, 0)


# ====================================================================
# Event records (SMMUv3 "Event records": 32 bytes)
# ====================================================================

EVT_SIZE = 32
F_TRANSLATION = 0x10            # no valid translation for the address
F_PERMISSION = 0x13             # the translation forbids the access
C_BAD_STE = 0x04                # the STE is invalid (V == 0 or illegal)
EVENT_NAMES = {0x01: "F_UUT", 0x02: "C_BAD_STREAMID", 0x03: "F_STE_FETCH",
               C_BAD_STE: "C_BAD_STE", 0x06: "F_STREAM_DISABLED",
               0x07: "F_TRANSL_FORBIDDEN", 0x09: "F_CD_FETCH",
               0x0a: "C_BAD_CD", 0x0b: "F_WALK_EABT",
               F_TRANSLATION: "F_TRANSLATION", 0x11: "F_ADDR_SIZE",
               0x12: "F_ACCESS", F_PERMISSION: "F_PERMISSION"}
# Fields of the F_TRANSLATION/F_PERMISSION layout, as bit offsets in the
# record (the type, SSV and StreamID fields are common to all events)
EVT_TYPE_BITS = 8               # Type: 7:0
EVT_SSV = 11                    # SubstreamID valid
EVT_SID, EVT_SID_BITS = 32, 32  # StreamID: 63:32
EVT_RNW = 99                    # 1: the access was a read
EVT_INPUTADDR = 128             # InputAddr: 191:128
ADDR_MASK = (1 << 64) - 1


def event_record(etype, sid, rnw=0, addr=0):
    """The 32 bytes QEMU 7.2 writes for an event: for the stage-1 faults
    Type, StreamID, RnW and InputAddr, the rest zero (stall, STAG, PnU,
    InD, S2, CLASS and IPA: nothing to report at stage 1 without stalls);
    for C_BAD_STE Type and StreamID."""
    v = etype | sid << EVT_SID | rnw << EVT_RNW | addr << EVT_INPUTADDR
    return v.to_bytes(EVT_SIZE, "little")


def event_decode(raw):
    v = int.from_bytes(raw, "little")
    return {"type": v & ((1 << EVT_TYPE_BITS) - 1),
            "ssv": (v >> EVT_SSV) & 1,
            "sid": (v >> EVT_SID) & ((1 << EVT_SID_BITS) - 1),
            "rnw": (v >> EVT_RNW) & 1,
            "addr": (v >> EVT_INPUTADDR) & ADDR_MASK}


def event_text(raw):
    e = event_decode(raw)
    text = (f"{EVENT_NAMES.get(e['type'], hex(e['type']))} "
            f"StreamID 0x{e['sid']:x} SSV {e['ssv']}")
    if e["type"] in (F_TRANSLATION, F_PERMISSION):
        text += (f" RnW {e['rnw']} ({'read' if e['rnw'] else 'write'}) "
                 f"InputAddr 0x{e['addr']:x}")
    return text


# ====================================================================
# Stream table entry (SMMUv3 "Stream Table Entry": 64 bytes) and context
# descriptor (SMMUv3 "Context Descriptor": 64 bytes)
# ====================================================================

STE_SIZE = 64
STE_DWORD = 8                   # STEs are written and read as dwords
STE_V = 1 << 0
STE_CONFIG_SHIFT = 1            # Config, bits 3:1
STE_CFG_ABORT = 0b000           # terminate every transaction, no event
STE_CFG_BYPASS = 0b100          # stage 1 and 2 bypass
STE_CFG_S1_TRANS = 0b101        # stage 1 translates, stage 2 bypass
STE_S1FMT_LINEAR = 0 << 4       # one CD (S1CDMax 0): S1ContextPtr -> CD
STE_S1CTXPTR_MASK = ((1 << 52) - 1) & ~0x3f     # bits 51:6
# dword 1: how the SMMU reads CDs (S1CIR/S1COR write-back
# read-allocate, S1CSH inner shareable: Linux's setting), STRW 0 (EL1),
# SHCFG "use incoming" for bypass
STE1_S1CIR_SHIFT, STE1_S1COR_SHIFT, STE1_S1CSH_SHIFT = 2, 4, 6
CACHE_WBRA = 0x1
STE1_SHCFG_INCOMING = 0x1 << 44  # SHCFG, bits 45:44: 0b01 use incoming

CD_SIZE = 64
CD_T0SZ_SHIFT = 0               # input size 64 - T0SZ
CD_TG0_4K = 0b00 << 6           # TTB0 granule (TG0 encoding: 00 = 4 KiB)
CD_IR0_SHIFT, CD_OR0_SHIFT, CD_SH0_SHIFT = 8, 10, 12    # walk attributes
CD_EPD1 = 1 << 30               # no TTB1 walks: IOVAs are all TTB0's
CD_V = 1 << 31
CD_IPS_SHIFT = 32               # output size, IDR5.OAS encoding
CD_AA64 = 1 << 41               # AArch64 tables
CD_R = 1 << 45                  # record faults (events) for this context
CD_A = 1 << 46                  # abort faulting transactions: a must
                                # with IDR0.TERM_MODEL 1 (QEMU: C_BAD_CD)
CD_ASET = 1 << 47               # ASID not shared with a PE's (no DVM)
CD_ASID_SHIFT = 48
CD_TTB0_OFF = 8                 # dword 1: TTB0
CD_TTB0_MASK = ((1 << 52) - 1) & ~0xf           # bits 51:4
CD_MAIR_OFF = 24                # dword 3: MAIR
# MAIR: attribute 0 Normal memory, inner and outer write-back
# non-transient read/write-allocate; attribute 1 Device-nGnRE
MAIR_ATTR_NORMAL_WB = 0xff
MAIR_ATTR_DEVICE_NGNRE = 0x04
MAIR_ATTR_BITS = 8              # attribute n in bits 8n+7:8n
MAIR_VALUE = MAIR_ATTR_NORMAL_WB | MAIR_ATTR_DEVICE_NGNRE << MAIR_ATTR_BITS
ATTRIDX_NORMAL = 0

# ====================================================================
# Page tables: VMSAv8-64, 4 KiB granule, stage 1
# ====================================================================

GRANULE_SHIFT = 12
LEVEL_BITS = 9                  # 512 entries of 8 bytes per table
DESC_SIZE = 8
T0SZ = 25                       # 39-bit IOVAs: walks start at level 1
# The Arm ARM's start level: each level resolves GRANULE_SHIFT - 3 bits
START_LEVEL = 4 - ((64 - T0SZ) - 4) // (GRANULE_SHIFT - 3)
DESC_VALID = 1 << 0
DESC_TABLE = 1 << 1             # levels 0-2: table; level 3: page (0b11)
DESC_PAGE = DESC_VALID | DESC_TABLE
DESC_ATTRIDX_SHIFT = 2
DESC_AP_EL0 = 1 << 6            # AP[1]: EL0 (unprivileged) access too
DESC_AP_RDONLY = 1 << 7         # AP[2]: read-only
DESC_SH_ISH = SH_ISH << 8
DESC_AF = 1 << 10               # access flag: set, or the access faults
DESC_NG = 1 << 11               # not global: tagged with the ASID
DESC_ADDR_MASK = ((1 << 48) - 1) & ~((1 << GRANULE_SHIFT) - 1)


def page_desc(phys, writable):
    """A level-3 page descriptor as Linux's io-pgtable writes one for a
    device mapping: unprivileged access, read-only without IOMMU_WRITE."""
    return (phys | DESC_PAGE | ATTRIDX_NORMAL << DESC_ATTRIDX_SHIFT |
            DESC_AP_EL0 | (0 if writable else DESC_AP_RDONLY) |
            DESC_SH_ISH | DESC_AF | DESC_NG)


def table_desc(table):
    return table | DESC_VALID | DESC_TABLE


def ste_bytes(dwords):
    """An STE's 64 bytes from its first dwords (the rest zero)."""
    return b"".join(d.to_bytes(STE_DWORD, "little")
                    for d in dwords).ljust(STE_SIZE, b"\0")


class SmmuDriver:
    """The guest's arm-smmu-v3 driver, reduced to what the test needs."""

    CMDQ_LOG2 = 8               # 256 commands (4 KiB)
    # QEMU records one event per 4-byte piece of a faulting access (see
    # README.md), so a 2 KiB faulting write makes 512: 1024 entries hold
    # every event of a scenario.
    EVENTQ_LOG2 = 10
    STRTAB_LOG2 = 8             # stream ids 0-255: bus 0

    def __init__(self, q, tables):
        self.q = q
        self.next_free = tables
        self.cmdq_prod = 0
        self.eventq_cons = 0

    def rd32(self, off): return self.q.readl(SMMU_BASE + off)
    def rd64(self, off): return self.q.readq(SMMU_BASE + off)
    def wr32(self, off, v): self.q.writel(SMMU_BASE + off, v)
    def wr64(self, off, v): self.q.writeq(SMMU_BASE + off, v)

    def alloc(self, size):
        """Zeroed RAM aligned to its size (the stream table and the
        queues must be; pages are anyway)."""
        size = max(size, PAGE)
        addr = (self.next_free + size - 1) & ~(size - 1)
        self.next_free = addr + size
        self.q.memset(addr, size, 0)
        return addr

    # -- probe -------------------------------------------------------------
    def probe(self):
        """What the driver needs of the ID registers; returns the list of
        features it needs but did not find (empty: usable)."""
        self.idr0 = self.rd32(IDR0)
        self.idr1 = self.rd32(IDR1)
        self.idr5 = self.rd32(IDR5)
        self.aidr = self.rd32(AIDR)
        self.sidsize = field(self.idr1, IDR1_SIDSIZE_SHIFT, IDR1_SIDSIZE_BITS)
        self.cmdqs = field(self.idr1, IDR1_CMDQS_SHIFT, IDR1_CMDQS_BITS)
        self.eventqs = field(self.idr1, IDR1_EVENTQS_SHIFT, IDR1_EVENTQS_BITS)
        self.oas = field(self.idr5, IDR5_OAS_SHIFT, IDR5_OAS_BITS)
        missing = []
        if not self.idr0 & IDR0_S1P:
            missing.append("IDR0.S1P")
        if not field(self.idr0, IDR0_TTF_SHIFT, IDR0_TTF_BITS) & TTF_AARCH64:
            missing.append("IDR0.TTF AArch64")
        if not self.idr5 & IDR5_GRAN4K:
            missing.append("IDR5.GRAN4K")
        if self.sidsize < self.STRTAB_LOG2:
            missing.append(f"IDR1.SIDSIZE >= {self.STRTAB_LOG2}")
        if self.cmdqs < self.CMDQ_LOG2 or self.eventqs < self.EVENTQ_LOG2:
            missing.append("IDR1.CMDQS/EVENTQS")
        self.cmdq_log2 = min(self.cmdqs, self.CMDQ_LOG2)
        self.eventq_log2 = min(self.eventqs, self.EVENTQ_LOG2)
        return missing

    def describe(self):
        return (f"IDR0 0x{self.idr0:08x} IDR1 0x{self.idr1:08x} IDR5 "
                f"0x{self.idr5:08x} AIDR 0x{self.aidr:x}: stage 1 "
                f"{int(bool(self.idr0 & IDR0_S1P))}, stage 2 "
                f"{int(bool(self.idr0 & IDR0_S2P))}, MSI "
                f"{int(bool(self.idr0 & IDR0_MSI))}, ST_LEVEL "
                f"{field(self.idr0, IDR0_ST_LEVEL_SHIFT, IDR0_ST_LEVEL_BITS)}"
                f", STALL_MODEL "
                f"{field(self.idr0, IDR0_STALL_SHIFT, IDR0_STALL_BITS)}, "
                f"TERM_MODEL {int(bool(self.idr0 & IDR0_TERM_MODEL))}, "
                f"SIDSIZE {self.sidsize}, CMDQS {self.cmdqs}, EVENTQS "
                f"{self.eventqs}, OAS {OAS_BITS.get(self.oas)} bits")

    # -- structures in RAM -------------------------------------------------
    def build(self):
        """A linear stream table whose every STE aborts (Linux's choice
        for stream ids without a device when bypass is disabled), the
        two queues, the CD and the top-level page table."""
        n = 1 << self.STRTAB_LOG2
        self.strtab = self.alloc(n * STE_SIZE)
        self.q.memwrite(self.strtab, ste_bytes(self.ste_abort()) * n)
        self.cmdq = self.alloc((1 << self.cmdq_log2) * CMD_SIZE)
        self.eventq = self.alloc((1 << self.eventq_log2) * EVT_SIZE)
        self.cd = self.alloc(CD_SIZE)
        self.ttb0 = self.alloc(PAGE)

    def write_ste(self, sid, dwords):
        """Dwords 1-7 first, dword 0 (V, Config) last, as a driver must
        so that the SMMU never sees half an entry."""
        addr = self.strtab + sid * STE_SIZE
        rest = ste_bytes(dwords)[STE_DWORD:]
        self.q.memwrite(addr + STE_DWORD, rest)
        self.q.writeq(addr, dwords[0])

    def ste_abort(self):
        return [STE_V | STE_CFG_ABORT << STE_CONFIG_SHIFT]

    def ste_bypass(self):
        return [STE_V | STE_CFG_BYPASS << STE_CONFIG_SHIFT,
                STE1_SHCFG_INCOMING]

    def ste_invalid(self):
        return [0]

    def ste_s1(self):
        """Stage 1 through the one CD (S1Fmt linear, S1CDMax 0)."""
        return [STE_V | STE_CFG_S1_TRANS << STE_CONFIG_SHIFT |
                STE_S1FMT_LINEAR | (self.cd & STE_S1CTXPTR_MASK),
                CACHE_WBRA << STE1_S1CIR_SHIFT |
                CACHE_WBRA << STE1_S1COR_SHIFT | SH_ISH << STE1_S1CSH_SHIFT]

    def write_cd(self, asid):
        """TCR fields (T0SZ 25: 39-bit IOVAs, 4 KiB granule, write-back
        inner-shareable walks, no TTB1, IPS = IDR5.OAS), AArch64, record
        faults, abort on fault, the ASID, TTB0 and MAIR.  V in the same
        dword as the TCR, written last."""
        cd0 = (T0SZ << CD_T0SZ_SHIFT | CD_TG0_4K |
               CACHE_WB << CD_IR0_SHIFT | CACHE_WB << CD_OR0_SHIFT |
               SH_ISH << CD_SH0_SHIFT | CD_EPD1 | CD_V |
               self.oas << CD_IPS_SHIFT | CD_AA64 | CD_R | CD_A | CD_ASET |
               asid << CD_ASID_SHIFT)
        self.q.writeq(self.cd + CD_TTB0_OFF, self.ttb0 & CD_TTB0_MASK)
        self.q.writeq(self.cd + CD_MAIR_OFF, MAIR_VALUE)
        self.q.writeq(self.cd, cd0)

    def map(self, iova, phys, writable):
        """Map one 4 KiB IOVA page; intermediate tables on demand."""
        table = self.ttb0
        for level in range(START_LEVEL, 3):
            shift = GRANULE_SHIFT + LEVEL_BITS * (3 - level)
            index = (iova >> shift) & ((1 << LEVEL_BITS) - 1)
            slot = table + index * DESC_SIZE
            desc = self.q.readq(slot)
            if not desc & DESC_VALID:
                desc = table_desc(self.alloc(PAGE))
                self.q.writeq(slot, desc)
            table = desc & DESC_ADDR_MASK
        index = (iova >> GRANULE_SHIFT) & ((1 << LEVEL_BITS) - 1)
        slot = table + index * DESC_SIZE
        self.q.writeq(slot, page_desc(phys, writable))

    # -- enabling ----------------------------------------------------------
    def wait(self, what, read, done):
        return iommu_dma.poll(f"SMMUv3: {what}", read, done)

    def write_cr0(self, value):
        """CR0, then CR0ACK until it shows the same bits (SMMUv3
        "SMMU_CR0ACK": an update is complete once acknowledged)."""
        self.wr32(CR0, value)
        return self.wait(f"CR0 0x{value:x}", lambda: self.rd32(CR0ACK),
                         lambda v: v == value)

    def reset(self):
        """Linux's arm_smmu_device_reset() order: off, CR1/CR2, stream
        table, command queue on, invalidate all cached configuration and
        TLB entries, event queue on, then SMMUEN.  The interrupts stay off
        (IRQ_CTRL 0) until check_fault_event()."""
        self.write_cr0(0)
        self.wr32(CR1, CR1_VALUE)
        self.wr32(CR2, CR2_PTM | CR2_RECINVSID)
        self.wr64(STRTAB_BASE, STRTAB_BASE_RA | self.strtab)
        self.wr32(STRTAB_BASE_CFG, STRTAB_CFG_FMT_LINEAR |
                  self.STRTAB_LOG2 << STRTAB_CFG_LOG2SIZE_SHIFT)
        self.wr64(CMDQ_BASE, Q_BASE_RA_WA | self.cmdq | self.cmdq_log2)
        self.wr32(CMDQ_PROD, 0)
        self.wr32(CMDQ_CONS, 0)
        self.write_cr0(CR0_CMDQEN)
        self.submit([cmd_cfgi_all(), cmd_sync(), cmd_tlbi_nsnh_all(),
                     cmd_sync()])
        self.wr64(EVENTQ_BASE, Q_BASE_RA_WA | self.eventq | self.eventq_log2)
        self.wr32(EVENTQ_PROD, 0)
        self.wr32(EVENTQ_CONS, 0)
        self.write_cr0(CR0_CMDQEN | CR0_EVENTQEN)
        self.wr32(IRQ_CTRL, 0)
        self.wait("IRQ_CTRL 0", lambda: self.rd32(IRQ_CTRLACK),
                  lambda v: v == 0)
        return self.write_cr0(CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN)

    def set_irq_ctrl(self, value):
        self.wr32(IRQ_CTRL, value)
        return self.wait(f"IRQ_CTRL 0x{value:x}",
                         lambda: self.rd32(IRQ_CTRLACK),
                         lambda v: v == value)

    # -- command queue ------------------------------------------------------
    def q_inc(self, index, log2):
        """The next queue index: the entry number in bits log2-1:0 and
        the wrap bit above it (SMMUv3 "SMMU circular queues")."""
        return (index + 1) & ((1 << (log2 + 1)) - 1)

    def submit(self, cmds):
        """Write the commands at PROD, publish PROD, wait until CONS has
        caught up (the last command is a CMD_SYNC, so everything before
        it is done).  Returns CMDQ_CONS."""
        for dw0, dw1 in cmds:
            slot = self.cmdq_prod & ((1 << self.cmdq_log2) - 1)
            self.q.memwrite(self.cmdq + slot * CMD_SIZE,
                            dw0.to_bytes(8, "little") +
                            dw1.to_bytes(8, "little"))
            self.cmdq_prod = self.q_inc(self.cmdq_prod, self.cmdq_log2)
        self.wr32(CMDQ_PROD, self.cmdq_prod)
        mask = (1 << (self.cmdq_log2 + 1)) - 1
        return self.wait("command queue", lambda: self.rd32(CMDQ_CONS),
                         lambda v: (v & mask) == self.cmdq_prod or
                         field(v, CMDQ_CONS_ERR_SHIFT, CMDQ_CONS_ERR_BITS))

    # -- event queue ----------------------------------------------------------
    def take_events(self):
        """The records between CONS and PROD, consumed (CONS = PROD), and
        PROD as read."""
        prod = self.rd32(EVENTQ_PROD)
        mask = (1 << (self.eventq_log2 + 1)) - 1
        out = []
        cons = self.eventq_cons
        while cons != prod & mask:
            slot = cons & ((1 << self.eventq_log2) - 1)
            out.append(self.q.memread(self.eventq + slot * EVT_SIZE,
                                      EVT_SIZE))
            cons = self.q_inc(cons, self.eventq_log2)
        self.eventq_cons = cons
        self.wr32(EVENTQ_CONS, cons)
        return out, prod

    # -- attaching the device ------------------------------------------------
    def attach_s1(self, sid, asid):
        """The CD, then the STE; CFGI_CD/CFGI_STE, TLBI for the ASID,
        CMD_SYNC."""
        self.write_cd(asid)
        self.write_ste(sid, self.ste_s1())
        return self.submit([cmd_cfgi_cd(sid), cmd_cfgi_ste(sid),
                            cmd_tlbi_nh_asid(asid), cmd_sync()])

    def set_ste(self, sid, dwords):
        self.write_ste(sid, dwords)
        return self.submit([cmd_cfgi_ste(sid), cmd_sync()])


# ====================================================================
# Guest memory plan (virt: RAM from 0x40000000, 128 MiB; QEMU puts the
# DTB at its start, so everything is from qtestgen's VIRT.ram on): the
# SMMU's tables and queues from VIRT.ram, the IOVA window 16 MiB above it
# and its physical pages 16 MiB further.  The IOVAs are in RAM so that
# decoys can sit at physical == IOVA (below RAM is flash), which puts them
# above edu's default 28-bit DMA mask.
# ====================================================================

PLAN = iommu_dma.Plan(tables=VIRT.ram, iova=VIRT.ram + 0x1000000,
                      phys=VIRT.ram + 0x2000000)
BUS, DEVFN = 0, 0x08            # 00:01.0 on pcie.0
# The stream id is the requester id: virt's iommu-map is the identity.
SID = BUS << 8 | DEVFN
ASID = 1
# edu's default DMA mask is 28 bits: both edus get 32 bits, as the virt
# qtest scripts give them (tests/qtest/make-scripts.py, EDU_VIRT_DMA_PROPS).
EDU_PROPS = "dma_mask=0xffffffff"


def start_qemu(binary, device):
    # No QMP: the interrupt is seen at the GIC through qtest.
    return Qemu(binary, ["-machine", "virt,iommu=smmuv3",
                         "-device", f"{device},addr=01.0"])


def setup_iommu(q, run):
    """Probe, tables and queues, the reset sequence, the device's STE and
    CD: a driver's order.  Returns the driver."""
    # The event queue interrupt is watched from the start, so that the
    # faults before IRQ_CTRL.EVENTQ_IRQEN can be seen to send none.
    q.ok(f"irq_intercept_in {GIC_PATH}")
    d = SmmuDriver(q, PLAN.tables)
    missing = d.probe()
    run.info(d.describe())
    run.equal("SMMUv3: IDR0/1/5 offer what the driver needs", missing, [])
    run.equal("SMMUv3: CR0 at reset (SMMU off)", d.rd32(CR0), 0)
    d.build()
    for page, (phys, writable) in PLAN.mapping.items():
        d.map(PLAN.iova + page * PAGE, phys, writable)
    run.info("mapped " + PLAN.describe())
    ack = d.reset()
    run.equal("SMMUv3: CR0ACK (CMDQEN, EVENTQEN, SMMUEN)", ack,
              CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN)
    run.equal("SMMUv3: STRTAB_BASE read back", d.rd64(STRTAB_BASE),
              STRTAB_BASE_RA | d.strtab)
    run.equal("SMMUv3: STRTAB_BASE_CFG read back (linear, 256 STEs)",
              d.rd32(STRTAB_BASE_CFG), STRTAB_CFG_FMT_LINEAR |
              d.STRTAB_LOG2 << STRTAB_CFG_LOG2SIZE_SHIFT)
    # CFGI_ALL, SYNC, TLBI_NSNH_ALL, SYNC all consumed, ERR 0 (CERROR_NONE)
    run.equal("SMMUv3: CMDQ_CONS after the reset's commands (= PROD, ERR 0)",
              d.rd32(CMDQ_CONS), d.cmdq_prod)
    cons = d.attach_s1(SID, ASID)
    run.info(f"STE 0x{d.strtab + SID * STE_SIZE:x} (stream id 0x{SID:x}) "
             f"-> CD 0x{d.cd:x} (ASID {ASID}, T0SZ {T0SZ}, level "
             f"{START_LEVEL} table 0x{d.ttb0:x}); event queue 0x{d.eventq:x}"
             f" ({1 << d.eventq_log2} entries)")
    run.equal("SMMUv3: CMDQ_CONS after CFGI_CD, CFGI_STE, TLBI_NH_ASID, "
              "SYNC (= PROD, ERR 0)", cons, d.cmdq_prod)
    run.equal("SMMUv3: GERROR after enabling", d.rd32(GERROR), 0)
    run.equal("SMMUv3: no event after enabling", len(d.take_events()[0]), 0)
    return d


# QEMU 7.2 moves a DMA whose translation fails in 4-byte pieces (physmem.c:
# the failure sends the rest to io_mem_unassigned, whose largest access
# is 4 bytes) and translates each piece again, so every 4 bytes of a
# faulting access record an event of their own.
FAULT_PIECE = 4


class SmmuChecks:
    """The IOMMU side of iommu_dma's sequences and of the STE scenarios:
    the event queue, GERROR and the event queue interrupt."""

    def __init__(self, q, d):
        self.q, self.d = q, d

    def events(self, run, name, want):
        """The records the last DMA put in the event queue must be WANT,
        nothing lost (no overflow, no event queue abort in GERROR)."""
        got, prod = self.d.take_events()
        if got:
            run.info(f"{name}: {len(got)} events, first {event_text(got[0])}"
                     f", last {event_text(got[-1])}")
        run.equal(f"{name}: events recorded", len(got), len(want))
        if want:
            first = event_decode(got[0]) if got else {}
            w = event_decode(want[0])
            run.equal(f"{name}: event type {EVENT_NAMES[w['type']]}",
                      first.get("type"), w["type"])
            run.equal(f"{name}: event StreamID (00:01.0)", first.get("sid"),
                      w["sid"])
            run.equal(f"{name}: event SSV (no substream)", first.get("ssv"),
                      w["ssv"])
            if w["type"] != C_BAD_STE:
                run.equal(f"{name}: event InputAddr", first.get("addr"),
                          w["addr"])
                run.equal(f"{name}: event RnW "
                          f"({'read' if w['rnw'] else 'write'})",
                          first.get("rnw"), w["rnw"])
            bad = next((i for i, (a, b) in enumerate(zip(got, want))
                        if a != b), None)
            run.true(f"{name}: every event record as expected "
                     f"({FAULT_PIECE}-byte pieces)", got == want,
                     f"record {bad}: {event_text(got[bad])}, want "
                     f"{event_text(want[bad])}" if bad is not None else
                     f"{len(got)} records, want {len(want)}")
        run.equal(f"{name}: EVENTQ_PROD.OVFLG", prod & EVENTQ_PROD_OVFLG, 0)
        run.equal(f"{name}: GERROR (no queue error)",
                  self.d.rd32(GERROR) ^ self.d.rd32(GERRORN), 0)

    def check_no_fault(self, run, name):
        self.events(run, name, [])

    def check_fault(self, run, name, iova, length, is_read, readonly):
        etype = F_PERMISSION if readonly else F_TRANSLATION
        self.events(run, name, [
            event_record(etype, SID, int(is_read), iova + off)
            for off in range(0, length, FAULT_PIECE)])

    def check_bad_ste(self, run, name, length):
        self.events(run, name, [event_record(C_BAD_STE, SID)] *
                    (length // FAULT_PIECE))

    def before_readonly_write(self):
        """Nothing: QEMU's SMMU checks write permission on cached
        translations too (the STE scenarios show it)."""

    def smmu_pulses(self):
        """The SMMU's event queue and GERROR interrupt edges seen at the
        GIC so far (irq_intercept_in: "IRQ raise 74" / "IRQ lower 74"),
        consumed."""
        mine = [i for i in self.q.irqs
                if i.split()[-1] in (str(EVENTQ_SPI), str(GERROR_SPI))]
        self.q.irqs.clear()
        return mine

    def check_fault_event(self, run, q, cause):
        """With IRQ_CTRL.EVENTQ_IRQEN set each new record pulses the event
        queue interrupt (edge-triggered SPI 74); before, the many faults
        of the sequence pulsed nothing."""
        before = self.smmu_pulses()
        run.equal("fault event: no interrupt while IRQ_CTRL is 0", before,
                  [])
        ack = self.d.set_irq_ctrl(IRQ_CTRL_EVENTQ_IRQEN |
                                  IRQ_CTRL_GERROR_IRQEN)
        run.equal("fault event: IRQ_CTRLACK (EVENTQ_IRQEN, GERROR_IRQEN)",
                  ack, IRQ_CTRL_EVENTQ_IRQEN | IRQ_CTRL_GERROR_IRQEN)
        cause()
        got, prod = self.d.take_events()
        pulses = self.smmu_pulses()
        run.info(f"fault event: {len(got)} events, GIC input {EVENTQ_SPI}: "
                 f"{pulses}")
        run.equal("fault event: event records", len(got),
                  0x10 // FAULT_PIECE)
        run.equal("fault event: one pulse of SPI 74 per record", pulses,
                  [f"IRQ raise {EVENTQ_SPI}", f"IRQ lower {EVENTQ_SPI}"] *
                  len(got))
        run.equal("fault event: GERROR", self.d.rd32(GERROR), 0)
        self.d.set_irq_ctrl(0)


# ====================================================================
# Stream table entries: bypass, abort, invalid, and back
# ====================================================================

def reset_dst(q, plan):
    """Destination pages as fill_ram() left them: the decoy at physical
    == IOVA, the guard on the translated pages."""
    q.memset(plan.dst_iova, LEN, DECOY)
    for _, phys, n in plan.pieces(plan.dst_iova, LEN):
        q.memset(phys, n, GUARD)


def check_nothing_landed(run, q, plan, name, length):
    iommu_dma.check_untouched(run, q, f"{name}: physical == IOVA untouched",
                              plan.dst_iova, length, DECOY)
    run.equal(f"{name}: translated destination untouched",
              plan.read_iova(q, plan.dst_iova, length),
              bytes([GUARD]) * length)


def ste_scenarios(q, run, d, iommu, plan, data, copy, failing_copy):
    """The STE of the device's stream id is rewritten, as a driver
    detaching and attaching it would, and the device copies
    src_iova -> dst_iova:
      * bypass: written but not yet invalidated, QEMU still translates
        (its configuration cache); after CMD_CFGI_STE + CMD_SYNC the copy
        goes to physical == IOVA;
      * abort (V 1, Config 0b000): the DMA fails and, as SMMUv3 "Stream
        Table Entry" says of this Config, nothing is recorded;
      * invalid (V 0): the DMA fails, C_BAD_STE for each access;
      * back to stage 1: copies are translated again.
    COPY(name, src, dst, n) makes the device copy and checks it succeeded;
    FAILING_COPY(name, expect) makes it copy under an abort or invalid STE
    and checks what the device saw, calling EXPECT(what, length) after each
    of its DMAs (LENGTH: the bytes it accessed) for the IOMMU-side checks:
    no event for abort, C_BAD_STE for invalid."""
    # -- bypass --------------------------------------------------------------
    name = "bypass STE"
    bdata = iommu_dma.pattern(LEN, seed=0xa5)
    q.memwrite(plan.src_iova, bdata)          # physical == source IOVA
    reset_dst(q, plan)
    d.write_ste(SID, d.ste_bypass())
    stale = f"{name}, not yet invalidated"
    copy(stale, plan.src_iova, plan.dst_iova, LEN)
    run.equal(f"{stale}: still translated (QEMU caches the STE)",
              plan.read_iova(q, plan.dst_iova, LEN), data)
    iommu_dma.check_untouched(run, q, f"{stale}: physical == IOVA "
                              "untouched", plan.dst_iova, LEN, DECOY)
    iommu.check_no_fault(run, stale)
    cons = d.submit([cmd_cfgi_ste(SID), cmd_sync()])
    run.equal(f"{name}: CMD_CFGI_STE, CMD_SYNC consumed",
              cons, d.cmdq_prod)
    reset_dst(q, plan)
    copy(name, plan.src_iova, plan.dst_iova, LEN)
    got = q.memread(plan.dst_iova, LEN)
    run.info(f"{name}: physical 0x{plan.dst_iova:x} now {got[:8].hex()}...")
    run.equal(f"{name}: data at physical == IOVA 0x{plan.dst_iova:x}",
              got, bdata)
    run.equal(f"{name}: translated destination untouched",
              plan.read_iova(q, plan.dst_iova, LEN), bytes([GUARD]) * LEN)
    iommu.check_no_fault(run, name)

    # -- abort and invalid ---------------------------------------------------
    def expect_abort(what, length):
        iommu.check_no_fault(run, what)

    def expect_bad_ste(what, length):
        iommu.check_bad_ste(run, what, length)

    for name, ste, expect in (("abort STE", d.ste_abort(), expect_abort),
                              ("invalid STE", d.ste_invalid(),
                               expect_bad_ste)):
        reset_dst(q, plan)
        cons = d.set_ste(SID, ste)
        run.equal(f"{name}: CMD_CFGI_STE, CMD_SYNC consumed",
                  cons, d.cmdq_prod)
        failing_copy(name, expect)
        check_nothing_landed(run, q, plan, name, LEN)

    # -- back to stage 1 -----------------------------------------------------
    name = "stage-1 STE again"
    cons = d.set_ste(SID, d.ste_s1())
    run.equal(f"{name}: CMD_CFGI_STE, CMD_SYNC consumed", cons, d.cmdq_prod)
    reset_dst(q, plan)
    copy(name, plan.src_iova, plan.dst_iova, LEN)
    run.equal(f"{name}: translated copy landed",
              plan.read_iova(q, plan.dst_iova, LEN), data)
    iommu.check_no_fault(run, name)


def edu_smmu_scenarios(q, run, d, iommu, plan, data):
    edu = iommu_dma.Edu(q, run, VIRT)

    # A write to the read-only page right after a read of it, so that the
    # translation is in QEMU's IOTLB: still F_PERMISSION (QEMU's VT-d
    # drops such a write silently, see the intel-iommu README).
    name = "write to read-only IOVA, translation cached"
    edu.to_buffer(f"{name}: read first", plan.ro + 0x80, 0x100)
    iommu.check_no_fault(run, f"{name}: read first")
    edu.from_buffer(name, plan.ro + 0x80, 0x100)
    iommu.check_fault(run, name, plan.ro + 0x80, 0x100, is_read=False,
                      readonly=True)
    iommu_dma.check_untouched(run, q, f"{name}: read-only page untouched",
                              plan.phys_ro, PAGE, RO_FILL)

    def copy(name, src, dst, n):
        edu.to_buffer(f"{name} (device read)", src, n)
        edu.from_buffer(f"{name} (device write)", dst, n)

    # Under abort and invalid STEs edu writes its buffer (from the bypass
    # copy) to dst_iova and reads src_iova into a 256-byte slice of the
    # buffer past what the copies use, which holds known data first: the
    # read's zeros show once translation is back.
    spare = iommu_dma.EDU_BUF + LEN
    slices = {"abort STE": spare, "invalid STE": spare + 0x100}
    edu.to_buffer("spare buffer filled", plan.src_iova, 0x300, buf=spare)
    iommu.check_no_fault(run, "spare buffer filled")

    def failing_copy(name, expect):
        edu.from_buffer(f"{name}: device write", plan.dst_iova, 0x100)
        expect(f"{name}: device write", 0x100)
        edu.to_buffer(f"{name}: device read", plan.src_iova, 0x100,
                      buf=slices[name])
        expect(f"{name}: device read", 0x100)

    ste_scenarios(q, run, d, iommu, plan, data, copy, failing_copy)

    # What the two failed reads left in the buffer: zeros where they
    # read, the data read before after them.
    name = "buffer after the abort and invalid STE reads"
    edu.from_buffer(name, plan.iova + 2 * PAGE, 0x300, buf=spare)
    got = q.memread(plan.phys(2), 0x300)
    run.info(f"{name}: {got[:8].hex()}... {got[0x100:0x108].hex()}... "
             f"{got[0x200:0x208].hex()}...")
    run.equal(f"{name}: abort STE read delivered 0", got[:0x100],
              bytes(0x100))
    run.equal(f"{name}: invalid STE read delivered 0", got[0x100:0x200],
              bytes(0x100))
    run.equal(f"{name}: the rest kept", got[0x200:], data[0x200:0x300])
    iommu.check_no_fault(run, name)


def dma_engine_smmu_scenarios(q, run, d, iommu, plan, data):
    de = iommu_dma.DmaEngine(q, run, VIRT)

    name = "copy into read-only IOVA, translation cached"
    de.check_ok(f"{name}: read first", de.copy(
        f"{name}: read first", plan.ro, plan.iova + 2 * PAGE, 0x100), 0x100)
    iommu.check_no_fault(run, f"{name}: read first")
    de.check_failed(name, de.copy(name, plan.src_iova, plan.ro + 0x80,
                                  0x100),
                    iommu_dma.DE_ERR_WRITE_EFAULT, "WRITE, errno EFAULT",
                    plan.ro + 0x80, 0)
    iommu.check_fault(run, name, plan.ro + 0x80, 0x100, is_read=False,
                      readonly=True)
    iommu_dma.check_untouched(run, q, f"{name}: read-only page untouched",
                              plan.phys_ro, PAGE, RO_FILL)

    def copy(name, src, dst, n):
        de.check_ok(name, de.copy(name, src, dst, n), n)

    def failing_copy(name, expect):
        # The source is read first: it fails, nothing is written.
        de.check_failed(name, de.copy(name, plan.src_iova, plan.dst_iova,
                                      0x100),
                        iommu_dma.DE_ERR_READ_EFAULT, "READ, errno EFAULT",
                        plan.src_iova, 0)
        expect(name, 0x100)

    ste_scenarios(q, run, d, iommu, plan, data, copy, failing_copy)


# ====================================================================
# The runs
# ====================================================================

def setup(q, run):
    d = setup_iommu(q, run)
    return d, SmmuChecks(q, d)


PLATFORM = iommu_dma.Platform("aarch64", VIRT, PLAN, start_qemu, setup,
                              edu_props=EDU_PROPS,
                              after_edu=edu_smmu_scenarios,
                              after_dma_engine=dma_engine_smmu_scenarios)


if __name__ == "__main__":
    iommu_dma.main(PLATFORM)
