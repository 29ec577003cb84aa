"""qtest scripts for epf-test (Linux's PCI endpoint test function, 6.1
register layout), driven the way pci_endpoint_test drives it: run unchanged
against vpci-host (`-device epf-test`) and QEMU with the adapter (`-device
vpci-epf-test`), whose answers must be identical.  The spec is
shared/specs/edu-and-epf-test.md; registers, timing and interrupts are in
include/vpci/models/epf_test.h.  The comments give the answers the spec
demands; CRCs and WRITE data are computed here from the model's documented
generator (xorshift64*, seed 0x9e3779b97f4a7c15) and Linux's
crc32_le(~0, ...) (zlib's crc32 inverted).

Each script: the machine's prelude, the six 32-bit memory BARs at m.mmio
upwards (BAR0 1 KiB: registers, MSI-X table at 0x80, PBA at 0x280; BAR1
512; BAR2 1 KiB; BAR3 16 KiB; BAR4 128 KiB; BAR5 1 MiB), COMMAND = MEM |
MASTER; host buffers and MSI targets in m.ram.  A command is taken 1 ms
after the COMMAND write, plus 10 ns per byte moved (1 ns with
FLAGS.USE_DMA; COPY moves 2 x SIZE): the scripts step the virtual clock to
just before and to that instant.
"""
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import qtestgen  # noqa: E402  (Machine objects, Regs)

MODEL = "epf-test"

# INTx seen as interrupt controller input lines (irq_intercept_in): q35's
# IOAPIC, where slot 1 INTA -> PIRQF -> GSI 21; virt's GICv2, QOM path
# /machine/unattached/device[1] (device[0] is the CPU), where gpex's
# swizzle sends slot 1 INTA to its second line, SPI 3 + 1 -> "IRQ raise 4".
INTX_INTERCEPT = {"q35": "irq_intercept_in ioapic",
                  "virt": "irq_intercept_in /machine/unattached/device[1]"}

MAGIC, COMMAND, STATUS = 0x00, 0x04, 0x08
SRC_LO, SRC_HI, DST_LO, DST_HI, SIZE = 0x0c, 0x10, 0x14, 0x18, 0x1c
CHECKSUM, IRQ_TYPE, IRQ_NUMBER, FLAGS, CAPS = 0x20, 0x24, 0x28, 0x2c, 0x30
RAISE_INTX, RAISE_MSI, RAISE_MSIX, READ, WRITE, COPY = 1, 2, 4, 8, 0x10, 0x20
READ_OK, READ_FAIL, WRITE_OK, WRITE_FAIL = 0x1, 0x2, 0x4, 0x8
COPY_OK, COPY_FAIL, IRQ_RAISED = 0x10, 0x20, 0x40
SRC_INVALID, DST_INVALID = 0x80, 0x100
INTX, MSI, MSIX = 0, 1, 2
USE_DMA = 1

POLL_NS = 1000000
MSI_CAP, MSIX_CAP = 0x40, 0x58
TABLE, PBA = 0x80, 0x280
CMD_MEM, CMD_MASTER, CMD_INTX_DISABLE = 0x2, 0x4, 0x400

# BAR offsets from m.mmio: each naturally aligned, no overlap
BAR_SIZES = [0x400, 0x200, 0x400, 0x4000, 0x20000, 0x100000]
BAR_OFFS = [0x0, 0x400, 0x800, 0x4000, 0x20000, 0x100000]

RAM_END = {"q35": 0x8000000, "virt": 0x48000000}
UNMAPPED = {"q35": 0x10000000, "virt": 0x50000000}


# -- the model's WRITE data and Linux's CRC, for the expected values -------

class Prng:
    """epf-test's WRITE data: xorshift64*, eight bytes a step, a chunk
    (4 KiB) at a time; what is left of a step's word is dropped."""
    M = (1 << 64) - 1

    def __init__(self):
        self.x = 0x9e3779b97f4a7c15

    def chunk(self, n):
        out = bytearray()
        while len(out) < n:
            x = self.x
            x ^= x >> 12
            x ^= (x << 25) & self.M
            x ^= x >> 27
            self.x = x
            out += ((x * 0x2545f4914f6cdd1d) & self.M).to_bytes(8, "little")
        return bytes(out[:n])

    def data(self, size):
        out = b""
        while len(out) < size:
            out += self.chunk(min(4096, size - len(out)))
        return out


def crc(data):
    """Linux's crc32_le(~0, data, len): zlib's crc32 without its final
    inversion."""
    return zlib.crc32(data) ^ 0xffffffff


class Dev(qtestgen.Regs):
    def __init__(self, m, reg_bar=0):
        self.bars = [m.mmio + o for o in BAR_OFFS]
        super().__init__(m, self.bars[reg_bar])

    def setup(self, command=CMD_MEM | CMD_MASTER):
        L = list(self.m.prelude)
        for i, base in enumerate(self.bars):
            L += self.m.cfg_wr(0x10 + 4 * i, base)
        L += self.m.cfg_wr(0x04, command, 2)
        return L

    def cmd(self, command, src=None, dst=None, size=None, irq_type=None,
            irq_number=None, checksum=None, flags=None):
        """pci_endpoint_test's order: the parameters, then COMMAND."""
        L = []
        if src is not None:
            L += self.wr(SRC_LO, src & 0xffffffff) + self.wr(SRC_HI, src >> 32)
        if dst is not None:
            L += self.wr(DST_LO, dst & 0xffffffff) + self.wr(DST_HI, dst >> 32)
        for off, v in ((SIZE, size), (CHECKSUM, checksum), (FLAGS, flags),
                       (IRQ_TYPE, irq_type), (IRQ_NUMBER, irq_number)):
            if v is not None:
                L += self.wr(off, v)
        return L + self.wr(COMMAND, command)

    def isr(self):
        """pci_endpoint_test's handler: read STATUS; if IRQ_RAISED, write
        it back without that bit."""
        return self.rd(STATUS)

    def ack(self, status):
        return self.wr(STATUS, status & ~IRQ_RAISED)


