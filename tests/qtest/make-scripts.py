#!/usr/bin/env python3
"""Write tests/qtest/scripts/*.qtest, the qtest scripts run-compare.sh runs
against QEMU 7.2 and vpci-host (see README.md for what each one checks).

The qtest protocol has no comments, so the scripts are generated from this
file, which says what each line is for.  The .qtest files are committed:
running the comparison needs no Python.  After editing, run
    tests/qtest/make-scripts.py
and commit the changed scripts with it.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "scripts")

BAR = 0xfea00000          # where the scripts map edu's BAR0 (QEMU's q35 PCI hole)
BAR2 = 0xfeb00000         # ... and where they move it
# A 32 MiB memset of free RAM: in QEMU it takes a few ms of real time, so
# edu's factorial thread is done before the next command reads the result.
DELAY = "memset 0x1000000 0x2000000 0"
# The 8254 PIT of QEMU's q35 toggles IRQ 0 every 27.46 ms from reset; the
# mock host has no PIT.  Mode 0 (one shot) with the longest count makes its
# output rise once, 54.9 ms later, and then stay: after this prelude no PIT
# edge or PIT timer deadline is left.  The mock host ignores these ports.
PIT_QUIET = ["outb 0x43 0x30", "outb 0x40 0xff", "outb 0x40 0xff",
             "clock_step 60000000"]


def cf8(off, dev=1, fn=0, bus=0, enable=True):
    return (0x80000000 if enable else 0) | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc)


def cfg_rd(off, size=4, **kw):
    op = {1: "inb", 2: "inw", 4: "inl"}[size]
    return [f"outl 0xcf8 0x{cf8(off, **kw):08x}", f"{op} 0x{0xcfc + (off & 3):x}"]


def cfg_wr(off, val, size=4, **kw):
    op = {1: "outb", 2: "outw", 4: "outl"}[size]
    return [f"outl 0xcf8 0x{cf8(off, **kw):08x}", f"{op} 0x{0xcfc + (off & 3):x} 0x{val:x}"]


def map_bar(base=BAR):
    """BAR0 at @base, COMMAND = MEM | MASTER."""
    return cfg_wr(0x10, base) + cfg_wr(0x04, 0x0006, 2)


def reg(off):
    return f"0x{BAR + off:x}"


def identity():
    """edu's config space through CF8/CFC: each ID field at its own width,
    then all 256 bytes as dwords."""
    L = []
    L += cfg_rd(0x00, 2)   # vendor 0x1234
    L += cfg_rd(0x02, 2)   # device 0x11e8
    L += cfg_rd(0x00)      # both
    L += cfg_rd(0x04, 2)   # command 0
    L += cfg_rd(0x06, 2)   # status: capability list
    L += cfg_rd(0x08, 1)   # revision 0x10
    L += cfg_rd(0x09, 1)   # prog-if
    L += cfg_rd(0x0a, 2)   # class 0x00ff
    L += cfg_rd(0x0e, 1)   # header type 0
    L += cfg_rd(0x2c, 2)   # subsystem vendor 0x1af4
    L += cfg_rd(0x2e, 2)   # subsystem 0x1100
    L += cfg_rd(0x10)      # BAR0: unassigned (no firmware under qtest)
    L += cfg_rd(0x34, 1)   # capability pointer (MSI at 0x40)
    L += cfg_rd(0x3c, 1)   # interrupt line
    L += cfg_rd(0x3d, 1)   # interrupt pin A
    for off in range(0, 256, 4):
        L += cfg_rd(off)
    return L


def bar_sizing():
    """Size BAR0 (1 MiB, 32-bit memory), the absent BARs and ROM; map it,
    enable decode, read edu's ID, size it again with decode on and off,
    move it, and the COMMAND register's writable bits."""
    L = cfg_rd(0x10)
    L += cfg_wr(0x10, 0xffffffff) + ["inl 0xcfc"]          # 0xfff00000
    L += cfg_wr(0x10, 0) + ["inl 0xcfc"]
    for off in (0x14, 0x18, 0x1c, 0x20, 0x24, 0x30):       # nothing there
        L += cfg_wr(off, 0xffffffff) + ["inl 0xcfc"]
        L += cfg_wr(off, 0)
    L += cfg_wr(0x13, 0xff, 1) + cfg_rd(0x10) + cfg_wr(0x10, 0)   # byte-wise
    L += cfg_wr(0x10, BAR) + ["inl 0xcfc"]
    L += [f"readl {reg(0)}"]                                # decode off: 0
    L += cfg_wr(0x04, 0x0006, 2) + ["inw 0xcfc"]            # MEM | MASTER
    L += [f"readl {reg(0)}", f"readl {reg(4)}", f"readl {reg(0xfff00)}"]
    L += cfg_wr(0x04, 0x0004, 2)                             # decode off
    L += cfg_wr(0x10, 0xffffffff) + ["inl 0xcfc"] + cfg_wr(0x10, BAR)
    L += [f"readl {reg(0)}"]
    L += cfg_wr(0x04, 0x0006, 2) + [f"readl {reg(0)}"]
    L += cfg_wr(0x10, BAR | 0xfffff) + ["inl 0xcfc", f"readl {reg(0)}"]
    L += cfg_wr(0x10, BAR2) + ["inl 0xcfc", f"readl {reg(0)}", f"readl 0x{BAR2:x}"]
    L += cfg_wr(0x10, BAR) + [f"readl {reg(0)}", f"readl 0x{BAR2:x}"]
    L += cfg_wr(0x04, 0xffff, 2) + ["inw 0xcfc"]            # writable bits
    L += cfg_wr(0x04, 0x0002, 2) + ["inw 0xcfc", f"readl {reg(0)}"]
    L += cfg_wr(0x04, 0x0006, 2) + ["inw 0xcfc", f"readl {reg(0)}"]
    return L


