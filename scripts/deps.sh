#!/usr/bin/env bash
# Install what libvpci needs to build and test, from Debian 12's packages.
# Idempotent: quiet and without network access when everything is present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libcmocka-dev libpciaccess-dev uthash-dev
  valgrind lcov pciutils
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [ "$status" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run this script as root (or install sudo), or install them yourself:" >&2
  echo "      apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: done"