def wait(ns):
    """Step to 1 ns before the command is taken, then to that instant."""
    return [f"clock_step {ns - 1}", "clock_step 1"]


def took(size=0, per_byte=10, copy=False):
    return POLL_NS + (2 if copy else 1) * size * per_byte


# ---------------------------------------------------------------------------

def regs(m):
    """Reset values, every register read/write, CAPS read-only, the holes,
    any access width, and pci_endpoint_test's BAR test: 0xA0A0A0A0 over the
    first dword of BAR0 (MAGIC) and the whole of every other BAR (plain
    memory: zero at creation, keeps what is written)."""
    d = Dev(m)
    L = d.setup()
    # every register 0, CAPS 0xf (UNALIGNED_ACCESS | MSI | MSI-X | INTX),
    # the hole 0x34..0x7f 0
    for off in range(0, 0x80, 4):
        L += d.rd(off)
    # the parameter registers read back all 32 bits
    for off in (MAGIC, SRC_LO, SRC_HI, DST_LO, DST_HI, SIZE, CHECKSUM,
                IRQ_TYPE, IRQ_NUMBER, FLAGS):
        L += d.wr(off, 0xfedc0000 | off) + d.rd(off)
    # STATUS is read/write for the host (its handler writes it back)
    L += d.wr(STATUS, 0x1ff) + d.rd(STATUS) + d.wr(STATUS, 0) + d.rd(STATUS)
    # CAPS is read-only; the holes ignore writes
    L += d.wr(CAPS, 0) + d.rd(CAPS) + d.wr(0x34, 1) + d.rd(0x34)
    L += d.wr(0x7c, 1) + d.rd(0x7c)
    # any width: bytes and words merge into the registers, a qword spans two
    L += d.wr(MAGIC + 1, 0x5a, "writeb") + d.rd(MAGIC)          # 0xfedc5a00
    L += d.wr(MAGIC + 2, 0x1234, "writew") + d.rd(MAGIC)        # 0x12345a00
    L += d.rd(SRC_LO, "readq")                   # 0xfedc0010fedc000c
    L += d.rd(MAGIC + 3, "readb") + d.rd(SIZE, "readw")          # 0x12, 0x1c
    L += d.wr(DST_LO, 0x1111111122222222, "writeq")
    L += d.rd(DST_LO) + d.rd(DST_HI)             # 0x22222222, 0x11111111
    # the BAR test: MAGIC, then 0xA0A0A0A0 over BAR1..BAR5.  Before: 0
    L += d.wr(MAGIC, 0xa0a0a0a0) + d.rd(MAGIC)
    for i in range(1, 6):
        base, size = d.bars[i], BAR_SIZES[i]
        L += [f"readl 0x{base:x}", f"readl 0x{base + size - 4:x}"]   # 0, 0
        L += [f"memset 0x{base:x} 0x{size:x} 0xa0"]
        L += [f"readl 0x{base:x}", f"readl 0x{base + size // 2:x}",
              f"readl 0x{base + size - 4:x}"]                  # 0xa0a0a0a0
    L += [f"b64read 0x{d.bars[1]:x} 0x200"]
    # the BARs are memory: any width, any pattern, read back as written
    b = d.bars[2]
    L += [f"writeq 0x{b:x} 0x0123456789abcdef", f"writeb 0x{b + 8:x} 0x5",
          f"writew 0x{b + 10:x} 0x6677", f"read 0x{b:x} 16",
          f"readl 0x{b + 2:x}", f"readw 0x{b + 3:x}"]
    # ... and stay theirs: moving BAR2 moves its contents with it
    L += m.cfg_wr(0x18, d.bars[0] + 0xc00) + [f"readq 0x{d.bars[0] + 0xc00:x}"]
    return L


