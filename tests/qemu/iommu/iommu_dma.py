"""The device side of the IOMMU tests (test_intel_iommu.py, test_smmuv3.py):
the guest memory plan, the DMA sequences of edu and dma-engine, and the
device-side checks, the same whichever IOMMU translates.

Each test brings its IOMMU: it starts QEMU, programs the IOMMU as the
guest's driver would, maps Plan's IOVA pages, and hands the sequences an
object with these methods (the IOMMU-side checks):

    check_no_fault(run, name)     nothing reported since the last check
    check_fault(run, name, iova, length, is_read, readonly)
                                  what the IOMMU reported for the DMA that
                                  just ran: the device's access of LENGTH
                                  bytes from IOVA (the first byte that
                                  could not be translated) failed; READONLY:
                                  a write to a read-only mapping, else an
                                  unmapped IOVA.  The report is then
                                  cleared (VT-d: one fault record; SMMUv3:
                                  event records).
    before_readonly_write()       what a driver does before the read-only
                                  fault (VT-d: flush the IOTLB)
    check_fault_event(run, q, cause)
                                  the fault interrupt: CAUSE() makes one
                                  fault DMA

The edu sequence runs on QEMU's edu and on libvpci's vpci-edu, and every
observation (Run.seen) is compared by compare(); dma-engine runs its own.
The sequences' check names do not depend on the IOMMU, so the tests read
alike.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import qemulib                                      # noqa: E402
from qemulib import Checks, fmt                     # noqa: E402

PAGE = 0x1000

# ====================================================================
# Guest memory plan
# ====================================================================

# The IOVA pages the IOMMU maps, as offsets from Plan's bases:
# IOVA page -> (physical page, writable).  Scattered and out of order, so
# a copy that crosses an IOVA page boundary crosses to an unrelated
# physical page; page 5 is not mapped, page 4 is read-only.
MAPPING = {0: (7, True),          # device read, part 1
           1: (3, True),          # device read, part 2
           2: (6, True),          # device write, part 1
           3: (2, True),          # device write, part 2
           4: (5, False),         # read-only
           6: (4, True)}          # after the unmapped page
UNMAPPED_PAGE = 5
RO_PAGE = 4

DECOY = 0xee                    # RAM at physical == IOVA: must stay
# ... except under the source IOVA pages 0-1, where it differs, so that a
# copy that bypassed translation on both sides would not just move decoy
# bytes onto decoy bytes unnoticed
SRC_DECOY = 0xdd
GUARD = 0x11                    # the mapped physical pages around the data
RO_FILL = 0x44                  # the read-only page

# QEMU 7.2's edu aborts (hw_error) on a buffer range that ends at the
# buffer's last byte, so a copy is 3 KiB, not 4: 2 KiB + 1 KiB across
# two IOVA pages on each side.
LEN = 0xc00


class Plan:
    """Where things are in guest RAM: the IOMMU's tables from TABLES,
    seven IOVA pages from IOVA (RAM too, filled with DECOY, so a DMA that
    bypassed translation shows up there) and the physical pages they map
    to, from PHYS."""

    def __init__(self, tables, iova, phys):
        self.tables = tables
        self.iova = iova
        self.mapping = {p: (phys + pp * PAGE, w)
                        for p, (pp, w) in MAPPING.items()}
        self.unmapped = iova + UNMAPPED_PAGE * PAGE
        self.ro = iova + RO_PAGE * PAGE
        self.phys_ro = self.mapping[RO_PAGE][0]
        self.src_iova = iova + 0x800                # IOVA pages 0 and 1
        self.dst_iova = iova + 2 * PAGE + 0x800     # IOVA pages 2 and 3

    def phys(self, page):
        """The physical address IOVA page PAGE maps to."""
        return self.mapping[page][0]

    def phys_of(self, iova):
        page, off = divmod(iova - self.iova, PAGE)
        return self.mapping[page][0] + off

    def pieces(self, iova, length):
        """(iova, phys, n) of each page piece of [iova, iova + length)."""
        out = []
        while length:
            n = min(length, PAGE - (iova & 0xfff))
            out.append((iova, self.phys_of(iova), n))
            iova += n
            length -= n
        return out

    def fill_ram(self, q):
        """Decoys at physical == IOVA, guards on the mapped pages, the
        source data where src_iova translates to, the read-only page's
        contents.  Returns the source data."""
        q.memset(self.iova, 7 * PAGE, DECOY)
        q.memset(self.iova, 2 * PAGE, SRC_DECOY)
        for phys, _ in self.mapping.values():
            q.memset(phys, PAGE, GUARD)
        q.memset(self.phys_ro, PAGE, RO_FILL)
        data = pattern(LEN)
        pos = 0
        for _, phys, n in self.pieces(self.src_iova, LEN):
            q.memwrite(phys, data[pos:pos + n])
            pos += n
        return data

    def read_iova(self, q, iova, length):
        """What RAM holds where [iova, iova + length) translates to."""
        return b"".join(q.memread(phys, n)
                        for _, phys, n in self.pieces(iova, length))

    def describe(self):
        return ", ".join(
            f"IOVA 0x{self.iova + p * PAGE:x}->0x{ph:x}"
            f"{'' if w else ' (RO)'}" for p, (ph, w) in self.mapping.items()
        ) + f"; IOVA 0x{self.unmapped:x} unmapped"


def pattern(n, seed=0x5a):
    """Bytes that differ from their neighbours and repeat only every
    65 KiB, so a shifted or misplaced copy does not match."""
    return bytes((i * 7 + (i >> 8) * 3 + seed) & 0xff for i in range(n))


# ====================================================================
# One device's run: checks plus the observations compared across devices
# ====================================================================

class Run:
    def __init__(self, checks, label):
        self.checks = checks
        self.label = label
        self.seen = {}                # name -> observed value

    def equal(self, name, got, want, compare=True):
        """A check; its observed value is compared across devices unless
        compare is False (a documented difference)."""
        if compare:
            self.seen[name] = got
        if isinstance(got, bytes) and isinstance(want, bytes) and got != want:
            at = next((i for i, (a, b) in enumerate(zip(got, want))
                       if a != b), min(len(got), len(want)))
            return self.checks.check(
                f"{self.label}: {name}", False,
                f"differs from byte 0x{at:x} on: got {fmt(got[at:])}, "
                f"want {fmt(want[at:])}")
        return self.checks.equal(f"{self.label}: {name}", got, want)

    def true(self, name, cond, why=""):
        self.seen[name] = bool(cond)
        return self.checks.check(f"{self.label}: {name}", cond, why)

    def info(self, text):
        print(f"    {self.label}: {text}")


def poll(what, read, done, tries=100):
    """Poll a register as a driver does (under qtest QEMU answers at
    once, so a few tries suffice); QemuError naming WHAT if DONE(value)
    never holds."""
    for _ in range(tries):
        v = read()
        if done(v):
            return v
    raise qemulib.QemuError(f"{what} never completed (last 0x{v:x})")


def compare(checks, a, b):
    """Every observation of run a must be the same in run b."""
    for name, value in a.seen.items():
        checks.equal(f"{a.label} vs {b.label}: {name}",
                      b.seen.get(name, "<not observed>"), value)
    for name in b.seen.keys() - a.seen.keys():
        checks.check(f"{a.label} vs {b.label}: {name}", False,
                     f"observed by {b.label} only")


def enable_device(q, machine):
    """BAR0 at the machine's first BAR address, COMMAND = MEMORY | MASTER
    (qtestgen's config-space access for the machine)."""
    q.run(machine.cfg_wr(0x10, machine.mmio))
    q.run(machine.cfg_wr(0x04, 0x6, size=2))


def show_source(run, plan, name):
    run.info(f"{name}: read " + ", ".join(
        f"IOVA 0x{iova:x} +0x{n:x} <- physical 0x{phys:x}"
        for iova, phys, n in plan.pieces(plan.src_iova, LEN)))


def check_untouched(run, q, name, addr, length, byte):
    run.equal(name, q.memread(addr, length), bytes([byte]) * length)


def check_guards(run, q, plan, name):
    """The bytes of the destination's physical pages around the copy."""
    pieces = plan.pieces(plan.dst_iova, LEN)
    first, last = pieces[0], pieces[-1]
    start = first[1] & ~0xfff
    check_untouched(run, q, f"{name}: guard before the destination",
                    start, first[1] - start, GUARD)
    end = last[1] + last[2]
    check_untouched(run, q, f"{name}: guard after the destination",
                    end, PAGE - (end & 0xfff), GUARD)


def check_copy_landed(run, q, plan, name, data):
    """The translated copy's destination: the data on the physical pages
    the tables name, nothing at physical == IOVA, guards intact."""
    show_source(run, plan, name)
    for iova, phys, n in plan.pieces(plan.dst_iova, LEN):
        off = iova - plan.dst_iova
        run.info(f"{name}: wrote IOVA 0x{iova:x} +0x{n:x} -> physical "
                 f"0x{phys:x}: {q.memread(phys, 8).hex()}...")
        run.equal(f"{name}: data at physical 0x{phys:x} "
                  f"(IOVA 0x{iova:x}, 0x{n:x} bytes)",
                  q.memread(phys, n), data[off:off + n])
    check_untouched(run, q, f"{name}: physical 0x{plan.dst_iova:x} == IOVA "
                    "untouched", plan.dst_iova, LEN, DECOY)
    check_guards(run, q, plan, name)


# ====================================================================
# edu (QEMU's hw/misc/edu.c and libvpci's model: the same registers)
# ====================================================================

EDU_DMA_SRC, EDU_DMA_DST, EDU_DMA_CNT, EDU_DMA_CMD = 0x80, 0x88, 0x90, 0x98
EDU_INTR_STATUS, EDU_INTR_ACK = 0x24, 0x64
EDU_RUN, EDU_TO_RAM, EDU_IRQ = 1, 2, 4
EDU_BUF = 0x40000               # the device's 4 KiB buffer
EDU_DMA_NS = 101_000_000        # a command completes 100 ms after start


class Edu:
    """edu's DMA commands, BAR0 at the machine's first BAR address."""

    def __init__(self, q, run, machine):
        self.q, self.run = q, run
        self.bar = machine.mmio

    def dma(self, name, src, dst, cnt, to_ram):
        """One edu DMA command, run to completion: RUN must still be set
        before the clock moves (nothing happened yet) and clear after."""
        q, run, bar = self.q, self.run, self.bar
        q.writeq(bar + EDU_DMA_SRC, src)
        q.writeq(bar + EDU_DMA_DST, dst)
        q.writeq(bar + EDU_DMA_CNT, cnt)
        q.writeq(bar + EDU_DMA_CMD,
                 EDU_RUN | EDU_IRQ | (EDU_TO_RAM if to_ram else 0))
        run.equal(f"{name}: DMA_CMD.RUN before the clock moves",
                  q.readq(bar + EDU_DMA_CMD) & EDU_RUN, EDU_RUN)
        q.clock_step(EDU_DMA_NS)
        run.equal(f"{name}: DMA_CMD.RUN clear (command completed)",
                  q.readq(bar + EDU_DMA_CMD) & EDU_RUN, 0)
        # edu has no error status: completion (and its interrupt) is all a
        # driver sees, fault or not.
        run.equal(f"{name}: INTR_STATUS (DMA done 0x100)",
                  q.readl(bar + EDU_INTR_STATUS), 0x100)
        q.writel(bar + EDU_INTR_ACK, 0x100)

    def to_buffer(self, name, iova, cnt, buf=EDU_BUF):
        self.dma(name, iova, buf, cnt, to_ram=False)

    def from_buffer(self, name, iova, cnt, buf=EDU_BUF):
        self.dma(name, buf, iova, cnt, to_ram=True)


def edu_sequence(q, run, machine, plan, iommu, goes_on):
    """Translated copy, the three faults, a write across a fault, the
    fault interrupt.  GOES_ON: the device carries on with the pages after
    a fault (QEMU's edu) instead of stopping (libvpci's model).  Returns
    the source data (the pattern at src_iova)."""
    edu = Edu(q, run, machine)
    data = plan.fill_ram(q)

    # 1. Translated copy: RAM -> buffer through IOVA pages 0-1, then
    #    buffer -> RAM through IOVA pages 2-3.
    name = "translated copy"
    run.true(f"{name}: destination pages hold no data before",
             plan.read_iova(q, plan.dst_iova, LEN) == bytes([GUARD]) * LEN)
    edu.to_buffer(f"{name} (device read)", plan.src_iova, LEN)
    edu.from_buffer(f"{name} (device write)", plan.dst_iova, LEN)
    check_copy_landed(run, q, plan, name, data)
    iommu.check_no_fault(run, name)

    # 2a. Device write to an unmapped IOVA.
    name = "write to unmapped IOVA"
    edu.from_buffer(name, plan.unmapped + 0x80, 0x100)
    iommu.check_fault(run, name, plan.unmapped + 0x80, 0x100,
                      is_read=False, readonly=False)
    check_untouched(run, q, f"{name}: physical == IOVA untouched",
                    plan.unmapped, PAGE, DECOY)

    # 2b. Device read from an unmapped IOVA: the fault, and what the
    #     device got (edu's buffer: zeros, QEMU's unassigned read).
    name = "read from unmapped IOVA"
    edu.to_buffer(name, plan.unmapped + 0x80, 0x100)
    iommu.check_fault(run, name, plan.unmapped + 0x80, 0x100,
                      is_read=True, readonly=False)
    edu.from_buffer(f"{name}: buffer out", plan.iova + 2 * PAGE, 0x200)
    got = q.memread(plan.phys(2), 0x200)
    run.info(f"{name}: buffer 0x40000.. now {got[:8].hex()}... "
             f"0x40100.. {got[0x100:0x108].hex()}...")
    run.equal(f"{name}: buffer bytes not delivered read 0",
              got[:0x100], bytes(0x100))
    run.equal(f"{name}: buffer bytes after the read kept",
              got[0x100:], data[0x100:0x200])

    # 2c. Device write to a read-only mapping.
    name = "write to read-only IOVA"
    iommu.before_readonly_write()
    edu.from_buffer(name, plan.ro + 0x80, 0x100)
    iommu.check_fault(run, name, plan.ro + 0x80, 0x100,
                      is_read=False, readonly=True)
    check_untouched(run, q, f"{name}: read-only page untouched",
                    plan.phys_ro, PAGE, RO_FILL)
    check_untouched(run, q, f"{name}: physical == IOVA untouched",
                    plan.ro, PAGE, DECOY)
    # ... which the device may read.
    name = "read from read-only IOVA"
    edu.to_buffer(name, plan.ro + 0x80, 0x100)
    iommu.check_no_fault(run, name)
    edu.from_buffer(f"{name}: buffer out", plan.iova + 3 * PAGE, 0x100)
    run.equal(f"{name}: data read", q.memread(plan.phys(3), 0x100),
              bytes([RO_FILL]) * 0x100)

    # 2d. A write across the unmapped page into a mapped one.  Here the
    #     two differ, as include/vpci/models/edu.h documents: QEMU's edu
    #     goes on with the pages after a fault (one pci_dma_write for the
    #     whole range), libvpci's model stops at the fault.  Not compared;
    #     each is checked against its own documentation.
    name = "write across the unmapped IOVA"
    edu.from_buffer(name, plan.unmapped + 0x800, 0xc00)
    iommu.check_fault(run, name, plan.unmapped + 0x800, 0x800,
                      is_read=False, readonly=False)
    check_untouched(run, q, f"{name}: physical == IOVA untouched",
                    plan.unmapped, 2 * PAGE, DECOY)
    after_phys = plan.phys(UNMAPPED_PAGE + 1)
    after = q.memread(after_phys, 0x400)
    how = ("written (QEMU's edu goes on after a fault)" if goes_on else
           "untouched (the model stops at the fault)")
    run.info(f"{name}: physical 0x{after_phys:x} (IOVA "
             f"0x{plan.unmapped + PAGE:x}) now {after[:8].hex()}...: {how}")
    run.equal(f"{name}: the page after the fault "
              f"{'written' if goes_on else 'untouched'}", after,
              data[0x800:0xc00] if goes_on else bytes([GUARD]) * 0x400,
              compare=False)

    # 3. Fault event interrupt.
    iommu.check_fault_event(run, q, lambda: edu.from_buffer(
        "fault event DMA", plan.unmapped, 0x10))
    return data


# ====================================================================
# dma-engine (libvpci; shared/specs/dma-engine.md, models/dma_engine.h)
# ====================================================================

DE_REGS_OFF = 0x1000            # the register block in BAR0
DE_SRC, DE_DST, DE_SIZE, DE_CTRL = 0x00, 0x08, 0x10, 0x18
DE_ERR_CODE, DE_ERR_ADDR, DE_COPIED = 0x20, 0x28, 0x30
DE_START = 1
DE_DONE, DE_ERROR, DE_BUSY = 1 << 32, 1 << 33, 1 << 34
DE_ERR_READ, DE_ERR_WRITE = 3, 4
EFAULT = 14                     # the adapter's errno for any DMA error
DE_ERR_READ_EFAULT = DE_ERR_READ | EFAULT << 8
DE_ERR_WRITE_EFAULT = DE_ERR_WRITE | EFAULT << 8


class DmaEngine:
    """dma-engine's copies, BAR0 at the machine's first BAR address."""

    def __init__(self, q, run, machine):
        self.q, self.run = q, run
        self.regs = machine.mmio + DE_REGS_OFF

    def copy(self, name, src, dst, length):
        """Start a copy, see it busy, run the clock until DONE (1 us per
        4 KiB chunk); return (CTRL, ERR_CODE, ERR_ADDR, COPIED)."""
        q, run, regs = self.q, self.run, self.regs
        q.writeq(regs + DE_SRC, src)
        q.writeq(regs + DE_DST, dst)
        q.writeq(regs + DE_SIZE, length << 32)
        q.writeq(regs + DE_CTRL, DE_START)
        ctrl = q.readq(regs + DE_CTRL)
        run.equal(f"{name}: CTRL busy, not done, before the clock moves",
                  ctrl & (DE_BUSY | DE_DONE), DE_BUSY)
        for _ in range(16):
            q.clock_step(1000)
            ctrl = q.readq(regs + DE_CTRL)
            if ctrl & DE_DONE:
                break
        out = (ctrl, q.readq(regs + DE_ERR_CODE),
               q.readq(regs + DE_ERR_ADDR), q.readq(regs + DE_COPIED))
        run.info(f"{name}: CTRL 0x{out[0]:x} ERR_CODE 0x{out[1]:x} "
                 f"ERR_ADDR 0x{out[2]:x} COPIED 0x{out[3]:x}")
        return out

    def check_ok(self, name, result, length):
        """A copy that succeeded: DONE without ERROR, all bytes copied."""
        ctrl, code, addr, copied = result
        self.run.equal(f"{name}: CTRL DONE, no ERROR",
                       ctrl & (DE_DONE | DE_ERROR), DE_DONE)
        self.run.equal(f"{name}: ERR_CODE", code, 0)
        self.run.equal(f"{name}: COPIED", copied, length)

    def check_failed(self, name, result, code, code_what, addr, copied,
                     addr_what="", copied_what=""):
        """A copy that stopped: DONE|ERROR, ERR_CODE CODE (CODE_WHAT names
        it), ERR_ADDR ADDR, COPIED; the *_what texts end the check names."""
        got_ctrl, got_code, got_addr, got_copied = result
        run = self.run
        run.equal(f"{name}: CTRL DONE|ERROR",
                  got_ctrl & (DE_DONE | DE_ERROR), DE_DONE | DE_ERROR)
        run.equal(f"{name}: ERR_CODE {code_what}", got_code, code)
        run.equal(f"{name}: ERR_ADDR{addr_what}", got_addr, addr)
        run.equal(f"{name}: COPIED{copied_what}", got_copied, copied)


def dma_engine_sequence(q, run, machine, plan, iommu):
    """Translated copy, a read fault, a write that runs into a read-only
    page, the fault interrupt.  Returns the source data."""
    de = DmaEngine(q, run, machine)
    data = plan.fill_ram(q)

    # 1. Translated copy: IOVA pages 0-1 -> IOVA pages 2-3.
    name = "translated copy"
    run.true(f"{name}: destination pages hold no data before",
             plan.read_iova(q, plan.dst_iova, LEN) == bytes([GUARD]) * LEN)
    de.check_ok(name, de.copy(name, plan.src_iova, plan.dst_iova, LEN), LEN)
    check_copy_landed(run, q, plan, name, data)
    iommu.check_no_fault(run, name)

    # 2a. Source unmapped: the device read faults, nothing is written.
    name = "copy from unmapped IOVA"
    dst = plan.iova + 2 * PAGE
    before = q.memread(plan.phys(2), 0x100)
    de.check_failed(name, de.copy(name, plan.unmapped + 0x80, dst, 0x100),
                    DE_ERR_READ_EFAULT, "READ, errno EFAULT",
                    plan.unmapped + 0x80, 0)
    run.equal(f"{name}: destination untouched",
              q.memread(plan.phys(2), 0x100), before)
    iommu.check_fault(run, name, plan.unmapped + 0x80, 0x100,
                      is_read=True, readonly=False)

    # 2b. Destination runs from a writable page into a read-only one:
    #     the copy stops exactly at the page boundary.
    name = "copy into read-only IOVA"
    iommu.before_readonly_write()
    dst = plan.ro - 0x400
    de.check_failed(name, de.copy(name, plan.src_iova, dst, 0x800),
                    DE_ERR_WRITE_EFAULT, "WRITE, errno EFAULT", plan.ro,
                    0x400, addr_what=" (first read-only byte)",
                    copied_what=" (up to the read-only page)")
    run.equal(f"{name}: the writable part landed",
              q.memread(plan.phys_of(dst), 0x400), data[:0x400])
    iommu.check_fault(run, name, plan.ro, 0x400, is_read=False,
                      readonly=True)
    check_untouched(run, q, f"{name}: read-only page untouched",
                    plan.phys_ro, PAGE, RO_FILL)
    check_untouched(run, q, f"{name}: physical == IOVA untouched",
                    plan.ro, PAGE, DECOY)

    # 3. Fault event interrupt.
    iommu.check_fault_event(run, q, lambda: de.copy(
        "fault event copy", plan.src_iova, plan.unmapped, 0x10))
    return data


# ====================================================================
# The runs, the same for every IOMMU
# ====================================================================

class Platform:
    """What a test says about its IOMMU and machine:
      arch, machine      qemu-system-ARCH and qtestgen's Machine
      plan               the Plan of guest memory
      needs              devices QEMU must have besides edu, vpci-edu and
                         vpci-dma-engine (e.g. intel-iommu)
      start_qemu(binary, devspec)   a Qemu with the IOMMU and the device
                                    DEVSPEC at 00:01.0
      setup(q, run)      program the IOMMU as its driver would; returns
                         (driver, the IOMMU-side checks object above)
      edu_props          properties both edus get ("" for none)
      after_edu(q, run, driver, iommu, plan, data), after_dma_engine(...)
                         optional: the test's own scenarios once the
                         shared sequence ran (data: what it returned)"""

    def __init__(self, arch, machine, plan, start_qemu, setup, needs=(),
                 edu_props="", after_edu=None, after_dma_engine=None):
        self.arch, self.machine, self.plan = arch, machine, plan
        self.start_qemu, self.setup, self.needs = start_qemu, setup, needs
        self.edu_props = edu_props
        self.after_edu, self.after_dma_engine = after_edu, after_dma_engine


def run_device(p, checks, binary, device, devspec, sequence, after, **kw):
    run = Run(checks, device)
    with p.start_qemu(binary, devspec) as q:
        enable_device(q, p.machine)
        d, iommu = p.setup(q, run)
        data = sequence(q, run, p.machine, p.plan, iommu, **kw)
        if after:
            after(q, run, d, iommu, p.plan, data)
    return run


def main(p):
    """QEMU's edu and vpci-edu (compared), then vpci-dma-engine with
    iommu-required=on: the engine refuses to copy unless the adapter says
    an IOMMU is in front of it, so every copy also checks that."""
    binary = None
    for dev in ("edu", "vpci-edu", "vpci-dma-engine") + tuple(p.needs):
        binary = qemulib.find_qemu(p.arch, device=dev)
    checks = Checks()
    edus = []
    for dev, title in (("edu", "QEMU's edu"),
                       ("vpci-edu", "libvpci's edu through the adapter")):
        print(f"== {title}")
        spec = f"{dev},{p.edu_props}" if p.edu_props else dev
        edus.append(run_device(p, checks, binary, dev, spec, edu_sequence,
                               p.after_edu, goes_on=dev == "edu"))
    print("== edu and vpci-edu observed the same")
    compare(checks, *edus)
    print("== libvpci's dma-engine through the adapter")
    run_device(p, checks, binary, "vpci-dma-engine",
               "vpci-dma-engine,iommu-required=on", dma_engine_sequence,
               p.after_dma_engine)
    checks.done()
