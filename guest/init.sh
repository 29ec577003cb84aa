#!/bin/busybox sh
# /init of the test initramfs (guest/run-guest.sh packs it with busybox,
# vpci_virt.ko and vpci-app).  Kernel command line parameters it reads
# (the kernel passes unknown NAME=VALUE words to init as environment):
#   vpci_app="DEV[:MODE],..."  arguments of vpci-app (default: every /dev/vpciN)
#   vpci_rmmod=0               do not unload the driver at the end
/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo
echo "VPCI-GUEST: /init on $(uname -r) ($(grep -c ^processor /proc/cpuinfo) cpu), cmdline: $(cat /proc/cmdline)"
echo "VPCI-GUEST: PCI devices:"
for d in /sys/bus/pci/devices/*; do
	echo "  ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") class $(cat "$d/class")"
done
insmod /lib/modules/vpci_virt.ko test_hooks=1
echo "VPCI-GUEST-INSMOD rc=$?"
# the IOMMU (intel-iommu, arm-smmu-v3) and MSI controller (GICv2m) set-up
dmesg | grep -E 'vpci_virt|DMAR: (Intel|IOMMU enabled)|DMAR-IR: Enabled|arm-smmu-v3 .*: ias|GICv2m: range' |
	sed 's/^/  dmesg: /'
# (after insmod: an IOMMU described by the device tree, as arm-smmu-v3 on
# arm64's virt, adds a PCI function to its group only when a driver probes it)
if [ -d /sys/class/iommu ] && [ -n "$(ls /sys/class/iommu)" ]; then
	echo "VPCI-GUEST: IOMMU: $(ls /sys/class/iommu)"
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d/iommu_group" ] || continue
		g=$(readlink "$d/iommu_group")
		echo "  ${d##*/} iommu group ${g##*/} type $(cat "$d/iommu_group/type" 2>/dev/null)"
	done
fi
for c in /sys/class/vpci/*; do
	[ -e "$c" ] || continue
	d=$(readlink "$c/device")
	echo "VPCI-GUEST: ${c##*/}: irq_mode $(cat "$c/irq_mode"), device ${d##*/}"
done
grep -E 'vpci' /proc/interrupts | sed 's/^/  interrupts: /'
/bin/vpci-app ${vpci_app:+"$vpci_app"}
rc=$?
grep -E 'vpci' /proc/interrupts | sed 's/^/  interrupts: /'
if [ "${vpci_rmmod:-1}" != 0 ]; then
	rmmod vpci_virt
	rrc=$?
	# the char devices and the class must be gone
	[ -e /dev/vpci0 ] || [ -e /sys/class/vpci ] && rrc=99
	echo "VPCI-GUEST-RMMOD rc=$rrc"
	[ $rrc = 0 ] || rc=1
fi
dmesg | grep -E 'vpci_virt .*(timed out|interrupted)' | sed 's/^/  dmesg: /'
# faults the kernel's IOMMU driver reported (run-guest.sh expects the
# iommu-fault check's in its iommu/smmu boot, and none in the others):
# intel-iommu's DMAR lines, arm-smmu-v3's "event 0xNN received:" and the
# event's four 64-bit words, a line each
dmesg | grep -E 'DMAR: \[DMA|DMAR: .*fault|arm-smmu-v3 [^ ]+: (event 0x|[[:space:]]+0x)' |
	sed -e '/DMAR/s/^/VPCI-GUEST-DMAR-FAULT: /' -e '/arm-smmu-v3/s/^/VPCI-GUEST-SMMU-FAULT: /'
# (run-guest.sh boots with slub_debug=FZPU: a use after free or an overrun
# of a slab object shows up as "BUG <cache>: Poison overwritten" and such)
problems='BUG[: ]|WARNING:|Call Trace|general protection|Oops|Poison overwritten|Redzone'
if dmesg | grep -qE "$problems"; then
	echo "VPCI-GUEST: kernel reported problems:"
	dmesg | grep -E -B2 -A20 "$problems" | head -60
	rc=1
fi
echo "VPCI-GUEST-RESULT rc=$rc"
poweroff -f
