#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-lspci.sh VPCI_HOST_BINARY
#
# The real lspci (pciutils) decodes what `vpci-host lspci` prints.  For a
# machine per registered model (the model at 01.0 and behind a pci-bridge)
# and one machine with every model (q35 and virt), it dumps config space
# with -xxxx and checks, with `lspci -F DUMP`:
#   reprint   `lspci -F DUMP -x|-xxx|-xxxx` prints our -x|-xxx|-xxxx output
#             byte for byte, and so does feeding each of those back in
#   names     plain and -n listings are identical to lspci's
#   tree      -t and -t -v are identical to lspci's
#   verbose   -v is identical to lspci's once our " [size=N]" annotations
#             are taken out (a dump does not tell lspci the sizes) and
#             lspci's extra line for the upper half of a 64-bit BAR above
#             4 GiB is dropped; every BAR line carries a size
#   identity  each function of the dump is listed by `lspci -nn` with its
#             vendor:device from the dump
#   bars      every BAR the dump holds is a "Region N:" of `lspci -vvv` at
#             the address the dump says, and each BAR line of our -v is one
#   caps      every capability of the dump's lists (walked here, not
#             hard-coded) is decoded by `lspci -vvv` under its name, and
#             lspci shows no other capability, broken chain or "!!!" line
# Prints "N passed, N failed"; exits 1 on any failure, 77 (skip) when no
# lspci is installed.  VERBOSE=1 also lists what passed.
set -u

HOST=${1:?usage: check-lspci.sh VPCI_HOST_BINARY}
pass=0
fail=0
ok() { pass=$((pass + 1)); if [ -n "${VERBOSE:-}" ]; then echo "ok   $*"; fi; }
nok() { fail=$((fail + 1)); echo "FAIL $*"; }

LSPCI=$(command -v lspci 2>/dev/null)
for p in /usr/bin/lspci /usr/sbin/lspci /sbin/lspci; do
    [ -n "$LSPCI" ] && break
    [ -x "$p" ] && LSPCI=$p
done
if [ -z "$LSPCI" ]; then
    echo "lspci (pciutils) is not installed: skipped"
    exit 77
fi
if [ ! -x "$HOST" ]; then
    echo "FAIL no vpci-host at $HOST"
    echo "0 passed, 1 failed"
    exit 1
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

# The same names on both sides: pci.ids (or none at all), no udev hwdb.
IDS=/usr/share/misc/pci.ids
[ -r "$IDS" ] || IDS=$TMP/no-pci.ids
VPCI_PCI_IDS=$IDS
export VPCI_PCI_IDS
: >"$TMP/empty"
LOPT="-i $IDS"
if "$LSPCI" -O hwdb.disable=1 -F "$TMP/empty" >/dev/null 2>&1; then
    LOPT="$LOPT -O hwdb.disable=1"
fi
# shellcheck disable=SC2086  # LOPT is a list of options
L() { "$LSPCI" $LOPT "$@" 2>/dev/null; }

# Registered models: `vpci-host list-models` (first word of each line),
# or the two the mock host always has.
MODELS=$("$HOST" list-models 2>/dev/null |
         awk '/^[^ \t]/ && $1 ~ /^[a-z0-9][a-z0-9_.-]*$/ { print $1 }')
[ -n "$MODELS" ] || MODELS="edu pci-bridge"
HAVE_BRIDGE=no
for m in $MODELS; do [ "$m" = pci-bridge ] && HAVE_BRIDGE=yes; done

