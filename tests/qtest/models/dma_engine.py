"""qtest scripts for dma-engine (the article's PCIe memory-copy engine),
driven the way its driver drives it: run unchanged against vpci-host
(`-device dma-engine`) and QEMU with the adapter (`-device
vpci-dma-engine`), whose answers must be identical.  The spec is
shared/specs/dma-engine.md; the registers, timing and error codes are in
include/vpci/models/dma_engine.h.  The comments give the answers the spec
demands.

Each script: the machine's prelude, BAR0 (16 KiB, registers at 0x1000) at
m.mmio, COMMAND = MEM | MASTER; buffers and the MSI target in m.ram.  The
engine moves one 4 KiB chunk per microsecond of virtual time, so a copy of
n bytes is DONE ceil(n / 4096) * 1000 ns after START: the scripts step the
clock across those instants (clock_step), nothing depends on wall time.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import qtestgen  # noqa: E402  (Machine objects, Regs)

MODEL = "dma-engine"

# INTx seen as interrupt controller input lines (irq_intercept_in): q35's
# IOAPIC, where slot 1 INTA -> PIRQF -> GSI 21; virt's GICv2, QOM path
# /machine/unattached/device[1] (device[0] is the CPU), where gpex's
# swizzle sends slot 1 INTA to its second line, SPI 3 + 1 -> "IRQ raise 4".
INTX_INTERCEPT = {"q35": "irq_intercept_in ioapic",
                  "virt": "irq_intercept_in /machine/unattached/device[1]"}

REGS = 0x1000                       # the register block in BAR0
SRC, DST, SIZE, CTRL = 0x00, 0x08, 0x10, 0x18
ERR_CODE, ERR_ADDR, COPIED, IGNORED = 0x20, 0x28, 0x30, 0x38
START, IRQ_EN, IRQ_ACK = 0x1, 0x2, 0x4
# CTRL's upper dword (0x101c), what the driver polls: DONE 1, ERROR 2, BUSY 4
CHUNK_NS = 1000
ERR_LENGTH, ERR_MASTER, ERR_READ, ERR_WRITE, ERR_NO_IOMMU = 1, 2, 3, 4, 5
EFAULT = 14                         # ERR_CODE bits 15:8 for READ / WRITE

MSI_CAP, PCIE_CAP = 0x40, 0xc0
CMD_MEM, CMD_MASTER, CMD_INTX_DISABLE = 0x2, 0x4, 0x400

# The end of guest RAM (both sides: 128 MiB, QEMU's default): a copy that
# crosses it faults there.  UNMAPPED: nothing decodes it on either machine.
RAM_END = {"q35": 0x8000000, "virt": 0x48000000}
UNMAPPED = {"q35": 0x10000000, "virt": 0x50000000}


class Dev(qtestgen.Regs):
    def __init__(self, m):
        self.bar0 = m.mmio
        super().__init__(m, self.bar0 + REGS, "readq", "writeq")

    def setup(self, command=CMD_MEM | CMD_MASTER):
        L = list(self.m.prelude)
        L += self.m.cfg_wr(0x10, self.bar0)
        L += self.m.cfg_wr(0x04, command, 2)
        return L

    def copy(self, src, dst, n, irq=False):
        """The driver's sequence: writeq SRC, writeq DST, the length by a
        dword write at 0x1014, START by a dword write of 1 at 0x1018 (with
        IRQ_EN: 0x3)."""
        return (self.wr(SRC, src) + self.wr(DST, dst) +
                self.wr(SIZE + 4, n, "writel") +
                self.wr(CTRL, START | (IRQ_EN if irq else 0), "writel"))

    def poll(self):
        """The driver's DONE poll: a dword read of 0x101c."""
        return self.rd(CTRL + 4, "readl")

    def results(self):
        """CTRL, ERR_CODE, ERR_ADDR, COPIED, IGNORED."""
        L = []
        for off in (CTRL, ERR_CODE, ERR_ADDR, COPIED, IGNORED):
            L += self.rd(off)
        return L


def step(n_chunks=1):
    return [f"clock_step {n_chunks * CHUNK_NS}"]


# ---------------------------------------------------------------------------