def transfer(m):
    """pci_endpoint_test's READ / WRITE / COPY ioctls with the INTx-mode
    interrupt (IRQ_TYPE 0): its READ ioctl sends WRITE (the device fills the
    host buffer and puts the CRC in CHECKSUM), its WRITE ioctl sends READ
    (the device checks the CRC of the host buffer), COPY; sizes 1, 1024,
    1025 and 1024000 (with FLAGS.USE_DMA), the 1 ms poll and the per-byte
    time, STATUS and its handshake."""
    d = Dev(m)
    p = Prng()
    buf, buf2 = d.ram, d.ram + 0x200000
    L = d.setup()
    # WRITE 1024 bytes to buf: nothing before 1 ms + 10.24 us; then
    # STATUS = WRITE_SUCCESS | IRQ_RAISED (0x44), COMMAND 0, CHECKSUM = the
    # CRC of the generator's first 1024 bytes: 0xcc2354b4, data
    # 7a48219ae2b3830d679dfef1794cc454...
    w1 = p.data(1024)
    L += [f"memset 0x{buf:x} 0x410 0x0"]
    L += d.cmd(WRITE, dst=buf, size=1024, irq_type=INTX, irq_number=1)
    L += [f"clock_step {took(1024) - 1}"] + d.rd(COMMAND) + d.rd(STATUS)
    L += ["clock_step 1"] + d.rd(COMMAND) + d.isr() + d.rd(CHECKSUM)
    # 0x44, CHECKSUM = crc(w1)
    L += [f"read 0x{buf:x} 16", f"b64read 0x{buf:x} 0x400",
          f"readl 0x{buf + 0x400:x}"]   # w1[:16], all of w1, 0 (no more)
    L += d.ack(WRITE_OK | IRQ_RAISED) + d.rd(STATUS)             # 0x4
    # READ of what was written with its CRC: READ_SUCCESS (0x41)
    L += d.cmd(READ, src=buf, size=1024, checksum=crc(w1)) + wait(took(1024))
    L += d.isr() + d.ack(READ_OK)
    # one byte changed: READ_FAIL | IRQ_RAISED (0x42)
    L += [f"writeb 0x{buf + 0x200:x} 0x{w1[0x200] ^ 1:x}"]
    L += d.cmd(READ) + wait(took(1024)) + d.isr() + d.ack(READ_FAIL)
    # COPY buf -> buf2 (1024 bytes; 2 x 10.24 us): COPY_SUCCESS (0x50),
    # buf2 = buf (with the changed byte)
    L += [f"memset 0x{buf2:x} 0x410 0x0"]
    L += d.cmd(COPY, src=buf, dst=buf2) + wait(took(1024, copy=True))
    L += d.isr() + d.ack(COPY_OK)
    L += [f"read 0x{buf2 + 0x1f8:x} 16", f"readl 0x{buf2 + 0x400:x}"]
    # sizes 1 and 1025: WRITE then READ with the CRC WRITE gave (the host's
    # READ ioctl; pci_endpoint_test compares its own CRC of the buffer):
    # CHECKSUM 0xad9877b9 (1 byte: 0x95), 0xe3223c4e (last byte 0x03)
    for size in (1, 1025):
        w = p.data(size)
        L += [f"memset 0x{buf:x} 0x{size + 8:x} 0x0"]
        L += d.cmd(WRITE, dst=buf, size=size) + wait(took(size))
        L += d.isr() + d.rd(CHECKSUM) + d.ack(WRITE_OK)   # 0x44, crc(w)
        L += [f"read 0x{buf + size - 1:x} 9"]   # w[-1], then zeros
        L += d.cmd(READ, src=buf, checksum=crc(w)) + wait(took(size))
        L += d.isr() + d.ack(READ_OK)                       # 0x41
    # 1024000 bytes with FLAGS.USE_DMA (1 ns a byte): WRITE, READ, COPY
    size = 1024000
    w = p.data(size)
    L += d.cmd(WRITE, dst=buf, size=size, flags=USE_DMA) + wait(took(size, 1))
    L += d.isr() + d.rd(CHECKSUM) + d.ack(WRITE_OK)        # 0xa20d2a1e
    # first and last 8 bytes: 16dbcbcee8ea6ec8, d36c6b01c0da5681
    L += [f"read 0x{buf:x} 8", f"read 0x{buf + size - 8:x} 8"]
    L += d.cmd(READ, src=buf, checksum=crc(w)) + wait(took(size, 1))
    L += d.isr() + d.ack(READ_OK)
    L += d.cmd(COPY, src=buf, dst=buf2) + wait(took(size, 1, copy=True))
    L += d.isr() + d.ack(COPY_OK)
    L += [f"read 0x{buf2 + size - 8:x} 8"]                  # = w[-8:]
    # ... and its CRC checked by the device from the copy: READ_SUCCESS
    L += d.cmd(READ, src=buf2) + wait(took(size, 1)) + d.isr()
    # the same size without USE_DMA: 10.24 ms + 1 ms
    L += d.ack(READ_OK) + d.wr(FLAGS, 0)
    L += d.cmd(READ, src=buf2) + wait(took(size)) + d.isr() + d.ack(READ_OK)
    # SIZE 0: WRITE sets CHECKSUM to crc of nothing (0xffffffff); READ
    # succeeds only with that CHECKSUM
    L += d.cmd(WRITE, size=0) + wait(took()) + d.isr() + d.rd(CHECKSUM)
    L += d.ack(WRITE_OK) + d.cmd(READ, checksum=0) + wait(took()) + d.isr()
    L += d.ack(READ_FAIL)
    # 64-bit address registers: SRC_ADDR_HI is used (buf2 + 4 GiB is not
    # RAM: SRC_ADDR_INVALID)
    L += d.cmd(READ, src=buf2 + (1 << 32), size=16) + wait(took(16))
    L += d.isr()                                # 0xc2: FAIL | IRQ | SRC_INV
    return L


