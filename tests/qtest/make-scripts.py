#!/usr/bin/env python3
"""Write tests/qtest/scripts/MODEL/MACHINE/*.qtest, the qtest scripts
run-compare.sh runs against QEMU 7.2 (the model inside QEMU through the
adapter; for edu also QEMU's own edu) and against vpci-host (see README.md
for what each one checks).

The qtest protocol has no comments, so the scripts are generated from this
file and the modules in models/, which say what each line is for.  The
.qtest files (and their .props / .args siblings) are committed: running the
comparison needs no Python.  After editing, run
    tests/qtest/make-scripts.py [--vpci-host PATH]
and commit the changed scripts with it.

Where the scripts come from, for each model and machine (qtestgen.MACHINES):
  * models/common.py: identity, bar_sizing, config_rw, bar_dump for every
    model.  They are derived from the device itself: this script runs
    `vpci-host qtest` once per model and machine to read the config space
    and size the BARs (which is why it needs vpci-host), and places the
    BARs from that.  With models/common.py's FULL properties a model also
    gets them as NAME_full (e.g. virt-pci with msi=on,msix=on,pcie=on).
  * edu: the scripts below (the first suite, written against QEMU's own
    edu), converted to take a qtestgen.Machine.
  * models/NAME.py (every module but common.py): MODEL = "model-name" and
    scripts(m) -> {name: (lines, props)}.  A missing module is no error.
A model's own script replaces a generic one of the same name (edu's
bar_sizing replaces the generic one: it checks all that and more).
Output: NAME.qtest, NAME.props (device properties, one line, when there
are any), NAME.args (extra command-line words, when there are any) and
NAME.pace (where QEMU's device must be waited for: qtestgen.Pace);
files of a model/machine directory that this run did not write are removed.
"""
import argparse
import glob
import importlib.util
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "scripts")
sys.path.insert(0, HERE)
import qtestgen  # noqa: E402

# -- edu ------------------------------------------------------------------
# Written for q35 first: on q35 the scripts keep their original addresses
# (BAR0 at 0xfea00000 in QEMU's q35 PCI hole, buffers from 0x100000) so
# their transcripts stay the same; on virt BAR0 goes to m.mmio and every
# RAM address moves by VIRT_RAM_SHIFT into m.ram.


class Edu:
    """edu's addresses on machine M."""

    def __init__(self, m):
        self.m = m
        if m.name == "q35":
            self.bar, self.bar2 = 0xfea00000, 0xfeb00000
            self.shift = 0
        else:
            self.bar, self.bar2 = m.mmio, m.mmio + 0x100000
            # 0x100000 -> m.ram: past the DTB QEMU's virt puts at RAM's start
            self.shift = m.ram - 0x100000
        # QEMU's edu computes a factorial on a thread: wait until the
        # status register's "computing" bit (0x01) is clear.
        self.fact_done = qtestgen.Pace(f"readl {self.r(0x20)}", 0x1, 0x0)
        # ... and, with the factorial interrupt enabled, until the thread
        # has raised it (interrupt status bit 0x1): it clears "computing"
        # first and takes QEMU's big lock to raise the interrupt after.
        self.fact_irq = qtestgen.Pace(f"readl {self.r(0x24)}", 0x1, 0x1)

    def ram(self, addr):
        """A buffer address of the q35 scripts, on this machine."""
        return addr + self.shift

    def r(self, off):
        return f"0x{self.bar + off:x}"

    def map_bar(self, base=None):
        """BAR0 at @base, COMMAND = MEM | MASTER."""
        base = self.bar if base is None else base
        return self.m.cfg_wr(0x10, base) + self.m.cfg_wr(0x04, 0x0006, 2)


# The interrupt controller qtest's irq_intercept_in / set_irq_in name:
# (a short path, the absolute one, another partial one) and the input
# edu's INTA (slot 1) drives.  q35: the IOAPIC, slot 1 INTA -> PIRQF ->
# GSI 21.  virt: the GICv2, which QEMU's virt creates without a name, so
# its only path is /machine/unattached/device[1] (device[0] is the CPU);
# GPEX swizzles slot 1 INTA to its line 1, SPI 3 + 1 = GIC input 4.
INTC = {"q35": ("ioapic", "/machine/q35/ioapic", "q35/ioapic", 21),
        "virt": ("unattached/device[1]", "/machine/unattached/device[1]",
                 "machine/unattached/device[1]", 4)}

# On virt, edu's default 28-bit DMA mask cannot reach RAM (0x40000000 on):
# QEMU's edu would clamp the address and print "EDU: clamping DMA" on the
# qtest channel.  Scripts that DMA widen it (on every side).
EDU_VIRT_DMA_PROPS = "dma_mask=0xffffffff"