def regs(m):
    """Reset values, the writable bits of every register, the RO ones, the
    dword halves, the access widths the engine refuses, the rest of BAR0."""
    d = Dev(m)
    L = d.setup()
    # every register 0 at reset, as qwords and as dwords
    for off in range(0, 0x40, 8):
        L += d.rd(off)
    for off in range(0, 0x40, 4):
        L += d.rd(off, "readl")
    # BAR0 outside 0x1000..0x103f reads 0 and ignores writes
    L += [f"readl 0x{d.bar0:x}", f"readq 0x{d.bar0 + 0xff8:x}",
          f"readl 0x{d.bar0 + REGS + 0x40:x}", f"readl 0x{d.bar0 + 0x3ffc:x}"]
    L += [f"writel 0x{d.bar0:x} 0x12345678", f"readl 0x{d.bar0:x}"]   # 0
    # SRC and DST: all 64 bits read back (SRC is write-only in the article;
    # reading back is the model's extension)
    L += d.wr(SRC, 0x0123456789abcdef) + d.rd(SRC)
    L += d.rd(SRC, "readl") + d.rd(SRC + 4, "readl")    # 0x89abcdef 0x01234567
    L += d.wr(DST, 0xfedcba9876543210) + d.rd(DST)
    L += d.wr(DST + 4, 0x11223344, "writel") + d.rd(DST)  # 0x1122334476543210
    L += d.wr(DST, 0x55667788, "writel") + d.rd(DST)      # 0x1122334455667788
    # SIZE: only bits 63:32 (the length) are writable; 31:0 read 0
    L += d.wr(SIZE, 0xffffffffffffffff) + d.rd(SIZE)      # 0xffffffff00000000
    L += d.wr(SIZE, 0x1234, "writel") + d.rd(SIZE)        # unchanged
    L += d.wr(SIZE + 4, 0x40, "writel") + d.rd(SIZE)      # 0x0000004000000000
    # CTRL: IRQ_EN (bit1) is the only bit that stays; START / IRQ_ACK read
    # 0 (no START here: bit0 clear), DONE/ERROR/BUSY are read-only
    L += d.wr(CTRL, 0xfffffffffffffffe) + d.rd(CTRL)      # 0x2
    L += d.wr(CTRL + 4, 0x7, "writel") + d.rd(CTRL)       # 0x2
    L += d.wr(CTRL, 0x0) + d.rd(CTRL)                     # 0
    # the status registers are read-only
    for off in (ERR_CODE, ERR_ADDR, COPIED, IGNORED):
        L += d.wr(off, 0x5555555555555555) + d.rd(off)    # 0
    # only aligned dwords and qwords: bytes, words and unaligned accesses
    # read all ones (0xff, 0xffff, ...) and write nothing
    L += d.rd(SRC, "readb") + d.rd(SRC + 1, "readb") + d.rd(SRC, "readw")
    L += d.rd(SRC + 2, "readw") + d.rd(SRC + 2, "readl")
    L += d.wr(SRC, 0xaa, "writeb") + d.wr(SRC + 2, 0xbbbb, "writew")
    L += d.rd(SRC)                                     # 0x0123456789abcdef
    return L