def errors(m):
    """What Linux leaves open, as the model documents it: invalid source /
    destination (READ_FAIL / WRITE_FAIL / COPY_FAIL with SRC/DST_ADDR_INVALID,
    the interrupt still raised), bus mastering off, IRQ_TYPE above 2 (the
    command dropped, STATUS 0), several command bits (only the first of
    pci-epf-test's order runs), COMMAND replaced before the poll, COMMAND 0,
    a partial WRITE stopping at the fault."""
    d = Dev(m)
    buf = d.ram
    end = RAM_END[m.name]
    bad = UNMAPPED[m.name]
    L = d.setup()
    L += [f"memset 0x{buf:x} 0x1000 0x3"]
    # READ from nothing: 0x2 | 0x40 | 0x80 = 0xc2; CHECKSUM untouched
    L += d.cmd(READ, src=bad, size=64, checksum=0x1234) + wait(took(64))
    L += d.isr() + d.rd(CHECKSUM) + d.ack(0)
    # WRITE to nothing: 0x8 | 0x40 | 0x100 = 0x148; CHECKSUM unchanged
    L += d.cmd(WRITE, dst=bad) + wait(took(64)) + d.isr() + d.rd(CHECKSUM)
    L += d.ack(0)
    # COPY: source invalid first: 0x20 | 0x40 | 0x80 = 0xe0
    L += d.cmd(COPY, src=bad, dst=buf) + wait(took(64, copy=True)) + d.isr()
    L += d.ack(0)
    # COPY to nothing: 0x20 | 0x40 | 0x100 = 0x160
    L += d.cmd(COPY, src=buf, dst=bad) + wait(took(64, copy=True)) + d.isr()
    L += d.ack(0)
    # WRITE across the end of RAM (6 KiB from 2 KiB below it): chunk 1
    # goes out page by page, the 2 KiB below the end are written, the page
    # at the end faults (0x148).  The data is the generator's: the failed
    # WRITE above drew 64 bytes, so the bytes below the end are stream
    # bytes 64.. : readl 0xafc200ac; before it 0x03030303 (untouched)
    L += [f"memset 0x{end - 0x1000:x} 0x1000 0x3"]
    L += d.cmd(WRITE, dst=end - 0x800, size=0x1800) + wait(took(0x1800))
    L += d.isr() + d.ack(0) + [f"readl 0x{end - 0x804:x}",
                               f"readl 0x{end - 0x800:x}"]
    # ... 8 KiB starting 4 KiB below the end: chunk 1 fits and is written
    # (stream bytes 64 + 4096..: 0xdeb41fd5 first, 0xa58cdc4c last), chunk
    # 2 faults (0x148)
    L += d.cmd(WRITE, dst=end - 0x1000, size=0x2000) + wait(took(0x2000))
    L += d.isr() + d.ack(0) + [f"readl 0x{end - 0x1000:x}",
                               f"readl 0x{end - 4:x}"]
    # bus master off: every transfer fails (READ: 0xc2), the interrupt
    # state still says IRQ_RAISED
    L += m.cfg_wr(0x04, CMD_MEM, 2)
    L += d.cmd(READ, src=buf, size=64) + wait(took(64)) + d.isr() + d.ack(0)
    L += m.cfg_wr(0x04, CMD_MEM | CMD_MASTER, 2)
    # IRQ_TYPE 3: the command is taken (COMMAND 0) and dropped: STATUS 0
    L += d.wr(STATUS, 0x3) + d.cmd(READ, src=buf, size=64, irq_type=3)
    L += wait(took(64)) + d.rd(COMMAND) + d.rd(STATUS)            # 0, 0
    L += d.wr(IRQ_TYPE, INTX)
    # READ | WRITE | COPY: WRITE comes first in pci-epf-test's order:
    # WRITE_SUCCESS (0x44) and a new CHECKSUM; the timing is WRITE's
    # (CHECKSUM 0x0d16861a: the 64 stream bytes after the failed WRITEs'
    # 64 + 3 x 4096)
    L += d.cmd(READ | WRITE | COPY, dst=buf, size=64) + wait(took(64))
    L += d.isr() + d.rd(CHECKSUM) + d.ack(0)
    # RAISE_INTX | READ: RAISE_INTX first: STATUS 0x40 only, after 1 ms
    L += d.cmd(RAISE_INTX | READ) + wait(took()) + d.isr() + d.ack(0)
    # COMMAND rewritten before the poll: the poll takes the latest value,
    # at the first write's deadline (WRITE of 64: 1 ms + 640 ns)
    L += d.cmd(WRITE) + ["clock_step 500000"] + d.wr(COMMAND, COPY)
    L += d.wr(SRC_LO, buf + 0x100)
    L += [f"clock_step {took(64) - 500001}"] + d.rd(STATUS)          # 0
    L += ["clock_step 1"] + d.isr() + d.ack(0)                       # 0x50
    # COMMAND 0 does nothing: no poll, STATUS stays
    L += d.wr(STATUS, 0x7) + d.wr(COMMAND, 0) + wait(took()) + d.rd(STATUS)
    # STATUS is cleared when the device takes the next command
    L += d.cmd(READ, src=buf, size=64, checksum=0) + ["clock_step 999999"]
    L += d.rd(STATUS) + ["clock_step 641"] + d.isr()              # 7, 0x42
    L += d.ack(0)
    # an MSI interrupt asked for while the host is in INTx mode: STATUS
    # says IRQ_RAISED, nothing is sent (no MSI enabled); RAISE_MSI: STATUS
    # stays 0
    L += d.cmd(READ, irq_type=MSI, irq_number=1) + wait(took(64)) + d.isr()
    L += d.ack(0) + d.cmd(RAISE_MSI) + wait(took()) + d.isr()    # 0x42, 0
    return L


def intx(m):
    """INTx mode (no MSI/MSI-X enabled), intercepted at the interrupt
    controller (q35: IOAPIC GSI 21, virt: GIC SPI 4; see INTX_INTERCEPT):
    "IRQ raise N" inside the clock_step that takes the command, "IRQ lower
    N" when the handler writes STATUS back without IRQ_RAISED or the device
    clears STATUS at the next command; config space's INTx status bit with
    them.  IRQ_TYPE/IRQ_NUMBER are not looked at by RAISE_INTX;
    Interrupt Disable."""
    d = Dev(m)
    st = m.cfg_rd(0x06, 2)                 # 0x0010 | 0x0008 while pending
    L = d.setup()
    L += [INTX_INTERCEPT[m.name]]
    # RAISE_INTX: nothing for 1 ms, then STATUS 0x40 and the pin
    L += d.cmd(RAISE_INTX, irq_type=MSI, irq_number=7)
    L += [f"clock_step {POLL_NS - 1}"] + st + ["clock_step 1"] + st
    L += d.isr() + d.ack(IRQ_RAISED) + st
    # a READ with IRQ_TYPE 0: the pin rises with READ's STATUS (0x41 with
    # CHECKSUM 0xffffffff for SIZE 0); the next command's STATUS clear
    # lowers it, when that command is taken
    L += d.cmd(READ, size=0, checksum=0xffffffff, irq_type=INTX)
    L += wait(took()) + d.isr() + st
    L += d.cmd(READ) + [f"clock_step {POLL_NS - 1}"] + st
    L += ["clock_step 1"] + d.isr() + st
    # a STATUS write that keeps IRQ_RAISED keeps the pin; a partial write
    # (the low byte) without it lowers it
    L += d.wr(STATUS, IRQ_RAISED | READ_OK) + st
    L += d.wr(STATUS, READ_OK, "writeb") + st
    # Interrupt Disable: the pin drops while STATUS bit 3 still shows the
    # interrupt; clearing Interrupt Disable raises it again
    L += d.cmd(RAISE_INTX) + wait(took())
    L += m.cfg_wr(0x04, CMD_INTX_DISABLE | CMD_MEM | CMD_MASTER, 2) + st
    L += m.cfg_wr(0x04, CMD_MEM | CMD_MASTER, 2) + st
    L += d.ack(IRQ_RAISED) + st
    return L


