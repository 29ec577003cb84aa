#!/usr/bin/env bash
# guest/run-guest.sh: boot Debian 12's own kernel in our QEMU with
# libvpci's virt-pci model (-device vpci-virt-pci), load our Linux driver
# (guest/driver/vpci_virt.ko) and run the sample app (guest/app/vpci-app).
#
# usage: guest/run-guest.sh [--mode MODE]... [--prepare] [-h]
#
#   --mode MODE  which boots to run (repeatable; default: all four)
#                  intx   one vpci-virt-pci, INTx (the seed's identity)
#                  msi    one vpci-virt-pci,msi=on
#                  multi  two devices: a conventional one (INTx) and a PCIe
#                         one behind a pcie-root-port with MSI-X
#                         (pcie=on,msix=on): /dev/vpci0 and /dev/vpci1;
#                         two CPUs
#                  iommu  intel-iommu + intel_iommu=on, vpci-virt-pci,msi=on:
#                         DMA through IOVAs, MSI through interrupt remapping,
#                         and a DMA the IOMMU blocks (ERR_SRC, EIO)
#   --prepare    fetch and build everything, boot nothing
#
# Everything comes from Debian's mirror (apt): the kernel that
# linux-image-amd64 depends on (its exact version), the matching
# linux-headers and linux-kbuild packages (unpacked, not installed, to
# build the module out of tree) and busybox-static for the initramfs.
# Host packages that are missing (gcc-12 for the module, gcc/libc6-dev
# for the static app, make) are installed with apt-get, as root or
# through sudo.
#
# Environment:
#   VPCI_CACHE          cache root (default ~/.cache/vpci); this script
#                       uses VPCI_CACHE/guest
#   QEMU                qemu-system-x86_64 to use (default:
#                       adapters/qemu/build-qemu.sh --print-path)
#   VPCI_GUEST_ACCEL    tcg (default), kvm, or auto (kvm when /proc/cpuinfo
#                       has vmx/svm and /dev/kvm is usable)
#   VPCI_GUEST_KERNEL   kernel ABI to use, e.g. 6.1.0-57-amd64 (default:
#                       what linux-image-amd64 depends on)
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
ALL_MODES=(intx msi multi iommu)
modes=()
PREPARE_ONLY=0

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
log() { printf 'run-guest: %s\n' "$*" >&2; }
die() { printf 'run-guest: %s\n' "$*" >&2; exit 1; }
require_qemu() { [[ -n ${VPCI_REQUIRE_QEMU:-} && ${VPCI_REQUIRE_QEMU} != 0 ]]; }
t0=$SECONDS