def bar_sizing(m):
    """Size BAR0 (1 MiB, 32-bit memory), the absent BARs and ROM; map it,
    enable decode, read edu's ID, size it again with decode on and off,
    move it, and the COMMAND register's writable bits."""
    e = Edu(m)
    rd, wr, reg, BAR, BAR2 = m.cfg_rd, m.cfg_wr, e.r, e.bar, e.bar2
    L = rd(0x10)
    L += wr(0x10, 0xffffffff) + rd(0x10)[-1:]              # 0xfff00000
    L += wr(0x10, 0) + rd(0x10)[-1:]
    for off in (0x14, 0x18, 0x1c, 0x20, 0x24, 0x30):       # nothing there
        L += wr(off, 0xffffffff) + rd(off)[-1:]
        L += wr(off, 0)
    L += wr(0x13, 0xff, 1) + rd(0x10) + wr(0x10, 0)        # byte-wise
    L += wr(0x10, BAR) + rd(0x10)[-1:]
    L += [f"readl {reg(0)}"]                                # decode off
    L += wr(0x04, 0x0006, 2) + rd(0x04, 2)[-1:]             # MEM | MASTER
    L += [f"readl {reg(0)}", f"readl {reg(4)}", f"readl {reg(0xfff00)}"]
    L += wr(0x04, 0x0004, 2)                                # decode off
    L += wr(0x10, 0xffffffff) + rd(0x10)[-1:] + wr(0x10, BAR)
    L += [f"readl {reg(0)}"]
    L += wr(0x04, 0x0006, 2) + [f"readl {reg(0)}"]
    L += wr(0x10, BAR | 0xfffff) + rd(0x10)[-1:] + [f"readl {reg(0)}"]
    L += wr(0x10, BAR2) + rd(0x10)[-1:] + [f"readl {reg(0)}", f"readl 0x{BAR2:x}"]
    L += wr(0x10, BAR) + [f"readl {reg(0)}", f"readl 0x{BAR2:x}"]
    L += wr(0x04, 0xffff, 2) + rd(0x04, 2)[-1:]             # writable bits
    L += wr(0x04, 0x0002, 2) + rd(0x04, 2)[-1:] + [f"readl {reg(0)}"]
    L += wr(0x04, 0x0006, 2) + rd(0x04, 2)[-1:] + [f"readl {reg(0)}"]
    return L


def liveness(m):
    """ID and the liveness register (reads back the inverse); accesses
    edu does not take: 8 bytes below 0x80, 1 and 2 bytes, writes to ID."""
    e = Edu(m)
    reg = e.r
    L = e.map_bar() + [f"readl {reg(0)}", f"readl {reg(4)}"]
    for v in (0x12345678, 0, 0xffffffff, 0xa5a55a5a, 0xdeadbeef):
        L += [f"writel {reg(4)} 0x{v:x}", f"readl {reg(4)}"]
    L += [f"writeq {reg(4)} 0x1111111122222222", f"readl {reg(4)}"]
    L += [f"writeb {reg(4)} 0x11", f"readl {reg(4)}"]
    L += [f"writew {reg(4)} 0x1111", f"readl {reg(4)}"]
    L += [f"readq {reg(0)}", f"readw {reg(0)}", f"readb {reg(0)}"]
    L += [f"writel {reg(0)} 0x0", f"readl {reg(0)}"]
    return L


def factorial(m):
    """Factorials (0 to 100: 32-bit wrap, 0 from 34 on), the status
    register (only bit 7 writable), an 8-byte write that edu ignores."""
    e = Edu(m)
    reg, DONE = e.r, e.fact_done
    L = e.map_bar() + [f"readl {reg(0x20)}", f"readl {reg(0x08)}"]
    for n in (0, 1, 5, 10, 12, 13, 20, 33, 34, 100):
        L += [f"writel {reg(0x08)} 0x{n:x}", DONE, f"readl {reg(0x20)}", f"readl {reg(0x08)}"]
    L += [f"writel {reg(0x20)} 0x80", f"readl {reg(0x20)}",
          f"writel {reg(0x20)} 0xffffffff", f"readl {reg(0x20)}",
          f"writel {reg(0x20)} 0x0", f"readl {reg(0x20)}"]
    L += [f"writeq {reg(0x08)} 7", DONE, f"readl {reg(0x08)}"]
    L += [f"readl {reg(0x24)}"]
    return L


def dma_regs(e):
    return [f"readq {e.r(o)}" for o in (0x80, 0x88, 0x90, 0x98)]


