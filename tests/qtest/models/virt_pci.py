"""qtest scripts for virt-pci (the PCIExp experiment's device), driven the
way its driver and sample app drive it: run unchanged against vpci-host
(`-device virt-pci`) and QEMU with the adapter (`-device vpci-virt-pci`),
whose answers must be identical.  The spec is shared/specs/virt-pci.md; the
register layout and the extensions (error registers, msi/msix/pcie
properties) are in include/vpci/models/virt_pci.h.  The comments give the
answers the spec demands.

Each script: the machine's prelude, BAR0 (512 bytes) at m.mmio, BAR1 (IO,
512 bytes) at IO_PORT[m.name], BAR2 (MSI-X, 4 KiB) at m.mmio + 0x1000 when
msix=on, COMMAND = IO | MEM | MASTER; buffers and MSI targets in m.ram.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import qtestgen  # noqa: E402  (Machine objects, Regs)

MODEL = "virt-pci"

# INTx seen as interrupt controller input lines (irq_intercept_in): q35's
# IOAPIC, where slot 1 INTA -> PIRQF -> GSI 21; virt's GICv2, QOM path
# /machine/unattached/device[1] (device[0] is the CPU), where gpex's
# swizzle sends slot 1 INTA to its second line, SPI 3 + 1 -> "IRQ raise 4".
INTX_INTERCEPT = {"q35": "irq_intercept_in ioapic",
                  "virt": "irq_intercept_in /machine/unattached/device[1]"}

# BAR0 registers
VERSION, CTRL, INT_STATUS, INT_MASK = 0x00, 0x04, 0x08, 0x0c
DMA_SRC, DMA_DST, DMA_SIZE, INT_CLEAR = 0x10, 0x14, 0x18, 0x1c
SCRATCH, ERROR_CODE, ERROR_ADDR = 0x20, 0x100, 0x104
# CTRL commands / INT_STATUS bits
MUL2, MUL4, RESET, DOINT, ERROR = 0x1, 0x2, 0x4, 0x8, 0x10

# BAR1 is an IO BAR.  q35: ports from 0xc000 (QEMU's and the mock host's
# PCI IO range), reached with in/out.  virt: PCI IO address 0x1000, which
# the CPU reaches at 0x3eff0000 + 0x1000 (QEMU virt's PCIE_PIO window).
IO_PORT = {"q35": 0xc000, "virt": 0x1000}
IO_CPU = {"q35": None, "virt": 0x3eff0000}
# The end of guest RAM (both sides: 128 MiB, QEMU's default): DMA that
# crosses it faults page by page.
RAM_END = {"q35": 0x8000000, "virt": 0x48000000}
# An address nothing decodes on either machine (q35: above RAM, below the
# PCI hole; virt: between RAM and the high ECAM).
UNMAPPED = {"q35": 0x10000000, "virt": 0x50000000}

MSI_CAP, MSIX_CAP, PCIE_CAP = 0x40, 0x60, 0x70
CMD_IO, CMD_MEM, CMD_MASTER, CMD_INTX_DISABLE = 0x1, 0x2, 0x4, 0x400


class Dev(qtestgen.Regs):
    """Line builders for one machine: registers, IO BAR, config space."""

    def __init__(self, m):
        self.bar0 = m.mmio
        self.bar2 = m.mmio + 0x1000
        self.port = IO_PORT[m.name]
        super().__init__(m, self.bar0)

    def io_rd(self, off, size=4):
        if IO_CPU[self.m.name] is None:
            op = {1: "inb", 2: "inw", 4: "inl"}[size]
            return [f"{op} 0x{self.port + off:x}"]
        op = {1: "readb", 2: "readw", 4: "readl"}[size]
        return [f"{op} 0x{IO_CPU[self.m.name] + self.port + off:x}"]

    def io_wr(self, off, val, size=4):
        if IO_CPU[self.m.name] is None:
            op = {1: "outb", 2: "outw", 4: "outl"}[size]
            return [f"{op} 0x{self.port + off:x} 0x{val:x}"]
        op = {1: "writeb", 2: "writew", 4: "writel"}[size]
        return [f"{op} 0x{IO_CPU[self.m.name] + self.port + off:x} 0x{val:x}"]

    def setup(self, msix=False, command=CMD_IO | CMD_MEM | CMD_MASTER):
        """Prelude, BARs assigned, COMMAND as the driver leaves it."""
        L = list(self.m.prelude)
        L += self.m.cfg_wr(0x10, self.bar0)
        L += self.m.cfg_wr(0x14, self.port | 1)
        if msix:
            L += self.m.cfg_wr(0x18, self.bar2)
        L += self.m.cfg_wr(0x04, command, 2)
        return L

    def job(self, src, dst, size, cmd):
        """A MUL2/MUL4 job as the driver starts it: SRC, DST, SIZE, CTRL."""
        return (self.wr(DMA_SRC, src) + self.wr(DMA_DST, dst) +
                self.wr(DMA_SIZE, size) + self.wr(CTRL, cmd))

    def status(self):
        """INT_STATUS, ERROR_CODE, ERROR_ADDR."""
        return self.rd(INT_STATUS) + self.rd(ERROR_CODE) + self.rd(ERROR_ADDR)


def words_hex(words):
    return "0x" + b"".join(w.to_bytes(4, "little") for w in words).hex()


# ---------------------------------------------------------------------------

def regs(m):
    """Every register's reset value and access rule, BAR0's upper half, the
    IO BAR, sub-dword accesses, the sample app's register round trip and the
    soft reset (CTRL bit2) that restores everything."""
    d = Dev(m)
    L = d.setup()
    # reset values: VERSION 0x12345678, CTRL 0xbeefbeef (WO), INT_STATUS 0,
    # INT_MASK 0xffffffff, SRC/DST/SIZE 0, INT_CLEAR 0xbeefbeef (WO),
    # SCRATCH 0, ERROR_CODE 0, ERROR_ADDR 0, the rest of BAR0 0
    for off in range(0, 0x20, 4):
        L += d.rd(off)
    L += d.rd(SCRATCH) + d.rd(0xfc) + d.rd(ERROR_CODE) + d.rd(ERROR_ADDR)
    L += d.rd(0x108) + d.rd(0x1fc)
    # the sample app: write every register 0x00..0x1c, read it back.
    # 0xa5a5a5a0 has none of CTRL's command bits 3:0: nothing starts.
    # VERSION stays 0x12345678, CTRL and INT_CLEAR read 0xbeefbeef,
    # INT_STATUS (RO) stays 0, INT_MASK/SRC/DST/SIZE read 0xa5a5a5a0
    for off in range(0, 0x20, 4):
        L += d.wr(off, 0xa5a5a5a0) + d.rd(off)
    # SCRATCH: all 56 read back what was written (0x20 + 4i -> 0x5c000000 | i)
    for i in range(56):
        L += d.wr(SCRATCH + 4 * i, 0x5c000000 | i)
    L += [f"read {d.r(SCRATCH)} 0xe0"]   # 00 00 00 5c 01 00 00 5c ...
    # BAR0's upper half: 0x108..0x1fc read 0 and ignore writes, the error
    # registers are RO
    L += d.wr(0x108, 0x11111111) + d.rd(0x108)          # 0
    L += d.wr(0x1fc, 0x22222222) + d.rd(0x1fc)          # 0
    L += d.wr(ERROR_CODE, 7) + d.rd(ERROR_CODE)         # 0
    L += d.wr(ERROR_ADDR, 7) + d.rd(ERROR_ADDR)         # 0
    # sub-dword accesses reach the bytes they cover
    L += d.rd(VERSION, "readb") + d.rd(VERSION + 1, "readb")   # 0x78, 0x56
    L += d.rd(VERSION + 2, "readw")                            # 0x1234
    L += d.rd(CTRL + 1, "readb") + d.rd(CTRL + 2, "readw")     # 0xbe, 0xbeef
    L += d.wr(SCRATCH + 1, 0xab, "writeb") + d.rd(SCRATCH)     # 0x5c00ab00
    L += d.wr(SCRATCH + 2, 0x1234, "writew") + d.rd(SCRATCH)   # 0x1234ab00
    L += d.rd(SCRATCH, "readq")             # 0x5c0000011234ab00 (2 registers)
    L += d.wr(SCRATCH + 8, 0x0102030405060708, "writeq")
    L += d.rd(SCRATCH + 8) + d.rd(SCRATCH + 12)    # 0x05060708, 0x01020304
    # BAR1 (IO): every read 0xbeefbeef cut to the access, writes ignored
    L += d.io_rd(0) + d.io_rd(0x1fc) + d.io_rd(2, 2) + d.io_rd(0x101, 1)
    L += d.io_wr(0, 0x12345678) + d.io_rd(0)        # still 0xbeefbeef
    # IO decode off: BAR1 no longer answers: an empty port reads all ones
    # (q35: 0xffffffff; virt: the PCI IO window reads all ones too, QEMU's
    # gpex "allow-unmapped-accesses")
    L += d.m.cfg_wr(0x04, CMD_MEM | CMD_MASTER, 2) + d.io_rd(0)
    L += d.m.cfg_wr(0x04, CMD_IO | CMD_MEM | CMD_MASTER, 2) + d.io_rd(0)
    # memory decode off: BAR0 no longer answers: VERSION reads what an
    # empty address does (q35: 0; virt: all ones, gpex's unassigned
    # window), on again: 0x12345678
    L += d.m.cfg_wr(0x04, CMD_IO | CMD_MASTER, 2) + d.rd(VERSION)
    L += d.m.cfg_wr(0x04, CMD_IO | CMD_MEM | CMD_MASTER, 2) + d.rd(VERSION)
    # soft reset: CTRL = RESET restores INT_MASK 0xffffffff, SRC/DST/SIZE 0,
    # SCRATCH 0 (config space untouched: BAR0 still decodes)
    L += d.wr(CTRL, RESET)
    for off in (INT_STATUS, INT_MASK, DMA_SRC, DMA_DST, DMA_SIZE, SCRATCH,
                0xfc):
        L += d.rd(off)
    L += d.m.cfg_rd(0x10) + d.m.cfg_rd(0x04, 2)    # BAR0 kept, COMMAND 0x0007
    # only the lowest set command bit acts: RESET | DOINT (0xc) resets only
    # (INT_STATUS stays 0); 0x10 (no command bit) does nothing
    L += d.wr(INT_MASK, 0x3) + d.wr(CTRL, RESET | DOINT)
    L += d.rd(INT_STATUS) + d.rd(INT_MASK)           # 0, 0xffffffff
    L += d.wr(CTRL, 0x10) + d.rd(INT_STATUS)         # 0
    return L


def mul(m):
    """MUL2 in place over 1024 words (the driver's KICK_MUL2: one coherent
    buffer as source and destination), MUL4 between two buffers (KICK_MUL4),
    products modulo 2^32, INT_STATUS done bits and INT_CLEAR, a zero-size
    job, overlapping ranges, only the lowest command bit acting, CTRL
    written a byte at a time."""
    d = Dev(m)
    a, b = d.ram, d.ram + 0x1000
    # word i = i * 0x9e3779b9 (mod 2^32): large values, so products wrap
    words = [(i * 0x9e3779b9) & 0xffffffff for i in range(1024)]
    L = d.setup()
    L += [f"write 0x{a:x} 0x1000 {words_hex(words)}"]
    L += ["memset 0x%x 0x1000 0x5a" % b]
    # MUL2 in place: word i -> 2 * word i mod 2^32; INT_STATUS = 0x1
    L += d.job(a, a, 0x1000, MUL2) + d.status()             # 0x1, 0, 0
    L += [f"readl 0x{a + 4 * i:x}" for i in (0, 1, 2, 3, 1023)]
    # 0, 0x3c6ef372, 0x78dde6e4, 0xb54cda56, 0x7f5ed48e  (2*w mod 2^32)
    L += [f"b64read 0x{a:x} 0x1000"]
    # MUL4 a -> b: word i -> 8 * original word i; INT_STATUS = 0x3
    L += d.job(a, b, 0x1000, MUL4) + d.status()
    L += [f"readl 0x{b + 4 * i:x}" for i in (0, 1, 2, 3, 1023)]
    # 0, 0xf1bbcdc8, 0xe3779b90, 0xd5336958, 0xfd7b5238
    L += [f"b64read 0x{b:x} 0x1000", f"readl 0x{a + 4:x}"]  # a unchanged
    # INT_CLEAR is write-1-to-clear: 0x1 -> 0x2, 0x2 -> 0
    L += d.wr(INT_CLEAR, MUL2) + d.rd(INT_STATUS)
    L += d.wr(INT_CLEAR, MUL2) + d.rd(INT_STATUS)      # already clear: 0x2
    L += d.wr(INT_CLEAR, MUL4) + d.rd(INT_STATUS)      # 0
    # DMA_SIZE 0: moves nothing, completes normally (0x1, code 0)
    L += ["memset 0x%x 0x10 0x33" % b]
    L += d.job(a, b, 0, MUL2) + d.status() + [f"read 0x{b:x} 0x10"]
    L += d.wr(INT_CLEAR, 0xffffffff)
    # 16 bytes, DST = SRC + 4: the whole source is read before anything is
    # written, so b+4.. holds 4 * each of the 4 source words
    L += [f"write 0x{b:x} 0x14 {words_hex([1, 2, 0x40000000, 0xffffffff, 9])}"]
    L += d.job(b, b + 4, 16, MUL4) + [f"read 0x{b:x} 0x14"]
    # 01000000 04000000 08000000 00000000 fcffffff
    # the lowest set command bit acts: 0x3 -> MUL2 only (0x1), 0xe -> MUL4
    # only (0x2; not RESET), 0xa -> MUL4 only
    L += d.wr(INT_CLEAR, 0xff)
    L += [f"write 0x{b:x} 4 0x01000000"]
    L += d.job(b, b, 4, MUL2 | MUL4) + d.rd(INT_STATUS) + [f"readl 0x{b:x}"]
    L += d.wr(INT_CLEAR, 0xff)                                # 0x1, 2
    L += d.wr(CTRL, 0xe) + d.rd(INT_STATUS) + [f"readl 0x{b:x}"]
    L += d.rd(INT_MASK)                                       # 0x2, 8, mask kept
    L += d.wr(INT_CLEAR, 0xff)
    L += d.wr(CTRL, 0xa) + d.rd(INT_STATUS) + [f"readl 0x{b:x}"]   # 0x2, 0x20
    L += d.wr(INT_CLEAR, 0xff)
    # CTRL a byte at a time: 0x02 at CTRL+0 is MUL4; 0x01 at CTRL+1 (bit 8)
    # is no command
    L += d.wr(CTRL, MUL4, "writeb") + d.rd(INT_STATUS) + [f"readl 0x{b:x}"]
    L += d.wr(INT_CLEAR, 0xff)
    L += d.wr(CTRL + 1, 0x01, "writeb") + d.rd(INT_STATUS)   # 0x2... cleared: 0
    # INT_CLEAR a byte at a time: clears the bits it writes
    L += d.wr(CTRL, DOINT) + d.wr(INT_CLEAR + 1, 0xff, "writeb")
    L += d.rd(INT_STATUS)                                      # 0x8 stays
    L += d.wr(INT_CLEAR, DOINT, "writeb") + d.rd(INT_STATUS)   # 0
    return L


def errors(m):
    """The spec's fixed corners: each error code with its done bit, ERROR
    (bit4) and ERROR_ADDR, nothing written past what the spec allows, and
    the error registers cleared by the next good job and by INT_CLEAR."""
    d = Dev(m)
    a, b = d.ram, d.ram + 0x2000
    end = RAM_END[m.name]
    L = d.setup()
    L += [f"write 0x{a:x} 0x10 {words_hex([1, 2, 3, 4])}"]
    L += ["memset 0x%x 0x2000 0x5a" % b]
    # ERR_SIZE: DMA_SIZE 4100 > 4096: INT_STATUS 0x11, ERROR_CODE 1,
    # ERROR_ADDR 0, nothing written (b still 0x5a5a5a5a)
    L += d.job(a, b, 4100, MUL2) + d.status() + [f"readl 0x{b:x}"]
    L += d.wr(INT_CLEAR, 0xff)
    # ERR_ALIGN: DMA_SIZE 6: INT_STATUS 0x12 (MUL4), ERROR_CODE 2
    L += d.job(a, b, 6, MUL4) + d.status() + [f"readl 0x{b:x}"]
    # ERROR stays until INT_CLEAR bit4: clearing the done bit leaves 0x10
    L += d.wr(INT_CLEAR, MUL4) + d.rd(INT_STATUS)             # 0x10
    L += d.wr(INT_CLEAR, ERROR) + d.rd(INT_STATUS)            # 0
    # a good job clears ERROR_CODE / ERROR_ADDR (they describe the last job)
    L += d.job(a, b, 16, MUL2) + d.status() + [f"read 0x{b:x} 0x14"]
    L += d.wr(INT_CLEAR, 0xff)
    # ERR_MASTER: bus master off, DMA_SIZE > 0: code 3, nothing written
    L += ["memset 0x%x 0x20 0x5a" % b]
    L += d.m.cfg_wr(0x04, CMD_IO | CMD_MEM, 2)
    L += d.job(a, b, 16, MUL2) + d.status() + [f"readl 0x{b:x}"]   # 0x11, 3, 0
    L += d.wr(INT_CLEAR, 0xff)
    # ... with DMA_SIZE 0 no DMA is issued: no error (0x1, 0)
    L += d.job(a, b, 0, MUL2) + d.status()
    L += d.wr(INT_CLEAR, 0xff)
    L += d.m.cfg_wr(0x04, CMD_IO | CMD_MEM | CMD_MASTER, 2)
    # ERR_SRC: the source is not memory: code 4, ERROR_ADDR = the source,
    # nothing written
    L += d.job(UNMAPPED[m.name], b, 16, MUL2) + d.status() + [f"readl 0x{b:x}"]
    L += d.wr(INT_CLEAR, 0xff)
    # ERR_SRC part way: the last 2 KiB of RAM and 2 KiB past its end:
    # ERROR_ADDR = the end of RAM, the first byte that could not be read
    L += d.job(end - 0x800, b, 0x1000, MUL4) + d.status() + [f"readl 0x{b:x}"]
    L += d.wr(INT_CLEAR, 0xff)
    # ERR_DST: the destination is not memory: code 5, ERROR_ADDR = DST
    L += d.job(a, UNMAPPED[m.name], 16, MUL2) + d.status()
    L += d.wr(INT_CLEAR, 0xff)
    # ERR_DST part way: DST = 2 KiB below the end of RAM, 4 KiB: the page
    # piece below the end holds the result (2 * 0x5a5a5a5a = 0xb4b4b4b4),
    # ERROR_ADDR = the end of RAM; the bytes before DST are untouched
    L += [f"memset 0x{end - 0x1000:x} 0x1000 0x11"]
    L += d.job(b, end - 0x800, 0x1000, MUL2) + d.status()
    L += [f"readl 0x{end - 0x804:x}", f"readl 0x{end - 0x800:x}",
          f"readl 0x{end - 4:x}"]               # 0x11111111, 0xb4b4b4b4 x2
    L += d.wr(INT_CLEAR, 0xff)
    # an error job still interrupts (by INT_STATUS bit) and the soft reset
    # clears the error registers too
    L += d.job(a, b, 4100, MUL2) + d.status()
    L += d.wr(CTRL, RESET) + d.status()                        # 0, 0, 0
    return L


def intx(m):
    """INTA as the driver sees it, intercepted at the interrupt controller
    (q35: IOAPIC GSI 21, virt: GIC SPI 4; see INTX_INTERCEPT), so "IRQ
    raise N" / "IRQ lower N" come before the answer of the access that
    caused them, with config space's INTx status bit.  DOINT whatever
    INT_MASK says, MUL2/MUL4 only when INT_MASK enables them, a masked event
    holding an asserted line, INT_CLEAR lowering with the last source, ERROR
    not holding the line, Interrupt Disable, the soft reset."""
    d = Dev(m)
    a = d.ram
    st = m.cfg_rd(0x06, 2)                  # STATUS: bit 3 = INTx pending
    L = d.setup()
    L += [INTX_INTERCEPT[m.name]]
    L += st                                                   # 0x0010 (no
    # INTx pending; capability list bit set only with capabilities: 0x0000)
    # DOINT: raise; INT_STATUS 0x8, config STATUS bit 3; INT_CLEAR: lower
    L += d.wr(CTRL, DOINT) + d.rd(INT_STATUS) + st
    L += d.wr(INT_CLEAR, DOINT) + d.rd(INT_STATUS) + st
    # INT_MASK 0: MUL2 sets its bit without interrupting
    L += d.wr(INT_MASK, 0) + d.job(a, a, 0, MUL2) + d.rd(INT_STATUS) + st
    # INT_MASK = bit0: changing the mask does not change the line; MUL4
    # (bit1 still masked) does not interrupt either
    L += d.wr(INT_MASK, MUL2) + st + d.wr(CTRL, MUL4) + d.rd(INT_STATUS) + st
    L += d.wr(INT_CLEAR, MUL2 | MUL4) + st
    # both enabled: MUL2 raises, MUL4 keeps it up, clearing MUL2 alone keeps
    # it (MUL4 left), clearing MUL4 lowers
    L += d.wr(INT_MASK, 0xffffffff)
    L += d.wr(CTRL, MUL2) + d.wr(CTRL, MUL4) + d.rd(INT_STATUS)
    L += d.wr(INT_CLEAR, MUL2) + st + d.wr(INT_CLEAR, MUL4) + st
    # a masked event holds an asserted line: DOINT raises, MUL2 masked sets
    # bit0, clearing DOINT keeps the line (bit0 is a source), clearing bit0
    # lowers it
    L += d.wr(CTRL, DOINT) + d.wr(INT_MASK, 0) + d.wr(CTRL, MUL2)
    L += d.rd(INT_STATUS) + d.wr(INT_CLEAR, DOINT) + st
    L += d.wr(INT_CLEAR, MUL2) + st
    L += d.wr(INT_MASK, 0xffffffff)
    # ERROR does not hold the line: a failed MUL2 (size 6) raises, INT_CLEAR
    # of bit0 lowers with ERROR (0x10) still set
    L += d.job(a, a, 6, MUL2) + d.rd(INT_STATUS)
    L += d.wr(INT_CLEAR, MUL2) + d.rd(INT_STATUS) + st
    L += d.wr(INT_CLEAR, ERROR)
    # Interrupt Disable: the pin drops, STATUS bit 3 still shows the
    # pending interrupt; enabling again raises it
    L += d.wr(CTRL, DOINT)
    L += m.cfg_wr(0x04, CMD_INTX_DISABLE | CMD_IO | CMD_MEM | CMD_MASTER, 2)
    L += st + d.wr(CTRL, DOINT)                     # no edge while disabled
    L += m.cfg_wr(0x04, CMD_IO | CMD_MEM | CMD_MASTER, 2) + st
    # soft reset lowers the line and clears INT_STATUS
    L += d.wr(CTRL, RESET) + d.rd(INT_STATUS) + st
    return L


def msi_setup(m, addr, data, ctrl=0x0001):
    """MSI capability (64-bit, maskable, 1 vector): address, data, enable."""
    return (m.cfg_wr(MSI_CAP + 4, addr) + m.cfg_wr(MSI_CAP + 8, 0) +
            m.cfg_wr(MSI_CAP + 0xc, data, 2) + m.cfg_wr(MSI_CAP + 2, ctrl, 2))


def msi(m):
    """msi=on: one 64-bit maskable vector at 0x40.  Each event (DOINT, an
    enabled MUL done) writes the message data to the programmed address in
    RAM: it is read back there.  INT_MASK still gates MUL2/MUL4; a masked
    vector sets its pending bit and sends on unmask; with bus mastering off
    the message waits for it; no INTx while MSI is enabled."""
    d = Dev(m)
    t = d.ram + 0x100                    # the MSI target
    L = d.setup()
    L += [INTX_INTERCEPT[m.name]]            # no "IRQ" line may appear
    L += ["memset 0x%x 8 0xaa" % t, f"readl 0x{t:x}"]          # 0xaaaaaaaa
    # capability: ID 5, next 0, control 0x0180 (64-bit, per-vector mask,
    # 1 vector), all else 0
    for off in range(MSI_CAP, MSI_CAP + 0x18, 4):
        L += m.cfg_rd(off)
    L += msi_setup(m, t, 0x4321)
    L += m.cfg_rd(MSI_CAP) + m.cfg_rd(MSI_CAP + 4) + m.cfg_rd(MSI_CAP + 0xc)
    # 0x01810005, address, 0x4321
    # DOINT: the data 0x4321 lands at t as a dword: 0x00004321; t+4 untouched
    L += d.wr(CTRL, DOINT) + [f"readl 0x{t:x}", f"readl 0x{t + 4:x}"]
    L += m.cfg_rd(0x06, 2)                     # no INTx pending in MSI mode
    # one message per event: DOINT again (bit still set) sends again
    L += ["memset 0x%x 4 0xaa" % t] + d.wr(CTRL, DOINT) + [f"readl 0x{t:x}"]
    L += d.wr(INT_CLEAR, 0xff)
    # MUL2 done (enabled by INT_MASK): a message
    L += ["memset 0x%x 4 0xaa" % t] + d.job(d.ram, d.ram, 0, MUL2)
    L += [f"readl 0x{t:x}"] + d.wr(INT_CLEAR, 0xff)             # 0x4321
    # MUL2 masked by INT_MASK: no message (0xaaaaaaaa), only the bit
    L += ["memset 0x%x 4 0xaa" % t] + d.wr(INT_MASK, 0)
    L += d.wr(CTRL, MUL2) + d.rd(INT_STATUS) + [f"readl 0x{t:x}"]
    L += d.wr(INT_CLEAR, 0xff) + d.wr(INT_MASK, 0xffffffff)
    # the vector masked (Mask Bits, cap + 0x10): no message, Pending Bits
    # (cap + 0x14) = 1; unmasking sends it (0x4321) and clears the bit
    L += m.cfg_wr(MSI_CAP + 0x10, 1) + d.wr(CTRL, DOINT)
    L += [f"readl 0x{t:x}"] + m.cfg_rd(MSI_CAP + 0x14)          # 0xaa.., 1
    L += m.cfg_wr(MSI_CAP + 0x10, 0)
    L += [f"readl 0x{t:x}"] + m.cfg_rd(MSI_CAP + 0x14)          # 0x4321, 0
    L += d.wr(INT_CLEAR, 0xff)
    # Pending Bits are read-only
    L += m.cfg_wr(MSI_CAP + 0x14, 1) + m.cfg_rd(MSI_CAP + 0x14)  # 0
    # bus master off: the message waits; MASTER on sends it
    L += ["memset 0x%x 4 0xaa" % t]
    L += m.cfg_wr(0x04, CMD_IO | CMD_MEM, 2) + d.wr(CTRL, DOINT)
    L += [f"readl 0x{t:x}"]                                     # 0xaaaaaaaa
    L += m.cfg_wr(0x04, CMD_IO | CMD_MEM | CMD_MASTER, 2) + [f"readl 0x{t:x}"]
    L += d.wr(INT_CLEAR, 0xff)
    # new data and address: 0xbeef at t + 0x40
    L += m.cfg_wr(MSI_CAP + 4, t + 0x40) + m.cfg_wr(MSI_CAP + 0xc, 0xbeef, 2)
    L += d.wr(CTRL, DOINT) + [f"readl 0x{t + 0x40:x}"]          # 0xbeef
    L += d.wr(INT_CLEAR, 0xff)
    # Multiple Message Enable above the 1 vector capable reads back 0
    L += m.cfg_wr(MSI_CAP + 2, 0x0051, 2) + m.cfg_rd(MSI_CAP + 2, 2)  # 0x0181
    # MSI off: back to INTx ("IRQ raise 21" on q35, "IRQ raise 4" on
    # virt), no message
    L += ["memset 0x%x 0x44 0xaa" % t] + m.cfg_wr(MSI_CAP + 2, 0, 2)
    L += d.wr(CTRL, DOINT) + [f"readl 0x{t + 0x40:x}"] + m.cfg_rd(0x06, 2)
    L += d.wr(INT_CLEAR, 0xff)
    return L


def msix(m):
    """msi=on,msix=on: MSI-X (1 vector) at 0x60, table at BAR2 + 0,
    PBA at BAR2 + 0x800.  The table entry programmed with an address in RAM
    and data 0x6789; enabled, each event writes the data there (MSI-X wins
    over MSI when both are enabled).  A masked entry sets its Pending Bit
    and the message goes out on unmask, clearing it; the Function Mask
    does the same for all entries."""
    d = Dev(m)
    t = d.ram + 0x200
    tab, pba = d.bar2, d.bar2 + 0x800
    L = d.setup(msix=True)
    L += [INTX_INTERCEPT[m.name]]
    L += ["memset 0x%x 8 0xaa" % t, f"readl 0x{t:x}"]
    # capability at 0x60: 0x00000011 (ID 0x11, next 0x70 with pcie; here
    # 0: table size 1 -> field 0), table BIR 2 offset 0: 0x00000002,
    # PBA BIR 2 offset 0x800: 0x00000802
    L += m.cfg_rd(MSIX_CAP) + m.cfg_rd(MSIX_CAP + 4) + m.cfg_rd(MSIX_CAP + 8)
    # the entry at reset: address 0, data 0, vector control 1 (masked);
    # PBA 0
    L += [f"readl 0x{tab + o:x}" for o in (0, 4, 8, 12)] + [f"readq 0x{pba:x}"]
    # program it: address t, data 0x6789, unmasked; read it back
    L += [f"writel 0x{tab:x} 0x{t:x}", f"writel 0x{tab + 4:x} 0x0",
          f"writel 0x{tab + 8:x} 0x6789", f"writel 0x{tab + 12:x} 0x0"]
    L += [f"readq 0x{tab:x}", f"readq 0x{tab + 8:x}"]
    # MSI programmed and enabled too (data 0x1111 to t + 0x10): MSI-X wins
    L += msi_setup(m, t + 0x10, 0x1111)
    L += ["memset 0x%x 4 0xaa" % (t + 0x10)]
    # enable MSI-X: Message Control 0x8000
    L += m.cfg_wr(MSIX_CAP + 2, 0x8000, 2) + m.cfg_rd(MSIX_CAP + 2, 2)
    # DOINT: 0x00006789 at t, nothing at t + 0x10 (0xaaaaaaaa), no INTx
    L += d.wr(CTRL, DOINT)
    L += [f"readl 0x{t:x}", f"readl 0x{t + 4:x}", f"readl 0x{t + 0x10:x}"]
    L += m.cfg_rd(0x06, 2) + d.wr(INT_CLEAR, 0xff)
    # entry masked (vector control 1): no message, PBA bit 0 set ...
    L += ["memset 0x%x 4 0xaa" % t, f"writel 0x{tab + 12:x} 0x1"]
    L += d.wr(CTRL, DOINT) + [f"readl 0x{t:x}", f"readl 0x{pba:x}"]
    # ... the PBA is read-only ...
    L += [f"writel 0x{pba:x} 0x0", f"readl 0x{pba:x}"]            # 1
    # ... unmask: the message goes out (0x6789), the pending bit clears
    L += [f"writel 0x{tab + 12:x} 0x0", f"readl 0x{t:x}", f"readl 0x{pba:x}"]
    L += d.wr(INT_CLEAR, 0xff)
    # the Function Mask (0x4000) holds every vector the same way
    L += ["memset 0x%x 4 0xaa" % t] + m.cfg_wr(MSIX_CAP + 2, 0xc000, 2)
    L += d.wr(CTRL, DOINT) + [f"readl 0x{t:x}", f"readl 0x{pba:x}"]  # 0xaa.., 1
    L += m.cfg_wr(MSIX_CAP + 2, 0x8000, 2)
    L += [f"readl 0x{t:x}", f"readl 0x{pba:x}"]                     # 0x6789, 0
    L += d.wr(INT_CLEAR, 0xff)
    # a MUL4 done (INT_MASK enables it): a message with the new data 0x9abc
    L += ["memset 0x%x 4 0xaa" % t, f"writel 0x{tab + 8:x} 0x9abc"]
    L += d.job(d.ram, d.ram, 0, MUL4) + [f"readl 0x{t:x}"]
    L += d.wr(INT_CLEAR, 0xff)
    # MSI-X off with MSI on: MSI's 0x1111 at t + 0x10, not the table's
    L += ["memset 0x%x 4 0xaa" % t] + m.cfg_wr(MSIX_CAP + 2, 0, 2)
    L += d.wr(CTRL, DOINT) + [f"readl 0x{t:x}", f"readl 0x{t + 0x10:x}"]
    L += d.wr(INT_CLEAR, 0xff)
    return L


def flr(m):
    """msi=on,pcie=on: a PCI Express Endpoint at 0x70 that supports Function
    Level Reset.  Initiate FLR (Device Control bit 15): every register back
    to its reset value (INT_MASK 0xffffffff, SCRATCH 0, INT_STATUS 0), the
    config space too (BARs unassigned, COMMAND 0, MSI off)."""
    d = Dev(m)
    L = d.setup()
    # PCIe capability header: 0x0002_0010 (v2, Endpoint) next 0; Device
    # Capabilities bit 28 (FLR) set
    L += m.cfg_rd(PCIE_CAP) + m.cfg_rd(PCIE_CAP + 4)
    L += m.cfg_rd(MSI_CAP) + m.cfg_rd(0x34, 1)      # MSI -> 0x70, list at 0x40
    L += msi_setup(m, d.ram, 0x55)
    L += d.wr(INT_MASK, 0x3) + d.wr(SCRATCH, 0x12345678) + d.wr(DMA_SIZE, 64)
    L += d.wr(CTRL, DOINT) + [f"readl 0x{d.ram:x}"]               # 0x55
    L += d.rd(INT_STATUS) + d.rd(INT_MASK) + d.rd(SCRATCH)
    # FLR: Device Control is 0x78
    L += m.cfg_rd(PCIE_CAP + 8, 2) + m.cfg_wr(PCIE_CAP + 8, 0x8000, 2)
    L += m.cfg_rd(PCIE_CAP + 8, 2)                   # Initiate FLR reads 0
    L += m.cfg_rd(0x04, 2) + m.cfg_rd(0x10) + m.cfg_rd(0x14)   # 0, 0, 1 (IO)
    L += m.cfg_rd(MSI_CAP) + m.cfg_rd(MSI_CAP + 4)   # MSI off, address 0
    L += d.rd(VERSION)           # BAR0 no longer decodes (q35 0, virt ~0)
    L += d.setup()[len(m.prelude):]                  # assign it again
    L += d.rd(VERSION) + d.rd(INT_STATUS) + d.rd(INT_MASK) + d.rd(SCRATCH)
    L += d.rd(DMA_SIZE)                  # 0x12345678, 0, 0xffffffff, 0, 0
    return L


def window(m):
    """MUL2/MUL4 with an address of the PCI window no BAR claims (BAR0's
    4 KiB above it, at m.mmio + 1 MiB) as source or destination.  In QEMU
    the DMA goes to system memory: on virt GPEX backs the windows with
    unassigned_io_ops, so the job succeeds reading all ones (MUL2:
    0xfffffffe words; INT_STATUS 0x1, ERROR_CODE 0) and a job writing there
    succeeds with the result dropped; on q35 nothing decodes the address:
    ERR_SRC (INT_STATUS 0x11, ERROR_CODE 4, ERROR_ADDR = the source) and
    ERR_DST (code 5).  Then the function's own BAR0 as the source: the
    job runs inside the CTRL write's MMIO handler, and QEMU 7.2.x's
    re-entrancy guard refuses an access to a device's MMIO while one of
    its handlers runs ("Blocked re-entrant IO" on QEMU's stderr), so the
    DMA fails: ERR_SRC, ERROR_ADDR = BAR0, RAM untouched; vpci-host has
    the same guard (mockhost/decode.c)."""
    d = Dev(m)
    b = d.ram + 0x2000
    empty = m.mmio + 0x100000
    L = d.setup()
    L += ["memset 0x%x 0x40 0x5a" % b]
    # from the empty window: virt 0x1, 0, 0 and b = fffffffe x4;
    # q35 0x11, 4, empty and b untouched (0x5a5a5a5a)
    L += d.job(empty, b, 16, MUL2) + d.status() + [f"read 0x{b:x} 0x14"]
    L += d.wr(INT_CLEAR, 0xff)
    # MUL4 from 8 bytes lower (still empty: BAR0 is 4 KiB at m.mmio):
    # virt 0x2, 0, 0 and b = fffffffc x4; q35 0x12, 4
    L += d.job(empty - 8, b, 16, MUL4) + d.status() + [f"read 0x{b:x} 0x14"]
    L += d.wr(INT_CLEAR, 0xff)
    # into the empty window: virt 0x1, 0, 0 (dropped, reads all ones);
    # q35 0x11, 5, empty (reads 0)
    L += d.job(b, empty + 0x40, 16, MUL2) + d.status()
    L += [f"readl 0x{empty + 0x40:x}"]
    L += d.wr(INT_CLEAR, 0xff)
    # its own registers as the source, from inside its CTRL handler:
    # refused (0x11, 4, BAR0), b still fffffffc... from the MUL4 (virt)
    L += d.wr(INT_MASK, 0x3)
    L += d.job(d.bar0, b, 16, MUL2) + d.status() + [f"read 0x{b:x} 0x14"]
    L += d.wr(INT_CLEAR, 0xff) + d.wr(INT_MASK, 0)
    return L


def scripts(m):
    s = {
        "regs": (regs(m), ""),
        "mul": (mul(m), ""),
        "errors": (errors(m), ""),
        "intx": (intx(m), ""),
        "window": (window(m), ""),
        "msi": (msi(m), "msi=on"),
        "msix": (msix(m), "msi=on,msix=on"),
        "flr": (flr(m), "msi=on,pcie=on"),
    }
    return s