def copy(m):
    """Copies as the driver makes them: RAM -> RAM through the 4 KiB buffer,
    DONE polled by a dword read of 0x101c; BUSY and COPIED while it runs,
    one chunk per microsecond; START while busy ignored and counted;
    SRC/DST/SIZE latched by START; overlapping ranges copied forward chunk
    by chunk."""
    d = Dev(m)
    a = d.ram                    # the driver's buffer: 2N bytes, N = 6 KiB
    n = 0x1800
    L = d.setup()
    # the driver: first half 0x05, second half (here) 0xee to see it change
    L += [f"memset 0x{a:x} 0x{n:x} 0x5", f"memset 0x{a + n:x} 0x{n + 0x10:x} 0xee"]
    L += d.copy(a, a + n, n)
    # just after START: BUSY (0x101c = 0x4), COPIED 0, nothing moved yet
    L += d.poll() + d.rd(COPIED) + [f"readl 0x{a + n:x}"]
    # 999 ns: the first chunk is not due yet
    L += ["clock_step 999"] + d.rd(COPIED)
    # 1 us: the first 4 KiB moved, still BUSY
    L += ["clock_step 1"] + d.rd(COPIED) + d.poll()
    L += [f"readl 0x{a + n + 0xffc:x}", f"readl 0x{a + n + 0x1000:x}"]
    # 0x05050505, 0xeeeeeeee
    # 2 us: DONE (0x101c = 1, CTRL 0x100000000), COPIED 0x1800
    L += step() + d.poll() + d.results()
    L += [f"readl 0x{a + n + 0x1000:x}", f"readl 0x{a + 2 * n - 4:x}",
          f"readl 0x{a + 2 * n:x}"]      # 0x05050505 x2, 0xeeeeeeee (after)
    L += [f"b64read 0x{a + n:x} 0x{n:x}"]
    # 16 KiB + 1 bytes: 5 chunks; COPIED after each microsecond; a START
    # while busy is ignored (IGNORED 1) and later writes to SRC/DST/SIZE do
    # not disturb the copy in progress (START latched them)
    src, dst = a + 0x10000, a + 0x20000
    pattern = bytes((i * 13 + 7) & 0xff for i in range(64))
    L += [f"memset 0x{src:x} 0x4001 0x3c",
          f"write 0x{src:x} 0x40 0x{pattern.hex()}",
          f"write 0x{src + 0x3fc0:x} 0x40 0x{pattern.hex()}",
          f"writeb 0x{src + 0x4000:x} 0x99",
          f"memset 0x{dst:x} 0x4010 0x0"]
    L += d.copy(src, dst, 0x4001)
    for _ in range(2):
        L += step() + d.rd(COPIED) + d.poll()      # 0x1000, 0x2000; BUSY
    L += d.wr(CTRL, START, "writel") + d.rd(IGNORED)          # 1
    L += d.wr(SRC, a) + d.wr(DST, a + 0x30000) + d.wr(SIZE + 4, 8, "writel")
    for _ in range(3):
        L += step() + d.rd(COPIED) + d.poll()      # 0x3000, 0x4000, 0x4001
    L += d.results()          # DONE, code 0, addr 0, 0x4001, IGNORED 1
    L += [f"read 0x{dst:x} 0x40", f"read 0x{dst + 0x3fc0:x} 0x41",
          f"readl 0x{dst + 0x4001:x}", f"readl 0x{dst + 0x2000:x}"]
    L += [f"readl 0x{a + 0x30000:x}"]     # 0: the new DST was never written
    # the registers hold what was written after START; the next START
    # takes them: 8 bytes a -> a + 0x30000 (0x0505050505050505)
    L += d.rd(SRC) + d.rd(DST) + d.rd(SIZE)
    L += d.wr(CTRL, START, "writel") + step() + d.poll()
    L += [f"readq 0x{a + 0x30000:x}"]
    # START clears the last results: IGNORED stays (a count), COPIED 8
    L += d.results()
    # overlap, forward and chunk-wise: blocks of 2 KiB A B C D at c, copied
    # to c + 0x800, 8 KiB.  Chunk 1 reads A B and writes c+0x800..0x17ff;
    # chunk 2 reads (now) B D and writes c+0x1800..0x27ff.  Result by 2 KiB
    # block: A A B B D
    c = a + 0x40000
    for i, v in enumerate((0xa1, 0xb2, 0xc3, 0xd4)):
        L += [f"memset 0x{c + 0x800 * i:x} 0x800 0x{v:x}"]
    L += [f"memset 0x{c + 0x2000:x} 0x800 0x0"]
    L += d.copy(c, c + 0x800, 0x2000) + step(2) + d.poll()
    L += [f"readl 0x{c + 0x800 * i:x}" for i in range(5)]
    L += [f"readl 0x{c + 0x27fc:x}", f"readl 0x{c + 0x2800:x}"]
    # the whole of CTRL as the driver's writeq sees it: START | IRQ_EN
    # (no MSI, INTx only) then DONE | IRQ_EN = 0x100000002
    L += d.wr(SRC, a) + d.wr(DST, a + 0x30000) + d.wr(SIZE, 0x10 << 32)
    L += d.wr(CTRL, START | IRQ_EN) + d.rd(CTRL) + step() + d.rd(CTRL)
    return L


