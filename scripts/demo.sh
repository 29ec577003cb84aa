#!/usr/bin/env bash
# THE main-job command (README): install dependencies, build libvpci in
# build/, then run the main program and exit with its status.
#   - build/vpci-host demo   once the mock host exists (mockhost/main.c)
#   - build/vpci-quickstart  until then (examples/quickstart.c): builds a
#     device through the public API and exercises it
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=$(nproc 2>/dev/null || echo 2)

"$ROOT/scripts/deps.sh"

echo "demo: building libvpci in build/"
mkdir -p build
cmake -S "$ROOT" -B build -DCMAKE_BUILD_TYPE=Debug -DVPCI_SANITIZE=OFF -DVPCI_COVERAGE=OFF >build/.demo-configure.log 2>&1 \
  || { cat build/.demo-configure.log >&2; echo "demo: cmake configure failed" >&2; exit 1; }
cmake --build build -j "$JOBS" >build/.demo-build.log 2>&1 \
  || { cat build/.demo-build.log >&2; echo "demo: build failed" >&2; exit 1; }

if [ -x build/vpci-host ]; then
  cmd=(build/vpci-host demo)
elif [ -x build/vpci-quickstart ]; then
  cmd=(build/vpci-quickstart)
else
  echo "demo: neither build/vpci-host nor build/vpci-quickstart was built" >&2
  exit 1
fi
echo "demo: running ${cmd[*]}"
echo
exec "${cmd[@]}"
