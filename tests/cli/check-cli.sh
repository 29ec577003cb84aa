#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-cli.sh VPCI_HOST: the vpci-host command line (mockhost/main.c).
#
#   help        --help / -h / -help / help and "lspci --help": the usage
#               text on stdout, exit 0; no command: the usage on stderr,
#               exit 2; an unknown command or option: exit 2 and a message
#   list-models every model the mock host registers, with its description
#               and its properties
#   lspci       each output option (-n, -x, -xx, -xxx, -xxxx, -t, -tv, -v,
#               -vv, -vvv, bundled ones), the machines, VPCI_PCI_IDS
#   machine     -machine / -M / --machine, -m sizes (RAM really there, as
#               qtest sees it), -iommu (device DMA really translated),
#               -device errors (exit 2), resources that do not fit (exit 1)
#   qtest       answers to a script on stdin, exactly; a protocol error
#               (exit 1); the QEMU options that are accepted and ignored
#   output      a stdout that cannot be written (/dev/full): exit 1
#
# Each check prints PASS or FAIL; the script ends with "N passed, N failed"
# and exits 1 on any failure.
set -u

HOST=${1:?usage: check-cli.sh VPCI_HOST_BINARY}
pass=0
fail=0

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

# Names do not depend on the system's pci.ids unless a check says so.
VPCI_PCI_IDS=$TMP/no-pci.ids
export VPCI_PCI_IDS

ok() { pass=$((pass + 1)); echo "PASS $*"; }
nok() { fail=$((fail + 1)); echo "FAIL $*"; }

# run [ARGS...]: vpci-host ARGS, stdin from $IN (default: empty); sets
# $st and fills $TMP/out and $TMP/err.
IN=/dev/null
run() {
    "$HOST" "$@" <"$IN" >"$TMP/out" 2>"$TMP/err"
    st=$?
}

# status NAME WANT: the last run's exit status
status() {
    if [ "$st" -eq "$2" ]; then
        ok "$1: exit $2"
    else
        nok "$1: exit $st, expected $2"
        sed 's/^/    /' "$TMP/err" | head -5
    fi
}

# same NAME FILE EXPECTED-TEXT: FILE holds exactly the text (printf %s)
same() {
    printf '%s' "$3" >"$TMP/want"
    if cmp -s "$TMP/want" "$2"; then
        ok "$1"
    else
        nok "$1"
        diff "$TMP/want" "$2" | head -20 | sed 's/^/    /'
    fi
}

# has NAME FILE TEXT: FILE has a line that is exactly TEXT
has() {
    if grep -qxF -- "$3" "$2"; then
        ok "$1"
    else
        nok "$1: no line '$3' in $(basename "$2")"
        head -5 "$2" | sed 's/^/    /'
    fi
}

# empty NAME FILE
empty() {
    if [ ! -s "$2" ]; then
        ok "$1"
    else
        nok "$1: not empty"
        head -5 "$2" | sed 's/^/    /'
    fi
}

# usage_error NAME MESSAGE ARGS...: exit 2, nothing on stdout, stderr is
# "vpci-host: MESSAGE" and the hint
usage_error() {
    name=$1
    msg=$2
    shift 2
    run "$@"
    status "$name" 2
    empty "$name: stdout" "$TMP/out"
    same "$name: message" "$TMP/err" "vpci-host: $msg
Try 'vpci-host --help' for more information.
"
}

if [ ! -x "$HOST" ]; then
    nok "no vpci-host at $HOST"
    echo "$pass passed, $fail failed"
    exit 1
fi

# ---------------------------------------------------------------------
# Help and usage errors
# ---------------------------------------------------------------------
run --help
status "--help" 0
cp "$TMP/out" "$TMP/usage"
empty "--help: stderr" "$TMP/err"
has "--help: usage line" "$TMP/usage" "usage: vpci-host COMMAND [OPTIONS]"
for cmd in qtest lspci demo list-models; do
    if grep -q "^  $cmd" "$TMP/usage"; then
        ok "--help: names the $cmd command"
    else
        nok "--help: no '$cmd' command in the usage"
    fi