def msi_setup(m, addr, data, vectors_log2):
    """The MSI capability (64-bit, maskable, 32 capable): address, data,
    Multiple Message Enable and Enable."""
    return (m.cfg_wr(MSI_CAP + 4, addr) + m.cfg_wr(MSI_CAP + 8, 0) +
            m.cfg_wr(MSI_CAP + 0xc, data, 2) +
            m.cfg_wr(MSI_CAP + 2, vectors_log2 << 4 | 1, 2))


def msi(m):
    """MSI with 32 vectors enabled: RAISE_MSI and the transfers with
    IRQ_TYPE 1 send vector IRQ_NUMBER - 1 in the low 5 bits of the data
    (0x4320 + vector) to the programmed RAM address; IRQ_NUMBER 0 or above
    the enabled vectors sends nothing; a masked vector sets its pending bit
    and goes out on unmask; fewer vectors enabled replace fewer data bits;
    an MSI-X interrupt asked for in MSI mode is not sent; no INTx."""
    d = Dev(m)
    t = d.ram + 0x800
    L = d.setup()
    L += [INTX_INTERCEPT[m.name]]            # no "IRQ" line may appear
    # capabilities: 0x34 -> 0x40 MSI: 0x018a5805, control 0x018a
    # (maskable, 64-bit, 32 capable), next 0x58 MSI-X; enabled with 32
    # vectors (MME 5): control 0x01db
    L += m.cfg_rd(0x34, 1) + m.cfg_rd(MSI_CAP)
    L += [f"memset 0x{t:x} 8 0xaa", f"readl 0x{t:x}"]          # 0xaaaaaaaa
    L += msi_setup(m, t, 0x4320, 5) + m.cfg_rd(MSI_CAP)         # 0x01db5805
    # RAISE_MSI IRQ_NUMBER 1: 0x4320 after 1 ms (not before), STATUS 0x40
    L += d.cmd(RAISE_MSI, irq_number=1) + [f"clock_step {POLL_NS - 1}"]
    L += [f"readl 0x{t:x}", "clock_step 1", f"readl 0x{t:x}",
          f"readl 0x{t + 4:x}"] + d.isr() + d.ack(IRQ_RAISED)
    L += m.cfg_rd(0x06, 2)                       # no INTx pending: 0x0010
    # IRQ_NUMBER 6: 0x4325; 32: 0x433f
    for n in (6, 32):
        L += [f"memset 0x{t:x} 4 0xaa"] + d.cmd(RAISE_MSI, irq_number=n)
        L += wait(took()) + [f"readl 0x{t:x}"] + d.isr() + d.ack(IRQ_RAISED)
    # IRQ_NUMBER 33 and 0: nothing sent, STATUS 0
    for n in (33, 0):
        L += [f"memset 0x{t:x} 4 0xaa"] + d.cmd(RAISE_MSI, irq_number=n)
        L += wait(took()) + [f"readl 0x{t:x}"] + d.isr()
    # vector 5 masked (Mask Bits at cap + 0x10): RAISE_MSI 6 sets Pending
    # Bits (cap + 0x14) bit 5 = 0x20, STATUS 0x40, no message; unmasking
    # sends 0x4325 and clears it
    L += [f"memset 0x{t:x} 4 0xaa"] + m.cfg_wr(MSI_CAP + 0x10, 0x20)
    L += d.cmd(RAISE_MSI, irq_number=6) + wait(took())
    L += [f"readl 0x{t:x}"] + m.cfg_rd(MSI_CAP + 0x14) + d.isr()
    L += m.cfg_wr(MSI_CAP + 0x10, 0) + [f"readl 0x{t:x}"]
    L += m.cfg_rd(MSI_CAP + 0x14) + d.ack(IRQ_RAISED)
    # transfers with IRQ_TYPE 1: READ (SIZE 0, CHECKSUM 0xffffffff) on
    # vector 2 -> 0x4322 with STATUS 0x41
    L += [f"memset 0x{t:x} 4 0xaa"]
    L += d.cmd(READ, size=0, checksum=0xffffffff, irq_type=MSI, irq_number=3)
    L += wait(took()) + [f"readl 0x{t:x}"] + d.isr() + d.ack(0)
    # ... an MSI-X interrupt asked for: STATUS 0x41 all the same, nothing
    L += [f"memset 0x{t:x} 4 0xaa"] + d.cmd(READ, irq_type=MSIX)
    L += wait(took()) + [f"readl 0x{t:x}"] + d.isr() + d.ack(0)
    # 2 vectors enabled, data 0x4321: only bit 0 carries the vector:
    # IRQ_NUMBER 1 -> 0x4320, 2 -> 0x4321, 3 -> nothing (STATUS 0)
    L += m.cfg_wr(MSI_CAP + 0xc, 0x4321, 2) + m.cfg_wr(MSI_CAP + 2, 0x11, 2)
    for n in (1, 2, 3):
        L += [f"memset 0x{t:x} 4 0xaa"] + d.cmd(RAISE_MSI, irq_number=n)
        L += wait(took()) + [f"readl 0x{t:x}"] + d.isr() + d.ack(0)
    # Multiple Message Enable above 32 reads back 32 (5)
    L += m.cfg_wr(MSI_CAP + 2, 0x71, 2) + m.cfg_rd(MSI_CAP + 2, 2)   # 0x1db
    # bus master off: the message waits for MASTER
    L += [f"memset 0x{t:x} 4 0xaa"] + m.cfg_wr(0x04, CMD_MEM, 2)
    L += d.cmd(RAISE_MSI, irq_number=4) + wait(took()) + [f"readl 0x{t:x}"]
    L += m.cfg_wr(0x04, CMD_MEM | CMD_MASTER, 2) + [f"readl 0x{t:x}"]
    # 0xaaaaaaaa, then 0x4323 (data 0x4321, 32 vectors: low 5 bits = 3)
    return L