def dma(m):
    """DMA RAM -> device buffer (0x40000) and back to other RAM, timed by
    clock_step (edu: 100 ms on a millisecond timer), data written with write
    and b64write and read back with read and b64read; register accesses
    while a transfer runs; a start at a time that is not a whole ms."""
    e = Edu(m)
    reg, x = e.r, lambda a: f"0x{e.ram(a):x}"
    pattern = bytes((i * 7 + 3) & 0xff for i in range(64))
    L = e.map_bar()
    L += [f"write {x(0x100000)} 64 0x{pattern.hex()}",
          f"b64write {x(0x100040)} 16 ASNFZ4mrze/+3LqYdlQyEA==",
          f"read {x(0x100000)} 80", f"b64read {x(0x100000)} 80"]
    L += dma_regs(e)
    # RAM 0x100000 -> buffer 0x40000, 80 bytes
    L += [f"writeq {reg(0x80)} {x(0x100000)}", f"writeq {reg(0x88)} 0x40000",
          f"writeq {reg(0x90)} 80", f"writeq {reg(0x98)} 0x1"]
    L += dma_regs(e)
    L += [f"writeq {reg(0x80)} 0x999", f"writeq {reg(0x98)} 0x3"]  # ignored: running
    L += dma_regs(e)
    L += ["clock_step 50000000"] + [f"readq {reg(0x98)}"]
    L += ["clock_step 49999999"] + [f"readq {reg(0x98)}"]
    L += ["clock_step 1"] + dma_regs(e)
    # buffer 0x40000 -> RAM 0x200000 (cmd bit 1: to RAM)
    L += [f"writeq {reg(0x80)} 0x40000", f"writeq {reg(0x88)} {x(0x200000)}",
          f"writeq {reg(0x90)} 80", f"writeq {reg(0x98)} 0x3",
          "clock_step 100000000"] + dma_regs(e)
    L += [f"read {x(0x200000)} 80", f"b64read {x(0x200000)} 80"]
    # 4088 bytes through the buffer (QEMU's edu_check_range() wants the end
    # strictly below 0x41000: a transfer reaching it is a hw_error abort),
    # 32-bit register writes,
    # started 12345 ns after a whole ms
    L += [f"memset {x(0x300000)} 0x1000 0x5a", f"write {x(0x300100)} 8 0x0102030405060708",
          "clock_step 12345",
          f"writel {reg(0x80)} {x(0x300000)}", f"writel {reg(0x88)} 0x40000",
          f"writel {reg(0x90)} 0xff8", f"writel {reg(0x98)} 0x1",
          f"readl {reg(0x80)}", f"readl {reg(0x84)}", f"readl {reg(0x98)}",
          "clock_step 99987654", f"readq {reg(0x98)}",
          "clock_step 1", f"readq {reg(0x98)}",
          f"writeq {reg(0x80)} 0x40000", f"writeq {reg(0x88)} {x(0x400000)}",
          f"writeq {reg(0x90)} 0xff8", f"writeq {reg(0x98)} 0x3",
          "clock_set 300000000", f"readq {reg(0x98)}",
          "clock_set 400000000", f"readq {reg(0x98)}",
          f"b64read {x(0x400000)} 0x1000", f"read {x(0x4000f8)} 24", f"read {x(0x400ff0)} 16"]
    # part of the buffer: 16 bytes at buffer offset 0x800
    L += [f"writeq {reg(0x80)} {x(0x100000)}", f"writeq {reg(0x88)} 0x40800",
          f"writeq {reg(0x90)} 16", f"writeq {reg(0x98)} 0x1", "clock_step 100000000",
          f"writeq {reg(0x80)} 0x407f8", f"writeq {reg(0x88)} {x(0x500000)}",
          f"writeq {reg(0x90)} 32", f"writeq {reg(0x98)} 0x3", "clock_step 100000000",
          f"read {x(0x500000)} 32"]
    return L


def irq_status(m):
    """Interrupts through edu's status registers (no IRQ interception):
    raise (0x60) and acknowledge (0x64), INTx status in config space,
    Interrupt Disable, the factorial interrupt (status bit 7 -> 0x1), the
    DMA interrupt (command bit 2 -> 0x100)."""
    e = Edu(m)
    rd, wr, reg = m.cfg_rd, m.cfg_wr, e.r
    L = e.map_bar()
    L += [f"readl {reg(0x24)}", f"writel {reg(0x60)} 0x5", f"readl {reg(0x24)}"]
    L += rd(0x06, 2)                                       # INTx status bit 3
    L += [f"writel {reg(0x64)} 0x4", f"readl {reg(0x24)}"] + rd(0x06, 2)
    L += [f"writel {reg(0x64)} 0x1", f"readl {reg(0x24)}"] + rd(0x06, 2)
    L += [f"writel {reg(0x60)} 0x0", f"readl {reg(0x24)}"] + rd(0x06, 2)
    L += [f"writel {reg(0x60)} 0x80000000", f"readl {reg(0x24)}"]
    L += wr(0x04, 0x0406, 2) + rd(0x06, 2)                 # Interrupt Disable
    L += wr(0x04, 0x0006, 2) + rd(0x06, 2)
    L += [f"writel {reg(0x64)} 0xffffffff", f"readl {reg(0x24)}"] + rd(0x06, 2)
    L += [f"writeq {reg(0x60)} 0x1", f"readl {reg(0x24)}"]  # 8 bytes: ignored
    L += [f"readl {reg(0x60)}", f"readl {reg(0x64)}"]       # write-only
    # factorial with its interrupt
    L += [f"writel {reg(0x20)} 0x80", f"writel {reg(0x08)} 6", e.fact_irq,
          f"readl {reg(0x20)}", f"readl {reg(0x08)}", f"readl {reg(0x24)}"]
    L += rd(0x06, 2)
    L += [f"writel {reg(0x64)} 0x1", f"readl {reg(0x24)}", f"writel {reg(0x20)} 0x0"]
    L += rd(0x06, 2)
    # DMA with its interrupt
    buf = f"0x{e.ram(0x100000):x}"
    L += [f"write {buf} 4 0xcafef00d",
          f"writeq {reg(0x80)} {buf}", f"writeq {reg(0x88)} 0x40000",
          f"writeq {reg(0x90)} 4", f"writeq {reg(0x98)} 0x5",
          f"readl {reg(0x24)}", "clock_step 100000000",
          f"readq {reg(0x98)}", f"readl {reg(0x24)}"]
    L += rd(0x06, 2)
    L += [f"writel {reg(0x64)} 0x100", f"readl {reg(0x24)}"] + rd(0x06, 2)
    return L


