#!/usr/bin/env bash
# guest/run-guest.sh: boot Debian 12's own kernel in our QEMU with
# libvpci's virt-pci model (-device vpci-virt-pci), load our Linux driver
# (guest/driver/vpci_virt.ko) and run the sample app (guest/app/vpci-app).
#
# usage: guest/run-guest.sh [--arch ARCH] [--mode MODE]... [--prepare] [-h]
#
#   --arch ARCH  x86_64 (default): qemu-system-x86_64 -machine q35, the
#                amd64 kernel; arm64: qemu-system-aarch64 -machine virt
#                (GICv2 with GICv2m for MSI), the arm64 kernel, module
#                and app cross-built with aarch64-linux-gnu-gcc
#   --mode MODE  which boots to run (repeatable; default: all four of ARCH)
#                  intx   one vpci-virt-pci, INTx (the seed's identity)
#                  msi    one vpci-virt-pci,msi=on
#                  multi  two devices: a conventional one (INTx) and a PCIe
#                         one behind a pcie-root-port with MSI-X
#                         (pcie=on,msix=on): /dev/vpci0 and /dev/vpci1;
#                         two CPUs
#                x86_64 only:
#                  iommu  intel-iommu + intel_iommu=on, vpci-virt-pci,msi=on:
#                         DMA through IOVAs, MSI through interrupt remapping,
#                         and a DMA the IOMMU blocks (ERR_SRC, EIO)
#                arm64 only:
#                  smmu   -machine virt,iommu=smmuv3, vpci-virt-pci,msi=on:
#                         DMA through IOVAs of the kernel's arm-smmu-v3
#                         driver, MSI through the SMMU, and a DMA the SMMU
#                         blocks (ERR_SRC, EIO, an event in dmesg)
#   --prepare    fetch and build everything, boot nothing
#
# Everything comes from Debian's mirror (apt): the kernel that
# linux-image-amd64 (linux-image-arm64) depends on (its exact version), the
# matching linux-headers and linux-kbuild packages (unpacked, not
# installed, to build the module out of tree) and busybox-static for the
# initramfs.  The arm64 packages are resolved and fetched with a private
# apt state in the cache (the system's apt sources, its architectures
# untouched); linux-kbuild is the host's own architecture, since its tools
# run on the host.  Host packages that are missing (gcc-12 for the module,
# gcc/libc6-dev for the static app, make; for arm64 the cross compiler
# gcc-12-aarch64-linux-gnu and libc6-dev-arm64-cross) are installed with
# apt-get, as root or through sudo.
#
# Environment:
#   VPCI_CACHE          cache root (default ~/.cache/vpci); this script
#                       uses VPCI_CACHE/guest (arm64: VPCI_CACHE/guest/arm64,
#                       the .debs shared in VPCI_CACHE/guest/debs)
#   QEMU                qemu-system-x86_64 (qemu-system-aarch64) to use
#                       (default: adapters/qemu/build-qemu.sh --print-path)
#   VPCI_GUEST_ACCEL    tcg (default), kvm, or auto (kvm when the host is
#                       of ARCH, x86_64 with vmx/svm in /proc/cpuinfo, and
#                       /dev/kvm is usable)
#   VPCI_GUEST_KERNEL   kernel ABI to use, e.g. 6.1.0-57-amd64 (default:
#                       what linux-image-amd64/-arm64 depends on)
#   VPCI_GUEST_TIMEOUT  seconds per boot before QEMU is killed (default 240)
#   VPCI_GUEST_APPEND   more kernel command line (e.g. dyndbg="module vpci_virt +p")
#   VPCI_REQUIRE_QEMU   if set (not 0), a missing QEMU is built with
#                       build-qemu.sh instead of skipping
#
# Exit status: 0 every boot passed, 1 a failure, 2 usage, 77 skipped (no
# QEMU with vpci-virt-pci and VPCI_REQUIRE_QEMU unset).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
CACHE=${VPCI_CACHE:-$HOME/.cache/vpci}
G=$CACHE/guest
ACCEL=${VPCI_GUEST_ACCEL:-tcg}
BOOT_TIMEOUT=${VPCI_GUEST_TIMEOUT:-240}
ARCH=x86_64
modes=()
PREPARE_ONLY=0

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
usage_error() { printf 'run-guest: %s\n' "$*" >&2; usage >&2; exit 2; }
log() { printf 'run-guest: %s\n' "$*" >&2; }
die() { printf 'run-guest: %s\n' "$*" >&2; exit 1; }
require_qemu() { [[ -n ${VPCI_REQUIRE_QEMU:-} && ${VPCI_REQUIRE_QEMU} != 0 ]]; }
t0=$SECONDS