done
# every option the text offers is one the parser takes (and vice versa,
# the checks below run each of them)
for opt in -machine -M -m -iommu -device -nodefaults -nographic -S \
           -display -accel -qtest -qtest-log -x -xxx -xxxx -t -v -n; do
    if grep -qE -- "(^|[[(|, ])$opt([]|, ]|$)" "$TMP/usage"; then
        ok "--help: documents $opt"
    else
        nok "--help: does not document $opt"
    fi
done
if grep -q -- '-vv' "$TMP/usage" && ! grep -q -- '-vv and -vvv: the same as -v' "$TMP/usage"; then
    nok "--help: offers -vv/-vvv without saying they print as -v"
else
    ok "--help: -vv/-vvv described as -v"
fi
for h in -h -help help; do
    run "$h"
    status "$h" 0
    if cmp -s "$TMP/usage" "$TMP/out"; then ok "$h: the usage text"; else nok "$h: not the usage text"; fi
done
for c in lspci qtest; do
    run "$c" --help
    status "$c --help" 0
    if cmp -s "$TMP/usage" "$TMP/out"; then ok "$c --help: the usage text"; else nok "$c --help: not the usage text"; fi
done

run
status "no command" 2
empty "no command: stdout" "$TMP/out"
if cmp -s "$TMP/usage" "$TMP/err"; then ok "no command: usage on stderr"; else nok "no command: usage not on stderr"; fi

usage_error "unknown command" "unknown command 'frobnicate'" frobnicate
usage_error "lspci unknown option" "lspci: unknown option '-z'" lspci -z
usage_error "lspci bare word" "lspci: unknown option 'edu'" lspci edu
usage_error "qtest unknown option" "qtest: unknown option '-v'" qtest -v
usage_error "option without its argument" "option '-device' needs an argument" lspci -device
usage_error "list-models extra argument" "list-models: unexpected argument 'edu'" list-models edu

# ---------------------------------------------------------------------
# list-models
# ---------------------------------------------------------------------
run list-models
status "list-models" 0
empty "list-models: stderr" "$TMP/err"
L=$TMP/models
cp "$TMP/out" "$L"
# name, description
has "list-models: edu" "$L" "edu              QEMU's educational device (register-compatible with QEMU 7.2)"
has "list-models: pci-bridge" "$L" "pci-bridge       PCI-to-PCI bridge (type 1 header)"
has "list-models: virt-pci" "$L" "virt-pci         PCIExp's virt-pci: MUL2/MUL4 DMA engine, register-compatible"
has "list-models: dma-engine" "$L" "dma-engine       PCIe DMA copy engine (4 KiB buffer, IOMMU-aware, MSI/INTx)"
has "list-models: epf-test" "$L" "epf-test         Linux PCI endpoint test function (pci-epf-test, Linux 6.1 layout)"
# properties: name=<type> (default D)  help
has "list-models: edu dma_mask" "$L" "    dma_mask=<u64> (default 0xfffffff)  DMA address mask, 2^n - 1 (QEMU's edu: 28 bits)"
has "list-models: pci-bridge chassis_nr" "$L" "    chassis_nr=<u32> (default 0)  chassis number 1..255: adds a Slot ID capability (0: none)"
has "list-models: virt-pci msi" "$L" "    msi=<bool> (default off)  MSI capability (1 vector, 64-bit, maskable)"
has "list-models: virt-pci msix" "$L" "    msix=<bool> (default off)  MSI-X capability (1 vector, table in BAR2)"
has "list-models: virt-pci pcie" "$L" "    pcie=<bool> (default off)  PCI Express Endpoint (needs msi or msix)"
has "list-models: dma-engine type" "$L" "    type=<string> (default rciep)  PCIe Device/Port type: rciep (on a root bus) or endpoint"
has "list-models: dma-engine iommu-required" "$L" "    iommu-required=<bool> (default off)  refuse to copy unless an IOMMU translates the engine's DMA"
has "list-models: epf-test msix_vectors" "$L" "    msix_vectors=<u32> (default 32)  MSI-X vectors: 1..2048"
# the properties are listed under their model: each property line follows
# a model line, and every model line has a description
awk '
    /^[^ ]/ { model = $1; if (NF < 2) bad = bad " " model " (no description)"; next }
    /^    [a-z0-9_-]+=<(bool|u32|u64|string)>/ { if (model == "") bad = bad " orphan property"; n[model]++; next }
    { bad = bad " odd line: " $0 }
    END { if (bad != "") { print "bad:" bad; exit 1 }
          printf "edu=%d pci-bridge=%d virt-pci=%d dma-engine=%d epf-test=%d\n",
                 n["edu"], n["pci-bridge"], n["virt-pci"], n["dma-engine"], n["epf-test"] }
