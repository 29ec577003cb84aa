#!/usr/bin/env bash
# Run the qtest scripts of one model on one machine against QEMU 7.2 with
# the model inside it (the adapter's -device vpci-MODEL; for edu also
# QEMU's own edu) and against `vpci-host qtest` (the same libvpci model on
# the mock host), and compare the transcripts byte for byte: every QEMU
# transcript must equal vpci-host's.
#
# Usage: run-compare.sh [--model MODEL] [--machine q35|virt]
#                       [--vpci-host PATH] [--qemu PATH] [--out DIR]
#                       [--target DEVICE] [--keep] [SCRIPT.qtest...]
#
#   --model MODEL     a vpci-host model (vpci-host list-models)    [edu]
#   --machine M       q35 (qemu-system-x86_64, config space through
#                     CF8/CFC) or virt (qemu-system-aarch64, ECAM)  [q35]
#   --vpci-host PATH  the vpci-host binary             [$VPCI_HOST, or
#                     vpci-host on $PATH]
#   --qemu PATH       a qtest-capable qemu-system-* for the machine's
#                     architecture [$QEMU, or
#                     adapters/qemu/build-qemu.sh --print-path ARCH]
#   --out DIR         where transcripts are written    [$VPCI_QTEST_OUT, or
#                     ./qtest-compare]; they go to DIR/MODEL/MACHINE/
#   --target DEVICE   one more QEMU device to compare (DEVICE may carry
#                     properties: vpci-edu,dma_mask=0xffffffff).  The QEMU
#                     devices are vpci-MODEL, and for edu QEMU's own edu
#                     first (three transcripts); --target adds to them.
#                     Exit 77 if QEMU has one of them not (unless
#                     VPCI_REQUIRE_QEMU is set)
#   --keep            keep the transcripts of passing scripts too
#   SCRIPT...         default: tests/qtest/scripts/MODEL/MACHINE/*.qtest
#
# Every side runs the device at 00:01.0, with the properties of the
# script's sibling NAME.props file (one line, e.g. msi=on,msix=on) and the
# words of its NAME.args file (extra command-line words), if there are any:
#   QEMU:      qemu-system-ARCH -machine MACHINE -accel qtest -qtest stdio
#              -qtest-log none -display none -nodefaults
#              -device DEVICE[,PROPS],addr=01.0 ARGS...
#   vpci-host: vpci-host qtest -machine MACHINE
#              -device MODEL[,PROPS],addr=01.0 ARGS... < SCRIPT
# ARGS name further devices as QEMU does (-device vpci-epf-test,addr=02.0);
# vpci-host gets each -device value without the adapter's "vpci-" prefix
# (-device epf-test,addr=02.0), the name its models have.
# QEMU prints nothing before the first answer and does not exit when its
# qtest input ends, so it is fed one command at a time: each command is
# sent once the previous one's answer (the first line that is not an
# "IRQ ..." event) is in, as libqtest does; QEMU is killed after the last
# answer.  A device that works on a thread of its own (QEMU's edu
# computes factorials on one) is waited for where the script's NAME.pace
# file says so: "N READ MASK VALUE" repeats READ after the answer to line
# N until (value & MASK) == VALUE, as a driver polls a status bit; those
# reads (not any "IRQ ..." event meanwhile) are left out of the transcript,
# and no answer in time (VPCI_QTEST_TIMEOUT) is a failure.  vpci-host runs
# device work synchronously and gets no pacing.  A "Bail out!" line (a failed assertion in QEMU's qtest.c) ends
# the transcript, as the abort that follows it does.
#
# Transcripts: DIR/MODEL/MACHINE/NAME.DEVICE for each QEMU device (e.g.
# NAME.edu, NAME.vpci-edu) and NAME.vpci-host, with .stderr siblings.
#
# Exit status: 0 all scripts identical, 1 a difference or a failure,
# 77 QEMU (or a device in it) not found and VPCI_REQUIRE_QEMU unset
# (ctest: skipped).  With VPCI_REQUIRE_QEMU=1 a missing QEMU is built
# with build-qemu.sh.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