def errors(m):
    """Each error: DONE | ERROR, ERR_CODE (with the host's errno for READ /
    WRITE), ERR_ADDR at the first byte not moved, COPIED, and nothing
    written at or after the fault."""
    d = Dev(m)
    a, b = d.ram, d.ram + 0x10000
    end = RAM_END[m.name]
    L = d.setup()
    L += [f"memset 0x{a:x} 0x3000 0x77", f"memset 0x{b:x} 0x3000 0x0"]
    # ERR_LENGTH: length 0 ends at the START write: 0x101c = 3 (DONE |
    # ERROR), ERR_CODE 1, ERR_ADDR 0, COPIED 0; no clock needed
    L += d.copy(a, b, 0) + d.poll() + d.results()
    # ... and a length above max-size (64 MiB): 0x4000001
    L += d.copy(a, b, 0x4000001) + d.poll() + d.results() + [f"readl 0x{b:x}"]
    # a good copy clears ERROR, ERR_CODE, ERR_ADDR
    L += d.copy(a, b, 0x10) + d.poll() + step() + d.results()
    # ERR_MASTER: bus master off when the chunk runs: code 2, ERR_ADDR =
    # SRC, COPIED 0, nothing written
    L += [f"memset 0x{b:x} 0x10 0x0"] + d.m.cfg_wr(0x04, CMD_MEM, 2)
    L += d.copy(a, b, 0x10) + d.poll() + step() + d.results()
    L += [f"readl 0x{b:x}"]
    # ... and turned off part way: the first chunk moves, the second stops:
    # COPIED 0x1000, ERR_ADDR = SRC + 0x1000
    L += d.m.cfg_wr(0x04, CMD_MEM | CMD_MASTER, 2)
    L += d.copy(a, b, 0x3000) + step()
    L += d.m.cfg_wr(0x04, CMD_MEM, 2) + step() + d.results()
    L += [f"readl 0x{b + 0xffc:x}", f"readl 0x{b + 0x1000:x}"]   # 0x77.., 0
    L += d.m.cfg_wr(0x04, CMD_MEM | CMD_MASTER, 2)
    # ERR_READ: a source nothing decodes: code 0xe03 (EFAULT << 8 | 3),
    # ERR_ADDR = SRC, COPIED 0
    L += d.copy(UNMAPPED[m.name], b, 0x10) + step() + d.results()
    # ... part way: 6 KiB below the end of RAM, 8 KiB: chunk 1 moves 4 KiB,
    # chunk 2 reads 2 KiB before the fault and still writes them: COPIED
    # 0x1800, ERR_ADDR = the end of RAM, destination bytes from 0x1800 on
    # untouched
    L += [f"memset 0x{b:x} 0x3000 0x0",
          f"memset 0x{end - 0x1800:x} 0x1800 0x42"]
    L += d.copy(end - 0x1800, b, 0x2000) + step(2) + d.results()
    L += [f"readl 0x{b + 0x17fc:x}", f"readl 0x{b + 0x1800:x}"]  # 0x42.., 0
    # ERR_WRITE: the destination faults 2 KiB in: code 0xe04, ERR_ADDR = the
    # end of RAM, COPIED 0x800, the 2 KiB before it written
    L += [f"memset 0x{end - 0x1000:x} 0x1000 0x0"]
    L += d.copy(a, end - 0x800, 0x1000) + step() + d.results()
    L += [f"readl 0x{end - 0x804:x}", f"readl 0x{end - 0x800:x}",
          f"readl 0x{end - 4:x}"]                   # 0, 0x77777777 x2
    # ... a destination nothing decodes: 0xe04 at DST, COPIED 0
    L += d.copy(a, UNMAPPED[m.name], 0x10) + step() + d.results()
    # 64-bit bus addresses reach the host whole (DMA mask 2^64 - 1): a
    # source at 2 TiB, where neither machine decodes anything: 0xe03 at
    # 0x20000000000
    L += d.copy(1 << 41, b, 0x10) + step() + d.results()
    # START after an error clears it: BUSY, ERR_CODE 0 until done
    L += d.copy(a, b, 0x10) + d.results() + step() + d.results()
    return L