' "$L" >"$TMP/count" 2>&1
same "list-models: property counts" "$TMP/count" "edu=1 pci-bridge=1 virt-pci=3 dma-engine=3 epf-test=13
"
# every model listed can be instantiated with its defaults
# shellcheck disable=SC2013  # model names are single words
for m in $(awk '/^[^ ]/ { print $1 }' "$L"); do
    run lspci -n -device "$m,addr=05.0"
    status "list-models: $m builds with defaults" 0
done

# ---------------------------------------------------------------------
# lspci: formats
# ---------------------------------------------------------------------
run lspci -n -device edu,addr=01.0
status "lspci -n" 0
same "lspci -n: q35 host bridge and edu" "$TMP/out" "00:00.0 0600: 8086:29c0
00:01.0 00ff: 1234:11e8 (rev 10)
"
run lspci -device edu,addr=01.0
status "lspci" 0
same "lspci: unknown-name forms without pci.ids" "$TMP/out" "00:00.0 Class 0600: Device 8086:29c0
00:01.0 Class 00ff: Device 1234:11e8 (rev 10)
"
printf '1234  Test Vendor\n\t11e8  Edu Thing\nC 00  Unclassified device\n' >"$TMP/ids"
VPCI_PCI_IDS=$TMP/ids run lspci -device edu,addr=01.0
same "lspci: names from \$VPCI_PCI_IDS" "$TMP/out" "00:00.0 Class 0600: Device 8086:29c0
00:01.0 Unclassified device [00ff]: Test Vendor Edu Thing (rev 10)
"

D="-device edu,addr=01.0 -device pci-bridge,addr=02.0,id=br0 -device virt-pci,bus=br0,addr=03.0,msi=on,pcie=on"
# shellcheck disable=SC2086  # $D is a list of arguments
dump_lines() {   # OPTION: the dump lines per function, "slot:count ..."
    run lspci $D "$1"
    awk '/^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7] / { s = $1; order[++n] = s; next }
         /^[0-9a-f]+: / { c[s]++ }
         END { for (i = 1; i <= n; i++) printf "%s%s:%d", (i > 1 ? " " : ""), order[i], c[order[i]]; print "" }' \
        "$TMP/out" >"$TMP/lines"
}
dump_lines -x
same "lspci -x: 64 bytes each" "$TMP/lines" "00:00.0:4 00:01.0:4 00:02.0:4 01:03.0:4
"
dump_lines -xx
same "lspci -xx: as -x" "$TMP/lines" "00:00.0:4 00:01.0:4 00:02.0:4 01:03.0:4
"
dump_lines -xxx
same "lspci -xxx: 256 bytes each" "$TMP/lines" "00:00.0:16 00:01.0:16 00:02.0:16 01:03.0:16
"
dump_lines -xxxx
same "lspci -xxxx: the config space (4 KiB for PCI Express)" "$TMP/lines" "00:00.0:16 00:01.0:16 00:02.0:16 01:03.0:256
"
# shellcheck disable=SC2086
run lspci $D -xxxx
if head -2 "$TMP/out" | tail -1 | grep -qx '00: 86 80 c0 29 04 00 00 00 00 00 00 06 00 00 00 00'; then
    ok "lspci -xxxx: bytes of the host bridge"
else
    nok "lspci -xxxx: host bridge bytes"
    head -2 "$TMP/out" | sed 's/^/    /'
fi

# shellcheck disable=SC2086
run lspci $D -t
status "lspci -t" 0
same "lspci -t: the tree" "$TMP/out" "-[0000:00]-+-00.0
           +-01.0
           \\-02.0-[01]----03.0
