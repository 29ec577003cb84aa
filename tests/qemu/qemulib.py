"""Drive a real QEMU from a Python test: the qtest protocol on QEMU's
stdin/stdout and QMP on a Unix socket, as QEMU's own libqtest does.

    from qemulib import Qemu, find_qemu, skip
    with Qemu(find_qemu("x86_64"), ["-machine", "q35",
              "-device", "vpci-edu,addr=01.0"], qmp=True) as q:
        q.run(qtestgen.Q35.cfg_wr(0x10, 0xfea00000))
        assert q.readl(0xfea00000) == 0x010000ed
        q.qmp("system_reset")

Every qtest command waits for its answer before the next is sent (QEMU
reads commands while its main loop runs; device threads run between
them).  "IRQ raise N" / "IRQ lower N" lines that precede an answer are
kept in Qemu.irqs.  A command answered with anything but "OK" raises
QemuError.  Tests exit 77 (skip) through skip() when no QEMU is found and
VPCI_REQUIRE_QEMU is unset.
"""
import base64
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "qtest"))

ANSWER_TIMEOUT = float(os.environ.get("VPCI_QTEST_TIMEOUT", "20"))


class QemuError(Exception):
    pass


def skip(why):
    """Exit 77 (ctest: skipped) unless VPCI_REQUIRE_QEMU is set, then fail."""
    if os.environ.get("VPCI_REQUIRE_QEMU", "0") not in ("", "0"):
        sys.exit(f"FAIL: {why} (VPCI_REQUIRE_QEMU is set)")
    print(f"SKIP: {why}")
    sys.exit(77)


def find_qemu(arch="x86_64", device=None):
    """The qtest-capable qemu-system-ARCH: $QEMU (x86_64 only) or the one
    adapters/qemu/build-qemu.sh built.  skip() if there is none, or if it
    lacks DEVICE."""
    path = os.environ.get("QEMU") if arch == "x86_64" else None
    if not path:
        script = os.path.join(ROOT, "adapters", "qemu", "build-qemu.sh")
        r = subprocess.run([script, "--print-path", arch],
                           capture_output=True, text=True)
        path = r.stdout.strip() if r.returncode == 0 else ""
    if not path or not os.access(path, os.X_OK):
        skip(f"no qtest-capable qemu-system-{arch} "
             "(run adapters/qemu/build-qemu.sh)")
    if device:
        r = subprocess.run([path, "-device", "help"], capture_output=True,
                           text=True)
        if f'name "{device}"' not in r.stdout:
            skip(f"{path} has no device {device}")
    return path


