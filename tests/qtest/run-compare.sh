#!/usr/bin/env bash
# Run qtest scripts against QEMU 7.2 (its own edu device) and against
# `vpci-host qtest` (libvpci's edu model on the mock host) and compare the
# two transcripts byte for byte.  With --target DEVICE, also run them
# against the same QEMU with DEVICE (e.g. vpci-edu: libvpci's edu model
# inside QEMU through adapters/qemu) in edu's place; all three transcripts
# must then be identical.
#
# Usage: run-compare.sh [--vpci-host PATH] [--qemu PATH] [--out DIR]
#                       [--target DEVICE] [--keep] [SCRIPT.qtest...]
#
#   --vpci-host PATH  the vpci-host binary             [$VPCI_HOST, or
#                     vpci-host on $PATH]
#   --qemu PATH       a qtest-capable qemu-system-x86_64 [$QEMU, or
#                     adapters/qemu/build-qemu.sh --print-path]
#   --out DIR         where transcripts are written    [$VPCI_QTEST_OUT, or
#                     ./qtest-compare]
#   --target DEVICE   also run QEMU with -device DEVICE,addr=01.0 (e.g.
#                     vpci-edu; DEVICE may carry properties:
#                     vpci-edu,dma_mask=0xffffffff); its transcript
#                     NAME.DEVICE must equal
#                     QEMU's edu one and vpci-host's.  Exit 77 if QEMU has
#                     no such device (unless VPCI_REQUIRE_QEMU is set)
#   --keep            keep the transcripts of passing scripts too
#   SCRIPT...         default: tests/qtest/scripts/*.qtest
#
# Both sides run `-machine q35 -device edu,addr=01.0` (plus the words of
# SCRIPT's sibling NAME.args file, if there is one):
#   QEMU:      qemu-system-x86_64 -machine q35 -accel qtest -qtest stdio
#              -qtest-log none -display none -nodefaults -device edu,addr=01.0
#   vpci-host: vpci-host qtest -machine q35 -device edu,addr=01.0 < SCRIPT
# QEMU prints nothing before the first answer and does not exit when its
# qtest input ends, so it is fed one command at a time: each command is
# sent once the previous one's answer (the first line that is not an
# "IRQ ..." event) is in, as libqtest does; QEMU is killed after the last
# answer.  This also lets edu's factorial thread in QEMU run between
# commands.  A "Bail out!" line (a failed assertion in QEMU's qtest.c) ends
# the transcript, as the abort that follows it does.
#
# Exit status: 0 all scripts identical, 1 a difference or a failure,
# 77 QEMU not found and VPCI_REQUIRE_QEMU unset (ctest: skipped).
# With VPCI_REQUIRE_QEMU=1 a missing QEMU is built with build-qemu.sh.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

VPCI_HOST=${VPCI_HOST:-}
QEMU_BIN=${QEMU:-}
OUT=${VPCI_QTEST_OUT:-$PWD/qtest-compare}
KEEP=0
TARGET=
ANSWER_TIMEOUT=${VPCI_QTEST_TIMEOUT:-20}   # seconds per QEMU answer
scripts=()

usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { printf 'run-compare: %s\n' "$*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
    case $1 in
        --vpci-host) [[ $# -ge 2 ]] || die "--vpci-host needs a path"; VPCI_HOST=$2; shift 2 ;;
        --qemu) [[ $# -ge 2 ]] || die "--qemu needs a path"; QEMU_BIN=$2; shift 2 ;;
        --out) [[ $# -ge 2 ]] || die "--out needs a directory"; OUT=$2; shift 2 ;;
        --target) [[ $# -ge 2 ]] || die "--target needs a device name"; TARGET=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) usage >&2; exit 2 ;;
        *) scripts+=("$1"); shift ;;
    esac
done

if [[ -z $VPCI_HOST ]]; then
    VPCI_HOST=$(command -v vpci-host) || die "no vpci-host: pass --vpci-host PATH or set VPCI_HOST"
fi
[[ -x $VPCI_HOST ]] || die "$VPCI_HOST is not executable"

find_qemu() {
    if [[ -n $QEMU_BIN ]]; then
        [[ -x $QEMU_BIN ]] && return 0
        return 1
    fi
    QEMU_BIN=$("$root/adapters/qemu/build-qemu.sh" --print-path 2>/dev/null) && [[ -x $QEMU_BIN ]]
}
if ! find_qemu; then
    if [[ -z ${VPCI_REQUIRE_QEMU:-} || ${VPCI_REQUIRE_QEMU} == 0 ]]; then
        echo "run-compare: SKIP: no qtest-capable QEMU (run adapters/qemu/build-qemu.sh, or set QEMU=...)"
        exit 77
    fi
    if [[ -n ${QEMU:-} ]]; then
        die "QEMU=$QEMU is not executable and VPCI_REQUIRE_QEMU is set"
    fi
    echo "run-compare: building QEMU (VPCI_REQUIRE_QEMU is set)" >&2
    "$root/adapters/qemu/build-qemu.sh" >&2 || die "build-qemu.sh failed"
    find_qemu || die "build-qemu.sh ran but --print-path finds no QEMU"
fi

if [[ -n $TARGET ]] && ! "$QEMU_BIN" -device help 2>/dev/null | grep -qF "name \"${TARGET%%,*}\""; then
    if [[ -z ${VPCI_REQUIRE_QEMU:-} || ${VPCI_REQUIRE_QEMU} == 0 ]]; then
        echo "run-compare: SKIP: $QEMU_BIN has no device $TARGET (build it with adapters/qemu/build-qemu.sh)"
        exit 77
    fi
    die "$QEMU_BIN has no device $TARGET and VPCI_REQUIRE_QEMU is set"
fi

if [[ ${#scripts[@]} -eq 0 ]]; then
    scripts=("$here"/scripts/*.qtest)
    [[ -e ${scripts[0]} ]] || die "no scripts in $here/scripts"
fi

# glib's assertion message names qtest.c as the build saw it; tell
# vpci-host the same path so that a "Bail out!" line compares equal.
srcfile=$(grep -ao '[^[:space:][:cntrl:]]*softmmu/qtest\.c' "$QEMU_BIN" | head -n1)
[[ -n $srcfile ]] && export VPCI_QTEST_SRCFILE=$srcfile

mkdir -p "$OUT" || die "cannot create $OUT"
trap '' PIPE

# run_qemu DEVICE SCRIPT OUTFILE ERRFILE ARGS...: the paced QEMU session
# with -device DEVICE,addr=01.0.
run_qemu() {
    local device=$1 script=$2 outf=$3 errf=$4; shift 4
    local line ans qin qout st rc=0
    QEMU_DIED=0
    coproc QEMU_CO {
        exec "$QEMU_BIN" -machine q35 -accel qtest -qtest stdio -qtest-log none \
            -display none -nodefaults -device "$device,addr=01.0" "$@" 2>"$errf"
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
    done <"$script"
    exec {qin}<&- {qout}>&-
    # SIGKILL: a QEMU stuck in a command (a long clock_step) does not
    # return to the main loop that would act on SIGTERM
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return $rc
}

passed=0 failed=0 failures=()
for script in "${scripts[@]}"; do
    name=$(basename "$script" .qtest)
    args=()
    argsfile="${script%.qtest}.args"
    if [[ -f $argsfile ]]; then
        read -r -a args <"$argsfile"
    fi
    q="$OUT/$name.qemu" v="$OUT/$name.vpci"
    qerr="$OUT/$name.qemu.stderr" verr="$OUT/$name.vpci.stderr"
    ok=1
    run_qemu edu "$script" "$q" "$qerr" "${args[@]}" || ok=0
    died=$QEMU_DIED
    if [[ -n $TARGET ]]; then
        t="$OUT/$name.$TARGET" terr="$OUT/$name.$TARGET.stderr"
        run_qemu "$TARGET" "$script" "$t" "$terr" "${args[@]}" || ok=0
    fi
    "$VPCI_HOST" qtest -machine q35 -device edu,addr=01.0 "${args[@]}" \
        <"$script" >"$v" 2>"$verr"
    vrc=$?
    # vpci-host exits 1 where QEMU aborts; anything else non-zero is a failure
    if [[ $vrc -ne 0 && ! ( $vrc -eq 1 && ( $died -eq 1 || $(tail -n1 "$v") == "Bail out! "* ) ) ]]; then
        echo "run-compare: vpci-host exited $vrc on $name" >>"$verr"
        ok=0
    fi
    same=1
    cmp -s "$q" "$v" || same=0
    [[ -n $TARGET ]] && ! cmp -s "$q" "$t" && same=0
    if [[ $ok -eq 1 && $same -eq 1 ]]; then
        passed=$((passed + 1))
        printf 'PASS %s (%s lines)\n' "$name" "$(wc -l <"$q")"
        [[ $KEEP -eq 1 ]] || rm -f "$q" "$v" "$qerr" "$verr" ${TARGET:+"$t" "$terr"}
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf 'FAIL %s: transcripts in %s/%s.{qemu,vpci%s}\n' "$name" "$OUT" "$name" "${TARGET:+,$TARGET}"
        # show the differing lines next to the commands that produced them
        diff -u --label "qemu/$name" --label "vpci-host/$name" "$q" "$v" | head -n 60
        if [[ -n $TARGET ]]; then
            diff -u --label "qemu/$name" --label "qemu-$TARGET/$name" "$q" "$t" | head -n 60
        fi
        for f in "$qerr" "$verr" ${TARGET:+"$terr"}; do
            [[ -s $f ]] && { echo "--- $f:"; head -n 20 "$f"; }
        done
    fi
done

echo "$passed passed, $failed failed${failures[*]:+ (${failures[*]})}"
[[ $failed -eq 0 ]]
