"""Building blocks for qtest scripts that run unchanged on QEMU and on
vpci-host: one Machine object per machine type says how config space is
reached (q35: CF8/CFC port IO; virt: ECAM), where BARs may be placed,
where free RAM is, and what must run first.  Script generators (edu's in
make-scripts.py, the other models' in models/*.py) take a Machine and
return a list of qtest command lines.

Conventions shared by every script:
  * the device under test is at 00:01.0 (QEMU: -device X,addr=01.0);
  * BARs are placed from Machine.mmio upwards, 32-bit addresses only
    (a 64-bit BAR gets 0 in its upper dword), naturally aligned;
  * DMA buffers and MSI/MSI-X message targets are in Machine.ram, which
    is RAM on both QEMU and the mock host and holds nothing else.
"""

# q35 (x86_64): CF8/CFC.  No firmware runs under qtest, so the MCH's
# PCIEXBAR (ECAM) is off in QEMU: config space is the legacy 256 bytes.
# virt (aarch64): ECAM at 0x4010000000 (QEMU's "highmem" ECAM, 256 buses),
# 32-bit PCI MMIO window 0x10000000-0x3efeffff, RAM from 0x40000000.


class Machine:
    def __init__(self, name, arch, ecam, mmio, mmio_end, ram, prelude,
                 config_size):
        self.name = name              # "q35" or "virt"
        self.arch = arch              # QEMU target: "x86_64" / "aarch64"
        self.ecam = ecam              # ECAM base the scripts use, or None
        self.mmio = mmio              # first address for BARs
        self.mmio_end = mmio_end      # BARs must end at or below this
        self.ram = ram                # free RAM for buffers / MSI targets
        self.prelude = prelude        # lines to run first (quiet timers)
        self.config_size = config_size  # bytes of config space reachable

    # -- config space -------------------------------------------------
    def cfg_rd(self, off, size=4, dev=1, fn=0, bus=0):
        """Lines that read SIZE bytes of config space at OFF."""
        if self.ecam is None:
            op = {1: "inb", 2: "inw", 4: "inl"}[size]
            return [f"outl 0xcf8 0x{cf8(off, dev, fn, bus):08x}",
                    f"{op} 0x{0xcfc + (off & 3):x}"]
        op = {1: "readb", 2: "readw", 4: "readl"}[size]
        return [f"{op} 0x{self.ecam_addr(off, dev, fn, bus):x}"]

    def cfg_wr(self, off, val, size=4, dev=1, fn=0, bus=0):
        """Lines that write VAL (SIZE bytes) to config space at OFF."""
        if self.ecam is None:
            op = {1: "outb", 2: "outw", 4: "outl"}[size]
            return [f"outl 0xcf8 0x{cf8(off, dev, fn, bus):08x}",
                    f"{op} 0x{0xcfc + (off & 3):x} 0x{val:x}"]
        op = {1: "writeb", 2: "writew", 4: "writel"}[size]
        return [f"{op} 0x{self.ecam_addr(off, dev, fn, bus):x} 0x{val:x}"]

    def ecam_addr(self, off, dev=1, fn=0, bus=0):
        return self.ecam + (bus << 20 | dev << 15 | fn << 12 | off)


def cf8(off, dev=1, fn=0, bus=0, enable=True):
    """The CONFIG_ADDRESS (0xcf8) value for a config access."""
    return ((0x80000000 if enable else 0) | bus << 16 | dev << 11 |
            fn << 8 | (off & 0xfc))


# The 8254 PIT of QEMU's q35 toggles IRQ 0 every 27.46 ms from reset; the
# mock host has no PIT.  Mode 0 (one shot) with the longest count makes its
# output rise once, 54.9 ms later, and then stay: after this prelude no PIT
# edge or PIT timer deadline is left.  The mock host ignores these ports.
PIT_QUIET = ["outb 0x43 0x30", "outb 0x40 0xff", "outb 0x40 0xff",
             "clock_step 60000000"]

Q35 = Machine("q35", "x86_64", ecam=None, mmio=0xe0000000,
              mmio_end=0xfec00000, ram=0x1000000, prelude=PIT_QUIET,
              config_size=256)
VIRT = Machine("virt", "aarch64", ecam=0x4010000000, mmio=0x10000000,
               mmio_end=0x3eff0000, ram=0x41000000, prelude=[],
               config_size=4096)
MACHINES = {"q35": Q35, "virt": VIRT}


class Pace:
    """Not a qtest line: a point where QEMU's device may still be working
    on its own thread (QEMU's edu computes factorials on one), so the
    next command must wait for it, as a driver polls a status bit.
    run-compare.sh, for QEMU only, repeats READ (e.g. "readl 0xfea00020")
    until (value & mask) == value_wanted, leaves those reads out of the
    transcript, and fails after 10 s.  vpci-host runs device work
    synchronously, so it gets no pacing; a model that did not finish in
    time would show up as a different transcript.  make-scripts.py takes
    Pace entries out of the .qtest and writes them to NAME.pace as
    "N READ MASK VALUE": wait after the answer to line N."""

    def __init__(self, read, mask, value):
        self.read, self.mask, self.value = read, mask, value

    def line(self, after):
        return f"{after} {self.read} 0x{self.mask:x} 0x{self.value:x}"


class Regs:
    """qtest lines for a device's register block at self.regs (an absolute
    address): rd/wr at an offset with the block's natural access (op)."""

    def __init__(self, m, regs, rd_op="readl", wr_op="writel"):
        self.m = m
        self.regs = regs
        self.ram = m.ram
        self._rd_op, self._wr_op = rd_op, wr_op

    def r(self, off):
        return f"0x{self.regs + off:x}"

    def rd(self, off, op=None):
        return [f"{op or self._rd_op} {self.r(off)}"]

    def wr(self, off, val, op=None):
        return [f"{op or self._wr_op} {self.r(off)} 0x{val:x}"]
