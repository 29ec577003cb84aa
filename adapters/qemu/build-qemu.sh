#!/usr/bin/env bash
# Build a qtest-capable qemu-system-* with libvpci's QEMU adapter in it.
#
# Debian's packaged qemu-system-x86 lacks the qtest accelerator, so this
# script builds QEMU itself: by default Debian's own QEMU source
# (`apt-get source qemu`, 7.2+dfsg on Debian 12, Debian patches applied),
# or the tree named by QEMU_SRC.  It adds the adapter (adapters/qemu/device,
# one QEMU device type "vpci-<model>" per libvpci model) and links libvpci,
# built by CMake as a static PIC library.  The build is minimal (TCG, KVM,
# qtest, system libfdt, slirp; no docs, tools, UIs) and incremental:
# re-running with nothing changed does no work; a change in libvpci rebuilds
# libvpci.a and relinks QEMU; a change in the adapter recompiles it.
#
# Usage:  build-qemu.sh [--print-path [ARCH] | --help]
#
# Environment:
#   VPCI_CACHE    cache root                    [$HOME/.cache/vpci]
#   QEMU_SRC      use this QEMU source tree instead of `apt-get source qemu`
#                 (the adapter is added to it: hw/misc/vpci symlink and one
#                 line each in hw/misc/meson.build and hw/misc/Kconfig)
#   QEMU_TARGETS  space-separated softmmu targets
#                 ["x86_64-softmmu aarch64-softmmu"]
#
# Layout under $VPCI_CACHE:
#   qemu-src/               Debian source package, unpacked (qemu-<version>/)
#   qemu-build/             build dir for the Debian source
#   qemu-build-<hash>/      build dir for QEMU_SRC (hash of its real path)
#   libvpci-build/          CMake build of libvpci for QEMU (libvpci.a, PIC);
#                           <QEMU build dir>/libvpci links to it
#
# The script is a sequence of steps (install_deps, fetch_source,
# build_libvpci, add_adapter, configure_build, build, link_firmware,
# verify); main() at the bottom runs them in order.  Each step is
# idempotent.
set -euo pipefail

readonly VPCI_CACHE="${VPCI_CACHE:-$HOME/.cache/vpci}"
readonly QEMU_TARGETS="${QEMU_TARGETS:-x86_64-softmmu aarch64-softmmu}"

# This checkout: libvpci's sources and the adapter.
VPCI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
readonly VPCI_ROOT
readonly ADAPTER_DIR="$VPCI_ROOT/adapters/qemu/device"
readonly LIBVPCI_BUILD="$VPCI_CACHE/libvpci-build"

# Firmware search path compiled into the binary (same as Debian's package).
# The q35/pc machines need SeaBIOS's bios-256k.bin even under qtest; the
# Debian source ships no firmware blobs, so it comes from the seabios package.
readonly FIRMWARE_DIRS=(/usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu)

# Debian packages needed for the minimal build, and at run time: seabios
# (bios-256k.bin) and qemu-system-data (kvmvapic.bin and the other option
# ROMs Debian builds from source; 8 MB, no dependencies), and qemu-utils
# (qemu-img: tests/qemu/adapter makes the qcow2 disk HMP savevm needs; the
# build itself runs with --disable-tools).
# meson: the Debian source (+dfsg) does not bundle meson/, so configure needs
# a system meson >= 0.61.5 (Debian 12 has 1.0.1).  No flex/bison: they are
# only needed for QEMU's internal dtc, and we use the system libfdt.
# cmake builds libvpci (CMakeLists.txt needs >= 3.25; Debian 12 has 3.25.1).
readonly BUILD_PKGS=(
    gcc make ninja-build meson python3 pkg-config cmake
    libglib2.0-dev libpixman-1-dev libfdt-dev libslirp-dev zlib1g-dev
    seabios qemu-system-data qemu-utils
)