while [[ $# -gt 0 ]]; do
    case $1 in
        --arch) [[ $# -ge 2 ]] || { usage >&2; exit 2; }
                ARCH=$2; shift 2 ;;
        --mode) [[ $# -ge 2 ]] || { usage >&2; exit 2; }
                modes+=("$2"); shift 2 ;;
        --prepare) PREPARE_ONLY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

# Per architecture: the boots, QEMU's target, Debian's architecture, the
# GNU triplet (cross compiler) and the kernel's ARCH.
case $ARCH in
    x86_64) ALL_MODES=(intx msi multi iommu); QEMU_TARGET=x86_64
            DEB_ARCH=amd64; GNU_TYPE=x86_64-linux-gnu; KARCH=x86 ;;
    arm64)  ALL_MODES=(intx msi multi smmu); QEMU_TARGET=aarch64
            DEB_ARCH=arm64; GNU_TYPE=aarch64-linux-gnu; KARCH=arm64 ;;
    *) usage_error "--arch: unknown architecture '$ARCH' (x86_64 or arm64)" ;;
esac
selected=()
for m in "${modes[@]:-all}"; do
    if [[ $m == all ]]; then selected+=("${ALL_MODES[@]}"); continue; fi
    [[ " ${ALL_MODES[*]} " == *" $m "* ]] ||
        usage_error "--mode: unknown mode '$m' for --arch $ARCH (${ALL_MODES[*]})"
    selected+=("$m")
done
modes=("${selected[@]}")

# ---------------------------------------------------------------- QEMU
# (checked first: without it the test is skipped before anything is fetched)
find_qemu() {
    if [[ -n ${QEMU:-} ]]; then
        [[ -x $QEMU ]]
        return
    fi
    QEMU=$("$root/adapters/qemu/build-qemu.sh" --print-path "$QEMU_TARGET" 2>/dev/null) && [[ -x $QEMU ]]
}
check_qemu() {
    if ! find_qemu; then
        if ! require_qemu; then
            echo "run-guest: SKIP: no qemu-system-$QEMU_TARGET with the vpci adapter (run adapters/qemu/build-qemu.sh, or set QEMU=...)"
            exit 77
        fi
        [[ -z ${QEMU:-} ]] || die "$QEMU is not executable and VPCI_REQUIRE_QEMU is set"
        log "building QEMU (VPCI_REQUIRE_QEMU is set)"
        if command -v flock >/dev/null; then
            flock /tmp/vpci-qemu.lock "$root/adapters/qemu/build-qemu.sh" >&2 || die "build-qemu.sh failed"
        else
            "$root/adapters/qemu/build-qemu.sh" >&2 || die "build-qemu.sh failed"
        fi
        find_qemu || die "build-qemu.sh ran but --print-path finds no QEMU"
    fi
    qemu_devices=$("$QEMU" -device help 2>/dev/null || true)
    if ! grep -qF 'name "vpci-virt-pci"' <<<"$qemu_devices"; then
        require_qemu && die "$QEMU has no device vpci-virt-pci and VPCI_REQUIRE_QEMU is set"
        echo "run-guest: SKIP: $QEMU has no device vpci-virt-pci (build it with adapters/qemu/build-qemu.sh)"
        exit 77
    fi
}
[[ $PREPARE_ONLY -eq 1 ]] || check_qemu