"
# shellcheck disable=SC2086
run lspci $D -tv
same "lspci -tv: the tree with names" "$TMP/out" "-[0000:00]-+-00.0  Device 8086:29c0
           +-01.0  Device 1234:11e8
           \\-02.0-[01]----03.0  Device 1234:0001
"
# shellcheck disable=SC2086
run lspci $D -t -v
same "lspci -t -v: as -tv" "$TMP/out" "-[0000:00]-+-00.0  Device 8086:29c0
           +-01.0  Device 1234:11e8
           \\-02.0-[01]----03.0  Device 1234:0001
"

# shellcheck disable=SC2086
run lspci $D -v
status "lspci -v" 0
cp "$TMP/out" "$TMP/v"
has "lspci -v: bridge bus numbers" "$TMP/v" "	Bus: primary=00, secondary=01, subordinate=01, sec-latency=0"
has "lspci -v: edu MSI" "$TMP/v" "	Capabilities: [40] MSI: Enable- Count=1/1 Maskable- 64bit+"
has "lspci -v: virt-pci express" "$TMP/v" "	Capabilities: [70] Express Endpoint, MSI 00"
if [ "$(grep -c '^	Flags: ' "$TMP/v")" -eq 4 ] && [ "$(grep -c '^$' "$TMP/v")" -eq 4 ]; then
    ok "lspci -v: a Flags line and a blank line per function"
else
    nok "lspci -v: Flags / blank lines"
fi
for vv in -vv -vvv "-v -v"; do
    # shellcheck disable=SC2086
    run lspci $D $vv
    if cmp -s "$TMP/v" "$TMP/out"; then ok "lspci $vv: the same as -v"; else nok "lspci $vv: differs from -v"; fi
done
# shellcheck disable=SC2086
run lspci $D -vn
has "lspci -vn: numeric" "$TMP/out" "01:03.0 00ff: 1234:0001"
# shellcheck disable=SC2086
run lspci $D -nv
has "lspci -nv: as -vn" "$TMP/out" "01:03.0 00ff: 1234:0001"
# shellcheck disable=SC2086
run lspci $D -vx
if grep -q '^	Flags: ' "$TMP/out" && [ "$(grep -c '^30: ' "$TMP/out")" -eq 4 ] &&
   [ "$(grep -c '^40: ' "$TMP/out")" -eq 0 ]; then
    ok "lspci -vx: verbose blocks with 64-byte dumps"
else
    nok "lspci -vx"
fi
# shellcheck disable=SC2086
run lspci $D -n -t -xxxx
same "lspci -n -t -xxxx: the tree wins, as in lspci" "$TMP/out" "-[0000:00]-+-00.0
           +-01.0
           \\-02.0-[01]----03.0
"

# ---------------------------------------------------------------------
# Machine options
# ---------------------------------------------------------------------
for mopt in "-machine virt" "-M virt" "--machine virt" "-machine virt,accel=qtest"; do
    # shellcheck disable=SC2086
    run lspci -n $mopt -device edu,addr=01.0
    status "lspci $mopt" 0
    same "lspci $mopt: the virt host bridge" "$TMP/out" "00:00.0 0600: 1b36:0008
00:01.0 00ff: 1234:11e8 (rev 10)
"
done
for mopt in "-machine q35" "-machine pc-q35" "-M q35,accel=qtest"; do
    # shellcheck disable=SC2086
    run lspci -n $mopt
    same "lspci $mopt: the q35 host bridge" "$TMP/out" "00:00.0 0600: 8086:29c0
"
done
usage_error "-machine pc" "unknown machine 'pc' (q35 or virt)" lspci -machine pc
usage_error "-machine q35,kernel-irqchip=on" "unknown machine 'q35,kernel-irqchip=on' (q35 or virt)" lspci -machine q35,kernel-irqchip=on
usage_error "-machine ,accel=qtest" "unknown machine ',accel=qtest' (q35 or virt)" lspci -machine ,accel=qtest
usage_error "-machine with a long name" "unknown machine 'q35-but-a-name-far-too-long-for-it' (q35 or virt)" lspci -machine q35-but-a-name-far-too-long-for-it