def irq_lines(m):
    """The same interrupts seen as interrupt controller lines:
    irq_intercept_in (q35: the IOAPIC; virt: the GIC), then "IRQ raise N" /
    "IRQ lower N" (q35: 21; virt: 4) printed before the OK of the command
    that caused them; Interrupt Disable; DMA completion inside clock_step;
    set_irq_in."""
    e = Edu(m)
    wr, reg = m.cfg_wr, e.r
    short, full, partial, gsi = INTC[m.name]
    L = e.map_bar() + m.prelude
    L += [f"irq_intercept_in {short}", f"irq_intercept_in {short}",
          f"irq_intercept_out {short}", f"irq_intercept_in {full}",
          "irq_intercept_in nosuchdevice"]
    L += [f"writel {reg(0x60)} 0x1", f"writel {reg(0x60)} 0x2",
          f"writel {reg(0x64)} 0x1", f"writel {reg(0x64)} 0x2",
          f"readl {reg(0x24)}"]
    L += [f"writel {reg(0x60)} 0x10"]
    L += wr(0x04, 0x0406, 2)                              # INTx disabled: lower
    L += wr(0x04, 0x0006, 2)                              # enabled again: raise
    L += [f"writel {reg(0x64)} 0x10"]
    buf = f"0x{e.ram(0x100000):x}"
    L += [f"write {buf} 4 0x01020304",
          f"writeq {reg(0x80)} {buf}", f"writeq {reg(0x88)} 0x40000",
          f"writeq {reg(0x90)} 4", f"writeq {reg(0x98)} 0x5",
          "clock_step", "clock_step", f"readl {reg(0x24)}",
          f"writel {reg(0x64)} 0x100", "clock_step 1000000000"]
    L += [f"set_irq_in {short} unnamed-gpio-in 11 1", f"set_irq_in {short} unnamed-gpio-in 11 1",
          f"set_irq_in {short} unnamed-gpio-in 11 7", f"set_irq_in {short} unnamed-gpio-in 11 1",
          f"set_irq_in {short} unnamed-gpio-in 11 0",
          f"set_irq_in {partial} unnamed-gpio-in 0x{gsi:x} 1",
          f"writel {reg(0x60)} 0x1", f"writel {reg(0x64)} 0x1",
          "set_irq_in nosuchdevice unnamed-gpio-in 1 1"]
    if m.name == "virt":
        L += gicv2m_msi(m, e)
    return L


# virt's MSI doorbell, QEMU's GICv2m frame: MSI_TYPER (+0x8), MSI_IIDR
# (+0xfcc), MSI_SETSPI_NS (+0x40), 64 SPIs from INTID 80 = GIC input 48.
V2M = 0x08020000