def liveness():
    """ID and the liveness register (reads back the inverse); accesses
    edu does not take: 8 bytes below 0x80, 1 and 2 bytes, writes to ID."""
    L = map_bar() + [f"readl {reg(0)}", f"readl {reg(4)}"]
    for v in (0x12345678, 0, 0xffffffff, 0xa5a55a5a, 0xdeadbeef):
        L += [f"writel {reg(4)} 0x{v:x}", f"readl {reg(4)}"]
    L += [f"writeq {reg(4)} 0x1111111122222222", f"readl {reg(4)}"]
    L += [f"writeb {reg(4)} 0x11", f"readl {reg(4)}"]
    L += [f"writew {reg(4)} 0x1111", f"readl {reg(4)}"]
    L += [f"readq {reg(0)}", f"readw {reg(0)}", f"readb {reg(0)}"]
    L += [f"writel {reg(0)} 0x0", f"readl {reg(0)}"]
    return L


def factorial():
    """Factorials (0 to 100: 32-bit wrap, 0 from 34 on), the status
    register (only bit 7 writable), an 8-byte write that edu ignores."""
    L = map_bar() + [f"readl {reg(0x20)}", f"readl {reg(0x08)}"]
    for n in (0, 1, 5, 10, 12, 13, 20, 33, 34, 100):
        L += [f"writel {reg(0x08)} 0x{n:x}", DELAY, f"readl {reg(0x20)}", f"readl {reg(0x08)}"]
    L += [f"writel {reg(0x20)} 0x80", f"readl {reg(0x20)}",
          f"writel {reg(0x20)} 0xffffffff", f"readl {reg(0x20)}",
          f"writel {reg(0x20)} 0x0", f"readl {reg(0x20)}"]
    L += [f"writeq {reg(0x08)} 7", DELAY, f"readl {reg(0x08)}"]
    L += [f"readl {reg(0x24)}"]
    return L


def dma_regs():
    return [f"readq {reg(o)}" for o in (0x80, 0x88, 0x90, 0x98)]


