# ctest entries for guest/ (included by CMakeLists.txt inside if(BUILD_TESTING)
# and if(VPCI_HAVE_MOCKHOST)).
# A real Debian 12 kernel boots in our QEMU with -device vpci-virt-pci,
# loads the Linux driver guest/driver/vpci_virt.ko and runs the sample app
# guest/app/vpci-app, four boots per architecture:
#  - qemu.guest-virt-pci (x86_64, q35): INTx; MSI; two devices, INTx +
#    PCIe MSI-X; intel-iommu with intel_iommu=on;
#  - qemu.guest-virt-pci-arm64 (arm64, virt, the module and the app
#    cross-built): INTx; MSI through GICv2m; two devices; SMMUv3
#    (iommu=smmuv3).
# guest/run-guest.sh fetches the kernels, headers and busybox from Debian's
# mirror and builds the module and the app in ~/.cache/vpci/guest (CMake
# never builds the module).  Exit 77 (skipped) when no QEMU with the
# adapter is found and VPCI_REQUIRE_QEMU is unset.  "qemu-only": they run
# QEMU, the adapter and the guest side only, no binary of this build tree,
# so the asan and coverage stages leave them out (-LE qemu-only).
foreach(_vpci_arch x86_64 arm64)
  set(_vpci_name qemu.guest-virt-pci)
  if(NOT _vpci_arch STREQUAL x86_64)
    set(_vpci_name ${_vpci_name}-${_vpci_arch})
  endif()
  vpci_qemu_test(${_vpci_name} 1200 "qemu;script;qemu-only"
                 ${PROJECT_SOURCE_DIR}/guest/run-guest.sh --arch ${_vpci_arch})
endforeach()