# ---------------------------------------------------------------- host packages
APT_SANDBOX=
if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
    APT_SANDBOX=1
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    SUDO=(false)
fi
apt_root() {
    [[ ${SUDO[0]:-} != false ]] || die "need root (or sudo) for: apt-get $*"
    # another apt on the machine: wait for its lock instead of failing
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}
APT_UPDATED=0
apt_update_once() {
    [[ $APT_UPDATED -eq 1 ]] && return 0
    log "apt-get update"
    apt_root update -qq
    APT_UPDATED=1
}
install_missing() {
    local p missing=()
    for p in "$@"; do
        [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) == "install ok installed" ]] ||
            missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    log "installing ${missing[*]}"
    apt_update_once
    apt_root install -y -qq --no-install-recommends "${missing[@]}"
}

# ---------------------------------------------------------------- Debian packages
# The host's Debian architecture (linux-kbuild's tools run here); a guest
# of another one has its own work directory, a cross compiler and a
# private apt state.  The .debs are shared (their names carry the arch).
BUILD_ARCH=$(dpkg --print-architecture)
W=$G
[[ $ARCH == x86_64 ]] || W=$G/$ARCH
CROSS=
DEB_APT=()
if [[ $DEB_ARCH != "$BUILD_ARCH" ]]; then
    CROSS=$GNU_TYPE-
    # Lists of both architectures in $W/apt, from the system's sources;
    # the system's own state (architectures, lists, dpkg status) is left
    # alone, and no root is needed.
    A=$W/apt
    mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
    touch "$A/status"
    DEB_APT=(-o "APT::Architecture=$DEB_ARCH" -o "APT::Architectures::=$DEB_ARCH"
             -o "APT::Architectures::=$BUILD_ARCH" -o "Dir::State::Lists=$A/lists"
             -o "Dir::Cache=$A/cache" -o "Dir::State::status=$A/status"
             -o Acquire::IndexTargets::deb-src::Sources::DefaultEnabled=false)