def dma():
    """DMA RAM -> device buffer (0x40000) and back to other RAM, timed by
    clock_step (edu: 100 ms on a millisecond timer), data written with write
    and b64write and read back with read and b64read; register accesses
    while a transfer runs; a start at a time that is not a whole ms."""
    pattern = bytes((i * 7 + 3) & 0xff for i in range(64))
    L = map_bar()
    L += [f"write 0x100000 64 0x{pattern.hex()}",
          "b64write 0x100040 16 ASNFZ4mrze/+3LqYdlQyEA==",
          "read 0x100000 80", "b64read 0x100000 80"]
    L += dma_regs()
    # RAM 0x100000 -> buffer 0x40000, 80 bytes
    L += [f"writeq {reg(0x80)} 0x100000", f"writeq {reg(0x88)} 0x40000",
          f"writeq {reg(0x90)} 80", f"writeq {reg(0x98)} 0x1"]
    L += dma_regs()
    L += [f"writeq {reg(0x80)} 0x999", f"writeq {reg(0x98)} 0x3"]  # ignored: running
    L += dma_regs()
    L += ["clock_step 50000000"] + [f"readq {reg(0x98)}"]
    L += ["clock_step 49999999"] + [f"readq {reg(0x98)}"]
    L += ["clock_step 1"] + dma_regs()
    # buffer 0x40000 -> RAM 0x200000 (cmd bit 1: to RAM)
    L += [f"writeq {reg(0x80)} 0x40000", f"writeq {reg(0x88)} 0x200000",
          f"writeq {reg(0x90)} 80", f"writeq {reg(0x98)} 0x3",
          "clock_step 100000000"] + dma_regs()
    L += ["read 0x200000 80", "b64read 0x200000 80"]
    # 4088 bytes through the buffer (QEMU's edu_check_range() wants the end
    # strictly below 0x41000: a transfer reaching it is a hw_error abort),
    # 32-bit register writes,
    # started 12345 ns after a whole ms
    L += ["memset 0x300000 0x1000 0x5a", "write 0x300100 8 0x0102030405060708",
          "clock_step 12345",
          f"writel {reg(0x80)} 0x300000", f"writel {reg(0x88)} 0x40000",
          f"writel {reg(0x90)} 0xff8", f"writel {reg(0x98)} 0x1",
          f"readl {reg(0x80)}", f"readl {reg(0x84)}", f"readl {reg(0x98)}",
          "clock_step 99987654", f"readq {reg(0x98)}",
          "clock_step 1", f"readq {reg(0x98)}",
          f"writeq {reg(0x80)} 0x40000", f"writeq {reg(0x88)} 0x400000",
          f"writeq {reg(0x90)} 0xff8", f"writeq {reg(0x98)} 0x3",
          "clock_set 300000000", f"readq {reg(0x98)}",
          "clock_set 400000000", f"readq {reg(0x98)}",
          "b64read 0x400000 0x1000", "read 0x4000f8 24", "read 0x400ff0 16"]
    # part of the buffer: 16 bytes at buffer offset 0x800
    L += [f"writeq {reg(0x80)} 0x100000", f"writeq {reg(0x88)} 0x40800",
          f"writeq {reg(0x90)} 16", f"writeq {reg(0x98)} 0x1", "clock_step 100000000",
          f"writeq {reg(0x80)} 0x407f8", f"writeq {reg(0x88)} 0x500000",
          f"writeq {reg(0x90)} 32", f"writeq {reg(0x98)} 0x3", "clock_step 100000000",
          "read 0x500000 32"]
    return L


def irq_status():
    """Interrupts through edu's status registers (no IRQ interception):
    raise (0x60) and acknowledge (0x64), INTx status in config space,
    Interrupt Disable, the factorial interrupt (status bit 7 -> 0x1), the
    DMA interrupt (command bit 2 -> 0x100)."""
    L = map_bar()
    L += [f"readl {reg(0x24)}", f"writel {reg(0x60)} 0x5", f"readl {reg(0x24)}"]
    L += cfg_rd(0x06, 2)                                   # INTx status bit 3
    L += [f"writel {reg(0x64)} 0x4", f"readl {reg(0x24)}"] + cfg_rd(0x06, 2)
    L += [f"writel {reg(0x64)} 0x1", f"readl {reg(0x24)}"] + cfg_rd(0x06, 2)
    L += [f"writel {reg(0x60)} 0x0", f"readl {reg(0x24)}"] + cfg_rd(0x06, 2)
    L += [f"writel {reg(0x60)} 0x80000000", f"readl {reg(0x24)}"]
    L += cfg_wr(0x04, 0x0406, 2) + cfg_rd(0x06, 2)         # Interrupt Disable
    L += cfg_wr(0x04, 0x0006, 2) + cfg_rd(0x06, 2)
    L += [f"writel {reg(0x64)} 0xffffffff", f"readl {reg(0x24)}"] + cfg_rd(0x06, 2)
    L += [f"writeq {reg(0x60)} 0x1", f"readl {reg(0x24)}"]  # 8 bytes: ignored
    L += [f"readl {reg(0x60)}", f"readl {reg(0x64)}"]       # write-only
    # factorial with its interrupt
    L += [f"writel {reg(0x20)} 0x80", f"writel {reg(0x08)} 6", DELAY,
          f"readl {reg(0x20)}", f"readl {reg(0x08)}", f"readl {reg(0x24)}"]
    L += cfg_rd(0x06, 2)
    L += [f"writel {reg(0x64)} 0x1", f"readl {reg(0x24)}", f"writel {reg(0x20)} 0x0"]
    L += cfg_rd(0x06, 2)
    # DMA with its interrupt
    L += ["write 0x100000 4 0xcafef00d",
          f"writeq {reg(0x80)} 0x100000", f"writeq {reg(0x88)} 0x40000",
          f"writeq {reg(0x90)} 4", f"writeq {reg(0x98)} 0x5",
          f"readl {reg(0x24)}", "clock_step 100000000",
          f"readq {reg(0x98)}", f"readl {reg(0x24)}"]
    L += cfg_rd(0x06, 2)
    L += [f"writel {reg(0x64)} 0x100", f"readl {reg(0x24)}"] + cfg_rd(0x06, 2)
    return L


