"""Generic qtest scripts, run for every model on both machines.

Nothing here knows a model: each script is derived from what the device
reports.  make-scripts.py probes the device first (probe() below: it runs
`vpci-host qtest` once to read the whole config space and size every BAR
and the ROM) and passes the result, a Device, to scripts().  The scripts
then run against QEMU with the model inside it and against vpci-host, and
the two must answer alike: the probe only decides where to put BARs and
which dwords to touch, never what the answers are.

  identity    every ID field at its own width, then the whole reachable
              config space as dwords (q35: 256 bytes through CF8/CFC;
              virt: 4096 bytes through ECAM)
  bar_sizing  size BARs 0-5 (each dword, and each 64-bit pair as a pair)
              and the ROM, restore them; place every implemented BAR
              (naturally aligned from m.mmio / the IO base) with decode
              off, read the first dwords of each, enable IO|MEM|MASTER and
              read them again, disable decode (the machine's answer for
              nothing there: q35 0 for memory, all ones for IO; virt all
              ones in the GPEX windows), re-enable, move the first MMIO BAR
  config_rw   every dword of the header and the capability area (and, on
              virt, of the extended capabilities) written with all ones
              and with zero and read back each time: the writable and
              write-1-to-clear masks; each dword is restored to its reset
              value before the next one
  bar_dump    every dword of every memory BAR (its first 4 KiB) once
              after reset, with memory decode on
"""
import subprocess

MODEL = None     # not a model: make-scripts.py runs these for every model

# IO BARs: q35 ports from 0xc000 (QEMU's and the mock host's PCI IO range,
# clear of the chipset's ports), reached with in/out; virt: PCI IO
# addresses from 0x1000, which the CPU reaches through QEMU virt's PCIE_PIO
# window at 0x3eff0000 (and no in/out: the arm CPU's IO space is not PCI).
IO_BASE = {"q35": 0xc000, "virt": 0x1000}
IO_CPU = {"q35": None, "virt": 0x3eff0000}

CMD_IO, CMD_MEM, CMD_MASTER = 0x1, 0x2, 0x4
ROM = 0x30
BAR_DUMP_MAX = 4096


class Bar:
    def __init__(self, index, kind, size, prefetch=False):
        self.index = index    # 0..5
        self.kind = kind      # "mem32", "mem64" or "io"
        self.size = size
        self.prefetch = prefetch
        self.addr = None      # where the scripts place it

    @property
    def off(self):
        return 0x10 + 4 * self.index


class Device:
    """What the probe found: the config space after reset and the BARs."""

    def __init__(self, model, props, config, bars, rom_size):
        self.model = model
        self.props = props
        self.config = config          # bytes, m.config_size of them
        self.bars = bars              # [Bar], implemented BARs only
        self.rom_size = rom_size      # 0: no ROM

    def cfg(self, off, size=4):
        return int.from_bytes(self.config[off:off + size], "little")

    def caps(self):
        """Offsets of the capabilities in the list (0x40-0xff)."""
        out, seen = [], set()
        if not self.cfg(0x06, 2) & 0x10:
            return out
        p = self.cfg(0x34, 1) & 0xfc
        while p >= 0x40 and p not in seen:
            seen.add(p)
            out.append(p)
            p = self.cfg(p + 1, 1) & 0xfc
        return out

    def ext_caps(self):
        """Offsets of the extended capabilities (0x100-0xfff), if the
        config space reaches them."""
        out, seen = [], set()
        p = 0x100
        while 0x100 <= p < len(self.config) and p not in seen:
            hdr = self.cfg(p)
            if hdr in (0, 0xffffffff):
                break
            seen.add(p)
            out.append(p)
            p = (hdr >> 20) & 0xffc
        return out


# -- probing ------------------------------------------------------------

def _answers(vpci_host, m, spec, lines):
    """Run LINES through `vpci-host qtest` and return one answer per line."""
    res = subprocess.run(
        [vpci_host, "qtest", "-machine", m.name, "-device", spec],
        input="\n".join(lines) + "\n", capture_output=True, text=True,
        check=True)
    out = res.stdout.splitlines()
    if len(out) != len(lines):
        raise RuntimeError(f"probe of {spec} on {m.name}: {len(out)} answers "
                           f"to {len(lines)} commands")
    return out