def gicv2m_msi(m, e):
    """virt only: edu's MSI aimed at the GICv2m's MSI_SETSPI_NS, seen as
    a pulse of a GIC input ("IRQ raise 80" and "IRQ lower 80" for INTID
    112); data outside its SPIs pulses nothing; the CPU's own SETSPI
    writes (2 and 4 bytes count, 1 byte not, 8 bytes are two 4-byte
    halves) and the frame's registers."""
    rd, wr, reg = m.cfg_rd, m.cfg_wr, e.r
    L = [f"readl 0x{V2M + 0x8:x}", f"readq 0x{V2M + 0x8:x}", f"readw 0x{V2M + 0x8:x}",
         f"readl 0x{V2M + 0xa:x}", f"readl 0x{V2M + 0xfcc:x}", f"readl 0x{V2M + 0x40:x}",
         f"writel 0x{V2M + 0x40:x} 0x50", f"writel 0x{V2M + 0x40:x} 0x8f",
         f"writel 0x{V2M + 0x40:x} 0x90", f"writel 0x{V2M + 0x40:x} 0xc51",
         f"writew 0x{V2M + 0x40:x} 0x52", f"writeb 0x{V2M + 0x40:x} 0x53",
         f"writeq 0x{V2M + 0x3c:x} 0x5400000000", f"writew 0x{V2M + 0x42:x} 0x55"]
    # edu's MSI capability (0x40: 64-bit address, no per-vector mask)
    L += wr(0x44, V2M + 0x40) + wr(0x48, 0) + wr(0x4c, 0x70, 2)
    L += wr(0x42, 0x1, 2) + rd(0x42, 2)                  # MSI enable
    L += [f"writel {reg(0x60)} 0x1", f"writel {reg(0x60)} 0x2",   # two MSIs
          f"writel {reg(0x64)} 0x3", f"readl {reg(0x24)}"]
    L += wr(0x4c, 0x4f, 2) + [f"writel {reg(0x60)} 0x1", f"writel {reg(0x64)} 0x1"]
    L += wr(0x4c, 0x8f, 2)
    buf = f"0x{e.ram(0x100000):x}"
    L += [f"writeq {reg(0x80)} {buf}", f"writeq {reg(0x88)} 0x40000",
          f"writeq {reg(0x90)} 4", f"writeq {reg(0x98)} 0x5",
          "clock_step", f"readl {reg(0x24)}", f"writel {reg(0x64)} 0x100"]
    L += wr(0x42, 0x0, 2) + [f"writel {reg(0x60)} 0x1", f"writel {reg(0x64)} 0x1"]
    return L


def endianness(m):
    """endianness, and byte order of every width in RAM, in config space
    and in edu's registers."""
    e = Edu(m)
    rd, reg = m.cfg_rd, e.r

    def x(a):
        return f"0x{e.ram(a):x}"
    L = ["endianness"]
    L += [f"writeq {x(0x100000)} 0x0102030405060708"]
    L += [f"readb {x(0x100000 + i)}" for i in range(8)]
    L += [f"readw {x(0x100000)}", f"readw {x(0x100006)}", f"readl {x(0x100000)}",
          f"readl {x(0x100004)}", f"readq {x(0x100000)}", f"read {x(0x100000)} 8",
          f"b64read {x(0x100000)} 8",
          f"readw {x(0x100001)}", f"readl {x(0x100003)}", f"readq {x(0x100001)}"]
    L += [f"writel {x(0x100010)} 0xaabbccdd", f"writew {x(0x100014)} 0xeeff",
          f"writeb {x(0x100016)} 0x11",
          f"read {x(0x100010)} 8", f"write {x(0x100020)} 4 0x11223344", f"readl {x(0x100020)}",
          f"writeq {x(0x100007)} 0x8877665544332211", f"read {x(0x100000)} 16"]
    L += rd(0x00, 1) + rd(0x01, 1) + rd(0x02, 1) + rd(0x03, 1)
    L += rd(0x00, 2) + rd(0x02, 2)
    L += e.map_bar()
    L += [f"writel {reg(4)} 0x11223344", f"readl {reg(4)}",
          f"writeq {reg(0x80)} 0x0102030405060708", f"readq {reg(0x80)}",
          f"readl {reg(0x80)}"]
    return L


def mmio_bulk(m):
    """read, write, b64read, b64write and memset on edu's BAR: QEMU's
    address_space_read/write cut them into the largest naturally aligned
    pieces the region takes (here 4 and 8 bytes), so they reach edu's
    registers; pieces under 4 bytes read 0 and are dropped."""
    e = Edu(m)
    reg = e.r
    L = e.map_bar()
    L += [f"writel {reg(4)} 0x11223344", f"read {reg(4)} 4",
          f"writeq {reg(0x80)} 0x0102030405060708", f"read {reg(0x80)} 8",
          f"read {reg(0)} 16", f"read {reg(2)} 4", f"read {reg(0x7c)} 12",
          f"b64read {reg(0)} 8",
          f"write {reg(4)} 4 0x44332211", f"readl {reg(4)}",
          f"b64write {reg(4)} 4 qrvM3Q==", f"readl {reg(4)}",
          f"memset {reg(4)} 4 0x5a", f"readl {reg(4)}",
          f"write {reg(0x88)} 8 0x1122334455667788", f"readq {reg(0x88)}",
          f"write {reg(0x4)} 2 0x1111", f"readl {reg(4)}"]
    return L