def msix(m):
    """MSI-X, 32 entries in BAR0 at 0x80, PBA at 0x280: entries 0, 5 and 31
    programmed with their own RAM address and data; RAISE_MSIX and the
    transfers with IRQ_TYPE 2 send entry IRQ_NUMBER - 1; IRQ_NUMBER above
    32 sends nothing; a masked entry (and the Function Mask) set the
    Pending Bit and send on unmask; an MSI interrupt asked for in MSI-X
    mode is not sent."""
    d = Dev(m)
    t = d.ram + 0x1000
    tab, pba = d.bars[0] + TABLE, d.bars[0] + PBA
    L = d.setup()
    L += [INTX_INTERCEPT[m.name]]
    # capability at 0x58: 0x001f0011 (32 entries), table BIR 0 at 0x80,
    # PBA BIR 0 at 0x280
    L += m.cfg_rd(MSIX_CAP) + m.cfg_rd(MSIX_CAP + 4) + m.cfg_rd(MSIX_CAP + 8)
    # entries at reset: address/data 0, vector control 1 (masked); PBA 0
    L += [f"readq 0x{tab:x}", f"readq 0x{tab + 8:x}",
          f"readq 0x{tab + 31 * 16 + 8:x}", f"readq 0x{pba:x}"]
    L += [f"memset 0x{t:x} 0x40 0xaa"]
    # entries 0 and 5 by dwords (as Linux does), entry 31 by qwords:
    # address t + 0x10 * (entry % 4), data 0x1000 + entry, unmasked
    for e in (0, 5):
        a = tab + 16 * e
        L += [f"writel 0x{a:x} 0x{t + 0x10 * (e % 4):x}", f"writel 0x{a + 4:x} 0x0",
              f"writel 0x{a + 8:x} 0x{0x1000 + e:x}", f"writel 0x{a + 12:x} 0x0"]
    L += [f"writeq 0x{tab + 0x1f0:x} 0x{t + 0x30:x}",
          f"writeq 0x{tab + 0x1f8:x} 0x101f"]
    # entry 5 read back: address t + 0x10, data 0x1005, unmasked
    L += [f"readq 0x{tab + 0x50:x}", f"readq 0x{tab + 0x58:x}"]
    L += m.cfg_wr(MSIX_CAP + 2, 0x8000, 2) + m.cfg_rd(MSIX_CAP + 2, 2)
    # RAISE_MSIX 1 -> 0x1000 at t; 6 -> 0x1005 at t + 0x10; 32 -> 0x101f
    # at t + 0x30; each after 1 ms, STATUS 0x40
    for n, at in ((1, t), (6, t + 0x10), (32, t + 0x30)):
        L += d.cmd(RAISE_MSIX, irq_number=n) + [f"clock_step {POLL_NS - 1}"]
        L += [f"readl 0x{at:x}", "clock_step 1", f"readl 0x{at:x}"]
        L += d.isr() + d.ack(IRQ_RAISED)
    L += m.cfg_rd(0x06, 2)                                       # 0x0010
    # IRQ_NUMBER 33: nothing, STATUS 0
    L += d.cmd(RAISE_MSIX, irq_number=33) + wait(took()) + d.isr()
    # entry 2 was never programmed and is masked: RAISE_MSIX 3 sets PBA
    # bit 2 (0x4), nothing is written
    L += d.cmd(RAISE_MSIX, irq_number=3) + wait(took()) + [f"readq 0x{pba:x}"]
    L += d.isr() + d.ack(IRQ_RAISED)
    # entry 5 masked: PBA 0x24, no message; unmasking sends it, PBA 0x4
    L += [f"memset 0x{t + 0x10:x} 4 0xaa", f"writel 0x{tab + 0x5c:x} 0x1"]
    L += d.cmd(RAISE_MSIX, irq_number=6) + wait(took())
    L += [f"readl 0x{t + 0x10:x}", f"readl 0x{pba:x}"]
    L += [f"writel 0x{tab + 0x5c:x} 0x0", f"readl 0x{t + 0x10:x}",
          f"readl 0x{pba:x}"] + d.ack(IRQ_RAISED)
    # the PBA is read-only
    L += [f"writeq 0x{pba:x} 0x0", f"readq 0x{pba:x}"]            # 0x4
    # the Function Mask: pending while set, sent when cleared
    L += [f"memset 0x{t:x} 4 0xaa"] + m.cfg_wr(MSIX_CAP + 2, 0xc000, 2)
    L += d.cmd(RAISE_MSIX, irq_number=1) + wait(took())
    L += [f"readl 0x{t:x}", f"readl 0x{pba:x}"]                   # 0xaa.., 5
    L += m.cfg_wr(MSIX_CAP + 2, 0x8000, 2)
    L += [f"readl 0x{t:x}", f"readl 0x{pba:x}"] + d.ack(IRQ_RAISED)  # 0x1000, 4
    # a COPY with IRQ_TYPE 2, IRQ_NUMBER 32: 0x101f at t + 0x30 with
    # STATUS 0x50
    buf = d.ram
    L += [f"memset 0x{t + 0x30:x} 4 0xaa", f"memset 0x{buf:x} 0x100 0x9"]
    L += d.cmd(COPY, src=buf, dst=buf + 0x100, size=0x100, irq_type=MSIX,
               irq_number=32)
    L += wait(took(0x100, copy=True)) + [f"readl 0x{t + 0x30:x}"] + d.isr()
    L += d.ack(0) + [f"readl 0x{buf + 0x1fc:x}"]                  # 0x09090909
    # ... an MSI interrupt asked for: STATUS 0x50, nothing sent
    L += [f"memset 0x{t:x} 0x40 0xaa"] + d.cmd(COPY, irq_type=MSI, irq_number=1)
    L += wait(took(0x100, copy=True)) + [f"readl 0x{t:x}"] + d.isr()
    L += d.ack(0)
    # MSI-X off: RAISE_MSIX sends nothing, STATUS 0
    L += m.cfg_wr(MSIX_CAP + 2, 0, 2)
    L += d.cmd(RAISE_MSIX, irq_number=1) + wait(took()) + [f"readl 0x{t:x}"]
    L += d.isr()
    return L