def probe(vpci_host, m, model, props=""):
    """Read the config space of MODEL (with PROPS) on machine M and size
    its BARs and ROM, as firmware would."""
    spec = model + (("," + props) if props else "") + ",addr=01.0"
    lines, reads = [], []

    def rd(off):
        lines.extend(m.cfg_rd(off))
        reads.append(len(lines) - 1)

    for off in range(0, m.config_size, 4):
        rd(off)
    for i in range(6):
        off = 0x10 + 4 * i
        lines.extend(m.cfg_wr(off, 0xffffffff))
        rd(off)
        lines.extend(m.cfg_wr(off, 0))
    lines.extend(m.cfg_wr(ROM, 0xfffff800))
    rd(ROM)
    lines.extend(m.cfg_wr(ROM, 0))
    ans = _answers(vpci_host, m, spec, lines)
    vals = [int(ans[i].split()[1], 16) for i in reads]
    ndw = m.config_size // 4
    config = b"".join(v.to_bytes(4, "little") for v in vals[:ndw])
    sized = vals[ndw:ndw + 6]
    rom = vals[ndw + 6]

    bars, i = [], 0
    while i < 6:
        v = sized[i]
        if v == 0:
            i += 1
            continue
        if v & 1:
            bars.append(Bar(i, "io", (~(v & 0xfffffffc) + 1) & 0xffff))
            i += 1
        elif (v >> 1) & 3 == 2 and i < 5:
            mask = (sized[i + 1] << 32) | (v & 0xfffffff0)
            bars.append(Bar(i, "mem64", (~mask + 1) & (2**64 - 1),
                            bool(v & 8)))
            i += 2
        else:
            bars.append(Bar(i, "mem32", (~(v & 0xfffffff0) + 1) & 0xffffffff,
                            bool(v & 8)))
            i += 1
    rom_size = (~(rom & 0xfffff800) + 1) & 0xffffffff if rom else 0
    return Device(model, props, config, bars, rom_size)


# -- helpers --------------------------------------------------------------

def io_rd(m, port, size=4):
    if IO_CPU[m.name] is None:
        return [f"{ {1: 'inb', 2: 'inw', 4: 'inl'}[size]} 0x{port:x}"]
    op = {1: "readb", 2: "readw", 4: "readl"}[size]
    return [f"{op} 0x{IO_CPU[m.name] + port:x}"]


def place(m, dev):
    """Give every BAR an address: memory BARs from m.mmio, IO BARs from
    IO_BASE, biggest first so that natural alignment leaves no holes.
    Returns the first address past the memory BARs."""
    mem = m.mmio
    io = IO_BASE[m.name]
    for b in sorted(dev.bars, key=lambda b: (-b.size, b.index)):
        if b.kind == "io":
            b.addr = io
            io += b.size
        else:
            mem = (mem + b.size - 1) // b.size * b.size
            b.addr = mem
            mem += b.size
    if mem > m.mmio_end or io > 0x10000:
        raise RuntimeError(f"{dev.model}: BARs do not fit on {m.name}")
    return mem


def bar_write(m, b, addr):
    """Lines that program BAR B with ADDR (64-bit BARs: both dwords)."""
    L = m.cfg_wr(b.off, addr & 0xffffffff)
    if b.kind == "mem64":
        L += m.cfg_wr(b.off + 4, addr >> 32)
    return L