class Qemu:
    def __init__(self, binary, args, qmp=False, accel="qtest"):
        self.irqs = []
        self.events = []
        self._tmp = tempfile.TemporaryDirectory(prefix="vpci-qemu-")
        self.stderr_path = os.path.join(self._tmp.name, "stderr")
        cmd = [binary, "-accel", accel, "-qtest", "stdio", "-qtest-log",
               "none", "-display", "none", "-nodefaults"]
        self._qmp_path = None
        if qmp:
            self._qmp_path = os.path.join(self._tmp.name, "qmp.sock")
            cmd += ["-chardev",
                    f"socket,id=qmp,path={self._qmp_path},server=on,wait=off",
                    "-mon", "chardev=qmp,mode=control"]
        cmd += list(args)
        self.cmdline = cmd
        self._stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=self._stderr, bufsize=0)
        self._buf = b""
        self._qmp = None
        self._qmp_buf = b""
        if qmp:
            self._qmp_connect()

    # -- lifetime ----------------------------------------------------------
    def close(self):
        if self._qmp:
            self._qmp.close()
            self._qmp = None
        if self.proc.poll() is None:
            # SIGKILL: a QEMU inside a long command does not act on SIGTERM
            self.proc.kill()
        self.proc.wait()
        self._stderr.close()
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def stderr(self):
        self._stderr.flush()
        with open(self.stderr_path) as f:
            return f.read()

    # -- qtest -------------------------------------------------------------
    def _line(self):
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QemuError("no answer in %gs; stderr: %s"
                                % (ANSWER_TIMEOUT, self.stderr()))
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise QemuError("QEMU exited (status %s); stderr: %s"
                                    % (self.proc.wait(), self.stderr()))
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode()

    def cmd(self, line):
        """Send one qtest command; return its answer line (IRQ events
        before it go to self.irqs)."""
        self.proc.stdin.write(line.encode() + b"\n")
        while True:
            ans = self._line()
            if ans.startswith("IRQ "):
                self.irqs.append(ans)
                continue
            return ans

    def ok(self, line):
        """cmd() that must answer "OK[ value]"; returns the value or None."""
        ans = self.cmd(line)
        if ans != "OK" and not ans.startswith("OK "):
            raise QemuError(f"'{line}' answered '{ans}'")
        return ans[3:] if len(ans) > 2 else None

    def run(self, lines):
        """Run qtest lines (e.g. from qtestgen's cfg_rd/cfg_wr); return the
        list of answer values (None for a bare OK)."""
        return [self.ok(line) for line in lines]

    def _rd(self, op, addr):
        return int(self.ok(f"{op} 0x{addr:x}"), 16)

    def readb(self, a): return self._rd("readb", a)
    def readw(self, a): return self._rd("readw", a)
    def readl(self, a): return self._rd("readl", a)
    def readq(self, a): return self._rd("readq", a)
    def inb(self, a): return self._rd("inb", a)
    def inw(self, a): return self._rd("inw", a)
    def inl(self, a): return self._rd("inl", a)

    def _wr(self, op, addr, val):
        self.ok(f"{op} 0x{addr:x} 0x{val:x}")

    def writeb(self, a, v): self._wr("writeb", a, v)
    def writew(self, a, v): self._wr("writew", a, v)
    def writel(self, a, v): self._wr("writel", a, v)
    def writeq(self, a, v): self._wr("writeq", a, v)
    def outb(self, a, v): self._wr("outb", a, v)
    def outw(self, a, v): self._wr("outw", a, v)
    def outl(self, a, v): self._wr("outl", a, v)

    def memread(self, addr, size):
        return base64.b64decode(self.ok(f"b64read 0x{addr:x} 0x{size:x}"))

    def memwrite(self, addr, data):
        enc = base64.b64encode(bytes(data)).decode()
        self.ok(f"b64write 0x{addr:x} 0x{len(data):x} {enc}")

    def memset(self, addr, size, byte):
        self.ok(f"memset 0x{addr:x} 0x{size:x} 0x{byte:x}")

    def clock_step(self, ns=None):
        v = self.ok("clock_step" if ns is None else f"clock_step {ns}")
        return int(v)

    # -- QMP -----------------------------------------------------------
    def _qmp_connect(self):
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self._qmp_path)
                break
            except OSError:
                s.close()
                if self.proc.poll() is not None:
                    raise QemuError("QEMU exited before QMP: "
                                    + self.stderr())
                if time.monotonic() > deadline:
                    raise QemuError("no QMP socket")
                time.sleep(0.02)
        self._qmp = s
        self._qmp_msg()                      # greeting
        self.qmp("qmp_capabilities")

    def _qmp_msg(self):
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while b"\n" not in self._qmp_buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QemuError("QMP: no answer")
            r, _, _ = select.select([self._qmp], [], [], left)
            if r:
                chunk = self._qmp.recv(65536)
                if not chunk:
                    raise QemuError("QMP: QEMU closed the socket; stderr: "
                                    + self.stderr())
                self._qmp_buf += chunk
        line, self._qmp_buf = self._qmp_buf.split(b"\n", 1)
        return json.loads(line)

    def qmp(self, command, **arguments):
        """Run a QMP command; return its "return" value (events that arrive
        meanwhile go to self.events); raise QemuError on an "error"."""
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self._qmp.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            m = self._qmp_msg()
            if "event" in m:
                self.events.append(m)
                continue
            if "error" in m:
                raise QemuError(f"QMP {command}: {m['error']}")
            return m.get("return")

    def hmp(self, line):
        return self.qmp("human-monitor-command", **{"command-line": line})

    def wait_event(self, name, timeout=ANSWER_TIMEOUT):
        """Wait for QMP event NAME (or return it if it came already)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["event"] == name:
                    return self.events.pop(i)
            if time.monotonic() > deadline:
                raise QemuError(f"QMP: no {name} event")
            self._qmp.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                self.events.append(self._qmp_msg())
            except QemuError:
                pass


class Checks:
    """Named checks with one line each, a summary and the exit status:
    "PASS name" / "FAIL name: why"; exit 1 if any failed."""

    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, cond, why=""):
        if cond:
            self.passed += 1
            print(f"PASS {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}{': ' + why if why else ''}")
        return cond

    def equal(self, name, got, want):
        return self.check(name, got == want,
                          f"got {fmt(got)}, want {fmt(want)}")

    def done(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def fmt(v):
    if isinstance(v, int):
        return f"0x{v:x}"
    if isinstance(v, (bytes, bytearray)):
        return v.hex() if len(v) <= 32 else v[:32].hex() + "..."
    return repr(v)