def reg_bar(m):
    """reg_bar=2,msi=off,msix_vectors=4 (properties both hosts pass to the
    model): the registers and the MSI-X table (0x80) and PBA (0xc0) move to
    BAR2, BAR0 becomes plain memory, MSI-X is the only capability (0x34 ->
    0x40), CAPS says so (0xd: UNALIGNED | MSI-X | INTX), and RAISE_MSIX
    reaches entry 3 of the 4."""
    d = Dev(m, reg_bar=2)
    t = d.ram + 0x400
    tab = d.regs + TABLE
    L = d.setup()
    L += m.cfg_rd(0x34, 1) + m.cfg_rd(0x40) + m.cfg_rd(0x44) + m.cfg_rd(0x48)
    # 0x40; 0x00030011 (4 entries, next 0); BIR 2 at 0x80: 0x82; PBA 0xc2
    L += d.rd(CAPS) + d.rd(MAGIC)                                # 0xd, 0
    # BAR0 (512 bytes) is memory
    L += [f"writel 0x{d.bars[0]:x} 0xa0a0a0a0", f"readl 0x{d.bars[0]:x}",
          f"readl 0x{d.bars[0] + 0x1fc:x}"]                     # 0xa0a0a0a0, 0
    L += [f"memset 0x{t:x} 8 0xaa", f"writeq 0x{tab + 0x30:x} 0x{t:x}",
          f"writeq 0x{tab + 0x38:x} 0xcafe"]
    L += m.cfg_wr(0x42, 0x8000, 2)
    L += d.cmd(RAISE_MSIX, irq_number=4) + wait(took())
    L += [f"readl 0x{t:x}"] + d.isr()                           # 0xcafe, 0x40
    L += d.ack(0) + d.cmd(RAISE_MSIX, irq_number=5) + wait(took()) + d.isr()
    # 5 > 4 entries: STATUS 0
    L += d.cmd(RAISE_MSI, irq_number=1) + wait(took()) + d.isr()   # no MSI: 0
    return L


def p2p(m):
    """Peer-to-peer DMA: in QEMU a device's DMA that hits a memory BAR (its
    own or another function's) is an MMIO access to that BAR, cut into
    naturally aligned pieces of at most 8 bytes (the adapter's BAR ops);
    vpci-host does the same through its memory decode.  epf-test's BAR1-5
    are plain memory, so: COPY from its own BAR5 to RAM and READ (CRC
    check) of BAR5, WRITE into BAR4, COPY from RAM into BAR3 at an odd
    offset and from BAR5 into BAR2 (BAR to BAR).  Then an empty address of
    the PCI window (above BAR5): on virt GPEX's unassigned_io_ops answer,
    so a COPY from there succeeds with all ones and a COPY into it
    succeeds and is dropped; on q35 nothing decodes it: COPY_FAIL with
    SRC/DST_ADDR_INVALID (0xe0, 0x160).  epf-test moves data from its
    command timer, not from inside an MMIO handler, so QEMU 7.2.x's
    re-entrancy guard (virt_pci.py's window script) does not apply.  (COPY
    into BAR0, its own registers, is left out: it would rewrite the
    command being run.)"""
    d = Dev(m)
    p = Prng()
    buf = d.ram
    bar2, bar3, bar4, bar5 = d.bars[2], d.bars[3], d.bars[4], d.bars[5]
    pat = bytes((i * 7 + 3) & 0xff for i in range(1024))
    L = d.setup()
    L += [f"memset 0x{buf:x} 0x1000 0x0"]
    L += [f"write 0x{bar5:x} 0x400 0x{pat.hex()}"]
    # COPY BAR5 -> buf, 1024 bytes: COPY_SUCCESS (0x50), buf = pat
    L += d.cmd(COPY, src=bar5, dst=buf, size=1024, irq_type=INTX,
               irq_number=1) + wait(took(1024, copy=True))
    L += d.isr() + d.ack(COPY_OK)
    L += [f"read 0x{buf:x} 16", f"b64read 0x{buf:x} 0x400",
          f"readl 0x{buf + 0x400:x}"]                 # pat, then 0
    # READ of BAR5 with pat's CRC: READ_SUCCESS (0x41); one byte off: 0x42
    L += d.cmd(READ, src=bar5, checksum=crc(pat)) + wait(took(1024))
    L += d.isr() + d.ack(READ_OK)
    L += d.cmd(READ, src=bar5 + 1, size=1023, checksum=crc(pat[1:]))
    L += wait(took(1023)) + d.isr() + d.ack(READ_OK)    # 0x41 (unaligned)
    # WRITE 100 bytes into BAR4 + 3: WRITE_SUCCESS, CHECKSUM = crc(w)
    w = p.data(100)
    L += d.cmd(WRITE, dst=bar4 + 3, size=100) + wait(took(100))
    L += d.isr() + d.rd(CHECKSUM) + d.ack(WRITE_OK)     # 0x44, crc(w)
    L += [f"read 0x{bar4:x} 0x70"]                      # 0 0 0 w... 0
    # COPY RAM -> BAR3 + 0x11, 37 bytes (pieces 1, 2, 4, 8, ... at the BAR)
    L += d.cmd(COPY, src=buf + 5, dst=bar3 + 0x11, size=37)
    L += wait(took(37, copy=True)) + d.isr() + d.ack(COPY_OK)
    L += [f"read 0x{bar3:x} 0x40"]                      # pat[5:42] at 0x11
    # COPY BAR5 + 0x100 -> BAR2 + 0x1f0, 0x20 bytes: BAR to BAR
    L += d.cmd(COPY, src=bar5 + 0x100, dst=bar2 + 0x1f0, size=0x20)
    L += wait(took(0x20, copy=True)) + d.isr() + d.ack(COPY_OK)
    L += [f"read 0x{bar2 + 0x1e8:x} 0x30"]
    # the empty window above BAR5
    empty = d.bars[5] + BAR_SIZES[5] + 0x1000
    L += [f"memset 0x{buf:x} 0x40 0x11"]
    L += d.cmd(COPY, src=empty, dst=buf, size=32)
    L += wait(took(32, copy=True)) + d.isr() + d.ack(0)  # virt 0x50, q35 0xe0
    L += [f"read 0x{buf:x} 0x28"]               # virt: 32 x ff; q35: 0x11s
    L += d.cmd(COPY, src=buf, dst=empty, size=32)
    L += wait(took(32, copy=True)) + d.isr() + d.ack(0)  # virt 0x50, q35 0x160
    L += [f"readl 0x{empty:x}"]                 # virt all ones, q35 0
    L += d.cmd(READ, src=empty + 4, size=8, checksum=crc(b"\xff" * 8))
    L += wait(took(8)) + d.isr() + d.ack(0)     # virt 0x41, q35 0xc2
    return L