# -m: RAM at 256 MiB keeps what is written there only when it exists;
# with 8G, above 4 GiB too
printf 'writel 0x10000000 0x12345678\nreadl 0x10000000\nwritel 0x1f0000000 0xabcd\nreadl 0x1f0000000\n' >"$TMP/ram.qtest"
IN=$TMP/ram.qtest
ram() {   # NAME EXPECT-AT-256M EXPECT-AT-7.75G -m ARGS
    name=$1
    a=$2
    b=$3
    shift 3
    run qtest "$@"
    status "$name" 0
    same "$name: RAM as qtest sees it" "$TMP/out" "OK
OK 0x00000000$a
OK
OK 0x00000000$b
"
}
ram "qtest (128M default)" 00000000 00000000
ram "qtest -m 512M" 12345678 00000000 -m 512M
ram "qtest -m 512 (MiB)" 12345678 00000000 -m 512
ram "qtest -m 1GiB" 12345678 00000000 -m 1GiB
ram "qtest -m 1GB" 12345678 00000000 -m 1GB
ram "qtest -m 524288k" 12345678 00000000 -m 524288k
ram "qtest -m 268435456B" 00000000 00000000 -m 268435456B
ram "qtest -m 8G" 12345678 0000abcd -m 8G
ram "qtest -m 0x2000M" 12345678 0000abcd -m 0x2000M
IN=/dev/null
for bad in 0 1x 2Mx 1KiBx -5 "" 99999999999999999999 16777216T; do
    usage_error "-m '$bad'" "bad RAM size '$bad'" lspci -m "$bad"
done
for small in 4k 1T; do
    run lspci -m "$small"
    status "-m $small (out of range)" 2
    has "-m $small: message" "$TMP/err" "vpci-host: cannot create the machine: Invalid argument"
done

# -iommu: edu copies RAM 0x1000 -> its buffer -> RAM 0x2000; with the
# IOMMU (nothing mapped) both DMAs fault and RAM stays 0
cat >"$TMP/dma.qtest" <<'EOF'
outl 0xcf8 0x80000810
outl 0xcfc 0xc0000000
outl 0xcf8 0x80000804
outw 0xcfc 0x0006
write 0x1000 4 0xdeadbeef
writeq 0xc0000080 0x1000
writeq 0xc0000088 0x40000
writeq 0xc0000090 4
writeq 0xc0000098 1
clock_step 100000000
writeq 0xc0000080 0x40000
writeq 0xc0000088 0x2000
writeq 0xc0000090 4
writeq 0xc0000098 3
clock_step 100000000
read 0x2000 4
EOF
IN=$TMP/dma.qtest
run qtest -device edu,addr=01.0
status "qtest edu DMA" 0
has "qtest edu DMA: copied without an IOMMU" "$TMP/out" "OK 0xdeadbeef"
empty "qtest edu DMA: no message" "$TMP/err"
run qtest -iommu -device edu,addr=01.0
status "qtest -iommu edu DMA" 0
has "qtest -iommu: DMA translated (nothing mapped: RAM untouched)" "$TMP/out" "OK 0x00000000"
if grep -q 'iommu: DMA fault: 00:01.0 read at IOVA 0x1000' "$TMP/err"; then
    ok "qtest -iommu: the fault is reported"
else
    nok "qtest -iommu: no IOMMU fault message"
fi
run qtest --iommu -device edu,addr=01.0
has "qtest --iommu: as -iommu" "$TMP/out" "OK 0x00000000"
IN=/dev/null

# -device errors: exit 2 with the reason
dev_error() {   # NAME REASON SPEC [ARGS before it...]
    name=$1
    why=$2
    spec=$3
    shift 3
    run lspci "$@" -device "$spec"
    status "$name" 2
    empty "$name: stdout" "$TMP/out"
    has "$name: message" "$TMP/err" "vpci-host: -device $spec: $why"
}
dev_error "unknown model" "invalid device specification" nosuchmodel
dev_error "unknown property" "invalid device specification" edu,colour=red
dev_error "bad address" "invalid device specification" edu,addr=20.0
dev_error "address taken" "File exists" edu,addr=01.0 -device edu,addr=01.0
dev_error "no such bus" "No such device" edu,bus=nobus