def irq_lines():
    """The same interrupts seen as IOAPIC lines: irq_intercept_in ioapic,
    then "IRQ raise 21" / "IRQ lower 21" (q35: slot 1 INTA -> PIRQF ->
    GSI 21) printed before the OK of the command that caused them;
    Interrupt Disable; DMA completion inside clock_step; set_irq_in."""
    L = map_bar() + PIT_QUIET
    L += ["irq_intercept_in ioapic", "irq_intercept_in ioapic",
          "irq_intercept_out ioapic", "irq_intercept_in /machine/q35/ioapic",
          "irq_intercept_in nosuchdevice"]
    L += [f"writel {reg(0x60)} 0x1", f"writel {reg(0x60)} 0x2",
          f"writel {reg(0x64)} 0x1", f"writel {reg(0x64)} 0x2",
          f"readl {reg(0x24)}"]
    L += [f"writel {reg(0x60)} 0x10"]
    L += cfg_wr(0x04, 0x0406, 2)                          # INTx disabled: lower
    L += cfg_wr(0x04, 0x0006, 2)                          # enabled again: raise
    L += [f"writel {reg(0x64)} 0x10"]
    L += ["write 0x100000 4 0x01020304",
          f"writeq {reg(0x80)} 0x100000", f"writeq {reg(0x88)} 0x40000",
          f"writeq {reg(0x90)} 4", f"writeq {reg(0x98)} 0x5",
          "clock_step", "clock_step", f"readl {reg(0x24)}",
          f"writel {reg(0x64)} 0x100", "clock_step 1000000000"]
    L += ["set_irq_in ioapic unnamed-gpio-in 11 1", "set_irq_in ioapic unnamed-gpio-in 11 1",
          "set_irq_in ioapic unnamed-gpio-in 11 7", "set_irq_in ioapic unnamed-gpio-in 11 1",
          "set_irq_in ioapic unnamed-gpio-in 11 0", "set_irq_in q35/ioapic unnamed-gpio-in 0x15 1",
          f"writel {reg(0x60)} 0x1", f"writel {reg(0x64)} 0x1",
          "set_irq_in nosuchdevice unnamed-gpio-in 1 1"]
    return L


def endianness():
    """endianness, and byte order of every width in RAM, in config space
    and in edu's registers."""
    L = ["endianness"]
    L += ["writeq 0x100000 0x0102030405060708"]
    L += [f"readb 0x{0x100000 + i:x}" for i in range(8)]
    L += ["readw 0x100000", "readw 0x100006", "readl 0x100000", "readl 0x100004",
          "readq 0x100000", "read 0x100000 8", "b64read 0x100000 8",
          "readw 0x100001", "readl 0x100003", "readq 0x100001"]
    L += ["writel 0x100010 0xaabbccdd", "writew 0x100014 0xeeff", "writeb 0x100016 0x11",
          "read 0x100010 8", "write 0x100020 4 0x11223344", "readl 0x100020",
          "writeq 0x100007 0x8877665544332211", "read 0x100000 16"]
    L += cfg_rd(0x00, 1) + cfg_rd(0x01, 1) + cfg_rd(0x02, 1) + cfg_rd(0x03, 1)
    L += cfg_rd(0x00, 2) + cfg_rd(0x02, 2)
    L += map_bar()
    L += [f"writel {reg(4)} 0x11223344", f"readl {reg(4)}",
          f"writeq {reg(0x80)} 0x0102030405060708", f"readq {reg(0x80)}",
          f"readl {reg(0x80)}"]
    return L