while [[ $# -gt 0 ]]; do
    case $1 in
        --mode) [[ $# -ge 2 ]] || { usage >&2; exit 2; }
                if [[ $2 == all ]]; then modes+=("${ALL_MODES[@]}"); else modes+=("$2"); fi
                shift 2 ;;
        --prepare) PREPARE_ONLY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
[[ ${#modes[@]} -gt 0 ]] || modes=("${ALL_MODES[@]}")
for m in "${modes[@]}"; do
    case $m in intx|msi|multi|iommu) ;; *) printf "run-guest: --mode: unknown mode '%s'\n" "$m" >&2; usage >&2; exit 2 ;; esac
done

# ---------------------------------------------------------------- QEMU
# (checked first: without it the test is skipped before anything is fetched)
find_qemu() {
    if [[ -n ${QEMU:-} ]]; then
        [[ -x $QEMU ]]
        return
    fi
    QEMU=$("$root/adapters/qemu/build-qemu.sh" --print-path x86_64 2>/dev/null) && [[ -x $QEMU ]]
}
check_qemu() {
    if ! find_qemu; then
        if ! require_qemu; then
            echo "run-guest: SKIP: no qemu-system-x86_64 with the vpci adapter (run adapters/qemu/build-qemu.sh, or set QEMU=...)"
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
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@"
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
# "PACKAGE VERSION DEPENDS..." of each package's candidate, one line each
# (one apt-cache call: each takes about a second when apt keeps no
# pkgcache.bin, as in Debian's container images).
apt_candidates() {
    apt-cache show --no-all-versions "$@" 2>/dev/null | awk '
        /^Package: / { p = $2 }
        /^Version: / { v = $2 }
        /^Depends: / { d = substr($0, 10); gsub(/\([^)]*\)/, "", d); gsub(/[,|]/, " ", d) }
        /^$/ { if (p != "") print p, v, d; p = v = d = "" }
        END { if (p != "") print p, v, d }'
}
field() { awk -v p="$1" -v n="$2" '$1 == p { print $n; exit }' <<<"$3"; }

# Download PKG=VERSION into $G/debs once; prints the .deb's path.
fetch_deb() {
    local pkg=$1 ver=$2 deb
    mkdir -p "$G/debs"
    deb=$(find "$G/debs" -name "${pkg}_*${ver#*:}_*.deb" | head -n1)
    if [[ -z $deb ]]; then
        log "apt-get download $pkg=$ver"
        # as root, apt's _apt sandbox user could not write the cache dir
        (cd "$G/debs" && apt-get download -q ${APT_SANDBOX:+-o APT::Sandbox::User=root} "$pkg=$ver" >&2) ||
            die "apt-get download $pkg=$ver failed"
        deb=$(find "$G/debs" -name "${pkg}_*${ver#*:}_*.deb" | head -n1)
        [[ -n $deb ]] || die "apt-get download $pkg=$ver left no .deb in $G/debs"
    fi
    printf '%s\n' "$deb"
}

# Which packages: resolved from apt's lists, remembered in $G/resolved.env
# until the lists (or VPCI_GUEST_KERNEL) change.
mkdir -p "$G"
# One run at a time per cache (ctest and a run by hand would share it).
if command -v flock >/dev/null; then
    exec 9>"$G/.lock"
    flock 9
fi
resolve() {
    local c img hdr
    c=$(apt_candidates linux-image-amd64 busybox-static)
    if [[ -z $(field linux-image-amd64 2 "$c") || -z $(field busybox-static 2 "$c") ]]; then
        apt_update_once
        c=$(apt_candidates linux-image-amd64 busybox-static)
    fi
    BBVER=$(field busybox-static 2 "$c")
    [[ -n $BBVER ]] || die "no busybox-static in apt's lists"
    ABI=${VPCI_GUEST_KERNEL:-}
    if [[ -z $ABI ]]; then
        img=$(awk '$1 == "linux-image-amd64" { for (i = 3; i <= NF; i++) if ($i ~ /^linux-image-/) { print $i; exit } }' <<<"$c")
        [[ -n $img ]] || die "cannot resolve linux-image-amd64's kernel (apt-cache show linux-image-amd64)"
        ABI=${img#linux-image-}
    fi
    c=$(apt_candidates "linux-image-$ABI" "linux-headers-$ABI")
    KVER=$(field "linux-image-$ABI" 2 "$c")
    HVER=$(field "linux-headers-$ABI" 2 "$c")
    [[ -n $KVER && -n $HVER ]] || die "no linux-image-$ABI / linux-headers-$ABI in apt's lists"
    # the headers' dependencies: the -common headers, kbuild, the compiler
    hdr=$(awk -v p="linux-headers-$ABI" '$1 == p { for (i = 3; i <= NF; i++) print $i }' <<<"$c")
    COMMON=$(grep -m1 '^linux-headers-.*-common$' <<<"$hdr" || true)
    KBUILD=$(grep -m1 '^linux-kbuild-' <<<"$hdr" || true)
    [[ -n $COMMON && -n $KBUILD ]] || die "cannot resolve linux-headers-$ABI's dependencies"
    GCC_MAJOR=12
    [[ $(grep -m1 '^linux-compiler-gcc-' <<<"$hdr" || true) =~ ^linux-compiler-gcc-([0-9]+)- ]] &&
        GCC_MAJOR=${BASH_REMATCH[1]}
    c=$(apt_candidates "$COMMON" "$KBUILD")
    COMMON_VER=$(field "$COMMON" 2 "$c")
    KBUILD_VER=$(field "$KBUILD" 2 "$c")
    [[ -n $COMMON_VER && -n $KBUILD_VER ]] || die "no $COMMON / $KBUILD in apt's lists"
}
lists_key() {
    { echo "${VPCI_GUEST_KERNEL:-}"
      find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -printf '%f %T@ %s\n' 2>/dev/null | LC_ALL=C sort
    } | cksum | cut -d' ' -f1
}
lists_key=$(lists_key)
resolved_vars=(ABI KVER HVER COMMON COMMON_VER KBUILD KBUILD_VER GCC_MAJOR BBVER)
if [[ -f $G/resolved.env ]] && grep -qx "LISTS_KEY=$lists_key" "$G/resolved.env"; then
    # shellcheck disable=SC1091
    . "$G/resolved.env"
else
    resolve
    { echo "LISTS_KEY=$lists_key"; for v in "${resolved_vars[@]}"; do printf '%s=%q\n' "$v" "${!v}"; done; } >"$G/resolved.env"
    # apt-get update (if it ran) changed the lists: key on the new ones
    if [[ $APT_UPDATED -eq 1 ]]; then
        lists_key=$(lists_key)
        sed -i "1s/.*/LISTS_KEY=$lists_key/" "$G/resolved.env"
    fi
fi
KROOT=$G/kernel-$ABI-$KVER
KDIR=$KROOT/usr/src/linux-headers-$ABI
VMLINUZ=$KROOT/boot/vmlinuz-$ABI

install_missing make gcc libc6-dev linux-libc-dev "gcc-$GCC_MAJOR" gzip

if [[ ! -f $KROOT/.vpci-unpacked ]]; then
    log "kernel $ABI ($KVER): fetching linux-image, linux-headers, $COMMON, $KBUILD"
    debs=()
    debs+=("$(fetch_deb "linux-image-$ABI" "$KVER")")
    debs+=("$(fetch_deb "linux-headers-$ABI" "$HVER")")
    debs+=("$(fetch_deb "$COMMON" "$COMMON_VER")")
    debs+=("$(fetch_deb "$KBUILD" "$KBUILD_VER")")
    rm -rf "$KROOT"
    mkdir -p "$KROOT"
    # Of the image only /boot: none of its 400 MB of modules is needed (PCI,
    # MSI, the IOMMU, the 8250 console and devtmpfs are built in).
    dpkg-deb --fsys-tarfile "${debs[0]}" | tar -x -C "$KROOT" ./boot
    for d in "${debs[@]:1}"; do
        dpkg-deb -x "$d" "$KROOT"
    done
    # The arch headers' Makefile includes the -common tree by absolute path.
    sed -i "s|^include /usr/src/|include $KROOT/usr/src/|" "$KDIR/Makefile"
    [[ -f $VMLINUZ && -f $KDIR/Makefile ]] || die "unpacked kernel packages lack vmlinuz or headers"
    touch "$KROOT/.vpci-unpacked"
fi

BBROOT=$G/busybox-${BBVER//:/_}
if [[ ! -f $BBROOT/.vpci-unpacked ]]; then
    deb=$(fetch_deb busybox-static "$BBVER")
    rm -rf "$BBROOT"
    mkdir -p "$BBROOT"
    dpkg-deb -x "$deb" "$BBROOT"
    [[ -x $BBROOT/bin/busybox ]] || die "busybox-static has no bin/busybox"
    touch "$BBROOT/.vpci-unpacked"
fi
BUSYBOX=$BBROOT/bin/busybox

# ---------------------------------------------------------------- builds
# The module, out of tree, in a copy of guest/driver (cp -p keeps the
# mtimes, so make rebuilds only what changed).
B=$G/build/$ABI
mkdir -p "$B/driver"
cp -p "$here/driver/vpci_virt.c" "$here/driver/vpci_virt_uapi.h" "$here/driver/Makefile" "$B/driver/"
KO=$B/driver/vpci_virt.ko
if [[ ! -f $KO || $B/driver/vpci_virt.c -nt $KO || $B/driver/vpci_virt_uapi.h -nt $KO ||
      $B/driver/Makefile -nt $KO ]]; then
    log "building vpci_virt.ko against linux-headers-$ABI"
    make -s -C "$B/driver" KDIR="$KDIR" >"$B/driver.log" 2>&1 || { cat "$B/driver.log" >&2; die "module build failed"; }
    grep -v -e '^Skipping BTF generation' "$B/driver.log" >&2 || true
    [[ -f $KO ]] || die "no $KO"
fi

make -s -C "$here/app" O="$G/build" CFLAGS="-O2" >&2 || die "app build failed"
APP=$G/build/vpci-app

# ---------------------------------------------------------------- initramfs
# cpio newc (busybox cpio), plus a hand-made archive with the /dev/console
# node (cpio would need root to mknod it), gzip.
newc_header() { printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' "$@"; }
INITRD=$G/build/initramfs-$ABI.cpio.gz
stage=$G/build/initramfs
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,lib/modules}
cp "$BUSYBOX" "$stage/bin/busybox"
cp "$APP" "$stage/bin/vpci-app"
cp "$KO" "$stage/lib/modules/vpci_virt.ko"
cp "$here/init.sh" "$stage/init"
chmod 755 "$stage/init" "$stage/bin/busybox" "$stage/bin/vpci-app"
{
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null)
    newc_header 1 $((8#20600)) 0 0 1 0 0 0 0 5 1 12 0; printf 'dev/console\0\0\0'
    newc_header 0 0 0 0 1 0 0 0 0 0 0 11 0; printf 'TRAILER!!!\0\0\0\0'
} | gzip -6 >"$INITRD.tmp"
mv "$INITRD.tmp" "$INITRD"
log "prepared in $((SECONDS - t0)) s: kernel $ABI ($KVER), busybox $BBVER, $(du -k "$INITRD" | cut -f1) KiB initramfs"
[[ $PREPARE_ONLY -eq 1 ]] && { echo "run-guest: prepared (--prepare): $VMLINUZ $INITRD"; exit 0; }

# ---------------------------------------------------------------- boots
accel_args=(-accel tcg)
KVM=0
case $ACCEL in
    tcg) ;;
    kvm) KVM=1 ;;
    auto) if grep -qwE 'vmx|svm' /proc/cpuinfo && [[ -r /dev/kvm && -w /dev/kvm ]]; then KVM=1; fi ;;
    *) die "VPCI_GUEST_ACCEL: tcg, kvm or auto, not '$ACCEL'" ;;
esac
[[ $KVM -eq 1 ]] && accel_args=(-accel kvm -cpu host)

mkdir -p "$G/logs"
failed=()
passed=()
for mode in "${modes[@]}"; do
    machine=q35
    # slub_debug: poisoned and red-zoned slab objects, so that a use after
    # free in the driver (open file vs. unbind) is reported, not silent
    append="console=ttyS0 panic=-1 quiet slub_debug=FZPU"
    devs=()
    ndev=1
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
               append+=" intel_iommu=on"; app="/dev/vpci0:msi" ;;
    esac
    append+="${VPCI_GUEST_APPEND:+ $VPCI_GUEST_APPEND} vpci_app=$app"
    out=$G/logs/$mode.log
    cmd=("$QEMU" -machine "$machine" "${accel_args[@]}" -m 512M -nographic -no-reboot -nic none
         -kernel "$VMLINUZ" -initrd "$INITRD" -append "$append" "${devs[@]}")
    echo "run-guest: [$mode] ${cmd[*]}"
    b0=$SECONDS
    rc=0
    timeout -k 10 "$BOOT_TIMEOUT" "${cmd[@]}" </dev/null 2>&1 | tr -d '\r' >"$out" || rc=$?
    dt=$((SECONDS - b0))
    # The guest's own lines (the kernel's are left in the log).
    grep -aE '^(VPCI-GUEST|PASS|FAIL|SKIP|vpci-app:|  )' "$out" | sed "s/^/  [$mode] /" || true
    why=""
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then
        why="QEMU killed by the timeout (VPCI_GUEST_TIMEOUT=${BOOT_TIMEOUT} s)"
    elif ! grep -aq '^VPCI-GUEST-RESULT rc=0$' "$out"; then
        why="no 'VPCI-GUEST-RESULT rc=0' (qemu exit $rc)"
    elif ! grep -aqE "^vpci-app: SUMMARY [0-9]+ passed, 0 failed, [0-9]+ skipped on $ndev devices?: ALL PASSED$" "$out"; then
        why="the app's summary is not 'ALL PASSED' on $ndev device(s)"
    elif grep -aq '^FAIL ' "$out"; then
        why="FAIL lines"
    elif [[ $mode == iommu ]] && ! grep -aq '^PASS vpci0 iommu-fault' "$out"; then
        why="no iommu-fault check passed"
    elif [[ $mode == iommu ]] && { ! grep -aqE 'DMAR-FAULT: .*DMA Read.*\[00:0[0-9a-f]\.0\] fault addr 0x1000' "$out" ||
                                   ! grep -aqE 'DMAR-FAULT: .*DMA Write.*\[00:0[0-9a-f]\.0\] fault addr 0x1000' "$out"; }; then
        why="the kernel's IOMMU driver did not report both blocked DMAs (read and write at 0x1000)"
    elif [[ $mode != iommu ]] && grep -aq 'DMAR-FAULT' "$out"; then
        why="unexpected DMAR faults"
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
