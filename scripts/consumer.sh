#!/usr/bin/env bash
# Install libvpci from a configured build directory into a temporary prefix,
# then build and run the out-of-tree program in tests/consumer/ four ways:
#   pkg-config, shared library      gcc ... $(pkg-config --cflags --libs vpci)
#   pkg-config --static             gcc -static ... $(pkg-config --static --cflags --libs vpci)
#   find_package(vpci), vpci::vpci         (shared)
#   find_package(vpci), vpci::vpci_static  (static)
# Usage: scripts/consumer.sh [BUILD_DIR]   (default: build)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
SRC="$ROOT/tests/consumer"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vpci-consumer.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PREFIX="$WORK/prefix"

fail() { echo "consumer: FAIL: $*" >&2; exit 1; }

echo "consumer: installing $BUILD into $PREFIX"
cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" 2>&1 \
  || { cat "$WORK/install.log" >&2; fail "cmake --install failed"; }

pc=$(find "$PREFIX" -name vpci.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || fail "no vpci.pc installed"
[ -f "$PREFIX/include/vpci/vpci.h" ] || fail "no include/vpci/vpci.h installed"
cfg=$(find "$PREFIX" -name vpciConfig.cmake -path '*/cmake/vpci/*' | head -n 1)
[ -n "$cfg" ] || fail "no lib/cmake/vpci/vpciConfig.cmake installed"

PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
echo "consumer: pkg-config --cflags --libs vpci          -> $(pkg-config --cflags --libs vpci)"
echo "consumer: pkg-config --static --cflags --libs vpci -> $(pkg-config --static --cflags --libs vpci)"
libdir=$(pkg-config --variable=libdir vpci)

# needed_vpci EXE: prints the libvpci soname EXE needs, if any
needed_vpci() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(libvpci[^]]*\)\].*/\1/p'; }

check_run() { # NAME EXE shared|static
  local name=$1 exe=$2 kind=$3 out needed resolved
  needed=$(needed_vpci "$exe")
  if [ "$kind" = shared ]; then
    [ "$needed" = "libvpci.so.0" ] || fail "$name: expected NEEDED libvpci.so.0, got '${needed}'"
    resolved=$(ldd "$exe")
    grep -q "libvpci.so.0 => $libdir/" <<<"$resolved" \
      || { echo "$resolved" >&2; fail "$name: libvpci.so.0 does not resolve to $libdir"; }
  else
    [ -z "$needed" ] || fail "$name: linked dynamically against $needed"
  fi
  out=$("$exe") || fail "$name: exited with $?"
  printf '%s\n' "$out" | sed "s/^/  [$name] /"
  grep -qx 'consumer ok' <<<"$out" || fail "$name: no 'consumer ok' line"
  echo "consumer: $name ($kind) OK"
}

CFLAGS_STRICT=(-std=c11 -Wall -Wextra -Werror)

# shellcheck disable=SC2046
gcc "${CFLAGS_STRICT[@]}" "$SRC/consumer.c" -o "$WORK/pc-shared" \
    $(pkg-config --cflags --libs vpci) -Wl,-rpath,"$libdir" \
  || fail "pkg-config shared build failed"
check_run pkg-config "$WORK/pc-shared" shared

# shellcheck disable=SC2046
gcc -static "${CFLAGS_STRICT[@]}" "$SRC/consumer.c" -o "$WORK/pc-static" \
    $(pkg-config --static --cflags --libs vpci) \
  || fail "pkg-config --static build failed"
check_run pkg-config-static "$WORK/pc-static" static

for kind in shared static; do
  opt=OFF; [ "$kind" = static ] && opt=ON
  if ! { cmake -S "$SRC" -B "$WORK/cmake-$kind" -DCMAKE_PREFIX_PATH="$PREFIX" \
            -DVPCI_CONSUMER_STATIC=$opt && cmake --build "$WORK/cmake-$kind"; } \
          >"$WORK/cmake-$kind.log" 2>&1; then
    cat "$WORK/cmake-$kind.log" >&2
    fail "find_package(vpci) $kind build failed"
  fi
  check_run "find_package-$kind" "$WORK/cmake-$kind/consumer" "$kind"
done

echo "consumer: all 4 builds of the out-of-tree consumer work"