def mmio_bulk():
    """read, write, b64read, b64write and memset on edu's BAR: QEMU's
    address_space_read/write cut them into the largest naturally aligned
    pieces the region takes (here 4 and 8 bytes), so they reach edu's
    registers; pieces under 4 bytes read 0 and are dropped."""
    L = map_bar()
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


def errors():
    """What a guest gets wrong: unmapped memory and ports, absent
    functions and buses through CF8, the CF8 enable bit clear, edu's
    BAR past its registers, accesses edu does not decode."""
    L = ["readl 0x10000000", "readq 0xc0000000", "readl 0x100000000",
         "readb 0xffffffffffffffff", "readq 0xfffffffffffffffc",
         "writel 0xc0000000 0x1", "readl 0xc0000000",
         "inl 0x5000", "inw 0x5000", "inb 0x5000", "outl 0x5000 0x1", "inl 0x5000"]
    L += cfg_rd(0x00, dev=2) + cfg_rd(0x00, dev=0x1e)         # absent slots
    L += cfg_rd(0x00, dev=1, fn=1) + cfg_rd(0x00, dev=1, fn=7)  # edu is single-function
    L += cfg_rd(0x00, bus=1) + cfg_rd(0x00, bus=0xff, dev=1)  # no such bus
    L += cfg_rd(0x00, 2, dev=2) + cfg_rd(0x03, 1, dev=2)
    L += cfg_wr(0x04, 0x6, 2, dev=2) + cfg_rd(0x04, dev=2)    # writes dropped
    L += cfg_rd(0x00, enable=False)                            # enable bit clear
    L += cfg_wr(0x10, 0xffffffff, enable=False) + cfg_rd(0x10)  # ... writes dropped
    L += ["outl 0xcf8 0x80000800", "inl 0xcf8", "inl 0xcfc",
          "inl 0xcfd", "inw 0xcfd", "inw 0xcfe", "inb 0xcff"]
    L += ["outl 0xcf8 0x8f000800", "inl 0xcfc", "inl 0xcf8"]  # reserved bits
    L += cfg_wr(0x3c, 0xab, 1) + cfg_rd(0x3c)                 # line: RW; pin: RO
    L += cfg_wr(0x3d, 0x4, 1) + cfg_rd(0x3c)
    L += cfg_wr(0x00, 0xffffffff) + cfg_rd(0x00)              # IDs are RO
    L += cfg_wr(0x08, 0xffffffff) + cfg_rd(0x08)
    L += map_bar()
    L += [f"readl {reg(0x0c)}", f"readl {reg(0x10)}", f"readl {reg(0x28)}",
          f"readl {reg(0x7c)}", f"readl {reg(0xa0)}", f"readl {reg(0x100)}",
          f"readl {reg(0xffffc)}", f"readq {reg(0xffff8)}",
          f"readl {reg(0x2)}", f"readq {reg(0x4)}", f"readl {reg(0x84)}",
          f"readw {reg(0x80)}", f"readb {reg(0x24)}",
          f"writel {reg(0x0c)} 0x1", f"readl {reg(0x0c)}",
          f"writel {reg(0x2)} 0xffffffff", f"readl {reg(0x4)}",
          f"readl 0x{BAR + 0x100000:x}", "readl 0xfe9ffffc"]
    # a DMA register written as its upper dword alone
    L += [f"writel {reg(0x84)} 0x1", f"readq {reg(0x80)}"]
    return L