log() { printf '[build-qemu +%ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf '[build-qemu] error: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

# --- paths ------------------------------------------------------------------

SRC_CACHE="$VPCI_CACHE/qemu-src"
SRC_STAMP="$SRC_CACHE/.vpci-unpacked"     # holds the unpacked tree's path

if [[ -n "${QEMU_SRC:-}" ]]; then
    [[ -d "$QEMU_SRC" ]] || die "QEMU_SRC=$QEMU_SRC is not a directory"
    QEMU_SRC_DIR=$(cd "$QEMU_SRC" && pwd -P)
    BUILD_DIR="$VPCI_CACHE/qemu-build-$(printf '%s' "$QEMU_SRC_DIR" | sha256sum | cut -c1-12)"
else
    QEMU_SRC_DIR=""                       # known after fetch_source
    BUILD_DIR="$VPCI_CACHE/qemu-build"
fi
CONFIGURE_STAMP="$BUILD_DIR/.vpci-configure-cmd"

# qemu-system-* binary names for the requested targets.
BINARIES=()
for t in $QEMU_TARGETS; do
    [[ "$t" == *-softmmu ]] || die "QEMU_TARGETS: '$t' is not a *-softmmu target"
    BINARIES+=("qemu-system-${t%-softmmu}")
done
[[ ${#BINARIES[@]} -gt 0 ]] || die "QEMU_TARGETS is empty"

# --- steps ------------------------------------------------------------------

pkg_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

have_deb_src() {
    [[ -n "$(apt-cache showsrc qemu 2>/dev/null)" ]]
}

# Add deb-src to every deb822 stanza of the Debian sources file that has
# "Types: deb" only.
enable_deb_src() {
    local f=/etc/apt/sources.list.d/debian.sources
    [[ -f "$f" ]] || die "no deb-src for qemu and $f not found; add a deb-src entry by hand"
    log "adding deb-src to $f"
    sed -i 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb deb-src/' "$f"
}

install_deps() {
    local missing=() p need_update=0
    local pkgs=("${BUILD_PKGS[@]}")
    [[ -n "$QEMU_SRC_DIR" ]] || pkgs+=(dpkg-dev)   # apt-get source unpacks with dpkg-source
    for p in "${pkgs[@]}"; do
        pkg_installed "$p" || missing+=("$p")
    done
    local need_deb_src=0
    if [[ -z "$QEMU_SRC_DIR" && ! -f "$SRC_STAMP" ]] && ! have_deb_src; then
        need_deb_src=1
    fi
    [[ ${#missing[@]} -gt 0 || $need_deb_src -eq 1 ]] && need_update=1
    if [[ $need_update -eq 1 ]]; then
        [[ $(id -u) -eq 0 ]] ||
            die "run as root once: missing packages: ${missing[*]:-none}; deb-src for qemu needed: $need_deb_src"
        [[ $need_deb_src -eq 1 ]] && enable_deb_src
        log "apt-get update"
        apt-get update -qq
    fi
    if [[ ${#missing[@]} -gt 0 ]]; then
        log "installing: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
    if [[ -z "$QEMU_SRC_DIR" && ! -f "$SRC_STAMP" ]]; then
        have_deb_src || die "apt-cache showsrc qemu finds nothing even after adding deb-src"
    fi
}

fetch_source() {
    if [[ -n "$QEMU_SRC_DIR" ]]; then
        [[ -x "$QEMU_SRC_DIR/configure" ]] || die "$QEMU_SRC_DIR has no configure script"
        return
    fi
    if [[ -f "$SRC_STAMP" ]]; then
        QEMU_SRC_DIR=$(<"$SRC_STAMP")
        [[ -x "$QEMU_SRC_DIR/configure" ]] || die "$SRC_STAMP names $QEMU_SRC_DIR, which has no configure; delete $SRC_CACHE"
        return
    fi
    # Fresh (or interrupted) fetch: start from an empty directory.
    rm -rf "$SRC_CACHE"
    mkdir -p "$SRC_CACHE"
    log "apt-get source qemu -> $SRC_CACHE"
    # dpkg-source -x applies debian/patches (the default for 3.0 (quilt)).
    (cd "$SRC_CACHE" && apt-get source -qq qemu)
    local dirs=("$SRC_CACHE"/qemu-*/)
    [[ ${#dirs[@]} -eq 1 && -x "${dirs[0]}configure" ]] || die "unexpected apt-get source result in $SRC_CACHE"
    QEMU_SRC_DIR="${dirs[0]%/}"
    printf '%s\n' "$QEMU_SRC_DIR" > "$SRC_STAMP"
}

# libvpci as QEMU links it: a static library of position-independent code
# (QEMU is a PIE), optimised, without tests.  CMake rebuilds only what
# changed, so a change in libvpci/ gives a new libvpci.a, which ninja then
# sees as newer than qemu-system-* (meson lists it as a link input).
build_libvpci() {
    if [[ ! -f "$LIBVPCI_BUILD/CMakeCache.txt" ]] ||
       ! grep -qxF "vpci_SOURCE_DIR:STATIC=$VPCI_ROOT" "$LIBVPCI_BUILD/CMakeCache.txt"; then
        log "configuring libvpci in $LIBVPCI_BUILD"
        rm -rf "$LIBVPCI_BUILD"
        cmake -S "$VPCI_ROOT" -B "$LIBVPCI_BUILD" -G Ninja \
            -DCMAKE_BUILD_TYPE=Release \
            -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
            -DBUILD_TESTING=OFF >/dev/null
    fi
    log "libvpci.a"
    cmake --build "$LIBVPCI_BUILD" --target vpci_static -j "$(nproc)" >/dev/null ||
        die "building libvpci failed (cmake --build $LIBVPCI_BUILD --target vpci_static)"
    [[ -f "$LIBVPCI_BUILD/libvpci.a" ]] || die "no $LIBVPCI_BUILD/libvpci.a after the build"
}

# Put the adapter into the QEMU tree (the Debian source or QEMU_SRC):
#   hw/misc/vpci -> adapters/qemu/device   (a symlink: edits are picked up)
#   hw/misc/meson.build  += subdir('vpci')
#   hw/misc/Kconfig      += source vpci/Kconfig   (CONFIG_VPCI, default y
#                                                  with PCI_DEVICES)
# and point the build dir at libvpci:  <build>/libvpci -> $LIBVPCI_BUILD.
# Each edit is made only if missing.
add_adapter() {
    local misc="$QEMU_SRC_DIR/hw/misc" link
    [[ -f "$misc/meson.build" && -f "$misc/Kconfig" ]] ||
        die "$QEMU_SRC_DIR has no hw/misc/meson.build and hw/misc/Kconfig"
    link="$misc/vpci"
    if [[ -L "$link" ]]; then
        [[ "$(readlink -f "$link")" == "$ADAPTER_DIR" ]] || {
            log "relinking $link -> $ADAPTER_DIR"
            ln -sfn "$ADAPTER_DIR" "$link"
        }
    elif [[ -e "$link" ]]; then
        die "$link exists and is not a symlink; remove it or link it to $ADAPTER_DIR"
    else
        log "linking $link -> $ADAPTER_DIR"
        ln -s "$ADAPTER_DIR" "$link"
    fi
    grep -qxF "subdir('vpci')" "$misc/meson.build" ||
        printf "\n# libvpci QEMU adapter (adapters/qemu/build-qemu.sh)\nsubdir('vpci')\n" >>"$misc/meson.build"
    grep -qxF "source vpci/Kconfig" "$misc/Kconfig" ||
        printf "\n# libvpci QEMU adapter (adapters/qemu/build-qemu.sh)\nsource vpci/Kconfig\n" >>"$misc/Kconfig"
    mkdir -p "$BUILD_DIR"
    [[ "$(readlink "$BUILD_DIR/libvpci" 2>/dev/null)" == "$LIBVPCI_BUILD" ]] ||
        ln -sfn "$LIBVPCI_BUILD" "$BUILD_DIR/libvpci"
}

configure_args() {
    local fwpath
    fwpath=$(IFS=:; printf '%s' "${FIRMWARE_DIRS[*]}")
    # --without-default-features turns every "auto" feature off (gtk, sdl,
    # vnc, curses, spice, io_uring, vhost-*, ...); TCG is "enabled" by
    # default and the qtest accelerator is always built for softmmu targets.
    CONFIGURE_ARGS=(
        --target-list="$(tr -s ' ' ',' <<<"$QEMU_TARGETS" | sed 's/^,//;s/,$//')"
        --without-default-features
        --enable-tcg
        --enable-kvm
        --enable-fdt=system
        --enable-slirp
        --disable-docs
        --disable-tools
        --disable-guest-agent
        --disable-werror
        --disable-debug-info
        --disable-install-blobs
        --firmwarepath="$fwpath"
    )
}

configure_build() {
    configure_args
    local want
    want=$(printf '%q ' "$QEMU_SRC_DIR/configure" "${CONFIGURE_ARGS[@]}")
    if [[ -f "$BUILD_DIR/build.ninja" && -f "$CONFIGURE_STAMP" && "$(<"$CONFIGURE_STAMP")" == "$want" ]]; then
        return
    fi
    log "configuring in $BUILD_DIR"
    mkdir -p "$BUILD_DIR"
    rm -f "$CONFIGURE_STAMP"
    (cd "$BUILD_DIR" && "$QEMU_SRC_DIR/configure" "${CONFIGURE_ARGS[@]}")
    printf '%s' "$want" > "$CONFIGURE_STAMP"
}

build() {
    log "ninja ${BINARIES[*]}"
    ninja -C "$BUILD_DIR" -j"$(nproc)" "${BINARIES[@]}"
}

# When run from the build tree QEMU resolves its data and firmware dirs
# under <build>/qemu-bundle/ (see get_relocated_path() in util/cutils.c), so
# /usr/share/seabios is looked up as <build>/qemu-bundle/usr/share/seabios.
# Point those at the real directories so the binary finds bios-256k.bin
# without -L.
link_firmware() {
    local d link
    for d in "${FIRMWARE_DIRS[@]}"; do
        [[ -d "$d" ]] || continue
        link="$BUILD_DIR/qemu-bundle$d"
        [[ -L "$link" || -e "$link" ]] && continue
        mkdir -p "$(dirname "$link")"
        ln -s "$d" "$link"
    done
}

# qtest_session QEMU MACHINE DEVICE CMD...: start QEMU under qtest with
# -machine MACHINE -device DEVICE, send the commands (one per line) on the
# qtest channel and print the first answer line for each (QEMU's stderr goes
# to stderr).  QEMU does not exit when the qtest channel reaches EOF, so it
# is killed once the answers are in (or after 30s).
qtest_session() {
    local qemu=$1 machine=$2 device=$3; shift 3
    local tmp pid w i
    tmp=$(mktemp -d)
    mkfifo "$tmp/in"
    "$qemu" -machine "$machine" -accel qtest -qtest stdio -qtest-log none \
        -display none -nodefaults -device "$device" \
        <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    exec {w}>"$tmp/in"
    printf '%s\n' "$@" >&"$w"
    for ((i = 0; i < 300; i++)); do
        [[ $(wc -l <"$tmp/out") -ge $# ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    exec {w}>&-
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    cat "$tmp/out"
    [[ -s "$tmp/err" ]] && sed 's/^/qemu stderr: /' "$tmp/err" >&2
    rm -rf "$tmp"
}

# Check each binary: the qtest accelerator is there (7.2's "-accel help"
# does not list qtest, so use it); QEMU's edu and the adapter's vpci-edu at
# 00:01.0 both answer a config read of their IDs (vendor 0x1234, device
# 0x11e8) through ports 0xcf8/0xcfc (x86_64 q35) or ECAM (aarch64 virt,
# high ECAM at 0x40_1000_0000); `-device help` lists the vpci-* types.
verify() {
    local b qemu machine dev answers expected types
    local -a cmds
    for b in "${BINARIES[@]}"; do
        qemu="$BUILD_DIR/$b"
        case $b in
            qemu-system-x86_64)
                machine=q35
                cmds=('outl 0xcf8 0x80000800' 'inl 0xcfc')
                expected=$'OK\nOK 0x11e81234' ;;
            qemu-system-aarch64)
                machine=virt
                cmds=('readl 0x4010008000')
                expected='OK 0x0000000011e81234' ;;
            *) continue ;;
        esac
        for dev in edu vpci-edu; do
            answers=$(qtest_session "$qemu" "$machine" "$dev,addr=01.0" "${cmds[@]}") || true
            [[ "$answers" == "$expected" ]] ||
                die "$b: qtest smoke test with -device $dev failed; expected
$expected
got:
$answers"
        done
        types=$("$qemu" -device help | sed -n 's/^name "\(vpci-[^"]*\)".*/\1/p' | tr '\n' ' ')
        [[ -n "$types" ]] || die "$b: -device help lists no vpci-* device"
        log "$b: qtest smoke test OK (edu and vpci-edu at 00:01.0 read 0x11e81234); devices: $types"
    done
}

print_path() {
    local qemu="$BUILD_DIR/qemu-system-$1"
    [[ -x "$qemu" ]] || exit 1
    printf '%s\n' "$qemu"
    exit 0
}

main() {
    case "${1:-}" in
        --print-path) print_path "${2:-x86_64}" ;;
        -h|--help) usage; exit 0 ;;
        "") ;;
        *) usage >&2; exit 2 ;;
    esac
    install_deps
    fetch_source
    build_libvpci
    add_adapter
    configure_build
    build
    link_firmware
    verify
    local b
    for b in "${BINARIES[@]}"; do
        printf '%s\n' "$BUILD_DIR/$b"
    done
}

main "$@"
