#!/usr/bin/env python3
"""DMA through QEMU's intel-iommu (VT-d) on q35, under qtest.

No guest code runs under qtest, so this script plays the guest's IOMMU
driver: it builds VT-d legacy-mode tables in guest RAM (root table, the
context entry of 00:01.0, second-level page tables), programs the DMAR
unit at 0xfed90000 as Linux's intel-iommu driver does (CAP/ECAP first,
RTADDR, GCMD.SRTP, context-cache and IOTLB invalidation, GCMD.TE, each
command waited for in GSTS), maps a few IOVA pages to scattered physical
pages, and then makes the device DMA:

  1. a translated copy, device read and device write, which must land on
     the physical pages the tables name and not at physical == IOVA;
  2. faults: a device write and a device read of an unmapped IOVA, and a
     device write of a read-only mapping; each must show up in FSTS and
     in the fault recording register (source-id 00:01.0, reason, IOVA
     page, read/write), leave RAM untouched, and clear when software
     clears it; a fault event interrupt reaches the local APIC.

The edu sequence runs on QEMU's own edu and on libvpci's vpci-edu (the
adapter), and everything each observes is compared, except one documented
difference (a write that runs past a faulting page: QEMU's edu goes on,
the model stops); vpci-dma-engine runs its own register sequence with the
same checks.  The device-side sequences and checks are iommu_dma.py's,
shared with test_smmuv3.py.  Every check prints
"PASS name" or "FAIL name: why".  Exit 0 if all pass, 1 if one fails, 77
if there is no QEMU (unless VPCI_REQUIRE_QEMU=1).  See README.md here.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))          # tests/qemu
import qemulib                                     # noqa: E402
from qemulib import Checks, Qemu                   # noqa: E402
from qtestgen import PIT_QUIET, Q35                # noqa: E402
import iommu_dma                                   # noqa: E402
from iommu_dma import PAGE, Run, compare           # noqa: E402

# ====================================================================
# VT-d: registers (Intel VT-d spec 3.x chapter 11; QEMU 7.2
# hw/i386/intel_iommu_internal.h) and in-memory structures (chapter 9)
# ====================================================================

DMAR_BASE = 0xfed90000          # q35: Q35_HOST_BRIDGE_IOMMU_ADDR

VER_REG = 0x00
CAP_REG = 0x08
ECAP_REG = 0x10
GCMD_REG = 0x18                 # 32-bit, write-only commands
GSTS_REG = 0x1c                 # 32-bit, their status
RTADDR_REG = 0x20
CCMD_REG = 0x28                 # context-cache invalidation
FSTS_REG = 0x34                 # fault status
FECTL_REG = 0x38                # fault event control
FEDATA_REG = 0x3c
FEADDR_REG = 0x40
FEUADDR_REG = 0x44

GCMD_TE = 1 << 31               # translation enable
GCMD_SRTP = 1 << 30             # set root table pointer (one-shot)
GSTS_TES = 1 << 31
GSTS_RTPS = 1 << 30

CCMD_ICC = 1 << 63              # invalidate context cache (busy while set)
CCMD_CIRG_GLOBAL = 1 << 61
IOTLB_IVT = 1 << 63             # invalidate IOTLB (busy while set)
IOTLB_IIRG_GLOBAL = 1 << 60

FSTS_PFO = 1 << 0               # primary fault overflow (W1C)
FSTS_PPF = 1 << 1               # primary pending fault (RO: any FRCD.F)
FECTL_IM = 1 << 31              # interrupt mask (set at reset)
FECTL_IP = 1 << 30              # interrupt pending

# Fault recording register, 128 bits at CAP.FRO * 16 (upper half here)
FRCD_F = 1 << 63                # fault (W1C)
FRCD_T = 1 << 62                # type: 1 read, 0 write (legacy mode)
FR_WRITE = 0x05                 # write, PTE without W (unmapped or RO)
FR_READ = 0x06                  # read, PTE without R (unmapped)

# Page-table entry bits (second-level, legacy mode)
PTE_R = 1 << 0
PTE_W = 1 << 1


def cap_fields(cap):
    """The CAP fields a driver needs (VT-d 11.4.2)."""
    return {
        "sagaw": (cap >> 8) & 0x1f,       # bit1 39-bit 3-level, bit2 48-bit
        "mgaw": ((cap >> 16) & 0x3f) + 1,
        "fro": ((cap >> 24) & 0x3ff) * 16,  # fault recording regs offset
        "nfr": ((cap >> 40) & 0xff) + 1,
        "cm": (cap >> 7) & 1,             # caching mode: flush on map too
    }


def ecap_fields(ecap):
    return {
        "iro": ((ecap >> 8) & 0x3ff) * 16,  # IOTLB registers offset
        "qi": (ecap >> 1) & 1,
        "ir": (ecap >> 3) & 1,
        "pt": (ecap >> 6) & 1,
    }


def root_entry(context_table):
    """Legacy root entry (VT-d 9.1): lo = P | context-table pointer."""
    return (context_table | 1), 0


def context_entry(slpt, aw, domain):
    """Legacy context entry (VT-d 9.3): lo = P, FPD 0 (report faults), TT 0
    (second-level translation), second-level page-table pointer; hi =
    address width (1: 39-bit 3-level, 2: 48-bit 4-level), domain id."""
    return (slpt | 1), (aw | domain << 8)


def pte(addr, perm):
    """Second-level paging entry: R/W bits and the 4 KiB-aligned address.
    Non-leaf entries need R|W too: QEMU checks the access at every level."""
    return addr | perm


def frcd_decode(lo, hi):
    return {"F": int(bool(hi & FRCD_F)), "T": int(bool(hi & FRCD_T)),
            "reason": hi >> 32 & 0xff, "sid": hi & 0xffff,
            "iova_page": lo & ~0xfff}


def frcd_text(lo, hi):
    d = frcd_decode(lo, hi)
    sid = d["sid"]
    return (f"FRCD hi 0x{hi:016x} lo 0x{lo:016x}: F={d['F']} "
            f"T={d['T']} ({'read' if d['T'] else 'write'}) "
            f"reason 0x{d['reason']:02x} source-id 0x{sid:04x} "
            f"({sid >> 8:02x}:{sid >> 3 & 0x1f:02x}.{sid & 7}) "
            f"IOVA page 0x{d['iova_page']:x}")


class VtdDriver:
    """The guest's IOMMU driver, reduced to what the test needs."""

    def __init__(self, q, tables):
        self.q = q
        self.next_table = tables      # page-table pages are taken from here
        self.gcmd = 0                 # persistent GCMD bits (TE), as Linux
        self.cap = self.ecap = 0

    def rd32(self, off): return self.q.readl(DMAR_BASE + off)
    def rd64(self, off): return self.q.readq(DMAR_BASE + off)
    def wr32(self, off, v): self.q.writel(DMAR_BASE + off, v)
    def wr64(self, off, v): self.q.writeq(DMAR_BASE + off, v)

    def alloc_table(self):
        """A zeroed 4 KiB page for a table (512 entries of 8 bytes)."""
        addr = self.next_table
        self.next_table += PAGE
        self.q.memset(addr, PAGE, 0)
        return addr

    def probe(self):
        self.version = self.rd32(VER_REG)
        self.cap = self.rd64(CAP_REG)
        self.ecap = self.rd64(ECAP_REG)
        self.capf = cap_fields(self.cap)
        self.ecapf = ecap_fields(self.ecap)
        # The smallest supported width: 39 bits (AW 1, 3 levels) if SAGAW
        # bit 1 says so, else 48 bits (AW 2, 4 levels).
        sagaw = self.capf["sagaw"]
        self.aw = 1 if sagaw & 2 else 2 if sagaw & 4 else None
        self.levels = None if self.aw is None else self.aw + 2
        return self.aw is not None

    def frcd(self):
        return self.capf["fro"]

    def iotlb_reg(self):
        return self.ecapf["iro"] + 8      # IVA at IRO, IOTLB_REG after it

    # -- tables ----------------------------------------------------------
    def build(self, bus, devfn, domain):
        """Root table, one context table, the top-level page table."""
        self.root = self.alloc_table()
        ctx = self.alloc_table()
        self.top = self.alloc_table()
        lo, hi = root_entry(ctx)
        self.q.writeq(self.root + bus * 16, lo)
        self.q.writeq(self.root + bus * 16 + 8, hi)
        lo, hi = context_entry(self.top, self.aw, domain)
        self.q.writeq(ctx + devfn * 16, lo)
        self.q.writeq(ctx + devfn * 16 + 8, hi)

    def map(self, iova, phys, perm):
        """Map one 4 KiB IOVA page; intermediate tables on demand."""
        table = self.top
        for level in range(self.levels, 1, -1):
            slot = table + ((iova >> (12 + 9 * (level - 1))) & 0x1ff) * 8
            entry = self.q.readq(slot)
            if not entry & (PTE_R | PTE_W):
                entry = pte(self.alloc_table(), PTE_R | PTE_W)
                self.q.writeq(slot, entry)
            table = entry & ~0xfff & ((1 << 52) - 1)
        self.q.writeq(table + ((iova >> 12) & 0x1ff) * 8, pte(phys, perm))

    # -- commands ----------------------------------------------------------
    def wait(self, what, read, done):
        return iommu_dma.poll(f"VT-d: {what}", read, done)

    def gcmd_oneshot(self, bit, status):
        self.wr32(GCMD_REG, self.gcmd | bit)
        return self.wait(f"GCMD 0x{bit:x}", lambda: self.rd32(GSTS_REG),
                         lambda v: v & status)

    def set_root(self):
        self.wr64(RTADDR_REG, self.root)     # legacy mode: RTADDR.TTM 0
        return self.gcmd_oneshot(GCMD_SRTP, GSTS_RTPS)

    def invalidate(self):
        """Global context-cache, then global IOTLB invalidation (register
        based: QI is not enabled).  QEMU caches translations with their
        permissions: without this a write to a page first read through a
        read-only mapping fails silently, with no fault recorded."""
        self.wr64(CCMD_REG, CCMD_ICC | CCMD_CIRG_GLOBAL)
        self.wait("context-cache invalidation", lambda: self.rd64(CCMD_REG),
                  lambda v: not v & CCMD_ICC)
        self.wr64(self.iotlb_reg(), IOTLB_IVT | IOTLB_IIRG_GLOBAL)
        self.wait("IOTLB invalidation", lambda: self.rd64(self.iotlb_reg()),
                  lambda v: not v & IOTLB_IVT)

    def enable(self):
        self.gcmd |= GCMD_TE
        self.wr32(GCMD_REG, self.gcmd)
        return self.wait("translation enable", lambda: self.rd32(GSTS_REG),
                         lambda v: v & GSTS_TES)

    # -- faults ----------------------------------------------------------
    def fault(self):
        """(FSTS, FRCD lo, FRCD hi, FECTL) of the first recording register
        (QEMU has one: CAP.NFR 0)."""
        return (self.rd32(FSTS_REG), self.rd64(self.frcd()),
                self.rd64(self.frcd() + 8), self.rd32(FECTL_REG))

    def clear_fault(self):
        """What a fault handler does: W1C FRCD.F (upper dword, bit 31),
        then write FSTS back (W1C of PFO; clears FECTL.IP once nothing is
        pending)."""
        self.wr32(self.frcd() + 12, FRCD_F >> 32)
        self.wr32(FSTS_REG, self.rd32(FSTS_REG))


