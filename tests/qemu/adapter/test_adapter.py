#!/usr/bin/env python3
"""The QEMU adapter (adapters/qemu/device/vpci-qemu.c) in a real QEMU 7.2:
migration, savevm/loadvm, resets and FLR, properties, hot-unplug.

    test_adapter.py [--machine q35|virt] [--vpci-host PATH] [--valgrind]
                    AREA...

AREA is one or more of:
  migrate  every vpci-* device, in a distinctive state (BARs, COMMAND, MSI or
           MSI-X programmed, registers written, device memory filled, an
           operation in flight: a DMA or command with its timer pending, an
           MSI-X message pending behind a mask, an MSI held while bus
           mastering is off), migrated with QMP "migrate exec:" to a file
           and "migrate-incoming exec:" from it.  The destination must read
           back the same config space (4096 bytes through ECAM), registers,
           device memory and guest RAM, then the operation completes there
           at its original deadline.  q35 only: a stream with a corrupted
           blob, or for a device of another layout, must be refused with a
           message (QEMU exits 1).
  savevm   the same state and checks through HMP savevm / loadvm on a qcow2
           disk, after a system_reset has wiped it in between.
  reset    QMP system_reset, and Secondary Bus Reset of the pcie-root-port
           in front of the device: config space equal to a fresh device's,
           no BAR left in QEMU's memory map, registers at their reset
           values, the operation in flight cancelled.
  flr      Device Control bit 15 does the same for the one model that
           advertises FLR (virt-pci,pcie=on), and nothing for one that does
           not (dma-engine).
  props    -device vpci-X,help lists every model property (from vpci-host
           list-models) with its description and default; -global and
           qom-get work; bad values make QEMU exit 1 with a message naming
           the property.
  unplug   device_add / device_del behind a pcie-root-port, for every model
           with an operation in flight (q35: completed by system_reset, as
           QEMU's tests/qtest/device-plug-test.c does; virt: by the guest's
           slot power-off); DEVICE_DELETED arrives, QEMU keeps answering,
           the device can be added again and used.  With --valgrind the
           same run is repeated under valgrind: no error or leak with a
           libvpci / adapter frame, nothing of a device instance left.

One "PASS name" / "FAIL name: why" line per check; exit 0 if all pass, 1 if
any fails, 77 (skipped) without a qtest-capable QEMU built with the adapter
(or without qemu-img for savevm) unless VPCI_REQUIRE_QEMU is set.

No guest code runs under -accel qtest: the test is the firmware and the
driver.  Interrupts are observed as MSI / MSI-X messages programmed to land
in guest RAM (the adapter's msi_send_message() writes them through the
device's bus-master address space, where RAM decodes them).
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
import qemulib  # noqa: E402
from qemulib import Checks, Qemu, QemuError, find_qemu, skip  # noqa: E402
import qtestgen  # noqa: E402  (qemulib put tests/qtest on sys.path)

MS = 1000000
US = 1000

# ---------------------------------------------------------------- platform


class Platform:
    """How the test reaches a function on one machine type.  Config space
    always goes through ECAM, so all 4096 bytes of an Express function can
    be compared: virt has it at 0x4010000000; q35's MCH has it off until
    firmware programs PCIEXBAR, which prelude() does (0xb0000000, 256
    buses)."""

    def __init__(self, name):
        m = qtestgen.MACHINES[name]
        self.name = name
        self.arch = m.arch
        self.ram = m.ram            # free guest RAM for buffers and MSI
        self.mmio = m.mmio          # first BAR address
        self.args = ["-machine", name]
        if name == "q35":
            self.ecam = 0xb0000000
            self.io_base = 0xc000   # port numbers for IO BARs
            self.io_window = None   # port IO instructions
        else:
            self.ecam = m.ecam
            self.io_base = 0x1000
            self.io_window = 0x3eff0000   # virt's PCI IO space in MMIO

    def prelude(self, q, quiet_pit=True):
        if self.name != "q35":
            return
        if quiet_pit:       # no PIT edges or deadlines afterwards
            q.run(qtestgen.PIT_QUIET)
        self.enable_ecam(q)

    def enable_ecam(self, q):
        """q35: MCH PCIEXBAR (00:00.0, 0x60) = base | enable.  A system
        reset clears it again."""
        if self.name == "q35":
            q.run(qtestgen.Q35.cfg_wr(0x64, 0, dev=0))
            q.run(qtestgen.Q35.cfg_wr(0x60, self.ecam | 1, dev=0))


class Bar:
    def __init__(self, index, kind, size):
        self.index, self.kind, self.size = index, kind, size
        self.addr = 0

    def __repr__(self):
        return (f"BAR{self.index}({self.kind}, 0x{self.size:x} @ "
                f"0x{self.addr:x})")


class Fn:
    """One PCI function seen through ECAM, with its BARs once assigned."""

    def __init__(self, q, plat, bus=0, dev=1, bars=None):
        self.q, self.plat, self.bus, self.dev = q, plat, bus, dev
        self.bars = {b.index: b for b in bars} if bars else {}

    # -- config space
    def cfg_addr(self, off):
        return self.plat.ecam + (self.bus << 20 | self.dev << 15 | off)

    def rd(self, off, size=4):
        return {1: self.q.readb, 2: self.q.readw,
                4: self.q.readl}[size](self.cfg_addr(off))

    def wr(self, off, val, size=4):
        {1: self.q.writeb, 2: self.q.writew,
         4: self.q.writel}[size](self.cfg_addr(off), val)

    def dump(self):
        """All 4096 bytes (a conventional function reads 0xff past 256)."""
        return self.q.memread(self.cfg_addr(0), 4096)

    def caps(self):
        """{capability ID: offset} of the standard list."""
        found = {}
        if not self.rd(0x06, 2) & 0x10:
            return found
        off = self.rd(0x34, 1) & 0xfc
        while off and off not in found.values() and len(found) < 48:
            found[self.rd(off, 1)] = off
            off = self.rd(off + 1, 1) & 0xfc
        return found

    # -- BARs
    def assign_bars(self):
        """Size every BAR, then place it naturally aligned from the
        platform's MMIO / IO base, as firmware would (decode still off)."""
        mem, io = self.plat.mmio, self.plat.io_base
        self.bars = {}
        i = 0
        while i < 6:
            off = 0x10 + 4 * i
            self.wr(off, 0xffffffff)
            v = self.rd(off)
            if v == 0:
                i += 1
                continue
            if v & 1:
                b = Bar(i, "io", ((~(v & ~3)) & 0xffff) + 1)
                io = (io + b.size - 1) & ~(b.size - 1)
                b.addr, io = io, io + b.size
                self.wr(off, b.addr)
                i += 1
            else:
                is64 = (v >> 1) & 3 == 2
                hi = 0xffffffff
                if is64:
                    self.wr(off + 4, 0xffffffff)
                    hi = self.rd(off + 4)
                mask = hi << 32 | (v & ~0xf)    # 32-bit: high half all ones
                b = Bar(i, "mem64" if is64 else "mem32",
                        ((~mask) & 0xffffffffffffffff) + 1)
                mem = (mem + b.size - 1) & ~(b.size - 1)
                b.addr, mem = mem, mem + b.size
                self.wr(off, b.addr & 0xffffffff)
                if is64:
                    self.wr(off + 4, b.addr >> 32)
                i += 2 if is64 else 1
            self.bars[b.index] = b
        return list(self.bars.values())

    def place_bars(self):
        """Write the addresses assign_bars() chose again (after a reset)."""
        for b in self.bars.values():
            self.wr(0x10 + 4 * b.index, b.addr & 0xffffffff)
            if b.kind == "mem64":
                self.wr(0x14 + 4 * b.index, b.addr >> 32)

    def enable(self, command=0x7):
        """COMMAND: IO, memory, bus master."""
        self.wr(0x04, command, 2)

    def _bar_cpu(self, i, off):
        b = self.bars[i]
        if b.kind == "io" and self.plat.io_window is None:
            return None, b.addr + off
        base = self.plat.io_window if b.kind == "io" else 0
        return base + b.addr + off, None

    def bar_rd(self, i, off, size=4):
        mem, port = self._bar_cpu(i, off)
        if port is not None:
            return {1: self.q.inb, 2: self.q.inw, 4: self.q.inl}[size](port)
        return {1: self.q.readb, 2: self.q.readw, 4: self.q.readl,
                8: self.q.readq}[size](mem)

    def bar_wr(self, i, off, val, size=4):
        mem, port = self._bar_cpu(i, off)
        if port is not None:
            {1: self.q.outb, 2: self.q.outw, 4: self.q.outl}[size](port, val)
            return
        {1: self.q.writeb, 2: self.q.writew, 4: self.q.writel,
         8: self.q.writeq}[size](mem, val)

    def bar_mem(self, i, off, size):
        return self.q.memread(self.bars[i].addr + off, size)

    def bar_fill(self, i, off, data):
        self.q.memwrite(self.bars[i].addr + off, data)

    # -- interrupts
    def msi_enable(self, addr, data, mme=0):
        cap = self.caps()[0x05]
        ctl = self.rd(cap + 2, 2)
        self.wr(cap + 4, addr & 0xffffffff)
        if ctl & 0x80:              # 64-bit address
            self.wr(cap + 8, addr >> 32)
            self.wr(cap + 0xc, data, 2)
        else:
            self.wr(cap + 8, data, 2)
        self.wr(cap + 2, (ctl & ~0x70) | mme << 4 | 1, 2)

    def msix_table(self):
        """(BAR index, table offset, PBA BAR, PBA offset, vectors)."""
        cap = self.caps()[0x11]
        t, p = self.rd(cap + 4), self.rd(cap + 8)
        vectors = (self.rd(cap + 2, 2) & 0x7ff) + 1
        return (t & 7, t & ~7, p & 7, p & ~7, vectors)

    def msix_enable(self):
        cap = self.caps()[0x11]
        self.wr(cap + 2, (self.rd(cap + 2, 2) & ~0x4000) | 0x8000, 2)

    def msix_entry(self, vec, addr, data, masked):
        bar, toff, _, _, _ = self.msix_table()
        base = toff + 16 * vec
        self.bar_wr(bar, base, addr & 0xffffffff)
        self.bar_wr(bar, base + 4, addr >> 32)
        self.bar_wr(bar, base + 8, data)
        self.bar_wr(bar, base + 12, 1 if masked else 0)