def limits(m):
    """max-size=8192 (a model property, passed by both hosts): 8192 bytes
    copy, 8193 are refused with ERR_LENGTH."""
    d = Dev(m)
    a, b = d.ram, d.ram + 0x4000
    L = d.setup()
    L += [f"memset 0x{a:x} 0x2001 0x61", f"memset 0x{b:x} 0x2001 0x0"]
    L += d.copy(a, b, 0x2001) + d.poll() + d.results()   # 3, code 1
    L += [f"readl 0x{b:x}"]                              # 0: nothing moved
    L += d.copy(a, b, 0x2000) + d.poll() + step(2) + d.poll() + d.results()
    L += [f"readl 0x{b + 0x1ffc:x}", f"readb 0x{b + 0x2000:x}"]  # 0x61616161, 0
    return L


def no_iommu(m):
    """iommu-required=on without an IOMMU (neither QEMU nor vpci-host has
    one here): every START ends at once with ERR_NO_IOMMU (5), nothing is
    read or written."""
    d = Dev(m)
    a, b = d.ram, d.ram + 0x1000
    L = d.setup()
    L += [f"memset 0x{a:x} 0x10 0x61", f"memset 0x{b:x} 0x10 0x0"]
    L += d.copy(a, b, 0x10) + d.poll() + d.results()       # 3, 5
    L += step() + d.results() + [f"readl 0x{b:x}"]         # unchanged, 0
    L += d.copy(a, b, 0) + d.results()      # the length is checked first: 1
    return L


def intx(m):
    """INTA on completion with IRQ_EN, intercepted at the interrupt
    controller (q35: IOAPIC GSI 21, virt: GIC SPI 4; see INTX_INTERCEPT):
    "IRQ raise N" printed inside the clock_step that completes the copy,
    with config space's INTx status bit.  Held until IRQ_ACK,
    the next START, or a CTRL write that leaves IRQ_EN clear; an error
    completion interrupts too; Interrupt Disable."""
    d = Dev(m)
    a, b = d.ram, d.ram + 0x1000
    st = m.cfg_rd(0x06, 2)           # STATUS: bit 3 INTx pending (0x10: caps)
    L = d.setup()
    L += [INTX_INTERCEPT[m.name]]
    # no IRQ_EN: DONE without an interrupt
    L += d.copy(a, b, 0x10) + step() + d.poll() + st
    # IRQ_EN: raised when the copy ends (inside the clock_step), not before
    L += d.copy(a, b, 0x10, irq=True) + ["clock_step 999"] + st
    L += ["clock_step 1"] + st + d.rd(CTRL)          # 0x100000002
    # IRQ_ACK (with IRQ_EN kept): lowered; IRQ_EN still set
    L += d.wr(CTRL, IRQ_EN | IRQ_ACK) + st + d.rd(CTRL)
    # the next START lowers it, the completion raises it again
    L += d.copy(a, b, 0x10, irq=True) + step()
    L += d.copy(a, b, 0x2000, irq=True) + st + step() + st + step() + st
    # a CTRL write that leaves IRQ_EN clear lowers it
    L += d.wr(CTRL, 0) + st
    # an error completion interrupts at the START write (length 0)
    L += d.copy(a, b, 0, irq=True) + st + d.poll()
    # Interrupt Disable holds the pin low, STATUS bit 3 still shows it;
    # clearing it raises the pin again; IRQ_ACK lowers
    L += m.cfg_wr(0x04, CMD_INTX_DISABLE | CMD_MEM | CMD_MASTER, 2) + st
    L += m.cfg_wr(0x04, CMD_MEM | CMD_MASTER, 2) + st
    L += d.wr(CTRL, IRQ_EN | IRQ_ACK, "writel") + st
    return L