# ====================================================================
# Guest memory plan (q35 default RAM is 128 MiB): iommu_dma.Plan with
# the VT-d tables from 0x100000, the IOVA window at 0x2000000 (under
# edu's 28-bit DMA mask) and its physical pages at 0x3000000.
# ====================================================================

PLAN = iommu_dma.Plan(tables=0x00100000, iova=0x02000000, phys=0x03000000)
DEVFN = 0x08                    # 00:01.0
SID = 0x0008                    # source-id: bus 0, devfn 0x08
DOMAIN = 1


def start_qemu(binary, device):
    # intremap=off: DMA remapping is all this test needs (QEMU 7.2 turns
    # interrupt remapping on by default under qtest; CAP/ECAP show it).
    # The order of the two -device options does not matter in 7.2.
    return Qemu(binary, ["-machine", "q35",
                         "-device", "intel-iommu,intremap=off",
                         "-device", f"{device},addr=01.0"], qmp=True)


def setup_iommu(q, run):
    """Probe, tables, root pointer, invalidation, enable: a driver's
    order.  Returns the driver."""
    q.run(PIT_QUIET)
    d = VtdDriver(q, PLAN.tables)
    run.true("VT-d: CAP.SAGAW offers a width to use", d.probe(),
             f"CAP 0x{d.cap:x}")
    run.info(f"VER 0x{d.version:x} CAP 0x{d.cap:016x} ECAP 0x{d.ecap:016x}: "
             f"SAGAW 0x{d.capf['sagaw']:x} MGAW {d.capf['mgaw']} -> "
             f"{d.levels}-level tables (context AW {d.aw}), FRCD at "
             f"0x{d.frcd():x} (x{d.capf['nfr']}), IOTLB_REG at "
             f"0x{d.iotlb_reg():x}, caching mode {d.capf['cm']}, "
             f"IR {d.ecapf['ir']}")
    run.equal("VT-d: GSTS at reset (translation off)", d.rd32(GSTS_REG), 0)
    run.true("VT-d: CAP.MGAW covers the IOVAs", d.capf["mgaw"] >= 39)
    d.build(bus=0, devfn=DEVFN, domain=DOMAIN)
    for page, (phys, writable) in PLAN.mapping.items():
        d.map(PLAN.iova + page * PAGE, phys,
              PTE_R | PTE_W if writable else PTE_R)
    run.info("mapped " + PLAN.describe())
    gsts = d.set_root()
    run.equal("VT-d: RTADDR read back", d.rd64(RTADDR_REG), d.root)
    run.equal("VT-d: GSTS.RTPS after GCMD.SRTP", gsts & GSTS_RTPS, GSTS_RTPS)
    d.invalidate()
    gsts = d.enable()
    run.equal("VT-d: GSTS.TES after GCMD.TE", gsts & GSTS_TES, GSTS_TES)
    run.equal("VT-d: no fault after enabling", d.rd32(FSTS_REG), 0)
    return d