def clock_now(q):
    return q.clock_step(0)


def clock_set(q, ns):
    """qtest clock_set: advance to NS (no-op if already past); returns the
    clock."""
    return int(q.ok(f"clock_set {ns}"))


def pattern(n, seed):
    rnd = random.Random(seed)
    return bytes(rnd.getrandbits(8) for _ in range(n))


def u32(q, addr):
    return int.from_bytes(q.memread(addr, 4), "little")


# ---------------------------------------------------------------- scenarios
#
# A scenario puts one model into a distinctive state with something in
# flight, says what to read back (registers, device memory, guest RAM the
# device writes) and how the in-flight operation must finish.  ctx carries
# what setup() learnt (deadlines, expected data) to finish().


class Scenario:
    model = ""
    props = {}              # per machine name: props string
    bad_props = None        # destination props that must be refused
    bad_reason = ""         # a fragment of the refusal message

    def device(self, plat, extra=""):
        p = self.props.get(plat.name, self.props.get("*", ""))
        parts = [f"vpci-{self.model}"] + [x for x in (p, extra) if x]
        return ",".join(parts)

    def setup(self, fn, ctx):
        raise NotImplementedError

    def regs(self, fn):
        """{name: value} of the model's registers (reads have no side
        effects on any of them)."""
        raise NotImplementedError

    def memory(self, fn):
        """{name: bytes} of device memory reachable by MMIO."""
        return {}

    def ram(self, fn, ctx):
        """{name: bytes} of guest RAM the device writes (DMA target, MSI
        word)."""
        return {}

    def finish(self, fn, c, tag, ctx):
        """Complete the in-flight operation and check its result."""
        raise NotImplementedError

    def cancelled(self, fn, c, tag, ctx, regs0):
        """After a reset, with bus mastering back on: step past the old
        deadline; a timer that survived the reset would change registers
        (completion status) and RAM."""
        q = fn.q
        before = self.ram(fn, ctx)
        q.clock_step(max(ctx["deadline_ns"] - clock_now(q), 0) + 10 * MS)
        c.equal(f"{tag}: the operation in flight was cancelled (registers "
                "still at reset values past its deadline)", self.regs(fn),
                regs0)
        c.equal(f"{tag}: ... and guest RAM untouched", self.ram(fn, ctx),
                before)