def errors(m):
    """What a guest gets wrong: unmapped memory (and, on q35, ports),
    absent functions and buses (q35: through CF8, with its enable bit and
    reserved bits; virt: through ECAM), read-only fields, edu's BAR past
    its registers, accesses edu does not decode."""
    e = Edu(m)
    rd, wr, reg, BAR = m.cfg_rd, m.cfg_wr, e.r, e.bar
    if m.ecam is None:
        L = ["readl 0x10000000", "readq 0xc0000000", "readl 0x100000000",
             "readb 0xffffffffffffffff", "readq 0xfffffffffffffffc",
             "writel 0xc0000000 0x1", "readl 0xc0000000",
             "inl 0x5000", "inw 0x5000", "inb 0x5000", "outl 0x5000 0x1", "inl 0x5000"]
    else:
        # virt: the 32-bit PCI window with nothing in it (GPEX: all ones),
        # past RAM and between the windows (nothing: 0), the PCI IO
        # window (all ones), the 64-bit PCI window (all ones)
        L = ["readl 0x20000000", "readq 0x3e000000", "readb 0x3efeffff",
             "writel 0x20000000 0x1", "readl 0x20000000",
             "readl 0x50000000", "readq 0x4000000000", "readl 0x100000000",
             "readb 0xffffffffffffffff", "readq 0xfffffffffffffffc",
             "readl 0x3eff5000", "readw 0x3eff5000", "readb 0x3eff5001",
             "writel 0x3eff5000 0x1", "readl 0x3eff5000",
             "readl 0x8000000000", "readq 0x8000001000"]
    L += rd(0x00, dev=2) + rd(0x00, dev=0x1e)                 # absent slots
    L += rd(0x00, dev=1, fn=1) + rd(0x00, dev=1, fn=7)        # edu is single-function
    L += rd(0x00, bus=1) + rd(0x00, bus=0xff, dev=1)          # no such bus
    L += rd(0x00, 2, dev=2) + rd(0x03, 1, dev=2)
    L += wr(0x04, 0x6, 2, dev=2) + rd(0x04, dev=2)            # writes dropped
    if m.ecam is None:
        # CF8 specifics: the enable bit, CONFIG_ADDRESS itself, unaligned
        # CFC accesses, reserved bits
        cf8 = qtestgen.cf8
        L += [f"outl 0xcf8 0x{cf8(0x00, enable=False):08x}", "inl 0xcfc"]
        L += [f"outl 0xcf8 0x{cf8(0x10, enable=False):08x}", "outl 0xcfc 0xffffffff"]
        L += rd(0x10)                                         # ... writes dropped
        L += ["outl 0xcf8 0x80000800", "inl 0xcf8", "inl 0xcfc",
              "inl 0xcfd", "inw 0xcfd", "inw 0xcfe", "inb 0xcff"]
        L += ["outl 0xcf8 0x8f000800", "inl 0xcfc", "inl 0xcf8"]  # reserved bits
    else:
        # ECAM specifics: accesses not aligned to their width (QEMU's ECAM
        # region takes them as they come), 8-byte accesses (split in two),
        # the host bridge's extended space (conventional PCI: all ones),
        # the last bus, past the ECAM; and port IO, which on arm reaches
        # nothing at all (not the config ports, not PCI IO)
        ecam = m.ecam_addr
        L += [f"readw 0x{ecam(0x01):x}", f"readl 0x{ecam(0x02):x}",
              f"readl 0x{ecam(0x01):x}", f"readb 0x{ecam(0x03):x}",
              f"readq 0x{ecam(0x00):x}", f"readq 0x{ecam(0x04):x}",
              f"writeq 0x{ecam(0x3c):x} 0xffffffffffffffff", f"readl 0x{ecam(0x3c):x}",
              f"readl 0x{ecam(0x100, dev=0):x}", f"readl 0x{ecam(0xffc):x}",
              f"readl 0x{ecam(0, bus=0xff, dev=0x1f, fn=7):x}",
              f"readl 0x{ecam(0, bus=0xff) + 0x100000:x}"]
        L += ["outl 0xcf8 0x80000800", "inl 0xcfc", "inl 0x5000", "inw 0xcfe"]
    L += wr(0x3c, 0xab, 1) + rd(0x3c)                         # line: RW; pin: RO
    L += wr(0x3d, 0x4, 1) + rd(0x3c)
    L += wr(0x00, 0xffffffff) + rd(0x00)                      # IDs are RO
    L += wr(0x08, 0xffffffff) + rd(0x08)
    L += e.map_bar()
    L += [f"readl {reg(0x0c)}", f"readl {reg(0x10)}", f"readl {reg(0x28)}",
          f"readl {reg(0x7c)}", f"readl {reg(0xa0)}", f"readl {reg(0x100)}",
          f"readl {reg(0xffffc)}", f"readq {reg(0xffff8)}",
          f"readl {reg(0x2)}", f"readq {reg(0x4)}", f"readl {reg(0x84)}",
          f"readw {reg(0x80)}", f"readb {reg(0x24)}",
          f"writel {reg(0x0c)} 0x1", f"readl {reg(0x0c)}",
          f"writel {reg(0x2)} 0xffffffff", f"readl {reg(0x4)}",
          f"readl 0x{BAR + 0x100000:x}", f"readl 0x{BAR - 4:x}"]
    # a DMA register written as its upper dword alone
    L += [f"writel {reg(0x84)} 0x1", f"readq {reg(0x80)}"]
    return L