def lapic_irr(q):
    """Vectors in the first CPU's local APIC IRR ('info lapic')."""
    text = q.hmp("info lapic")
    m = re.search(r"^IRR\s+(.*)$", text, re.M)
    if not m or "none" in m.group(1):
        return []
    return [int(v) for v in re.findall(r"\d+", m.group(1))]


FAULT_VECTOR = 0x45


def unmask_fault_event(d):
    """Fault events as an MSI to the APIC of CPU 0 with FAULT_VECTOR
    (fixed, edge).  QEMU 7.2 delivers it to the APIC directly
    (vtd_generate_interrupt -> send_msi), not as a memory write."""
    d.wr32(FEDATA_REG, FAULT_VECTOR)
    d.wr32(FEADDR_REG, 0xfee00000)
    d.wr32(FEUADDR_REG, 0)
    d.wr32(FECTL_REG, 0)


class VtdChecks:
    """The IOMMU side of iommu_dma's sequences: FSTS and the fault
    recording register."""

    def __init__(self, d):
        self.d = d

    def check_no_fault(self, run, name):
        run.equal(f"{name}: no fault", self.d.rd32(FSTS_REG), 0)

    def check_fault(self, run, what, iova, length, is_read, readonly):
        """FSTS/FRCD after one fault; then clear it and see it clear.  A
        write without W is reason 0x05 whether the page is unmapped or
        read-only; FRCD holds the IOVA's page."""
        d = self.d
        reason = FR_READ if is_read else FR_WRITE
        fsts, lo, hi, fectl = d.fault()
        f = frcd_decode(lo, hi)
        run.info(f"{what}: FSTS 0x{fsts:08x}, {frcd_text(lo, hi)}, "
                 f"FECTL 0x{fectl:08x}")
        # PPF: a recording register holds a fault; PFO clear: none was
        # lost; FRI 0: it is in register 0.
        run.equal(f"{what}: FSTS (PPF set, PFO clear, FRI 0)", fsts, FSTS_PPF)
        run.equal(f"{what}: FSTS.PFO", fsts & FSTS_PFO, 0)
        run.equal(f"{what}: FRCD.F", f["F"], 1)
        run.equal(f"{what}: FRCD source-id (00:01.0)", f["sid"], SID)
        run.equal(f"{what}: FRCD fault reason", f["reason"], reason)
        run.equal(f"{what}: FRCD faulting IOVA page", f["iova_page"],
                  iova & ~0xfff)
        run.equal(f"{what}: FRCD.T ({'read' if is_read else 'write'})",
                  f["T"], 1 if is_read else 0)
        # The fault event is masked (FECTL.IM from reset): pending, not
        # sent.
        run.equal(f"{what}: FECTL (IM, IP pending)", fectl,
                  FECTL_IM | FECTL_IP)
        d.clear_fault()
        fsts, lo, hi, fectl = d.fault()
        run.equal(f"{what}: FRCD.F after W1C", hi & FRCD_F, 0)
        run.equal(f"{what}: FSTS after clearing", fsts, 0)
        run.equal(f"{what}: FECTL.IP after clearing", fectl, FECTL_IM)

    def before_readonly_write(self):
        """QEMU's IOTLB caches permissions: a write to a page read before
        through a read-only mapping is dropped without a fault record.
        A driver flushes after changing mappings; so does the test."""
        self.d.invalidate()

    def check_fault_event(self, run, q, cause):
        """With FECTL.IM clear a new fault sends the interrupt at once."""
        d = self.d
        before = lapic_irr(q)
        unmask_fault_event(d)
        cause()
        fsts, lo, hi, fectl = d.fault()
        after = lapic_irr(q)
        run.info(f"fault event: FSTS 0x{fsts:08x} FECTL 0x{fectl:08x}, "
                 f"APIC IRR {before} -> {after}")
        run.true("fault event: vector not in the APIC's IRR before",
                 FAULT_VECTOR not in before)
        run.true(f"fault event: vector 0x{FAULT_VECTOR:x} in the APIC's IRR",
                 FAULT_VECTOR in after, f"IRR {after}")
        run.equal("fault event: FECTL (unmasked, IP clear: sent)", fectl, 0)
        run.equal("fault event: FSTS.PPF", fsts & FSTS_PPF, FSTS_PPF)
        d.clear_fault()
        run.equal("fault event: FSTS after clearing", d.rd32(FSTS_REG), 0)


def setup(q, run):
    d = setup_iommu(q, run)
    return d, VtdChecks(d)


PLATFORM = iommu_dma.Platform("x86_64", Q35, PLAN, start_qemu, setup,
                              needs=("intel-iommu",))


if __name__ == "__main__":
    iommu_dma.main(PLATFORM)