class Edu(Scenario):
    """QEMU's edu: LIVENESS/FACTORIAL/STATUS written, INTR_STATUS 0x40, MSI
    to RAM, the 4 KiB DMA buffer filled from RAM by a completed DMA, then a
    buffer -> RAM DMA with IRQ started and stopped 40 ms into its 100 ms,
    and an interrupt raised with bus mastering off (its MSI held)."""
    model = "edu"
    # virt's RAM is above edu's default 28-bit DMA mask
    props = {"q35": "", "virt": "dma_mask=0xffffffffff"}
    bad_props = None        # its one property changes no layout

    def setup(self, fn, ctx):
        q, ram, bar = fn.q, fn.plat.ram, fn.bars[0].addr
        ctx["msi"], ctx["src"], ctx["dst"] = ram, ram + 0x10000, ram + 0x20000
        fn.msi_enable(ctx["msi"], 0x4321)
        q.writel(bar + 0x04, 0x12345678)        # LIVENESS
        q.writel(bar + 0x08, 10)                # FACTORIAL: 10!
        q.writel(bar + 0x20, 0x80)              # STATUS.IRQFACT
        q.writel(bar + 0x60, 0x40)              # INTR_RAISE 0x40 (MSI sent)
        ctx["data"] = pattern(4096, 1)
        q.memwrite(ctx["src"], ctx["data"])
        q.writeq(bar + 0x80, ctx["src"])        # RAM -> buffer, completed
        q.writeq(bar + 0x88, 0x40000)
        q.writeq(bar + 0x90, 4096)
        q.writeq(bar + 0x98, 1)
        q.clock_step(101 * MS)
        q.memwrite(ctx["src"], bytes(4096))     # the data is now only in
        q.memwrite(ctx["msi"], bytes(4))        # the device's buffer
        q.writeq(bar + 0x80, 0x40000)           # buffer -> RAM, with IRQ
        q.writeq(bar + 0x88, ctx["dst"])
        q.writeq(bar + 0x90, 4096)
        start = clock_now(q)
        q.writeq(bar + 0x98, 1 | 2 | 4)
        # QEMU's edu: timer_mod(ms + 100) from the start in whole ms
        ctx["deadline_ns"] = start // MS * MS + 100 * MS
        q.clock_step(40 * MS)
        # bus mastering off, then an interrupt: libvpci holds the MSI
        # until mastering is back (part of the state too)
        fn.enable(0x3)
        q.writel(bar + 0x60, 0x2)               # INTR_RAISE 0x2

    def regs(self, fn):
        bar = fn.bars[0].addr
        r = {n: fn.q.readl(bar + o) for n, o in
             (("ID", 0), ("LIVENESS", 4), ("FACTORIAL", 8), ("STATUS", 0x20),
              ("INTR_STATUS", 0x24))}
        r.update({n: fn.q.readq(bar + o) for n, o in
                  (("DMA_SRC", 0x80), ("DMA_DST", 0x88), ("DMA_CNT", 0x90),
                   ("DMA_CMD", 0x98))})
        return r

    def ram(self, fn, ctx):
        return {"DMA destination": fn.q.memread(ctx["dst"], 4096),
                "MSI word": fn.q.memread(ctx["msi"], 4)}

    def finish(self, fn, c, tag, ctx):
        q, bar = fn.q, fn.bars[0].addr
        c.equal(f"{tag}: MSI held while bus mastering is off",
                u32(q, ctx["msi"]), 0)
        fn.enable()
        c.equal(f"{tag}: held MSI sent when bus mastering is back",
                u32(q, ctx["msi"]), 0x4321)
        q.memwrite(ctx["msi"], bytes(4))
        clock_set(q, ctx["deadline_ns"] - MS)
        c.check(f"{tag}: DMA still running 1 ms before its deadline",
                q.readq(bar + 0x98) & 1 and
                q.memread(ctx["dst"], 4096) == bytes(4096),
                f"DMA_CMD 0x{q.readq(bar + 0x98):x}")
        clock_set(q, ctx["deadline_ns"] + MS)
        c.equal(f"{tag}: DMA done at its deadline (DMA_CMD)",
                q.readq(bar + 0x98), 6)
        c.equal(f"{tag}: DMA copied the device buffer to RAM",
                q.memread(ctx["dst"], 4096), ctx["data"])
        c.equal(f"{tag}: INTR_STATUS 0x100 | 0x40 | 0x2",
                q.readl(bar + 0x24), 0x142)
        c.equal(f"{tag}: completion MSI arrived", u32(q, ctx["msi"]), 0x4321)


class DmaEngine(Scenario):
    """dma-engine: MSI to RAM, a 16 KiB copy with IRQ_EN stopped after 2 of
    its 4 chunks (COPIED 8192, BUSY), a second START ignored (IGNORED 1)."""
    model = "dma-engine"
    props = {"*": ""}
    # the Device/Port type is a read-only field of the PCIe capability
    bad_props = "vpci-type=endpoint"
    bad_reason = "config space layout differs"
    R = 0x1000

    def setup(self, fn, ctx):
        q, ram, bar = fn.q, fn.plat.ram, fn.bars[0].addr + self.R
        ctx["msi"], ctx["src"], ctx["dst"] = ram, ram + 0x10000, ram + 0x20000
        fn.msi_enable(ctx["msi"], 0x5151)
        ctx["data"] = pattern(16384, 2)
        q.memwrite(ctx["src"], ctx["data"])
        q.writeq(bar + 0x00, ctx["src"])
        q.writeq(bar + 0x08, ctx["dst"])
        q.writeq(bar + 0x10, 16384 << 32)
        start = clock_now(q)
        q.writeq(bar + 0x18, 0x3)               # START | IRQ_EN
        ctx["deadline_ns"] = start + 4 * US     # 1 us per 4 KiB chunk
        q.clock_step(2 * US + 500)
        q.writeq(bar + 0x18, 0x3)               # ignored: busy

    def regs(self, fn):
        bar = fn.bars[0].addr + self.R
        names = ("SRC", "DST", "SIZE", "CTRL", "ERR_CODE", "ERR_ADDR",
                 "COPIED", "IGNORED")
        return {n: fn.q.readq(bar + 8 * i) for i, n in enumerate(names)}

    def memory(self, fn):
        # outside the register block BAR0 reads 0: still the BAR's content
        return {"BAR0 around the registers": fn.bar_mem(0, 0xfc0, 0xc0)}

    def ram(self, fn, ctx):
        return {"copy destination": fn.q.memread(ctx["dst"], 16384),
                "MSI word": fn.q.memread(ctx["msi"], 4)}

    def finish(self, fn, c, tag, ctx):
        q, bar = fn.q, fn.bars[0].addr + self.R
        clock_set(q, ctx["t_saved"])
        c.check(f"{tag}: copy half done after restore",
                q.readq(bar + 0x30) == 8192 and
                q.memread(ctx["dst"] + 8192, 8192) == bytes(8192),
                f"COPIED {q.readq(bar + 0x30)}")
        clock_set(q, ctx["deadline_ns"] + US)
        c.equal(f"{tag}: CTRL DONE | IRQ_EN, not BUSY", q.readq(bar + 0x18),
                (1 << 32) | 2)
        c.equal(f"{tag}: COPIED", q.readq(bar + 0x30), 16384)
        c.equal(f"{tag}: destination holds the source",
                q.memread(ctx["dst"], 16384), ctx["data"])
        c.equal(f"{tag}: completion MSI arrived", u32(q, ctx["msi"]), 0x5151)