# ---------------------------------------------------------------------
# Dump parser: what the dump holds, in lspci's words
# ---------------------------------------------------------------------
# Prints, per function,
#   FN   slot vendor:device
#   BAR  slot N text          ("Memory at ADDR (64-bit, prefetchable)")
#   CAP  slot text            ("[40] MSI: Enable", "[100 v2] Advanced ...")
#   BAD  slot why
expect() {
    awk '
function hexval(s,    i, v) {
    v = 0
    s = tolower(s)
    for (i = 1; i <= length(s); i++)
        v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
    return v
}
function b(o) { return (o in cfg) ? cfg[o] : 255 }
function w(o) { return b(o) + 256 * b(o + 1) }
function l(o) { return w(o) + 65536 * w(o + 2) }
function band(x, m,    r, bit) {     # x & m for 32-bit values
    r = 0; bit = 1
    while (x > 0 && m > 0) {
        if ((x % 2) == 1 && (m % 2) == 1) r += bit
        x = int(x / 2); m = int(m / 2); bit *= 2
    }
    return r
}
function capname(id) {
    if (id == 1) return "Power Management version"
    if (id == 2) return "AGP version"
    if (id == 3) return "Vital Product Data"
    if (id == 4) return "Slot ID:"
    if (id == 5) return "MSI: Enable"
    if (id == 6) return "CompactPCI hot-swap"
    if (id == 7) return "PCI-X"
    if (id == 8) return "HyperTransport"
    if (id == 9) return "Vendor Specific Information:"
    if (id == 10) return "Debug port:"
    if (id == 11) return "CompactPCI central resource control"
    if (id == 12) return "Hot-plug capable"
    if (id == 13) return "Subsystem:"
    if (id == 14) return "AGP3"
    if (id == 15) return "Secure device"
    if (id == 16) return "Express ("
    if (id == 17) return "MSI-X: Enable"
    if (id == 18) return "SATA HBA"
    if (id == 19) return "PCI Advanced Features"
    if (id == 20) return "Enhanced Allocation"
    if (id == 0) return "Null"
    return "Capability ID"
}
function ecapname(id) {
    if (id == 0) return "Null"
    if (id == 1) return "Advanced Error Reporting"
    if (id == 2 || id == 9) return "Virtual Channel"
    if (id == 3) return "Device Serial Number"
    if (id == 4) return "Power Budgeting"
    if (id == 11) return "Vendor Specific Information:"
    if (id == 13) return "Access Control Services"
    if (id == 14) return "Alternative Routing-ID Interpretation"
    if (id == 15) return "Address Translation Service"
    if (id == 16) return "Single Root I/O Virtualization"
    if (id == 19) return "Page Request Interface"
    if (id == 21) return "Physical Resizable BAR"
    if (id == 23) return "Transaction Processing Hints"
    if (id == 24) return "Latency Tolerance Reporting"
    if (id == 25) return "Secondary PCI Express"
    if (id == 27) return "Process Address Space ID"
    if (id == 29) return "Downstream Port Containment"
    if (id == 30) return "L1 PM Substates"
    if (id == 31) return "Precision Time Measurement"
    if (id == 35) return "Designated Vendor-Specific:"
    return "Extended Capability ID"
}
function flush(    ht, cnt, i, x, y, a, t, where, seen, n, id, hdr) {
    if (slot == "") return
    printf "FN %s %04x:%04x\n", slot, w(0), w(2)
    ht = band(b(14), 127)
    cnt = (ht == 0) ? 6 : (ht == 1) ? 2 : (ht == 2) ? 1 : 0
    for (i = 0; i < cnt; i++) {
        x = l(16 + 4 * i)
        if (x == 0 || x == 4294967295) continue
        if (band(x, 1)) {
            printf "BAR %s %d I/O ports at %04x\n", slot, i, band(x, 4294967292)
            continue
        }
        t = band(x, 6)
        a = band(x, 4294967280)
        if (t == 4 && i < cnt - 1) {
            y = l(16 + 4 * (i + 1))
            if (y) a = sprintf("%x%08x", y, a); else a = sprintf("%08x", a)
        } else
            a = sprintf("%08x", a)
        if (a ~ /^0+$/) a = "<unassigned>"
        printf "BAR %s %d Memory at %s (%s, %sprefetchable)\n", slot, i, a,
               (t == 0) ? "32-bit" : (t == 4) ? "64-bit" : (t == 2) ? "low-1M" : "type 3",
               band(x, 8) ? "" : "non-"
        if (t == 4) i++
    }
    if (band(w(6), 16)) {
        where = band(b(ht == 2 ? 20 : 52), 252)
        n = 0
        while (where && !(where in seen) && n < 64) {
            seen[where] = 1; n++
            if (where + 4 > size) { printf "BAD %s capability at %02x past the dump\n", slot, where; break }
            id = b(where)
            if (id == 255) { printf "BAD %s capability id ff at %02x\n", slot, where; break }
            printf "CAP %s [%02x] %s\n", slot, where, capname(id)
            if (id == 16 || id == 7) ext = 1
            where = band(b(where + 1), 252)
        }
        if (where in seen) printf "BAD %s capability list loops at %02x\n", slot, where
    }
    if (ext && size >= 260) {
        where = 256
        n = 0
        while (where && n < 1024) {
            hdr = l(where)
            if (hdr == 0 || hdr == 4294967295) break
            if (("e" where) in seen) { printf "BAD %s extended list loops at %03x\n", slot, where; break }
            seen["e" where] = 1; n++
            id = hdr % 65536
            printf "CAP %s [%03x v%d] %s\n", slot, where, int(hdr / 65536) % 16, ecapname(id)
            where = band(int(hdr / 1048576), 4092)
        }
    }
    slot = ""; ext = 0; size = 0
    split("", cfg)
}
/^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7] / { flush(); slot = $1; next }
/^[0-9a-f]+: / {
    o = hexval(substr($1, 1, length($1) - 1))
    for (i = 2; i <= NF; i++) cfg[o + i - 2] = hexval($i)
    if (o + NF - 1 > size) size = o + NF - 1
    next
}
END { flush() }
' "$1"
}