def msi(m):
    """MSI (one vector, 64-bit, no per-vector mask) at 0x40: the message
    lands in RAM when a copy with IRQ_EN ends, once per completion; none
    without IRQ_EN; held while bus mastering is off and sent when it comes
    back; no INTx while MSI is enabled."""
    d = Dev(m)
    a, b = d.ram, d.ram + 0x1000
    t = d.ram + 0x800                        # MSI target
    L = d.setup()
    L += [INTX_INTERCEPT[m.name]]            # no "IRQ" line may appear
    # capability: 0x00800005 | next 0 (PCIe at 0xc0 is first: 0xc0 -> 0x40)
    L += m.cfg_rd(0x34, 1) + m.cfg_rd(PCIE_CAP) + m.cfg_rd(MSI_CAP)
    L += m.cfg_rd(MSI_CAP + 4) + m.cfg_rd(MSI_CAP + 8) + m.cfg_rd(MSI_CAP + 0xc)
    L += [f"memset 0x{t:x} 0x10 0xaa", f"readl 0x{t:x}"]     # 0xaaaaaaaa
    L += (m.cfg_wr(MSI_CAP + 4, t) + m.cfg_wr(MSI_CAP + 8, 0) +
          m.cfg_wr(MSI_CAP + 0xc, 0x4321, 2) + m.cfg_wr(MSI_CAP + 2, 1, 2))
    L += m.cfg_rd(MSI_CAP) + m.cfg_rd(MSI_CAP + 4) + m.cfg_rd(MSI_CAP + 0xc)
    # a 2-chunk copy with IRQ_EN: nothing after 1 us, 0x00004321 at t after
    # 2 us; t + 4 untouched; STATUS shows no INTx
    L += d.copy(a, b, 0x2000, irq=True) + step() + [f"readl 0x{t:x}"]
    L += step() + [f"readl 0x{t:x}", f"readl 0x{t + 4:x}"] + m.cfg_rd(0x06, 2)
    # once per completion: again after the next copy
    L += [f"memset 0x{t:x} 4 0xaa"] + d.copy(a, b, 0x10, irq=True) + step()
    L += [f"readl 0x{t:x}"]
    # no IRQ_EN: no message
    L += [f"memset 0x{t:x} 4 0xaa"] + d.copy(a, b, 0x10) + step()
    L += d.poll() + [f"readl 0x{t:x}"]                           # 1, 0xaa..
    # an error completion (length 0) sends at the START write
    L += d.copy(a, b, 0, irq=True) + [f"readl 0x{t:x}"]         # 0x4321
    # bus master off: the message waits (the copy itself fails: length 0
    # ends without DMA); MASTER on sends it
    L += [f"memset 0x{t:x} 4 0xaa"] + m.cfg_wr(0x04, CMD_MEM, 2)
    L += d.copy(a, b, 0, irq=True) + [f"readl 0x{t:x}"]         # 0xaa..
    L += m.cfg_wr(0x04, CMD_MEM | CMD_MASTER, 2) + [f"readl 0x{t:x}"]
    # new address and data: 0x0bad at t + 8
    L += m.cfg_wr(MSI_CAP + 4, t + 8) + m.cfg_wr(MSI_CAP + 0xc, 0x0bad, 2)
    L += d.copy(a, b, 0x10, irq=True) + step() + [f"readl 0x{t + 8:x}"]
    # Multiple Message Enable is clamped to the 1 vector capable: 0x0081
    L += m.cfg_wr(MSI_CAP + 2, 0x0071, 2) + m.cfg_rd(MSI_CAP + 2, 2)
    # MSI off: INTx again.  The last completion interrupt is still held (no
    # IRQ_ACK yet), so the pin rises at once ("IRQ raise 21" on q35, "IRQ
    # raise 4" on virt); the next START lowers it, its completion raises
    # it; no message
    L += [f"memset 0x{t:x} 0x10 0xaa"] + m.cfg_wr(MSI_CAP + 2, 0, 2)
    L += d.copy(a, b, 0x10, irq=True) + step() + m.cfg_rd(0x06, 2)
    L += [f"readl 0x{t:x}", f"readl 0x{t + 8:x}"]
    L += d.wr(CTRL, IRQ_ACK)
    return L


def scripts(m):
    return {
        "regs": (regs(m), ""),
        "copy": (copy(m), ""),
        "errors": (errors(m), ""),
        "limits": (limits(m), "max-size=8192"),
        "no_iommu": (no_iommu(m), "iommu-required=on"),
        "intx": (intx(m), ""),
        "msi": (msi(m), ""),
    }
