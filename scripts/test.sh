#!/usr/bin/env bash
# THE test command (README): run as root on Debian 12, or as a user with sudo.
#   1 deps       install missing Debian packages (scripts/deps.sh)
#   2 qemu       build (or find cached) a qtest-enabled QEMU 7.2 from
#                Debian's source (adapters/qemu/build-qemu.sh, cached in
#                ~/.cache/vpci); the qtest comparison tests then require it
#   3 unit       Debug build in build/, ctest
#   4 memcheck   the whole suite under valgrind: 0 errors, 0 leaks
#   5 asan       ASan+UBSan build in build-asan/, ctest
#   6 coverage   gcov build in build-cov/, lcov report, libvpci/ lines >= 90%
#   7 consumer   install, then an out-of-tree program via pkg-config and
#                find_package, shared and static (scripts/consumer.sh)
#   8 bench      Release build in build-release/, run the benchmarks
#                (figures are informational; only a crash fails)
# Stops at the first failing stage.  Last line: "N passed, N failed".
# Developer knobs (CI sets none): VPCI_SKIP_MEMCHECK=1 VPCI_SKIP_ASAN=1
# VPCI_SKIP_COVERAGE=1 VPCI_SKIP_CONSUMER=1 VPCI_SKIP_BENCH=1
# VPCI_SKIP_QEMU=1 (the QEMU comparison tests are then skipped, not failed)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=$(nproc 2>/dev/null || echo 2)
BENCH_TIMEOUT=${VPCI_BENCH_TIMEOUT:-120}

passed=0
failed=0
skipped=0
T0=$SECONDS

summary() {
  echo
  echo "test.sh: total $((SECONDS - T0)) s"
  if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
}

# stage NAME SKIPVAR FUNCTION: run FUNCTION in a subshell with errexit on
stage() {
  local name=$1 skipvar=$2 fn=$3 t=$SECONDS rc
  echo
  echo "=================================================================="
  echo "== stage: $name"
  echo "=================================================================="
  if [ -n "$skipvar" ] && [ "${!skipvar:-0}" = 1 ]; then
    echo "== $name: SKIPPED ($skipvar=1)"
    skipped=$((skipped + 1))
    return 0
  fi
  ( set -euo pipefail; "$fn" )
  rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "== $name: PASSED ($((SECONDS - t)) s)"
    passed=$((passed + 1))
  else
    echo "== $name: FAILED (exit $rc, $((SECONDS - t)) s)" >&2
    echo "test.sh: stopping at the first failure: stage '$name'" >&2
    failed=$((failed + 1))
    summary
    exit 1
  fi
}

configure_build() { # DIR CMAKE_ARGS...
  local dir=$1
  shift
  cmake -S "$ROOT" -B "$dir" "$@"
  cmake --build "$dir" -j "$JOBS"
}

run_ctest() { # DIR [CTEST_ARGS...]
  local dir=$1
  shift
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$JOBS" "$@"
}

st_deps() {
  "$ROOT/scripts/deps.sh"
  echo "all build and test dependencies are installed"
}

st_qemu() {
  "$ROOT/adapters/qemu/build-qemu.sh"
}

st_unit() {
  configure_build build -DCMAKE_BUILD_TYPE=Debug -DVPCI_SANITIZE=OFF -DVPCI_COVERAGE=OFF -DBUILD_TESTING=ON
  run_ctest build
}