# resources that do not fit: a runtime failure, exit 1
run lspci -device epf-test,bar4=1G
status "lspci: BARs that do not fit" 1
has "lspci: enumeration failure message" "$TMP/err" "vpci-host: lspci: enumeration failed: No space left on device"
empty "lspci: enumeration failure: stdout" "$TMP/out"

# ---------------------------------------------------------------------
# qtest
# ---------------------------------------------------------------------
cat >"$TMP/script.qtest" <<'EOF'
outl 0xcf8 0x80000800
inl 0xcfc
inw 0xcfe
outl 0xcf8 0x80000808
inl 0xcfc
endianness
clock_step 1000
clock_set 5000
foo
EOF
IN=$TMP/script.qtest
run qtest -device edu,addr=01.0
status "qtest script" 0
same "qtest: answers" "$TMP/out" "OK
OK 0x11e81234
OK 0x11e8
OK
OK 0xff0010
OK little
OK 1000
OK 5000
FAIL Unknown command 'foo'
"
# the QEMU command line around it is accepted and ignored
run qtest -nodefaults -display none -accel qtest -qtest stdio \
    -machine q35,accel=qtest -nographic -S -qtest-log /dev/null \
    --nodefaults -device edu,addr=01.0
status "qtest with QEMU's options" 0
same "qtest with QEMU's options: same answers" "$TMP/out" "OK
OK 0x11e81234
OK 0x11e8
OK
OK 0xff0010
OK little
OK 1000
OK 5000
FAIL Unknown command 'foo'
"
IN=/dev/null
usage_error "-accel kvm" "only '-accel qtest' is accepted, not 'kvm'" qtest -accel kvm
usage_error "-qtest tcp" "only '-qtest stdio' is accepted, not 'tcp:localhost:4000'" qtest -qtest tcp:localhost:4000
usage_error "qtest -machine virt2" "unknown machine 'virt2' (q35 or virt)" qtest -machine virt2
run qtest -device nosuchmodel
status "qtest bad -device" 2
has "qtest bad -device: message" "$TMP/err" "vpci-host: -device nosuchmodel: invalid device specification"

# a malformed command: QEMU's assertion, and the serving stops (exit 1)
printf 'outl 0xcf8\ninl 0xcfc\n' >"$TMP/bad.qtest"
IN=$TMP/bad.qtest
run qtest -device edu,addr=01.0
status "qtest protocol error" 1
if head -1 "$TMP/out" | grep -q '^Bail out! ERROR:.*assertion failed'; then
    ok "qtest protocol error: QEMU's Bail out line"
else
    nok "qtest protocol error: no Bail out line"
fi
if grep -q '^OK' "$TMP/out"; then nok "qtest protocol error: served on"; else ok "qtest protocol error: nothing after it"; fi
# as QEMU aborting: its own ERROR line on stderr, nothing of ours
if grep -q '^ERROR:.*assertion failed' "$TMP/err" && ! grep -q '^vpci-host:' "$TMP/err"; then
    ok "qtest protocol error: QEMU's messages only"
else
    nok "qtest protocol error: stderr"
    sed 's/^/    /' "$TMP/err" | head -5
fi
IN=/dev/null

# no script at all: EOF at once, success
run qtest
status "qtest on empty input" 0
empty "qtest on empty input: no output" "$TMP/out"

# ---------------------------------------------------------------------
# Output that cannot be written
# ---------------------------------------------------------------------
if [ -w /dev/full ]; then
    "$HOST" lspci -device edu >/dev/full 2>"$TMP/err"
    st=$?
    status "lspci >/dev/full" 1
    has "lspci >/dev/full: message" "$TMP/err" "vpci-host: lspci: Input/output error"
    "$HOST" list-models >/dev/full 2>"$TMP/err"
    st=$?
    status "list-models >/dev/full" 1
    "$HOST" --help >/dev/full 2>"$TMP/err"
    st=$?
    status "--help >/dev/full" 1
    printf 'endianness\n' | "$HOST" qtest >/dev/full 2>"$TMP/err"
    st=$?
    status "qtest >/dev/full" 1
    if grep -q '^vpci-host: qtest: ' "$TMP/err"; then ok "qtest >/dev/full: message"; else nok "qtest >/dev/full: no message"; fi
else
    echo "(no writable /dev/full: output-error checks skipped)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