def protocol(m):
    """The qtest protocol itself: number syntax (hex, octal, decimal, sign,
    leading tab, trailing words), truncation of values to the access width,
    write's hex DATA (short, odd, bad digits, no 0x), b64write's decoding
    (padding, bad characters, short and long data), b64read of 0 bytes,
    memset, clock_step/clock_set edge cases, module_load, unknown commands
    and a leading space."""
    e = Edu(m)

    def x(a):
        return f"0x{e.ram(a):x}"
    # "readl 010" and "readl 1048576" are number syntax (octal 8, decimal
    # 0x100000): on q35 they read RAM; on virt the decimal one is the RAM
    # buffer's address in decimal
    dec = str(e.ram(0x100000))
    L = m.prelude + ["endianness",
         f"writel {x(0x100000)} -1", f"readl {x(0x100000)}", f"readq {x(0x100000)}",
         f"writel {x(0x100000)} 0x123456789", f"readq {x(0x100000)}",
         f"writeb {x(0x100008)} 0x1234", f"readb {x(0x100008)}",
         f"writew {x(0x10000a)} 0x12345", f"readw {x(0x10000a)}",
         "readl 010", f"readl +{x(0x100000)}", f"readl {x(0x100000)} junk",
         f"readl \t{x(0x100000)}",
         f"readl {dec}", "outb 0x80 -1", "outw 0x5000 0x123456", "outb 0x43 0x30",
         f"write {x(0x100100)} 4 0xzz12", f"read {x(0x100100)} 4",
         f"write {x(0x100100)} 4 0x1", f"read {x(0x100100)} 4",
         f"write {x(0x100100)} 4 0x123", f"read {x(0x100100)} 4",
         f"write {x(0x100100)} 2 0x11223344", f"read {x(0x100100)} 4",
         f"write {x(0x100100)} 4 xx5566", f"read {x(0x100100)} 4",
         f"write {x(0x100100)} 4 0xAbCd", f"read {x(0x100100)} 4",
         f"write {x(0x100100)} 4 0x1g2G", f"read {x(0x100100)} 4",
         f"write {x(0x100100)} 0 0x11", f"write {x(0x100100)} 4 ab",
         f"write {x(0x100100)} 4 0x",
         f"read {x(0x100100)} 4",
         f"b64write {x(0x100200)} 4 AAECAw==", f"read {x(0x100200)} 4",
         f"b64write {x(0x100200)} 2 AAECAw==", f"read {x(0x100200)} 8",
         f"b64write {x(0x100200)} 5 AAEC", f"read {x(0x100200)} 8",
         f"b64write {x(0x100200)} 4 A", f"b64write {x(0x100200)} 4 AB",
         f"b64write {x(0x100200)} 4 ABC", f"read {x(0x100200)} 4",
         f"b64write {x(0x100200)} 4 A*B@C!D.", f"read {x(0x100200)} 4",
         f"b64write {x(0x100200)} 4 AB=CD", f"read {x(0x100200)} 4",
         f"b64write {x(0x100200)} 3 ====", f"read {x(0x100200)} 4",
         f"b64write {x(0x100200)} 0 AAAA", f"read {x(0x100200)} 4",
         f"b64read {x(0x100200)} 0", f"b64read {x(0x100200)} 1",
         f"b64read {x(0x100200)} 2",
         f"b64read {x(0x100200)} 3", f"b64read {x(0x100200)} 4",
         f"b64read {x(0x100200)} 5",
         f"read {x(0x100200)} 1",
         f"memset {x(0x100300)} 4 0x1ff", f"read {x(0x100300)} 4",
         f"memset {x(0x100300)} 0 0x11",
         f"memset {x(0x100300)} 2 -1", f"read {x(0x100300)} 4",
         "clock_step 0", "clock_step", "clock_step -5", "clock_step 0x10",
         "clock_set 500", "clock_set 100", "clock_set -1", "clock_step 010",
         "clock_set 1000000000", "clock_step 5 extra",
         "module_load block curl", "module_load a b c",
         "rtas", "READL 0", "foo bar baz", " readl 0", "readl 0 ",
         "irq_intercept_in", "endianness extra"]
    # the last one asserts: "irq_intercept_in" alone ends the session
    idx = L.index("irq_intercept_in")
    return L[:idx + 1]


def abort_number(m):
    """A number qemu_strtou64() rejects (two spaces make an empty word):
    QEMU's g_assert fails, it prints "Bail out! ..." and aborts; nothing
    after it is answered."""
    a = f"0x{Edu(m).ram(0x100000):x}"
    return ["endianness", f"readl {a}", f"readl  {a}", "endianness"]


def abort_outport(m):
    """outb to a port above 0xffff: g_assert(addr <= 0xffff)."""
    return ["outb 0xffff 0x1", "outb 0x10000 0x1", "endianness"]


def abort_emptyline(m):
    """An empty line: no words, g_assert(command)."""
    return ["endianness", "", "endianness"]