# The block of one function in lspci's output ($1 = file, $2 = slot).
block() {
    awk -v s="$2" 'BEGIN { RS = "" } index($0, s " ") == 1 { print; exit }' "$1"
}

# lspci -F -v without its extra line for the upper half of a 64-bit BAR
# above 4 GiB (a 64-bit "Memory at" with more than 8 digits is followed by
# a region made of the upper dword).
drop_upper() {
    awk 'skip { skip = 0; next }
         /^\tMemory at [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]+ \(64-bit/ { skip = 1 }
         { print }' "$1"
}

same() {   # name expected actual
    if cmp -s "$2" "$3"; then
        ok "$1"
    else
        nok "$1"
        diff "$2" "$3" | head -20 | sed 's/^/    /'
    fi
}

# ---------------------------------------------------------------------
# One machine
# ---------------------------------------------------------------------
check_machine() {   # name, then vpci-host lspci arguments
    name=$1
    shift
    d=$TMP/$name
    mkdir -p "$d"
    if ! "$HOST" lspci "$@" -xxxx >"$d/dump" 2>"$d/err" || [ ! -s "$d/dump" ]; then
        nok "$name: vpci-host lspci $* -xxxx"
        sed 's/^/    /' "$d/err" | head -5
        return
    fi
    ok "$name: dump"

    # reprint: lspci prints our dumps again, byte for byte
    for x in -x -xxx -xxxx; do
        if "$HOST" lspci "$@" $x >"$d/ours$x" 2>/dev/null; then
            L -F "$d/dump" $x >"$d/lspci$x"
            same "$name: lspci -F dump $x" "$d/ours$x" "$d/lspci$x"
            L -F "$d/ours$x" $x >"$d/again$x"
            same "$name: lspci -F ours$x $x" "$d/ours$x" "$d/again$x"
        else
            nok "$name: vpci-host lspci $x"
        fi
    done
    for opt in plain -n -t -tv; do
        case $opt in
        plain) set_ours="" ;;
        -tv) set_ours="-t -v" ;;
        *) set_ours=$opt ;;
        esac
        # shellcheck disable=SC2086
        if "$HOST" lspci "$@" $set_ours >"$d/ours$opt" 2>/dev/null; then
            if [ "$opt" = plain ]; then
                L -F "$d/dump" >"$d/lspci$opt"
            else
                L -F "$d/dump" $opt >"$d/lspci$opt"
            fi
            same "$name: lspci ${set_ours:-(plain)}" "$d/ours$opt" "$d/lspci$opt"
        else
            nok "$name: vpci-host lspci $set_ours"
        fi
    done

    # verbose
    if "$HOST" lspci "$@" -v >"$d/ours-v" 2>/dev/null; then
        sed -E '/^	(Memory at|I\/O ports at|Expansion ROM at) /s/ \[size=[0-9]+[KMGT]?\]$//' \
            "$d/ours-v" >"$d/ours-v-nosize"
        L -F "$d/dump" -v >"$d/lspci-v-raw"
        drop_upper "$d/lspci-v-raw" >"$d/lspci-v"
        same "$name: lspci -v (sizes aside)" "$d/ours-v-nosize" "$d/lspci-v"
        if grep -E '^	(Memory at|I/O ports at|Expansion ROM at)' "$d/ours-v" |
           grep -v '\[size=' >"$d/nosize"; then
            nok "$name: -v BAR lines without a size"
            sed 's/^/    /' "$d/nosize" | head -5
        else
            ok "$name: -v BAR lines carry sizes"
        fi
    else
        nok "$name: vpci-host lspci -v"
    fi

    # identity, BARs, capabilities through lspci -vvv and -nn
    expect "$d/dump" >"$d/expect"
    L -F "$d/dump" -vvv >"$d/vvv"
    L -F "$d/dump" -nn >"$d/nn"
    nfn=0
    # shellcheck disable=SC2013  # slots are single words
    for slot in $(awk '$1 == "FN" { print $2 }' "$d/expect"); do
        nfn=$((nfn + 1))
        ids=$(awk -v s="$slot" '$1 == "FN" && $2 == s { print $3 }' "$d/expect")
        if grep -q "^$slot .*\[$ids\]" "$d/nn"; then
            ok "$name: $slot is [$ids]"
        else
            nok "$name: $slot [$ids] not listed by lspci -nn"
        fi
        block "$d/vvv" "$slot" >"$d/blk"
        if [ ! -s "$d/blk" ]; then
            nok "$name: $slot missing from lspci -vvv"
            continue
        fi
        if grep -q '!!!' "$d/blk"; then
            nok "$name: $slot: lspci complains"
            grep '!!!' "$d/blk" | sed 's/^/    /'
        fi
        awk -v s="$slot" '$1 == "BAD" && $2 == s' "$d/expect" >"$d/bad"
        if [ -s "$d/bad" ]; then
            nok "$name: $slot: broken capability list"
            sed 's/^/    /' "$d/bad"
        fi
        # BARs from the dump
        awk -v s="$slot" '$1 == "BAR" && $2 == s { $1 = ""; $2 = ""; sub(/^  /, ""); print }' \
            "$d/expect" >"$d/bars"
        while read -r n text; do
            if grep -qF "	Region $n: $text" "$d/blk"; then
                ok "$name: $slot Region $n: $text"
            else
                nok "$name: $slot Region $n: $text not decoded"
            fi
        done <"$d/bars"
        # BAR lines of our -v, as lspci -vvv regions
        if [ -s "$d/ours-v" ]; then
            block "$d/ours-v" "$slot" |
                grep -E '^	(Memory at|I/O ports at)' |
                sed 's/ \[size=[^]]*\]//; s/^	//' >"$d/ourbars"
            while read -r text; do
                if grep -qF -- "$text" "$d/blk" &&
                   grep -F -- "$text" "$d/blk" | grep -q '^	Region [0-5]: '; then
                    ok "$name: $slot -v '$text' is a region"
                else
                    nok "$name: $slot -v '$text' is no region of lspci -vvv"
                fi
            done <"$d/ourbars"
        fi
        # capabilities
        awk -v s="$slot" '$1 == "CAP" && $2 == s { $1 = ""; $2 = ""; sub(/^  /, ""); print }' \
            "$d/expect" >"$d/caps"
        ncap=0
        while read -r text; do
            ncap=$((ncap + 1))
            if grep -qF "	Capabilities: $text" "$d/blk"; then
                ok "$name: $slot $text"
            else
                nok "$name: $slot capability $text not decoded"
            fi
        done <"$d/caps"
        got=$(grep -c '^	Capabilities: ' "$d/blk")
        if [ "$got" -eq "$ncap" ] && ! grep -qE '<(chain|access denied|unreadable)' "$d/blk"; then
            ok "$name: $slot has $ncap capabilities"
        else
            nok "$name: $slot: lspci shows $got capabilities, the dump has $ncap"
            grep '^	Capabilities: ' "$d/blk" | sed 's/^/    /'
        fi
    done
    if [ "$nfn" -gt 0 ]; then
        ok "$name: $nfn functions"
    else
        nok "$name: no function in the dump"
    fi
}