class EpfTest(Scenario):
    """epf-test: all six BARs, MSI-X vector 2 to RAM (vector 7 distinctive),
    RAM BARs 1..5 filled, registers set and a COPY with MSI-X pending 0.5 ms
    into its 1.016 ms."""
    model = "epf-test"
    props = {"*": ""}
    bad_props = "bar3=32K"
    bad_reason = "config space layout differs"  # BAR3 size mask

    def setup(self, fn, ctx):
        q, ram = fn.q, fn.plat.ram
        ctx["msi"], ctx["src"], ctx["dst"] = ram, ram + 0x10000, ram + 0x30000
        fn.msix_enable()
        fn.msix_entry(2, ctx["msi"], 0xabcd, masked=False)
        fn.msix_entry(7, 0x12345678abc, 0x7777, masked=True)
        for i in range(1, 6):                   # endpoint memory
            b = fn.bars[i]
            fn.bar_fill(i, 0, pattern(min(b.size, 0x20000), 10 + i))
        size = 8192
        ctx["data"] = pattern(size, 3)
        q.memwrite(ctx["src"], ctx["data"])
        regs = ((0x00, 0xa0a0a0a0), (0x0c, ctx["src"] & 0xffffffff),
                (0x10, ctx["src"] >> 32), (0x14, ctx["dst"] & 0xffffffff),
                (0x18, ctx["dst"] >> 32), (0x1c, size), (0x20, 0x5eed),
                (0x24, 2), (0x28, 3), (0x2c, 1))
        for off, val in regs:
            fn.bar_wr(0, off, val)
        start = clock_now(q)
        fn.bar_wr(0, 0x04, 0x20)                # COMMAND COPY
        ctx["deadline_ns"] = start + MS + 2 * size  # poll + DMA 1 ns/byte
        q.clock_step(500 * US)

    def regs(self, fn):
        return {f"0x{o:02x}": fn.bar_rd(0, o) for o in range(0, 0x34, 4)}

    def memory(self, fn):
        bar, toff, pbar, poff, n = fn.msix_table()
        m = {"MSI-X table": fn.bar_mem(bar, toff, 16 * n),
             "MSI-X PBA": fn.bar_mem(pbar, poff, 8 * ((n + 63) // 64))}
        for i in range(1, 6):
            m[f"BAR{i} memory"] = fn.bar_mem(i, 0, min(fn.bars[i].size,
                                                        0x20000))
        return m

    def ram(self, fn, ctx):
        return {"copy destination": fn.q.memread(ctx["dst"], 8192),
                "MSI word": fn.q.memread(ctx["msi"], 4)}

    def finish(self, fn, c, tag, ctx):
        q = fn.q
        clock_set(q, ctx["t_saved"])
        c.equal(f"{tag}: COMMAND still pending after restore",
                fn.bar_rd(0, 0x04), 0x20)
        clock_set(q, ctx["deadline_ns"] + US)
        c.equal(f"{tag}: COMMAND taken", fn.bar_rd(0, 0x04), 0)
        c.equal(f"{tag}: STATUS COPY_SUCCESS | IRQ_RAISED",
                fn.bar_rd(0, 0x08), 0x50)
        c.equal(f"{tag}: destination holds the source",
                q.memread(ctx["dst"], 8192), ctx["data"])
        c.equal(f"{tag}: MSI-X vector 2 arrived", u32(q, ctx["msi"]), 0xabcd)


class VirtPci(Scenario):
    """virt-pci,msi=on,msix=on,pcie=on: BAR0/BAR1(IO)/BAR2(MSI-X), INT_MASK
    and all SCRATCH registers written, a MUL4 done whose MSI-X message waits
    in the PBA behind a masked vector.  No timer (its jobs are synchronous):
    the pending message is what is in flight."""
    model = "virt-pci"
    props = {"*": "msi=on,msix=on,pcie=on"}
    bad_props = "msix=off"
    bad_reason = "config space layout differs"

    def setup(self, fn, ctx):
        q, ram = fn.q, fn.plat.ram
        ctx["msi"], ctx["src"], ctx["dst"] = ram, ram + 0x10000, ram + 0x20000
        fn.msix_enable()
        fn.msix_entry(0, ctx["msi"], 0x7777, masked=True)
        fn.bar_wr(0, 0x0c, 0x3)                 # INT_MASK: MUL2, MUL4
        for i in range(56):
            fn.bar_wr(0, 0x20 + 4 * i, 0x5a000000 | i * 0x010101)
        words = [random.Random(4).getrandbits(32) for _ in range(256)]
        ctx["words"] = words
        q.memwrite(ctx["src"], b"".join(w.to_bytes(4, "little")
                                        for w in words))
        fn.bar_wr(0, 0x10, ctx["src"])
        fn.bar_wr(0, 0x14, ctx["dst"])
        fn.bar_wr(0, 0x18, 1024)
        fn.bar_wr(0, 0x04, 0x2)                 # MUL4: message now pending
        fn.bar_wr(0, 0x18, 4092)                # distinctive, not run
        ctx["deadline_ns"] = clock_now(fn.q)

    def regs(self, fn):
        r = {f"BAR0 0x{o:02x}": fn.bar_rd(0, o) for o in range(0, 0x100, 4)}
        r["ERROR_CODE"] = fn.bar_rd(0, 0x100)
        r["ERROR_ADDR"] = fn.bar_rd(0, 0x104)
        r["BAR1 (IO)"] = fn.bar_rd(1, 0)
        return r

    def memory(self, fn):
        bar, toff, pbar, poff, _ = fn.msix_table()
        return {"MSI-X table": fn.bar_mem(bar, toff, 16),
                "MSI-X PBA": fn.bar_mem(pbar, poff, 8)}

    def ram(self, fn, ctx):
        return {"MUL4 result": fn.q.memread(ctx["dst"], 1024),
                "MSI word": fn.q.memread(ctx["msi"], 4)}

    def finish(self, fn, c, tag, ctx):
        q = fn.q
        bar, toff, pbar, poff, _ = fn.msix_table()
        c.equal(f"{tag}: MSI-X message still pending (PBA bit 0)",
                fn.bar_rd(pbar, poff), 1)
        fn.bar_wr(bar, toff + 12, 0)            # unmask: the message goes
        c.equal(f"{tag}: pending MSI-X message arrived on unmask",
                u32(q, ctx["msi"]), 0x7777)
        c.equal(f"{tag}: PBA clear after delivery", fn.bar_rd(pbar, poff), 0)
        want = b"".join((w * 4 & 0xffffffff).to_bytes(4, "little")
                        for w in ctx["words"])
        c.equal(f"{tag}: MUL4 result carried", q.memread(ctx["dst"], 1024),
                want)
        # the engine still works: bus mastering and registers were carried
        fn.bar_wr(0, 0x14, ctx["dst"] + 0x1000)
        fn.bar_wr(0, 0x18, 1024)
        fn.bar_wr(0, 0x04, 0x1)                 # MUL2
        want2 = b"".join((w * 2 & 0xffffffff).to_bytes(4, "little")
                         for w in ctx["words"])
        c.equal(f"{tag}: MUL2 after restore", q.memread(ctx["dst"] + 0x1000,
                                                        1024), want2)

    def cancelled(self, fn, c, tag, ctx, regs0):
        # nothing is timed: the reset must drop the pending message instead
        bar, toff, pbar, poff, _ = fn.msix_table()
        c.equal(f"{tag}: MSI-X pending bit dropped", fn.bar_rd(pbar, poff), 0)


SCENARIOS = [Edu(), DmaEngine(), EpfTest(), VirtPci()]


def collect(fn, sc, ctx):
    """Everything the destination must read back the same."""
    st = {"config space": fn.dump()}
    for k, v in sc.regs(fn).items():
        st[f"register {k}"] = v
    for k, v in sc.memory(fn).items():
        st[k] = v
    for k, v in sc.ram(fn, ctx).items():
        st[f"RAM: {k}"] = v
    return st


def compare(c, tag, got, want):
    """One check for the config space, one for all registers, one per
    memory: name the first difference."""
    groups = {}
    for k in want:
        g = "registers" if k.startswith("register ") else k
        groups.setdefault(g, []).append(k)
    for g, keys in groups.items():
        bad = [k for k in keys if got.get(k) != want[k]]
        why = ""
        if bad:
            k = bad[0]
            a, b = got.get(k), want[k]
            if isinstance(b, bytes) and isinstance(a, bytes):
                off = next((i for i in range(min(len(a), len(b)))
                            if a[i] != b[i]), min(len(a), len(b)))
                why = (f"{k}: first difference at 0x{off:x}: got "
                       f"{a[off:off + 8].hex()}, want {b[off:off + 8].hex()}")
            else:
                why = f"{k}: got {qemulib.fmt(a)}, want {qemulib.fmt(b)}"
            why += f" ({len(bad)} of {len(keys)} differ)"
        c.check(f"{tag}: {g} carried", not bad, why)


# ---------------------------------------------------------------- migration


def wait_migration(q, timeout=60):
    """query-migrate until completed/failed; a destination that refuses
    the stream exits (QEMU 7.2 exits 1 on a failed incoming migration)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if q.proc.poll() is not None:
            return f"exited with status {q.proc.returncode}"
        try:
            st = (q.qmp("query-migrate") or {}).get("status")
        except (QemuError, OSError):    # the destination is exiting
            st = None
        if st in ("completed", "failed", "cancelled"):
            return st
        time.sleep(0.01)
    return "timeout"


def prepare(q, plat, sc, ctx):
    plat.prelude(q)
    fn = Fn(q, plat)
    fn.assign_bars()
    fn.enable()
    sc.setup(fn, ctx)
    return fn


def area_migrate(c, plat, qemu, tmp):
    if plat.name == "q35":
        migrate_intx(c, plat, qemu, tmp)
    for sc in SCENARIOS:
        dev = sc.device(plat) + ",addr=01.0,id=dut"
        tag = f"migrate {plat.name} {sc.model}"
        stream = os.path.join(tmp, f"{sc.model}.mig")
        ctx = {}
        with Qemu(qemu, plat.args + ["-device", dev], qmp=True) as src:
            fn = prepare(src, plat, sc, ctx)
            before = collect(fn, sc, ctx)
            ctx["t_saved"] = clock_now(src)
            src.qmp("migrate", uri=f"exec:cat > {stream}")
            st = wait_migration(src)
            if not c.equal(f"{tag}: source migration", st, "completed"):
                print(src.stderr())
                continue
            bars = list(fn.bars.values())
        with Qemu(qemu, plat.args + ["-device", dev, "-incoming", "defer"],
                  qmp=True) as dst:
            dst.qmp("migrate-incoming", uri=f"exec:cat {stream}")
            st = wait_migration(dst)
            if not c.equal(f"{tag}: destination migration", st, "completed"):
                print(dst.stderr())
                continue
            fn2 = Fn(dst, plat, bars=bars)
            compare(c, tag, collect(fn2, sc, ctx), before)
            sc.finish(fn2, c, tag, ctx)
            c.equal(f"{tag}: destination stderr empty", dst.stderr(), "")

        if plat.name != "q35":
            continue
        # A stream whose blob was damaged in transit: libvpci's CRC-32
        # catches what QEMU's stream format does not check.
        with open(stream, "rb") as f:
            data = bytearray(f.read())
        at = data.find(b"VPCISTAT")
        if c.check(f"{tag}: the stream holds libvpci's blob", at >= 0):
            data[at + 0x80] ^= 0x01     # in the saved config space
            bad_stream = stream + ".bad"
            with open(bad_stream, "wb") as f:
                f.write(data)
            with Qemu(qemu, plat.args + ["-device", dev, "-incoming",
                                         "defer"], qmp=True) as dst:
                dst.qmp("migrate-incoming", uri=f"exec:cat {bad_stream}")
                st = wait_migration(dst)
                err = dst.stderr()
            c.check(f"{tag}: a corrupted blob is refused (CRC) and QEMU "
                    "exits 1", st == "exited with status 1" and
                    "CRC mismatch" in err, f"{st}; {err}")

        # The stream must be refused by a device of another layout.
        if sc.bad_props is None:
            bad_dev = "vpci-virt-pci,addr=01.0,id=dut"
            reason = "Bad config data"      # QEMU's own ID check comes first
            what = "another model (vpci-virt-pci)"
        else:
            bad_dev = sc.device(plat, sc.bad_props) + ",addr=01.0,id=dut"
            reason, what = sc.bad_reason, sc.bad_props
        with Qemu(qemu, plat.args + ["-device", bad_dev, "-incoming",
                                     "defer"], qmp=True) as dst:
            dst.qmp("migrate-incoming", uri=f"exec:cat {stream}")
            st = wait_migration(dst)
            err = dst.stderr()
        c.check(f"{tag}: destination with {what} refuses the stream and "
                "exits 1", st == "exited with status 1", f"{st}; {err}")
        c.check(f"{tag}: the refusal says why ({reason})",
                reason in err and "load of migration failed" in err, err)


def ioapic_irr(q):
    """Pins in the IOAPIC's IRR (HMP info pic: "  IRR      21 ")."""
    for line in q.hmp("info pic").splitlines():
        if line.strip().startswith("IRR"):
            return line.split()[1:]
    return []


def migrate_intx(c, plat, qemu, tmp):
    """The INTx level across migration (q35).  edu at 00:01.0 drives IOAPIC
    pin 21; made level-triggered (and masked: no CPU runs), the pin's IRR
    bit follows the line.  If the blob lost the level, the load's sync
    would drop the line at once; if it were kept wrongly, INTR_ACK would
    not drop it."""
    tag = f"migrate {plat.name} edu INTx"
    args = plat.args + ["-device", "vpci-edu,addr=01.0"]
    stream = os.path.join(tmp, "intx.mig")
    with Qemu(qemu, args, qmp=True) as src:
        plat.prelude(src)
        fn = Fn(src, plat)
        fn.assign_bars()
        fn.enable()
        bar = fn.bars[0].addr
        src.writel(0xfec00000, 0x10 + 2 * 21)       # IOREDTBL21 low dword:
        src.writel(0xfec00010, 1 << 16 | 1 << 15 | 0x30)  # masked, level
        src.writel(bar + 0x60, 0x8)                 # INTR_RAISE, MSI off
        c.check(f"{tag}: asserted on the source", "21" in ioapic_irr(src))
        src.qmp("migrate", uri=f"exec:cat > {stream}")
        if not c.equal(f"{tag}: source migration", wait_migration(src),
                       "completed"):
            return
    with Qemu(qemu, args + ["-incoming", "defer"], qmp=True) as dst:
        dst.qmp("migrate-incoming", uri=f"exec:cat {stream}")
        if not c.equal(f"{tag}: destination migration", wait_migration(dst),
                       "completed"):
            return
        c.check(f"{tag}: still asserted on the destination",
                "21" in ioapic_irr(dst), str(ioapic_irr(dst)))
        c.equal(f"{tag}: INTR_STATUS", dst.readl(bar + 0x24), 0x8)
        dst.writel(bar + 0x64, 0x8)                 # INTR_ACK
        c.check(f"{tag}: INTR_ACK on the destination deasserts it",
                "21" not in ioapic_irr(dst), str(ioapic_irr(dst)))


# ---------------------------------------------------------------- savevm


def area_savevm(c, plat, qemu, tmp):
    img = shutil.which("qemu-img")
    if not img:     # exit 77, or fail with VPCI_REQUIRE_QEMU
        skip("no qemu-img for the savevm disk (Debian's qemu-utils, which "
             "adapters/qemu/build-qemu.sh installs)")
    for sc in SCENARIOS:
        tag = f"savevm {plat.name} {sc.model}"
        disk = os.path.join(tmp, f"{sc.model}.qcow2")
        subprocess.run([img, "create", "-q", "-f", "qcow2", disk, "16M"],
                       check=True)
        ctx = {}
        args = plat.args + [
            "-drive", f"if=none,file={disk},format=qcow2,id=d0",
            "-device", sc.device(plat) + ",addr=01.0,id=dut"]
        with Qemu(qemu, args, qmp=True) as q:
            fn = prepare(q, plat, sc, ctx)
            before = collect(fn, sc, ctx)
            ctx["t_saved"] = clock_now(q)
            out = q.hmp("savevm s1")
            c.equal(f"{tag}: savevm", out, "")
            # wipe the state: reset the machine and the RAM the device wrote
            q.qmp("system_reset")
            plat.enable_ecam(q)
            q.memwrite(ctx["msi"], b"\xff" * 4)
            q.memwrite(ctx["dst"], b"\xee" * 4096)
            wiped = collect(fn, sc, ctx)
            c.check(f"{tag}: state differs after system_reset",
                    wiped["config space"] != before["config space"])
            out = q.hmp("loadvm s1")
            c.equal(f"{tag}: loadvm", out, "")
            compare(c, tag, collect(fn, sc, ctx), before)
            sc.finish(fn, c, tag, ctx)
            c.equal(f"{tag}: stderr empty", q.stderr(), "")


# ---------------------------------------------------------------- reset


def area_reset(c, plat, qemu, tmp):
    """System reset (QMP system_reset) of a device on the root bus, and a
    bus reset: Secondary Bus Reset of the pcie-root-port it sits behind."""
    for how in ("system_reset", "secondary bus reset"):
        for sc in SCENARIOS:
            tag = f"reset {plat.name} {sc.model} ({how})"
            ctx = {}
            if how == "system_reset":
                args = ["-device", sc.device(plat) + ",addr=01.0,id=dut"]
            else:
                args = ["-device", f"pcie-root-port,id=rp0,chassis=1,"
                        f"addr={RP:02x}.0",
                        "-device", sc.device(plat) + ",bus=rp0,id=dut"]
            with Qemu(qemu, plat.args + args, qmp=True) as q:
                plat.prelude(q)
                if how == "system_reset":
                    fn = Fn(q, plat)
                else:
                    open_root_port(q, plat)
                    fn = Fn(q, plat, bus=1, dev=0)
                cfg0 = fn.dump()        # reset image, as QEMU created it
                fn.assign_bars()
                fn.enable(0x3)
                regs0 = sc.regs(fn)     # registers at their reset values
                fn.enable()
                sc.setup(fn, ctx)
                cfg1, regs1 = fn.dump(), sc.regs(fn)
                c.check(f"{tag}: state before reset is distinctive",
                        cfg1 != cfg0 and regs1 != regs0)
                c.check(f"{tag}: BARs mapped in QEMU before reset",
                        len(mapped_bars(q, sc)) == len(fn.bars))
                if how == "system_reset":
                    q.qmp("system_reset")
                    plat.enable_ecam(q)     # the MCH was reset too
                else:
                    port = Fn(q, plat, dev=RP)
                    bctl = port.rd(0x3e, 2)
                    port.wr(0x3e, bctl | 0x40, 2)   # Secondary Bus Reset
                    port.wr(0x3e, bctl, 2)
                reset_checks(c, tag, fn, sc, ctx, cfg0, regs0)


def reset_checks(c, tag, fn, sc, ctx, cfg0, regs0):
    q = fn.q
    cfg = fn.dump()
    c.equal(f"{tag}: COMMAND 0", fn.rd(0x04, 2), 0)
    c.equal(f"{tag}: BARs 0", [fn.rd(0x10 + 4 * i) & ~0xf for i in range(6)],
            [0] * 6)
    caps = fn.caps()
    if 0x05 in caps:
        c.equal(f"{tag}: MSI disabled", fn.rd(caps[0x05] + 2, 2) & 1, 0)
    if 0x11 in caps:
        c.equal(f"{tag}: MSI-X disabled", fn.rd(caps[0x11] + 2, 2) & 0x8000,
                0)
    diff = [i for i in range(4096) if cfg[i] != cfg0[i]]
    c.check(f"{tag}: whole config space equals a fresh device's", not diff,
            f"{len(diff)} bytes differ, first at 0x{diff[0]:x}: "
            f"0x{cfg[diff[0]]:02x} != 0x{cfg0[diff[0]]:02x}" if diff else "")
    # QEMU unmapped the BARs (the reset's effects reached the adapter)
    mapped = mapped_bars(q, sc)
    c.equal(f"{tag}: no BAR left in QEMU's memory map", mapped, [])
    fn.place_bars()
    fn.enable()
    c.equal(f"{tag}: registers at their reset values", sc.regs(fn), regs0)
    sc.cancelled(fn, c, tag, ctx, regs0)
    c.equal(f"{tag}: stderr empty", q.stderr(), "")


def mapped_bars(q, sc):
    """The device's BAR regions in QEMU's memory map (HMP info mtree:
    "  00000000e0000000-00000000e00fffff (prio 1, i/o): vpci-edu-bar0")."""
    found = []
    for line in q.hmp("info mtree").splitlines():
        name = line.rsplit(": ", 1)[-1].strip()
        if name.startswith(f"vpci-{sc.model}-") and "alias" not in line:
            found.append(line.strip())
    return sorted(set(found))


def area_flr(c, plat, qemu, tmp):
    # virt-pci,pcie=on advertises FLR: bit 15 of Device Control resets it
    sc = VirtPci()
    tag = f"flr {plat.name} virt-pci"
    ctx = {}
    with Qemu(qemu, plat.args + ["-device", sc.device(plat) +
                                 ",addr=01.0"], qmp=True) as q:
        plat.prelude(q)
        fn = Fn(q, plat)
        cfg0 = fn.dump()
        fn.assign_bars()
        fn.enable(0x3)
        regs0 = sc.regs(fn)
        fn.enable()
        sc.setup(fn, ctx)
        exp = fn.caps()[0x10]
        c.check(f"{tag}: DevCap advertises FLR", fn.rd(exp + 4) & (1 << 28))
        c.check(f"{tag}: state before FLR is distinctive",
                fn.dump() != cfg0 and sc.regs(fn) != regs0)
        fn.wr(exp + 8, fn.rd(exp + 8, 2) | 0x8000, 2)
        reset_checks(c, tag, fn, sc, ctx, cfg0, regs0)

    # dma-engine is PCIe without FLR: the bit is not writable, nothing resets
    sc = DmaEngine()
    tag = f"flr {plat.name} dma-engine"
    ctx = {}
    with Qemu(qemu, plat.args + ["-device", sc.device(plat) +
                                 ",addr=01.0"], qmp=True) as q:
        fn = prepare(q, plat, sc, ctx)
        exp = fn.caps()[0x10]
        c.equal(f"{tag}: DevCap has no FLR", fn.rd(exp + 4) & (1 << 28), 0)
        cfg1, regs1 = fn.dump(), sc.regs(fn)
        fn.wr(exp + 8, fn.rd(exp + 8, 2) | 0x8000, 2)
        c.equal(f"{tag}: Initiate FLR ignored: config space unchanged",
                fn.dump(), cfg1)
        c.equal(f"{tag}: Initiate FLR ignored: registers unchanged",
                sc.regs(fn), regs1)


# ---------------------------------------------------------------- props


def parse_models(vpci_host):
    """vpci-host list-models: {model: (desc, [(name, type, default, help)])}"""
    out = subprocess.run([vpci_host, "list-models"], capture_output=True,
                         text=True, check=True).stdout
    models, cur = {}, None
    for line in out.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            name, desc = line.split(None, 1)
            cur = models[name] = (desc.strip(), [])
            continue
        spec, helptext = line.strip().split("  ", 1)
        pname, rest = spec.split("=", 1)
        ptype = rest[rest.index("<") + 1:rest.index(">")]
        default = rest.split("(default ", 1)[1].rstrip(")") \
            if "(default " in rest else None
        cur[1].append((pname, ptype, default, helptext.strip()))
    return models


def qemu_default(ptype, default):
    """How QEMU's help prints a libvpci default."""
    if default is None:
        return None
    if ptype == "bool":
        return "true" if default in ("on", "true", "yes") else "false"
    if ptype in ("u32", "u64"):
        mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
        if default[-1] in mult:
            return str(int(default[:-1], 0) * mult[default[-1]])
        return str(int(default, 0))
    return f'"{default}"'


def area_props(c, plat, qemu, tmp, vpci_host):
    if not c.check("props: vpci-host found (--vpci-host)",
                   vpci_host and os.access(vpci_host, os.X_OK)):
        return
    models = parse_models(vpci_host)
    devhelp = subprocess.run([qemu, "-device", "help"], capture_output=True,
                             text=True).stdout
    qtype = {"bool": "bool", "u32": "size", "u64": "size", "string": "str"}
    for model, (desc, props) in models.items():
        name = f"vpci-{model}"
        if model == "pci-bridge":   # type 1: QEMU's own bridges do that job
            c.check(f"props: {name} is not registered (a bridge)",
                    f'name "{name}"' not in devhelp)
            continue
        c.check(f"props: -device help lists {name} with its description",
                f'name "{name}", bus PCI, desc "{desc}"' in devhelp,
                f"no such line for {name}")
        r = subprocess.run([qemu, "-device", f"{name},help"],
                           capture_output=True, text=True)
        lines = r.stdout.splitlines()
        for pname, ptype, default, helptext in props:
            qname = pname if pname != "type" else "vpci-type"
            want = f"  {qname}=<{qtype[ptype]}>"
            line = next((ln for ln in lines if ln.startswith(want + " ")),
                        None)
            ok = line is not None and f"- {helptext}" in line
            d = qemu_default(ptype, default)
            if ok and d is not None:
                ok = line.endswith(f"(default: {d})")
            c.check(f"props: {name} help: {qname} with its description and "
                    f"default", ok, f"line {line!r}")
    # -global reaches the model as -device does; qom-get shows the values
    with Qemu(qemu, plat.args + ["-global", "vpci-epf-test.bar3=32K",
                                 "-device", "vpci-epf-test,addr=01.0,id=dut,"
                                 "msix_vectors=64"], qmp=True) as q:
        plat.prelude(q)
        fn = Fn(q, plat)
        bars = {b.index: b.size for b in fn.assign_bars()}
        c.equal("props: -global vpci-epf-test.bar3=32K sizes BAR3", bars[3],
                0x8000)
        c.equal("props: msix_vectors=64 reaches the MSI-X capability",
                fn.msix_table()[4], 64)
        got = {n: q.qmp("qom-get", path="dut", property=n)
               for n in ("bar3", "msix_vectors", "msi_vectors", "msi")}
        c.equal("props: qom-get of set and default values", got,
                {"bar3": 32768, "msix_vectors": 64, "msi_vectors": 32,
                 "msi": True})
    # (spec, the property the message must name).  QEMU prefixes the
    # message with the option ("-device SPEC: "), which names everything:
    # that prefix is cut off before looking.
    bad = [
        ("vpci-virt-pci,msi=maybe", "'msi'"),
        ("vpci-virt-pci,pcie=on", "pcie=on"),      # needs msi or msix
        ("vpci-epf-test,msi_vectors=3", "msi_vectors"),
        ("vpci-epf-test,msix_vectors=4096", "msix_vectors"),
        ("vpci-epf-test,bar3=100", "BAR3"),
        ("vpci-epf-test,vendor_id=0x10000", "vendor_id"),
        ("vpci-epf-test,bar5=5G", "'bar5'"),
        ("vpci-edu,dma_mask=0x1234", "dma_mask"),
        ("vpci-dma-engine,vpci-type=bogus", "type=bogus"),
        ("vpci-dma-engine,max-size=0", "max-size"),
        ("vpci-edu,nosuch=1", "nosuch"),
    ]
    for spec, name in bad:
        r = subprocess.run([qemu, "-accel", "qtest", "-display", "none",
                            "-nodefaults"] + plat.args + ["-device", spec],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=60)
        msg = r.stderr.replace(f"-device {spec}: ", "")
        c.check(f"props: -device {spec}: exit 1 with a message naming "
                f"{name}", r.returncode == 1 and name in msg,
                f"status {r.returncode}, stderr {r.stderr.strip()!r}")


# ---------------------------------------------------------------- unplug

RP = 2      # pcie-root-port at 00:02.0, the device behind it at 01:00.0
# registers of the Express capability a hot-plug driver uses
EXP_LNKSTA, EXP_SLTCTL, EXP_SLTSTA = 0x12, 0x18, 0x1a


def open_root_port(q, plat):
    """Bus numbers 0/1/1 and a memory window over the MMIO area, as
    firmware would program the port (all lost at system_reset)."""
    port = Fn(q, plat, dev=RP)
    port.wr(0x18, 0x010100)                     # primary 0, sec 1, sub 1
    base = plat.mmio >> 16
    port.wr(0x20, (base + 0x3ff) << 16 | base)  # 64 MiB window
    io = (plat.io_base >> 8) & 0xf0
    port.wr(0x1c, io << 8 | io, 2)              # 4 KiB IO window
    port.enable(0x7)                            # IO, memory, bus master
    # Slot power on, indicator on, attention off: the guest's side of native
    # PCIe hot-plug (q35 uses ACPI hot-plug and keeps the slot powered; on
    # virt a slot that was empty at reset stays off until this)
    sltctl = port.caps()[0x10] + EXP_SLTCTL
    port.wr(sltctl, (port.rd(sltctl, 2) & ~0x7c0) | 0x1c0, 2)


def complete_unplug(q, plat):
    """What the guest would do after device_del.  q35 (ACPI hot-plug): no
    guest runs, so a system reset completes the request, as QEMU's
    tests/qtest/device-plug-test.c does.  virt (native PCIe hot-plug): the
    guest's pciehp turns the slot's power and power indicator off, which
    detaches the device (pcie_cap_slot_write_config)."""
    if plat.name == "q35":
        q.qmp("system_reset")
        return
    port = Fn(q, plat, dev=RP)
    sltctl = port.caps()[0x10] + EXP_SLTCTL
    port.wr(sltctl, port.rd(sltctl, 2) | 0x400 | 0x300, 2)


def wait_hot_added(q, plat, fn, polls=50):
    """Read the hot-added function's Vendor ID until it answers, as Linux's
    pciehp does after a Presence Detect Changed event (pci_bus_check_dev
    polls for up to 1 s, 20 ms apart: a function may still be
    initialising).  Returns (vendor and device ID, the number of reads it
    took, "" or -- if it never answered -- the root port's state and
    QEMU's view of the bus, for the failure message)."""
    for n in range(1, polls + 1):
        vid = fn.rd(0x00)
        if vid not in (0xffffffff, 0):
            return vid, n, ""
        q.clock_step(20 * MS)
    port = Fn(q, plat, dev=RP)
    exp = port.caps()[0x10]
    view = " | ".join(ln.strip() for ln in q.hmp("info pci").splitlines())
    return vid, polls, (f"bus numbers 0x{port.rd(0x18):06x}, SLTCTL "
                        f"0x{port.rd(exp + EXP_SLTCTL, 2):04x}, SLTSTA "
                        f"0x{port.rd(exp + EXP_SLTSTA, 2):04x}, LNKSTA "
                        f"0x{port.rd(exp + EXP_LNKSTA, 2):04x}; "
                        f"QEMU's view: {view}")


def area_unplug(c, plat, qemu, tmp, valgrind=False):
    tag0 = "unplug" + (" (valgrind)" if valgrind else "")
    binary = qemu
    vg_log = os.path.join(tmp, "valgrind.%p.log")
    if valgrind:
        # a wrapper as the "binary", so qemulib needs no change
        binary = os.path.join(tmp, "qemu-valgrind")
        with open(binary, "w") as f:
            f.write("#!/bin/sh\nexec valgrind --error-limit=no "
                    "--leak-check=full --show-leak-kinds=all "
                    f"--num-callers=30 --log-file={vg_log} {qemu} \"$@\"\n")
        os.chmod(binary, 0o755)
        qemulib.ANSWER_TIMEOUT = 300    # valgrind starts QEMU slowly
    args = plat.args + ["-device",
                        f"pcie-root-port,id=rp0,chassis=1,addr={RP:02x}.0"]
    with Qemu(binary, args, qmp=True) as q:
        plat.prelude(q)
        open_root_port(q, plat)
        n = 0
        first_regs = {}     # a model's registers right after device_add
        for sc in SCENARIOS:
            tag = f"{tag0} {plat.name} {sc.model}"
            for round_ in (1, 2):
                n += 1
                dev_id = f"dut{n}"
                q.qmp("device_add", driver=f"vpci-{sc.model}", id=dev_id,
                      bus="rp0", **props_dict(sc.device(plat)))
                fn = Fn(q, plat, bus=1, dev=0)
                vid, polls, state = wait_hot_added(q, plat, fn)
                if polls > 1:
                    print(f"# {tag}: #{round_} answered after {polls} "
                          "Vendor ID reads")
                c.check(f"{tag}: device_add #{round_}: answers at 01:00.0",
                        not state, f"ID 0x{vid:x}; {state}")
                fn.assign_bars()
                fn.enable()
                ctx = {}
                regs0 = sc.regs(fn)
                c.check(f"{tag}: #{round_} starts from reset registers",
                        first_regs.setdefault(sc.model, regs0) == regs0,
                        f"{regs0} != {first_regs.get(sc.model)}")
                sc.setup(fn, ctx)   # with its operation in flight
                if round_ == 2:     # the re-added device works
                    ctx["t_saved"] = clock_now(q)
                    sc.finish(fn, c, f"{tag}: #2", ctx)
                q.qmp("device_del", id=dev_id)
                complete_unplug(q, plat)
                try:
                    ev = q.wait_event("DEVICE_DELETED")
                    got = ev["data"].get("device")
                except QemuError as e:
                    got = str(e)
                c.equal(f"{tag}: #{round_} DEVICE_DELETED", got, dev_id)
                plat.enable_ecam(q)
                open_root_port(q, plat)
                c.equal(f"{tag}: #{round_} 01:00.0 empty after unplug",
                        fn.rd(0x00), 0xffffffff)
                # the model's timer deadline passes with the model gone
                t = q.clock_step(200 * MS)
                c.check(f"{tag}: #{round_} QEMU keeps running (clock_step "
                        "past the old deadline)", t > 0)
        # a hot-plug whose realize fails leaves QEMU running
        try:
            q.qmp("device_add", driver="vpci-epf-test", id="bad", bus="rp0",
                  msi_vectors="3")
            err = "accepted"
        except QemuError as e:
            err = str(e)
        c.check(f"{tag0}: device_add with msi_vectors=3 refused by name",
                "msi_vectors is not" in err, err)
        c.check(f"{tag0}: QEMU still answers", clock_now(q) > 0)
        q.qmp("quit")
        q.proc.wait(timeout=300)
        stderr = q.stderr()
    c.equal(f"{tag0}: stderr empty", stderr, "")
    if valgrind:
        check_valgrind(c, tag0, tmp)


def props_dict(device):
    """'vpci-x,a=1,b=2' -> {'a': '1', 'b': '2'} for QMP device_add."""
    out = {}
    for kv in device.split(",")[1:]:
        k, v = kv.split("=", 1)
        out[k] = v
    return out


# Allocations made once per type at registration / class init live as long
# as QEMU; everything a device instance allocates must be gone once every
# device was unplugged.
CLASS_LEVEL = {"vpci_qemu_class_init", "vpci_qemu_model_class_init",
               "vpci_qemu_register_types"}


def frames(block):
    """Function names of a valgrind stack ("at/by 0x...: NAME (...)")."""
    out = []
    for ln in block:
        m = re.match(r"\s*(?:at|by) 0x[0-9A-Fa-f]+: (\S+)", ln)
        if m:
            out.append(m.group(1))
    return out


def check_valgrind(c, tag, tmp):
    logs = [os.path.join(tmp, f) for f in os.listdir(tmp)
            if f.startswith("valgrind.")]
    if not c.check(f"{tag}: valgrind log written", logs):
        return
    text = "".join(open(p).read() for p in logs)
    # one block per error / loss record, separated by "==PID== " lines
    blocks, cur = [], []
    for line in text.splitlines():
        body = line.split("== ", 1)[1] if "== " in line else ""
        if not body.strip():
            if cur:
                blocks.append(cur)
            cur = []
        else:
            cur.append(body)
    # libvpci's and the adapter's functions all start with vpci_
    ours = [b for b in blocks if any(f.startswith("vpci_") for f in frames(b))]
    errors = [b for b in ours if "loss record" not in b[0]]
    lost = [b for b in ours if "loss record" in b[0] and
            "still reachable" not in b[0]]
    left = [b for b in ours if "still reachable" in b[0] and
            not CLASS_LEVEL & set(frames(b))]
    summary = [ln for ln in text.splitlines() if "ERROR SUMMARY" in ln]
    print(f"# valgrind, QEMU as a whole: "
          f"{summary[-1].split('== ', 1)[-1] if summary else '?'} (only "
          "blocks with libvpci / adapter frames count here)")
    show = lambda bl: "\n".join("\n".join(b) for b in bl[:3])  # noqa: E731
    c.check(f"{tag}: no invalid access in libvpci or the adapter", not errors,
            show(errors))
    c.check(f"{tag}: no leak from libvpci or the adapter", not lost,
            show(lost))
    c.check(f"{tag}: nothing a device instance allocated is left after "
            "unplug (model, timers, blob freed at unrealize)", not left,
            show(left))
    c.check(f"{tag}: valgrind ran to the end", summary, "no ERROR SUMMARY")


# ---------------------------------------------------------------- main

AREAS = ("migrate", "savevm", "reset", "flr", "props", "unplug")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--machine", choices=("q35", "virt"), default="q35")
    ap.add_argument("--vpci-host", help="vpci-host binary (props: the "
                    "models' property list)")
    ap.add_argument("--valgrind", action="store_true",
                    help="unplug: run one QEMU under valgrind")
    ap.add_argument("areas", nargs="+", choices=AREAS)
    a = ap.parse_args()
    plat = Platform(a.machine)
    qemu = find_qemu(plat.arch, device="vpci-edu")
    c = Checks()
    with tempfile.TemporaryDirectory(prefix="vpci-adapter-") as tmp:
        for area in a.areas:
            t0 = time.monotonic()
            if area == "props":
                area_props(c, plat, qemu, tmp, a.vpci_host)
            elif area == "unplug":
                area_unplug(c, plat, qemu, tmp)
                if a.valgrind:
                    if shutil.which("valgrind"):
                        area_unplug(c, plat, qemu, tmp, valgrind=True)
                    else:
                        print("SKIP unplug under valgrind: no valgrind")
            else:
                globals()[f"area_{area}"](c, plat, qemu, tmp)
            print(f"# {area} ({plat.name}): {time.monotonic() - t0:.1f} s")
    c.done()


if __name__ == "__main__":
    main()