def abort_readzero(m):
    """read with SIZE 0: g_assert(len)."""
    a = f"0x{Edu(m).ram(0x100000):x}"
    return [f"read {a} 1", f"read {a} 0", "endianness"]


def abort_range(m):
    """A number out of range (ERANGE) for clock_step's int64."""
    return ["clock_step 1000", "clock_step 9223372036854775808", "endianness"]


EDU_SCRIPTS = {
    "bar_sizing": bar_sizing, "liveness": liveness,
    "factorial": factorial, "dma": dma, "irq_status": irq_status,
    "irq_lines": irq_lines, "endianness": endianness, "mmio_bulk": mmio_bulk,
    "errors": errors,
    "protocol": protocol, "abort_number": abort_number,
    "abort_outport": abort_outport, "abort_emptyline": abort_emptyline,
    "abort_readzero": abort_readzero, "abort_range": abort_range,
}
# edu's DMA reaches RAM on virt only with a wider mask (EDU_VIRT_DMA_PROPS)
EDU_DMA = {"dma", "irq_status", "irq_lines"}


def edu_scripts(m):
    """{name: (lines, props)} for edu on M (identity is the generic one,
    which is exactly what edu's first identity script was)."""
    out = {}
    for name, fn in EDU_SCRIPTS.items():
        props = EDU_VIRT_DMA_PROPS if m.name == "virt" and name in EDU_DMA else ""
        out[name] = (fn(m), props)
    return out


# -- the generator --------------------------------------------------------

def find_vpci_host(path):
    """--vpci-host, $VPCI_HOST, vpci-host on $PATH, or a build directory's."""
    cands = [path, os.environ.get("VPCI_HOST"), shutil.which("vpci-host")]
    cands += sorted(glob.glob(os.path.join(ROOT, "build*", "vpci-host")))
    for c in cands:
        if c and os.access(c, os.X_OK):
            return c
    sys.exit("make-scripts: no vpci-host (build it, then pass --vpci-host PATH)")


def load_modules():
    """models/*.py but common.py: {model name: module}."""
    mods = {}
    for path in sorted(glob.glob(os.path.join(HERE, "models", "*.py"))):
        base = os.path.basename(path)[:-3]
        if base == "common" or base.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"qtest_models_{base}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mods[mod.MODEL] = mod
    return mods


def list_models(vpci_host):
    """The models vpci-host has: unindented lines of list-models."""
    out = subprocess.run([vpci_host, "list-models"], capture_output=True,
                         text=True, check=True).stdout
    return [ln.split()[0] for ln in out.splitlines() if ln and not ln[0].isspace()]


def write_dir(d, scripts):
    """Write {name: (lines, props[, args])} into D; drop what is stale."""
    os.makedirs(d, exist_ok=True)
    wrote = set()
    for name, entry in sorted(scripts.items()):
        lines, props = entry[0], entry[1]
        args = entry[2] if len(entry) > 2 else ""
        qtest, pace = [], []
        for ln in lines:
            if isinstance(ln, qtestgen.Pace):
                pace.append(ln.line(len(qtest)))
            else:
                qtest.append(ln)
        files = {".qtest": "\n".join(qtest) + "\n"}
        if pace:
            files[".pace"] = "\n".join(pace) + "\n"
        if props:
            files[".props"] = props + "\n"
        if args:
            files[".args"] = args + "\n"
        for ext, text in files.items():
            with open(os.path.join(d, name + ext), "w") as f:
                f.write(text)
            wrote.add(name + ext)
    for path in glob.glob(os.path.join(d, "*")):
        if os.path.basename(path) not in wrote and \
                path.endswith((".qtest", ".props", ".args", ".pace")):
            os.remove(path)
    return len([n for n in wrote if n.endswith(".qtest")])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vpci-host", help="the vpci-host binary the generic "
                    "scripts probe the devices with")
    ap.add_argument("--out", default=OUT, help="output directory [%(default)s]")
    opts = ap.parse_args()
    vpci_host = find_vpci_host(opts.vpci_host)
    sys.path.insert(0, os.path.join(HERE, "models"))
    import common  # noqa: E402
    mods = load_modules()
    for model in list_models(vpci_host):
        for mname, m in qtestgen.MACHINES.items():
            dev = common.probe(vpci_host, m, model)
            if dev.cfg(0x0e, 1) & 0x7f != 0:
                break        # a bridge: the QEMU adapter has no vpci-pci-bridge
            scripts = common.scripts(m, dev)
            if model in common.FULL:
                full = common.probe(vpci_host, m, model, common.FULL[model])
                scripts.update({n + "_full": s for n, s in
                                common.scripts(m, full).items()})
            own = edu_scripts(m) if model == "edu" else {}
            if model in mods:
                own.update(mods[model].scripts(m))
            scripts.update(own)
            n = write_dir(os.path.join(opts.out, model, mname), scripts)
            print(f"{model}/{mname}: {n} scripts")


if __name__ == "__main__":
    main()