st_memcheck() {
  local log=build/memcheck.log vglogs ntests errors leaks reachable defects
  command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; return 1; }
  rm -f build/Testing/Temporary/MemoryChecker.*.log
  # Each test runs under valgrind with --error-exitcode=99 and leaks of kind
  # definite/indirect/possible counted as errors, so any defect fails the test.
  set +e
  # Tests labelled "script" are shell scripts (the QEMU comparison, the real
  # lspci check, the CLI check): under valgrind they would check bash, not
  # our code, which every cmocka test and mockhost.demo cover here.
  ctest --test-dir build -T memcheck -LE script --output-on-failure --no-tests=error -j "$JOBS" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  # ctest -T memcheck can exit 0 with defects found: check its report and
  # valgrind's own logs too.
  vglogs=(build/Testing/Temporary/MemoryChecker.*.log)
  [ -e "${vglogs[0]}" ] || { echo "memcheck: no valgrind logs were written" >&2; return 1; }
  ntests=${#vglogs[@]}
  errors=$(cat "${vglogs[@]}" | sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' | tr -d , \
             | awk '{s += $1} END {print s + 0}')
  leaks=$(cat "${vglogs[@]}" | sed -n 's/.*\(definitely\|indirectly\|possibly\) lost: \([0-9,]*\) bytes.*/\2/p' | tr -d , \
             | awk '{s += $1} END {print s + 0}')
  reachable=$(cat "${vglogs[@]}" | sed -n 's/.*still reachable: \([0-9,]*\) bytes.*/\1/p' | tr -d , \
             | awk '{s += $1} END {print s + 0}')
  # ctest counts every valgrind report, still-reachable blocks included
  defects=$(sed -n '/^Memory checking results:/,$p' "$log" \
             | sed -n 's/^\([A-Za-z][A-Za-z ]*[A-Za-z]\) - \([0-9][0-9]*\)$/\2/p' \
             | awk '{s += $1} END {print s + 0}')
  local summaries
  summaries=$( (grep -l "ERROR SUMMARY:" "${vglogs[@]}" || true) | wc -l)
  echo "valgrind memcheck: $ntests test processes, $errors errors, $leaks bytes lost (definite+indirect+possible), $reachable bytes still reachable at exit, $defects ctest defects"
  if [ "$summaries" -ne "$ntests" ]; then
    echo "memcheck: $((ntests - summaries)) valgrind log(s) have no ERROR SUMMARY (a test crashed or timed out?)" >&2
    return 1
  fi
  if [ "$rc" -ne 0 ] || [ "$errors" -ne 0 ] || [ "$leaks" -ne 0 ] || [ "$reachable" -ne 0 ] \
     || [ "$defects" -ne 0 ]; then
    echo "memcheck: FAILED (ctest exit $rc). Valgrind reports: build/Testing/Temporary/MemoryChecker.*.log" >&2
    sed -n '/^Memory checking results:/,$p' "$log" >&2
    grep -l -E 'ERROR SUMMARY: [1-9]|(definitely|indirectly|possibly) lost: [1-9]|still reachable: [1-9]' \
      "${vglogs[@]}" | sed 's/^/  see /' >&2 || true
    return 1
  fi
  echo "memcheck: 0 errors, 0 leaks"
}

st_asan() {
  configure_build build-asan -DCMAKE_BUILD_TYPE=Debug -DVPCI_SANITIZE=ON -DVPCI_COVERAGE=OFF -DBUILD_TESTING=ON
  # "qemu-only" tests run QEMU and nothing of this build: the unit stage ran them
  run_ctest build-asan -LE qemu-only
}

st_coverage() {
  configure_build build-cov -DCMAKE_BUILD_TYPE=Debug -DVPCI_COVERAGE=ON -DVPCI_SANITIZE=OFF -DBUILD_TESTING=ON
  cmake --build build-cov --target coverage
}

st_release() {
  configure_build build-release -DCMAKE_BUILD_TYPE=Release -DVPCI_SANITIZE=OFF -DVPCI_COVERAGE=OFF -DBUILD_TESTING=OFF
}

st_consumer() {
  st_release
  "$ROOT/scripts/consumer.sh" build-release
}

st_bench() {
  local b name rc found=0
  st_release
  for b in build-release/bench_*; do
    if [ ! -f "$b" ] || [ ! -x "$b" ]; then continue; fi
    found=1
    name=$(basename "$b")
    echo "--- $name"
    set +e
    timeout "$BENCH_TIMEOUT" "$b"
    rc=$?
    set -e
    if [ "$rc" -eq 124 ]; then
      echo "bench: $name did not finish within ${BENCH_TIMEOUT} s (stopped; timing is not a failure)"
    elif [ "$rc" -ne 0 ]; then
      echo "bench: $name exited with status $rc" >&2
      return 1
    fi
  done
  [ "$found" = 1 ] || echo "bench: no benchmarks built (bench/bench_*.c)"
}

stage deps     ""                 st_deps
if [ "${VPCI_SKIP_QEMU:-0}" != 1 ]; then
  export VPCI_REQUIRE_QEMU=1
fi
stage qemu     VPCI_SKIP_QEMU     st_qemu
stage unit     ""                 st_unit
stage memcheck VPCI_SKIP_MEMCHECK st_memcheck
stage asan     VPCI_SKIP_ASAN     st_asan
stage coverage VPCI_SKIP_COVERAGE st_coverage
stage consumer VPCI_SKIP_CONSUMER st_consumer
stage bench    VPCI_SKIP_BENCH    st_bench
summary
[ "$failed" -eq 0 ]