fi
# apt-get update of the lists the packages come from (the system's, or
# the private ones)
DEB_UPDATED=0
deb_update_once() {
    [[ $DEB_UPDATED -eq 1 ]] && return 0
    if [[ ${#DEB_APT[@]} -eq 0 ]]; then
        apt_update_once
    else
        log "apt-get update ($DEB_ARCH and $BUILD_ARCH lists in $A)"
        # as root, apt's _apt sandbox user could not write the lists dir
        apt-get "${DEB_APT[@]}" ${APT_SANDBOX:+-o APT::Sandbox::User=root} -qq update >&2 ||
            die "apt-get update of $A failed"
        touch "$A/updated"
    fi
    DEB_UPDATED=1
}

# "PACKAGE VERSION DEPENDS..." of each package's candidate, one line each
# (one apt-cache call: each takes about a second when apt keeps no
# pkgcache.bin, as in Debian's container images).
apt_candidates() {
    apt-cache "${DEB_APT[@]}" show --no-all-versions "$@" 2>/dev/null | awk '
        /^Package: / { p = $2 }
        /^Version: / { v = $2 }
        /^Depends: / { d = substr($0, 10); gsub(/\([^)]*\)/, "", d); gsub(/[,|]/, " ", d) }
        /^$/ { if (p != "") print p, v, d; p = v = d = "" }
        END { if (p != "") print p, v, d }'
}
field() { awk -v p="$1" -v n="$2" '$1 == p { print $n; exit }' <<<"$3"; }

# Download PKG:ARCH=VERSION (ARCH all: PKG=VERSION) into $G/debs once;
# prints the .deb's path.
fetch_deb() {
    local pkg=$1 ver=$2 arch=$3 spec=$1 deb
    [[ $arch == all ]] || spec+=":$arch"
    spec+="=$ver"
    mkdir -p "$G/debs"
    deb=$(find "$G/debs" -name "${pkg}_*${ver#*:}_$arch.deb" | head -n1)
    if [[ -z $deb ]]; then
        log "apt-get download $spec"
        # as root, apt's _apt sandbox user could not write the cache dir
        (cd "$G/debs" && apt-get "${DEB_APT[@]}" download -q ${APT_SANDBOX:+-o APT::Sandbox::User=root} "$spec" >&2) ||
            die "apt-get download $spec failed"
        deb=$(find "$G/debs" -name "${pkg}_*${ver#*:}_$arch.deb" | head -n1)
        [[ -n $deb ]] || die "apt-get download $spec left no .deb in $G/debs"
    fi
    printf '%s\n' "$deb"
}

# Which packages: resolved from apt's lists, remembered in $W/resolved.env
# until the lists (or VPCI_GUEST_KERNEL) change.
mkdir -p "$W"
# One run at a time per cache (ctest and a run by hand would share it).
if command -v flock >/dev/null; then
    exec 9>"$G/.lock"
    flock 9
fi
resolve() {
    local c img hdr meta=linux-image-$DEB_ARCH
    c=$(apt_candidates "$meta" busybox-static)
    if [[ -z $(field "$meta" 2 "$c") || -z $(field busybox-static 2 "$c") ]]; then
        deb_update_once
        c=$(apt_candidates "$meta" busybox-static)
    fi
    BBVER=$(field busybox-static 2 "$c")
    [[ -n $BBVER ]] || die "no busybox-static in apt's lists"
    ABI=${VPCI_GUEST_KERNEL:-}
    if [[ -z $ABI ]]; then
        img=$(awk -v p="$meta" '$1 == p { for (i = 3; i <= NF; i++) if ($i ~ /^linux-image-/) { print $i; exit } }' <<<"$c")
        [[ -n $img ]] || die "cannot resolve $meta's kernel (apt-cache show $meta)"
        ABI=${img#linux-image-}
    fi
    c=$(apt_candidates "linux-image-$ABI" "linux-headers-$ABI")
    KVER=$(field "linux-image-$ABI" 2 "$c")
    HVER=$(field "linux-headers-$ABI" 2 "$c")
    [[ -n $KVER && -n $HVER ]] || die "no linux-image-$ABI / linux-headers-$ABI in apt's lists"
    # the headers' dependencies: the -common headers, kbuild, the compiler
    # (amd64: linux-compiler-gcc-12-x86, arm64: gcc-12)
    hdr=$(awk -v p="linux-headers-$ABI" '$1 == p { for (i = 3; i <= NF; i++) print $i }' <<<"$c")
    COMMON=$(grep -m1 '^linux-headers-.*-common$' <<<"$hdr" || true)
    KBUILD=$(grep -m1 '^linux-kbuild-' <<<"$hdr" || true)
    [[ -n $COMMON && -n $KBUILD ]] || die "cannot resolve linux-headers-$ABI's dependencies"
    GCC_MAJOR=12
    [[ $(grep -m1 -E '^(linux-compiler-)?gcc-[0-9]+' <<<"$hdr" || true) =~ ^(linux-compiler-)?gcc-([0-9]+) ]] &&
        GCC_MAJOR=${BASH_REMATCH[2]}
    # kbuild of the host's architecture: its fixdep and modpost run here
    c=$(apt_candidates "$COMMON" "$KBUILD:$BUILD_ARCH")
    COMMON_VER=$(field "$COMMON" 2 "$c")
    KBUILD_VER=$(field "$KBUILD" 2 "$c")
    [[ -n $COMMON_VER && -n $KBUILD_VER ]] || die "no $COMMON / $KBUILD:$BUILD_ARCH in apt's lists"
}
deb_lists=/var/lib/apt/lists
if [[ ${#DEB_APT[@]} -gt 0 ]]; then
    deb_lists=$A/lists
    # The private lists follow the system's: refreshed when they are older
    # (so a kernel the mirror has since dropped is not asked for).
    if [[ ! -f $A/updated ]] ||
       [[ -n $(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -newer "$A/updated" -print -quit 2>/dev/null) ]]; then
        deb_update_once
    fi
fi
lists_key() {
    { echo "${VPCI_GUEST_KERNEL:-}"
      find "$deb_lists" -maxdepth 1 -name '*_Packages*' -printf '%f %T@ %s\n' 2>/dev/null | LC_ALL=C sort
    } | cksum | cut -d' ' -f1
}
lists_key=$(lists_key)
resolved_vars=(ABI KVER HVER COMMON COMMON_VER KBUILD KBUILD_VER GCC_MAJOR BBVER)
if [[ -f $W/resolved.env ]] && grep -qx "LISTS_KEY=$lists_key" "$W/resolved.env"; then
    # shellcheck disable=SC1091
    . "$W/resolved.env"
else
    resolve
    { echo "LISTS_KEY=$lists_key"; for v in "${resolved_vars[@]}"; do printf '%s=%q\n' "$v" "${!v}"; done; } >"$W/resolved.env"
    # apt-get update (if it ran) changed the lists: key on the new ones
    if [[ $DEB_UPDATED -eq 1 ]]; then
        lists_key=$(lists_key)
        sed -i "1s/.*/LISTS_KEY=$lists_key/" "$W/resolved.env"
    fi
fi
KROOT=$W/kernel-$ABI-$KVER
KDIR=$KROOT/usr/src/linux-headers-$ABI
VMLINUZ=$KROOT/boot/vmlinuz-$ABI

if [[ -z $CROSS ]]; then
    install_missing make gcc libc6-dev linux-libc-dev "gcc-$GCC_MAJOR" gzip
else
    # Debian's cross compiler (the same gcc major as the kernel's) and
    # the target's libc for the static app
    install_missing make gzip "gcc-$GCC_MAJOR-${GNU_TYPE//_/-}" "libc6-dev-$DEB_ARCH-cross"
fi

if [[ ! -f $KROOT/.vpci-unpacked ]]; then
    log "kernel $ABI ($KVER): fetching linux-image, linux-headers, $COMMON, $KBUILD:$BUILD_ARCH"
    debs=()
    debs+=("$(fetch_deb "linux-image-$ABI" "$KVER" "$DEB_ARCH")")
    debs+=("$(fetch_deb "linux-headers-$ABI" "$HVER" "$DEB_ARCH")")
    debs+=("$(fetch_deb "$COMMON" "$COMMON_VER" all)")
    debs+=("$(fetch_deb "$KBUILD" "$KBUILD_VER" "$BUILD_ARCH")")
    rm -rf "$KROOT"
    mkdir -p "$KROOT"
    # Of the image only /boot: none of its 400 MB of modules is needed
    # (PCI, MSI, the IOMMU, the console and devtmpfs are built in: amd64
    # with intel-iommu and the 8250, arm64 with pci-host-generic, GICv2m,
    # arm-smmu-v3 and the PL011).
    dpkg-deb --fsys-tarfile "${debs[0]}" | tar -x -C "$KROOT" ./boot
    for d in "${debs[@]:1}"; do
        dpkg-deb -x "$d" "$KROOT"
    done
    # The arch headers' Makefile includes the -common tree by absolute path.
    sed -i "s|^include /usr/src/|include $KROOT/usr/src/|" "$KDIR/Makefile"
    [[ -f $VMLINUZ && -f $KDIR/Makefile ]] || die "unpacked kernel packages lack vmlinuz or headers"
    touch "$KROOT/.vpci-unpacked"
fi

BBROOT=$W/busybox-${BBVER//:/_}
if [[ ! -f $BBROOT/.vpci-unpacked ]]; then
    deb=$(fetch_deb busybox-static "$BBVER" "$DEB_ARCH")
    rm -rf "$BBROOT"
    mkdir -p "$BBROOT"
    dpkg-deb -x "$deb" "$BBROOT"
    [[ -x $BBROOT/bin/busybox ]] || die "busybox-static has no bin/busybox"
    touch "$BBROOT/.vpci-unpacked"
fi
BUSYBOX=$BBROOT/bin/busybox

# ---------------------------------------------------------------- builds
# The module, out of tree, in a copy of guest/driver (cp -p keeps the
# mtimes, so make rebuilds only what changed).  Cross: ARCH and
# CROSS_COMPILE on make's command line; Debian's headers then compile with
# $(CROSS_COMPILE)gcc-12 (their .kernelvariables), and their scripts/ link
# points into the host-arch linux-kbuild unpacked beside them.
B=$W/build/$ABI
mkdir -p "$B/driver"
cp -p "$here/driver/vpci_virt.c" "$here/driver/vpci_virt_uapi.h" "$here/driver/Makefile" "$B/driver/"
KO=$B/driver/vpci_virt.ko
if [[ ! -f $KO || $B/driver/vpci_virt.c -nt $KO || $B/driver/vpci_virt_uapi.h -nt $KO ||
      $B/driver/Makefile -nt $KO ]]; then
    log "building vpci_virt.ko against linux-headers-$ABI${CROSS:+ (CROSS_COMPILE=$CROSS)}"
    make -s -C "$B/driver" KDIR="$KDIR" ${CROSS:+ARCH=$KARCH CROSS_COMPILE=$CROSS} >"$B/driver.log" 2>&1 ||
        { cat "$B/driver.log" >&2; die "module build failed"; }
    grep -v -e '^Skipping BTF generation' "$B/driver.log" >&2 || true
    [[ -f $KO ]] || die "no $KO"
fi

make -s -C "$here/app" O="$W/build" ${CROSS:+CC=${CROSS}gcc-$GCC_MAJOR} CFLAGS="-O2" >&2 || die "app build failed"
APP=$W/build/vpci-app

# ---------------------------------------------------------------- initramfs
# A cpio newc archive written here, entry by entry (no cpio tool needed,
# and the target's busybox need not run on the host; the /dev/console node
# needs no root), gzip.
newc_header() { printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' "$@"; }
newc_ino=0
# NAME MODE [FILE [RDEV_MAJOR RDEV_MINOR]]: header, name and FILE's bytes,
# each padded to 4 bytes
newc_entry() {
    local name=$1 mode=$2 file=${3:-} size=0
    [[ -z $file ]] || size=$(stat -c %s "$file")
    newc_ino=$((newc_ino + 1))
    newc_header "$newc_ino" "$mode" 0 0 1 0 "$size" 0 0 "${4:-0}" "${5:-0}" $((${#name} + 1)) 0
    printf '%s\0' "$name"
    head -c $(((4 - (110 + ${#name} + 1) % 4) % 4)) /dev/zero
    if [[ -n $file ]]; then
        cat "$file"
        head -c $(((4 - size % 4) % 4)) /dev/zero
    fi
}
INITRD=$W/build/initramfs-$ABI.cpio.gz
{
    for d in bin dev proc sys tmp lib lib/modules; do
        newc_entry "$d" $((8#40755))
    done
    newc_entry dev/console $((8#20600)) "" 5 1
    newc_entry bin/busybox $((8#100755)) "$BUSYBOX"
    newc_entry bin/vpci-app $((8#100755)) "$APP"
    newc_entry lib/modules/vpci_virt.ko $((8#100644)) "$KO"
    newc_entry init $((8#100755)) "$here/init.sh"
    newc_entry 'TRAILER!!!' 0
} | gzip -6 >"$INITRD.tmp"
mv "$INITRD.tmp" "$INITRD"
log "prepared in $((SECONDS - t0)) s: kernel $ABI ($KVER), busybox $BBVER, $(du -k "$INITRD" | cut -f1) KiB initramfs"
[[ $PREPARE_ONLY -eq 1 ]] && { echo "run-guest: prepared (--prepare): $VMLINUZ $INITRD"; exit 0; }

# ---------------------------------------------------------------- boots
# KVM only for a guest of the host's own architecture.
accel_args=(-accel tcg)
KVM=0
case $ACCEL in
    tcg) ;;
    kvm) [[ $(uname -m) == "$QEMU_TARGET" ]] || die "VPCI_GUEST_ACCEL=kvm: the host is $(uname -m), the guest $QEMU_TARGET"
         KVM=1 ;;
    auto) if [[ $(uname -m) == "$QEMU_TARGET" && -r /dev/kvm && -w /dev/kvm ]] &&
             { [[ $ARCH != x86_64 ]] || grep -qwE 'vmx|svm' /proc/cpuinfo; }; then
              KVM=1
          fi ;;
    *) die "VPCI_GUEST_ACCEL: tcg, kvm or auto, not '$ACCEL'" ;;
esac
# x86_64: q35 and the 8250; arm64: virt with its default GICv2 (MSI through
# GICv2m) and the PL011.  cortex-a72 boots faster under TCG than max,
# whose pointer authentication TCG emulates at a cost.  With KVM on arm64
# the host's GIC (v3: MSI through the ITS).
case $ARCH in
    x86_64) base_machine=q35; console=ttyS0
            [[ $KVM -eq 1 ]] && accel_args=(-accel kvm -cpu host) ;;
    arm64)  base_machine=virt; console=ttyAMA0
            accel_args+=(-cpu cortex-a72)
            [[ $KVM -eq 1 ]] && { base_machine=virt,gic-version=host; accel_args=(-accel kvm -cpu host); } ;;
esac

# arm-smmu-v3's events in a boot's log, one line each: "ID BDF read|write
# ADDRESS".  The driver prints "event 0xID received:" and the record's
# four 64-bit words: word 0 holds the StreamID (the requester ID) in bits
# 63:32, word 1 RnW in bit 35, word 2 the input address.
smmu_events() {
    local line w=() sid rnw
    while IFS= read -r line; do
        if [[ $line =~ event\ (0x[0-9a-f]+)\ received ]]; then
            w=("${BASH_REMATCH[1]}")
        elif [[ ${#w[@]} -gt 0 && $line =~ [[:space:]](0x[0-9a-f]{16})$ ]]; then
            w+=("${BASH_REMATCH[1]}")
            [[ ${#w[@]} -eq 5 ]] || continue
            sid=$(((w[1] >> 32) & 0xffffffff))
            rnw='write'
            (((w[2] >> 35) & 1)) && rnw='read'
            printf '%s %02x:%02x.%x %s 0x%x\n' "${w[0]}" $((sid >> 8)) $(((sid >> 3) & 31)) $((sid & 7)) \
                "$rnw" $((w[3]))
            w=()
        fi
    done < <(grep -a '^VPCI-GUEST-SMMU-FAULT: ' "$1")
}
# the marker init.sh gives the faults of this architecture's IOMMU driver
case $ARCH in x86_64) fault_tag=DMAR ;; arm64) fault_tag=SMMU ;; esac

mkdir -p "$W/logs"
failed=()
passed=()
for mode in "${modes[@]}"; do
    machine=$base_machine
    # slub_debug: poisoned and red-zoned slab objects, so that a use after
    # free in the driver (open file vs. unbind) is reported, not silent
    append="console=$console panic=-1 quiet slub_debug=FZPU"
    devs=()
    ndev=1
    translated=0    # the device behind a translating IOMMU
    # shellcheck disable=SC2054   # the commas are QEMU's
    case $mode in
        intx)  devs=(-device vpci-virt-pci); app="/dev/vpci0:intx" ;;
        msi)   devs=(-device vpci-virt-pci,msi=on); app="/dev/vpci0:msi" ;;
        multi) devs=(-smp 2 -device vpci-virt-pci
                     -device pcie-root-port,id=rp1,chassis=1,slot=1
                     -device vpci-virt-pci,bus=rp1,pcie=on,msix=on)
               app="/dev/vpci0:intx,/dev/vpci1:msix"; ndev=2 ;;
        iommu) if ! grep -qF 'name "intel-iommu"' <<<"$qemu_devices"; then
                   echo "run-guest: [$mode] SKIP: $QEMU has no intel-iommu"
                   continue
               fi
               [[ $KVM -eq 1 ]] && machine=q35,kernel-irqchip=split
               devs=(-device intel-iommu,intremap=on -device vpci-virt-pci,msi=on)
               append+=" intel_iommu=on"; app="/dev/vpci0:msi"; translated=1 ;;
        smmu)  machine+=,iommu=smmuv3
               devs=(-device vpci-virt-pci,msi=on); app="/dev/vpci0:msi"; translated=1 ;;
    esac
    append+="${VPCI_GUEST_APPEND:+ $VPCI_GUEST_APPEND} vpci_app=$app"
    out=$W/logs/$mode.log
    cmd=("$QEMU" -machine "$machine" "${accel_args[@]}" -m 512M -nographic -no-reboot -nic none
         -kernel "$VMLINUZ" -initrd "$INITRD" -append "$append" "${devs[@]}")
    echo "run-guest: [$mode] ${cmd[*]}"
    b0=$SECONDS
    rc=0
    timeout -k 10 "$BOOT_TIMEOUT" "${cmd[@]}" </dev/null 2>&1 | tr -d '\r' >"$out" || rc=$?
    dt=$((SECONDS - b0))
    # The guest's own lines (the kernel's are left in the log).
    grep -aE '^(VPCI-GUEST|PASS|FAIL|SKIP|vpci-app:|  )' "$out" | sed "s/^/  [$mode] /" || true
    events=""
    if [[ $ARCH == arm64 ]]; then
        events=$(smmu_events "$out")
        [[ -z $events ]] || while read -r e; do echo "  [$mode] smmu event $e"; done <<<"$events"
    fi
    why=""
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then
        why="QEMU killed by the timeout (VPCI_GUEST_TIMEOUT=${BOOT_TIMEOUT} s)"
    elif ! grep -aq '^VPCI-GUEST-RESULT rc=0$' "$out"; then
        why="no 'VPCI-GUEST-RESULT rc=0' (qemu exit $rc)"
    elif ! grep -aqE "^vpci-app: SUMMARY [0-9]+ passed, 0 failed, [0-9]+ skipped on $ndev devices?: ALL PASSED$" "$out"; then
        why="the app's summary is not 'ALL PASSED' on $ndev device(s)"
    elif grep -aq '^FAIL ' "$out"; then
        why="FAIL lines"
    elif [[ $translated -eq 1 ]] && ! grep -aq '^PASS vpci0 iommu-fault' "$out"; then
        why="no iommu-fault check passed"
    elif [[ $mode == iommu ]] && { ! grep -aqE 'DMAR-FAULT: .*DMA Read.*\[00:0[0-9a-f]\.0\] fault addr 0x1000' "$out" ||
                                   ! grep -aqE 'DMAR-FAULT: .*DMA Write.*\[00:0[0-9a-f]\.0\] fault addr 0x1000' "$out"; }; then
        why="the kernel's IOMMU driver did not report both blocked DMAs (read and write at 0x1000)"
    elif [[ $mode == smmu ]] && { ! grep -qxE '0x10 00:0[0-9a-f]\.0 read 0x1000' <<<"$events" ||
                                  ! grep -qxE '0x10 00:0[0-9a-f]\.0 write 0x1000' <<<"$events"; }; then
        why="the kernel's arm-smmu-v3 driver did not report both blocked DMAs (F_TRANSLATION events 0x10, read and write at 0x1000)"
    elif [[ $translated -eq 0 ]] && grep -aq "$fault_tag-FAULT" "$out"; then
        why="unexpected $fault_tag faults"
    fi
    if [[ -z $why ]]; then
        echo "run-guest: [$mode] PASS in $dt s (log: $out)"
        passed+=("$mode")
    else
        echo "run-guest: [$mode] FAIL: $why, after $dt s (log: $out)"
        tail -n 30 "$out" | sed "s/^/  [$mode] | /"
        failed+=("$mode")
    fi
done

echo "run-guest: ${#passed[@]} passed (${passed[*]:-}), ${#failed[@]} failed (${failed[*]:-}) in $((SECONDS - t0)) s, kernel $ABI ($KVER), accel $([[ $KVM -eq 1 ]] && echo kvm || echo tcg)"
[[ ${#failed[@]} -eq 0 ]]