VPCI_HOST=${VPCI_HOST:-}
QEMU_BIN=${QEMU:-}
OUT=${VPCI_QTEST_OUT:-$PWD/qtest-compare}
KEEP=0
MODEL=edu
MACHINE=q35
targets=()
ANSWER_TIMEOUT=${VPCI_QTEST_TIMEOUT:-20}   # seconds per QEMU answer
scripts=()

usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { printf 'run-compare: %s\n' "$*" >&2; exit 1; }
require_qemu() { [[ -n ${VPCI_REQUIRE_QEMU:-} && ${VPCI_REQUIRE_QEMU} != 0 ]]; }

while [[ $# -gt 0 ]]; do
    case $1 in
        --model) [[ $# -ge 2 ]] || die "--model needs a model name"; MODEL=$2; shift 2 ;;
        --machine) [[ $# -ge 2 ]] || die "--machine needs q35 or virt"; MACHINE=$2; shift 2 ;;
        --vpci-host) [[ $# -ge 2 ]] || die "--vpci-host needs a path"; VPCI_HOST=$2; shift 2 ;;
        --qemu) [[ $# -ge 2 ]] || die "--qemu needs a path"; QEMU_BIN=$2; shift 2 ;;
        --out) [[ $# -ge 2 ]] || die "--out needs a directory"; OUT=$2; shift 2 ;;
        --target) [[ $# -ge 2 ]] || die "--target needs a device name"; targets+=("$2"); shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) usage >&2; exit 2 ;;
        *) scripts+=("$1"); shift ;;
    esac
done

case $MACHINE in
    q35) ARCH=x86_64 ;;
    virt) ARCH=aarch64 ;;
    *) die "--machine: q35 or virt, not '$MACHINE'" ;;
esac
[[ $MODEL =~ ^[a-z0-9-]+$ ]] || die "--model: not a model name: '$MODEL'"

if [[ -z $VPCI_HOST ]]; then
    VPCI_HOST=$(command -v vpci-host) || die "no vpci-host: pass --vpci-host PATH or set VPCI_HOST"
fi
[[ -x $VPCI_HOST ]] || die "$VPCI_HOST is not executable"

# The QEMU devices: QEMU's own edu is the reference the mock host was
# written against, so edu runs three ways; every model runs as vpci-MODEL.
devices=()
[[ $MODEL == edu ]] && devices+=(edu)
devices+=("vpci-$MODEL")
for t in ${targets[@]+"${targets[@]}"}; do
    dup=0
    for d in "${devices[@]}"; do [[ $d == "$t" ]] && dup=1; done
    [[ $dup -eq 1 ]] || devices+=("$t")
done

find_qemu() {
    if [[ -n $QEMU_BIN ]]; then
        [[ -x $QEMU_BIN ]] && return 0
        return 1
    fi
    QEMU_BIN=$("$root/adapters/qemu/build-qemu.sh" --print-path "$ARCH" 2>/dev/null) && [[ -x $QEMU_BIN ]]
}
if ! find_qemu; then
    if ! require_qemu; then
        echo "run-compare: SKIP: no qtest-capable qemu-system-$ARCH (run adapters/qemu/build-qemu.sh, or set QEMU=...)"
        exit 77
    fi
    if [[ -n $QEMU_BIN ]]; then
        die "$QEMU_BIN is not executable and VPCI_REQUIRE_QEMU is set"
    fi
    echo "run-compare: building QEMU (VPCI_REQUIRE_QEMU is set)" >&2
    "$root/adapters/qemu/build-qemu.sh" >&2 || die "build-qemu.sh failed"
    find_qemu || die "build-qemu.sh ran but --print-path $ARCH finds no QEMU"
fi

qemu_devices=$("$QEMU_BIN" -device help 2>/dev/null)
for d in "${devices[@]}"; do
    if ! grep -qF "name \"${d%%,*}\"" <<<"$qemu_devices"; then
        if ! require_qemu; then
            echo "run-compare: SKIP: $QEMU_BIN has no device ${d%%,*} (build it with adapters/qemu/build-qemu.sh)"
            exit 77
        fi
        die "$QEMU_BIN has no device ${d%%,*} and VPCI_REQUIRE_QEMU is set"
    fi
done

if [[ ${#scripts[@]} -eq 0 ]]; then
    dir="$here/scripts/$MODEL/$MACHINE"
    scripts=("$dir"/*.qtest)
    [[ -e ${scripts[0]} ]] || die "no scripts in $dir (tests/qtest/make-scripts.py writes them)"
fi

# glib's assertion message names qtest.c as the build saw it; tell
# vpci-host the same path so that a "Bail out!" line compares equal.
srcfile=$(grep -ao '[^[:space:][:cntrl:]]*softmmu/qtest\.c' "$QEMU_BIN" | head -n1)
[[ -n $srcfile ]] && export VPCI_QTEST_SRCFILE=$srcfile

OUT="$OUT/$MODEL/$MACHINE"
mkdir -p "$OUT" || die "cannot create $OUT"
trap '' PIPE

# load_pace PACEFILE: fill pace[N]="READ MASK VALUE" from NAME.pace
declare -A pace
load_pace() {
    local n read_cmd addr mask value
    pace=()
    [[ -f $1 ]] || return 0
    while read -r n read_cmd addr mask value; do
        [[ $n =~ ^[0-9]+$ && $read_cmd =~ ^read[bwlq]$ && -n $value ]] ||
            die "$1: not a pace line: '$n $read_cmd $addr $mask $value'"
        pace[$n]="$read_cmd $addr $mask $value"
    done <"$1"
}

# wait_paced QIN QOUT OUTFILE ERRFILE "READ ADDR MASK VALUE": repeat READ
# until the condition holds; 0 when it did, 1 on a timeout, 2 if QEMU died
wait_paced() {
    local qin=$1 qout=$2 outf=$3 errf=$4 ans st v
    local -a p=($5)
    local deadline=$((SECONDS + ANSWER_TIMEOUT))
    while [[ $SECONDS -lt $deadline ]]; do
        printf '%s %s\n' "${p[0]}" "${p[1]}" >&"$qout" 2>/dev/null || return 2
        while :; do
            IFS= read -r -t "$ANSWER_TIMEOUT" ans <&"$qin"
            st=$?
            [[ $st -gt 128 ]] && break 2
            [[ $st -ne 0 ]] && return 2
            [[ $ans == "IRQ "* ]] || break
            printf '%s\n' "$ans" >>"$outf"
        done
        [[ $ans =~ ^OK\ (0x[0-9a-fA-F]+)$ ]] || {
            echo "run-compare: pacing read '${p[0]} ${p[1]}' answered '$ans'" >>"$errf"
            return 1
        }
        v=${BASH_REMATCH[1]}
        (( (v & p[2]) == p[3] )) && return 0
    done
    echo "run-compare: '${p[0]} ${p[1]}' & ${p[2]} never became ${p[3]} in ${ANSWER_TIMEOUT}s" >>"$errf"
    return 1
}

# run_qemu DEVICESPEC SCRIPT OUTFILE ERRFILE ARGS...: the paced QEMU
# session with -device DEVICESPEC.
run_qemu() {
    local device=$1 script=$2 outf=$3 errf=$4; shift 4
    local line ans qin qout st n=0 rc=0
    QEMU_DIED=0
    coproc QEMU_CO {
        exec "$QEMU_BIN" -machine "$MACHINE" -accel qtest -qtest stdio -qtest-log none \
            -display none -nodefaults -device "$device" "$@" 2>"$errf"
    }
    local pid=$QEMU_CO_PID
    exec {qin}<&"${QEMU_CO[0]}" {qout}>&"${QEMU_CO[1]}"
    : >"$outf"
    while IFS= read -r line || [[ -n $line ]]; do
        if ! printf '%s\n' "$line" >&"$qout" 2>/dev/null; then
            break
        fi
        while :; do
            IFS= read -r -t "$ANSWER_TIMEOUT" ans <&"$qin"
            st=$?
            if [[ $st -gt 128 ]]; then
                echo "run-compare: no answer to '$line' in ${ANSWER_TIMEOUT}s" >>"$errf"
                rc=1
                break 2
            elif [[ $st -ne 0 ]]; then
                QEMU_DIED=1              # EOF: QEMU is gone
                [[ -n $ans ]] && printf '%s' "$ans" >>"$outf"
                break 2
            fi
            printf '%s\n' "$ans" >>"$outf"
            [[ $ans == "IRQ "* ]] || break
        done
        [[ $ans == "Bail out! "* ]] && break
        n=$((n + 1))
        if [[ -n ${pace[$n]:-} ]]; then
            wait_paced "$qin" "$qout" "$outf" "$errf" "${pace[$n]}"
            st=$?
            [[ $st -eq 2 ]] && { QEMU_DIED=1; break; }
            [[ $st -ne 0 ]] && { rc=1; break; }
        fi
    done <"$script"
    exec {qin}<&- {qout}>&-
    # SIGKILL: a QEMU stuck in a command (a long clock_step) does not
    # return to the main loop that would act on SIGTERM
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return $rc
}

# "DEVICE[,PROPS],addr=01.0"
device_spec() { printf '%s%s,addr=01.0' "$1" "${2:+,$2}"; }

passed=0 failed=0 failures=()
for script in "${scripts[@]}"; do
    name=$(basename "$script" .qtest)
    args=() props=
    argsfile="${script%.qtest}.args" propsfile="${script%.qtest}.props"
    [[ -f $argsfile ]] && read -r -a args <"$argsfile"
    # vpci-host's words: a -device value loses the adapter's vpci- prefix
    hargs=() prev=
    for w in ${args[@]+"${args[@]}"}; do
        [[ $prev == -device ]] && w=${w#vpci-}
        hargs+=("$w") prev=$w
    done
    [[ -f $propsfile ]] && read -r props <"$propsfile"
    load_pace "${script%.qtest}.pace"
    v="$OUT/$name.vpci-host" verr="$OUT/$name.vpci-host.stderr"
    ok=1 died=0 files=("$v" "$verr")
    for d in "${devices[@]}"; do
        t="$OUT/$name.${d%%,*}"
        files+=("$t" "$t.stderr")
        run_qemu "$(device_spec "$d" "$props")" "$script" "$t" "$t.stderr" \
            ${args[@]+"${args[@]}"} || ok=0
        [[ $QEMU_DIED -eq 1 ]] && died=1
    done
    "$VPCI_HOST" qtest -machine "$MACHINE" -device "$(device_spec "$MODEL" "$props")" \
        ${hargs[@]+"${hargs[@]}"} <"$script" >"$v" 2>"$verr"
    vrc=$?
    # vpci-host exits 1 where QEMU aborts; anything else non-zero is a failure
    if [[ $vrc -ne 0 && ! ( $vrc -eq 1 && ( $died -eq 1 || $(tail -n1 "$v") == "Bail out! "* ) ) ]]; then
        echo "run-compare: vpci-host exited $vrc on $name" >>"$verr"
        ok=0
    fi
    same=1
    for d in "${devices[@]}"; do
        cmp -s "$OUT/$name.${d%%,*}" "$v" || same=0
    done
    if [[ $ok -eq 1 && $same -eq 1 ]]; then
        passed=$((passed + 1))
        printf 'PASS %s/%s/%s (%s lines)\n' "$MODEL" "$MACHINE" "$name" "$(wc -l <"$v")"
        [[ $KEEP -eq 1 ]] || rm -f "${files[@]}"
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf 'FAIL %s/%s/%s: transcripts in %s/%s.*\n' "$MODEL" "$MACHINE" "$name" "$OUT" "$name"
        # show the differing lines next to the commands that produced them
        for d in "${devices[@]}"; do
            t="$OUT/$name.${d%%,*}"
            cmp -s "$t" "$v" && continue
            diff -u --label "qemu-${d%%,*}/$name" --label "vpci-host/$name" "$t" "$v" | head -n 60
        done
        for f in "${files[@]}"; do
            [[ $f == *.stderr && -s $f ]] && { echo "--- $f:"; head -n 20 "$f"; }
        done
    fi
done

echo "$MODEL/$MACHINE: $passed passed, $failed failed${failures[*]:+ (${failures[*]})}"
[[ $failed -eq 0 ]]