def protocol():
    """The qtest protocol itself: number syntax (hex, octal, decimal, sign,
    leading tab, trailing words), truncation of values to the access width,
    write's hex DATA (short, odd, bad digits, no 0x), b64write's decoding
    (padding, bad characters, short and long data), b64read of 0 bytes,
    memset, clock_step/clock_set edge cases, module_load, unknown commands
    and a leading space."""
    L = PIT_QUIET + ["endianness",
         "writel 0x100000 -1", "readl 0x100000", "readq 0x100000",
         "writel 0x100000 0x123456789", "readq 0x100000",
         "writeb 0x100008 0x1234", "readb 0x100008", "writew 0x10000a 0x12345", "readw 0x10000a",
         "readl 010", "readl +0x100000", "readl 0x100000 junk", "readl \t0x100000",
         "readl 1048576", "outb 0x80 -1", "outw 0x5000 0x123456", "outb 0x43 0x30",
         "write 0x100100 4 0xzz12", "read 0x100100 4",
         "write 0x100100 4 0x1", "read 0x100100 4",
         "write 0x100100 4 0x123", "read 0x100100 4",
         "write 0x100100 2 0x11223344", "read 0x100100 4",
         "write 0x100100 4 xx5566", "read 0x100100 4",
         "write 0x100100 4 0xAbCd", "read 0x100100 4",
         "write 0x100100 4 0x1g2G", "read 0x100100 4",
         "write 0x100100 0 0x11", "write 0x100100 4 ab", "write 0x100100 4 0x",
         "read 0x100100 4",
         "b64write 0x100200 4 AAECAw==", "read 0x100200 4",
         "b64write 0x100200 2 AAECAw==", "read 0x100200 8",
         "b64write 0x100200 5 AAEC", "read 0x100200 8",
         "b64write 0x100200 4 A", "b64write 0x100200 4 AB",
         "b64write 0x100200 4 ABC", "read 0x100200 4",
         "b64write 0x100200 4 A*B@C!D.", "read 0x100200 4",
         "b64write 0x100200 4 AB=CD", "read 0x100200 4",
         "b64write 0x100200 3 ====", "read 0x100200 4",
         "b64write 0x100200 0 AAAA", "read 0x100200 4",
         "b64read 0x100200 0", "b64read 0x100200 1", "b64read 0x100200 2",
         "b64read 0x100200 3", "b64read 0x100200 4", "b64read 0x100200 5",
         "read 0x100200 1",
         "memset 0x100300 4 0x1ff", "read 0x100300 4", "memset 0x100300 0 0x11",
         "memset 0x100300 2 -1", "read 0x100300 4",
         "clock_step 0", "clock_step", "clock_step -5", "clock_step 0x10",
         "clock_set 500", "clock_set 100", "clock_set -1", "clock_step 010",
         "clock_set 1000000000", "clock_step 5 extra",
         "module_load block curl", "module_load a b c",
         "rtas", "READL 0", "foo bar baz", " readl 0", "readl 0 ",
         "irq_intercept_in", "endianness extra"]
    # the last one asserts: "irq_intercept_in" alone ends the session
    idx = L.index("irq_intercept_in")
    return L[:idx + 1]


def abort_number():
    """A number qemu_strtou64() rejects (two spaces make an empty word):
    QEMU's g_assert fails, it prints "Bail out! ..." and aborts; nothing
    after it is answered."""
    return ["endianness", "readl 0x100000", "readl  0x100000", "endianness"]


def abort_outport():
    """outb to a port above 0xffff: g_assert(addr <= 0xffff)."""
    return ["outb 0xffff 0x1", "outb 0x10000 0x1", "endianness"]


def abort_emptyline():
    """An empty line: no words, g_assert(command)."""
    return ["endianness", "", "endianness"]


def abort_readzero():
    """read with SIZE 0: g_assert(len)."""
    return ["read 0x100000 1", "read 0x100000 0", "endianness"]


def abort_range():
    """A number out of range (ERANGE) for clock_step's int64."""
    return ["clock_step 1000", "clock_step 9223372036854775808", "endianness"]


SCRIPTS = {
    "identity": identity, "bar_sizing": bar_sizing, "liveness": liveness,
    "factorial": factorial, "dma": dma, "irq_status": irq_status,
    "irq_lines": irq_lines, "endianness": endianness, "mmio_bulk": mmio_bulk,
    "errors": errors,
    "protocol": protocol, "abort_number": abort_number,
    "abort_outport": abort_outport, "abort_emptyline": abort_emptyline,
    "abort_readzero": abort_readzero, "abort_range": abort_range,
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, fn in SCRIPTS.items():
        with open(os.path.join(OUT, name + ".qtest"), "w") as f:
            f.write("\n".join(fn()) + "\n")


if __name__ == "__main__":
    main()