def bar_first(m, b, count=2):
    """Read the first COUNT dwords of BAR B as the CPU sees it."""
    L = []
    for k in range(min(count, max(1, b.size // 4))):
        if b.kind == "io":
            L += io_rd(m, b.addr + 4 * k)
        else:
            L += [f"readl 0x{b.addr + 4 * k:x}"]
    return L


# -- the scripts ----------------------------------------------------------

def identity(m, dev):
    """Each ID field at its own width, then the whole config space."""
    L = []
    L += m.cfg_rd(0x00, 2)   # vendor
    L += m.cfg_rd(0x02, 2)   # device
    L += m.cfg_rd(0x00)      # both
    L += m.cfg_rd(0x04, 2)   # command: 0, nothing enabled after reset
    L += m.cfg_rd(0x06, 2)   # status (capability list bit)
    L += m.cfg_rd(0x08, 1)   # revision
    L += m.cfg_rd(0x09, 1)   # prog-if
    L += m.cfg_rd(0x0a, 2)   # class
    L += m.cfg_rd(0x0e, 1)   # header type
    L += m.cfg_rd(0x2c, 2)   # subsystem vendor
    L += m.cfg_rd(0x2e, 2)   # subsystem
    L += m.cfg_rd(0x10)      # BAR0: unassigned (no firmware under qtest)
    L += m.cfg_rd(0x34, 1)   # capability pointer
    L += m.cfg_rd(0x3c, 1)   # interrupt line
    L += m.cfg_rd(0x3d, 1)   # interrupt pin
    for off in range(0, m.config_size, 4):
        L += m.cfg_rd(off)
    return L


def bar_sizing(m, dev):
    """BAR and ROM sizing, placement, decode on and off, a moved BAR."""
    L = []
    # every BAR dword on its own: all ones, read back, restore
    for i in range(6):
        off = 0x10 + 4 * i
        L += m.cfg_rd(off) + m.cfg_wr(off, 0xffffffff) + m.cfg_rd(off)
        L += m.cfg_wr(off, 0) + m.cfg_rd(off)
    # 64-bit BARs as pairs: the size is the 64-bit mask
    for b in dev.bars:
        if b.kind == "mem64":
            L += m.cfg_wr(b.off, 0xffffffff) + m.cfg_wr(b.off + 4, 0xffffffff)
            L += m.cfg_rd(b.off) + m.cfg_rd(b.off + 4)
            L += m.cfg_wr(b.off, 0) + m.cfg_wr(b.off + 4, 0)
    # the ROM: address mask without and with the enable bit
    L += m.cfg_wr(ROM, 0xfffff800) + m.cfg_rd(ROM)
    L += m.cfg_wr(ROM, 0xffffffff) + m.cfg_rd(ROM)
    L += m.cfg_wr(ROM, 0) + m.cfg_rd(ROM)
    # byte-wise sizing of the first BAR's top byte
    if dev.bars:
        b = dev.bars[0]
        L += m.cfg_wr(b.off + 3, 0xff, 1) + m.cfg_rd(b.off) + m.cfg_wr(b.off, 0)
    end = place(m, dev)
    # placed with decode off: the BAR reads back, the CPU sees nothing
    for b in dev.bars:
        L += bar_write(m, b, b.addr) + m.cfg_rd(b.off)
        if b.kind == "mem64":
            L += m.cfg_rd(b.off + 4)
    for b in dev.bars:
        L += bar_first(m, b)
    L += m.cfg_wr(0x04, CMD_IO | CMD_MEM | CMD_MASTER, 2) + m.cfg_rd(0x04, 2)
    for b in dev.bars:
        L += bar_first(m, b)
        if b.kind == "io" and IO_CPU[m.name] is not None:
            # virt: port IO is the arm CPU's own (empty) IO space, not PCI
            L += [f"inl 0x{b.addr:x}"]
    # decode off again: the machine's answer for an empty PCI address
    L += m.cfg_wr(0x04, CMD_MASTER, 2) + m.cfg_rd(0x04, 2)
    for b in dev.bars:
        L += bar_first(m, b, 1)
    L += m.cfg_wr(0x04, CMD_IO | CMD_MEM | CMD_MASTER, 2)
    # move the first memory BAR past all the others, and back
    mem = [b for b in dev.bars if b.kind != "io"]
    if mem:
        b = mem[0]
        new = (end + b.size - 1) // b.size * b.size
        if new + b.size <= m.mmio_end:
            L += bar_write(m, b, new) + m.cfg_rd(b.off)
            L += [f"readl 0x{b.addr:x}", f"readl 0x{new:x}"]
            L += bar_write(m, b, b.addr)
            L += [f"readl 0x{b.addr:x}", f"readl 0x{new:x}"]
    # sizing with decode on reads the mask, and moves nothing for good
    if dev.bars:
        b = dev.bars[0]
        L += m.cfg_wr(b.off, 0xffffffff) + m.cfg_rd(b.off)
        L += m.cfg_wr(b.off, b.addr & 0xffffffff) + bar_first(m, b, 1)
    L += m.cfg_wr(0x04, 0, 2) + m.cfg_rd(0x04, 2)
    return L


def config_rw(m, dev):
    """All ones and zero to every dword of the header and capability area
    (and the extended capabilities on virt), read back each time, then the
    reset value written back so that the next dword starts from reset.
    COMMAND is among them: decode is on only between its two writes, with
    every BAR at 0 (and the STATUS half's write-1-to-clear bits cleared by
    the all-ones write)."""
    offs = list(range(0, 0x100, 4))
    ext = dev.ext_caps()
    if ext:
        # each extended capability up to the next one (the last: 64
        # bytes, an AER capability's length, the longest libvpci adds)
        ends = sorted(ext)[1:] + [min(max(ext) + 0x40, m.config_size)]
        for start, stop in zip(sorted(ext), ends):
            offs += range(start, stop, 4)
    L = []
    for off in offs:
        orig = dev.cfg(off)
        L += m.cfg_wr(off, 0xffffffff) + m.cfg_rd(off)
        L += m.cfg_wr(off, 0) + m.cfg_rd(off)
        L += m.cfg_wr(off, orig)
    # the whole space once more: everything back at its reset value
    for off in offs:
        L += m.cfg_rd(off)
    return L


def bar_dump(m, dev):
    """Every dword of every memory BAR (up to 4 KiB of it) after reset."""
    place(m, dev)
    mem = [b for b in dev.bars if b.kind != "io"]
    L = []
    for b in mem:
        L += bar_write(m, b, b.addr)
    L += m.cfg_wr(0x04, CMD_MEM, 2)
    for b in mem:
        for off in range(0, min(b.size, BAR_DUMP_MAX), 4):
            L += [f"readl 0x{b.addr + off:x}"]
    return L


SCRIPTS = {"identity": identity, "bar_sizing": bar_sizing,
           "config_rw": config_rw, "bar_dump": bar_dump}

# The richest configuration of a model, when its default leaves features
# out: the generic scripts also run with these properties, as NAME_full.
FULL = {"virt-pci": "msi=on,msix=on,pcie=on"}


def scripts(m, dev):
    """{name: (lines, props)} for DEV (probed with dev.props)."""
    # no prelude: none of these steps the clock or watches IRQ lines
    return {name: (fn(m, dev), dev.props) for name, fn in SCRIPTS.items()}