PEER_ARGS = "-device vpci-epf-test,addr=02.0"


def p2p_peer(m):
    """Peer to peer between two functions: a second epf-test at 00:02.0
    (PEER_ARGS; the runner gives vpci-host `-device epf-test,addr=02.0`),
    its BARs 2 MiB above the first's.  The first one's DMA reaches the
    peer's BARs as MMIO: COPY from the peer's BAR5 to RAM, READ (CRC) of
    it, WRITE into the peer's BAR4, COPY from RAM into its BAR3 and from
    its BAR5 into the first one's BAR2; the peer's COPY from the first
    one's BAR2 into its own; the first one's COPY of the peer's registers
    (BAR0, read while the peer is idle); then the peer's memory decode off:
    the same addresses are an empty window (virt: all ones, COPY_SUCCESS;
    q35: COPY_FAIL | SRC_ADDR_INVALID, 0xe0)."""
    d = Dev(m)
    p = Prng()
    buf = d.ram
    peer = [b + 0x200000 for b in d.bars]
    pregs = peer[0]
    pat = bytes((i * 13 + 1) & 0xff for i in range(1024))
    L = d.setup()
    for i, base in enumerate(peer):
        L += m.cfg_wr(0x10 + 4 * i, base, dev=2)
    L += m.cfg_wr(0x04, CMD_MEM | CMD_MASTER, 2, dev=2)
    L += [f"memset 0x{buf:x} 0x1000 0x0"]
    L += [f"write 0x{peer[5]:x} 0x400 0x{pat.hex()}"]
    # COPY peer BAR5 -> buf: 0x50, buf = pat
    L += d.cmd(COPY, src=peer[5], dst=buf, size=1024, irq_type=INTX,
               irq_number=1) + wait(took(1024, copy=True))
    L += d.isr() + d.ack(COPY_OK)
    L += [f"b64read 0x{buf:x} 0x400", f"readl 0x{buf + 0x400:x}"]
    # READ of the peer's BAR5 with pat's CRC: 0x41
    L += d.cmd(READ, src=peer[5], checksum=crc(pat)) + wait(took(1024))
    L += d.isr() + d.ack(READ_OK)
    # WRITE 100 bytes into the peer's BAR4 + 3: 0x44, CHECKSUM crc(w)
    p.data(100)
    L += d.cmd(WRITE, dst=peer[4] + 3, size=100) + wait(took(100))
    L += d.isr() + d.rd(CHECKSUM) + d.ack(WRITE_OK)
    L += [f"read 0x{peer[4]:x} 0x70"]
    # COPY buf + 5 -> peer BAR3 + 0x11, 37 bytes: 0x50
    L += d.cmd(COPY, src=buf + 5, dst=peer[3] + 0x11, size=37)
    L += wait(took(37, copy=True)) + d.isr() + d.ack(COPY_OK)
    L += [f"read 0x{peer[3]:x} 0x40"]
    # COPY peer BAR5 + 0x100 -> own BAR2 + 0x1f0, 0x20 bytes: BAR to BAR
    L += d.cmd(COPY, src=peer[5] + 0x100, dst=d.bars[2] + 0x1f0, size=0x20)
    L += wait(took(0x20, copy=True)) + d.isr() + d.ack(COPY_OK)
    L += [f"read 0x{d.bars[2] + 0x1e8:x} 0x30"]
    # the peer's own COPY: the first one's BAR2 + 0x1f0 -> its BAR2 + 8
    pw = lambda off, v: [f"writel 0x{pregs + off:x} 0x{v:x}"]   # noqa: E731
    L += pw(SRC_LO, d.bars[2] + 0x1f0) + pw(SRC_HI, 0)
    L += pw(DST_LO, peer[2] + 8) + pw(DST_HI, 0) + pw(SIZE, 0x20)
    L += pw(COMMAND, COPY) + wait(took(0x20, copy=True))
    L += [f"readl 0x{pregs + STATUS:x}", f"read 0x{peer[2]:x} 0x30"]
    # the peer's registers, as the first one's COPY source (0x34 bytes):
    # MAGIC .. CAPS as the peer holds them
    L += [f"memset 0x{buf:x} 0x40 0x0"]
    L += d.cmd(COPY, src=pregs, dst=buf, size=0x34)
    L += wait(took(0x34, copy=True)) + d.isr() + d.ack(COPY_OK)
    L += [f"read 0x{buf:x} 0x38"]
    # the peer's memory decode off: nothing claims its BAR5 any more
    L += m.cfg_wr(0x04, CMD_MASTER, 2, dev=2)
    L += [f"memset 0x{buf:x} 0x40 0x11"]
    L += d.cmd(COPY, src=peer[5], dst=buf, size=32)
    L += wait(took(32, copy=True)) + d.isr() + d.ack(0)  # virt 0x50, q35 0xe0
    L += [f"read 0x{buf:x} 0x28"]
    return L


def scripts(m):
    return {
        "regs": (regs(m), ""),
        "transfer": (transfer(m), ""),
        "errors": (errors(m), ""),
        "intx": (intx(m), ""),
        "msi": (msi(m), ""),
        "msix": (msix(m), ""),
        "reg_bar": (reg_bar(m), "reg_bar=2,msi=off,msix_vectors=4"),
        "p2p": (p2p(m), ""),
        "p2p_peer": (p2p_peer(m), "", PEER_ARGS),
    }