# ---------------------------------------------------------------------
# The machines
# ---------------------------------------------------------------------
for m in $MODELS; do
    if [ "$HAVE_BRIDGE" = yes ]; then
        check_machine "$m" -device "$m,addr=01.0" \
            -device pci-bridge,addr=03.0,id=br0 -device "$m,bus=br0,addr=00.0"
    else
        check_machine "$m" -device "$m,addr=01.0"
    fi
done

# every model on the root bus and behind a bridge, one multi-function slot
for machine in q35 virt; do
    set --
    if [ "$HAVE_BRIDGE" = yes ]; then
        # with its Slot ID capability when the model offers one
        br=pci-bridge,addr=01.0,id=br0
        if "$HOST" lspci -device "$br,chassis_nr=1" >/dev/null 2>&1; then
            br=$br,chassis_nr=1
        fi
        set -- -device "$br"
    fi
    slot=2
    first=
    for m in $MODELS; do
        [ -n "$first" ] || { [ "$m" != pci-bridge ] && first=$m; }
        a=$(printf '%02x' "$slot")
        set -- "$@" -device "$m,addr=$a.0"
        if [ "$HAVE_BRIDGE" = yes ]; then
            set -- "$@" -device "$m,bus=br0,addr=$a.0"
        fi
        slot=$((slot + 1))
    done
    if [ -n "$first" ]; then
        set -- "$@" -device "$first,addr=1e.0,multifunction=on" \
            -device "$first,addr=1e.1"
    fi
    check_machine "all-$machine" -machine "$machine" "$@"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
