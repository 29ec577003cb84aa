# ctest entry for guest/ (included by CMakeLists.txt inside if(BUILD_TESTING)
# and if(VPCI_HAVE_MOCKHOST)).
# A real Debian 12 kernel boots in our QEMU with -device vpci-virt-pci,
# loads the Linux driver guest/driver/vpci_virt.ko and runs the sample app
# guest/app/vpci-app: four boots (INTx; MSI; two devices, INTx + PCIe
# MSI-X; intel-iommu with intel_iommu=on).  guest/run-guest.sh fetches
# the kernel, headers and busybox from Debian's mirror and builds the
# module and the app in ~/.cache/vpci/guest (CMake never builds the
# module).  Exit 77 (skipped) when no QEMU with the adapter is found and
# VPCI_REQUIRE_QEMU is unset.  "qemu-only": it runs QEMU, the adapter and
# the guest side only, no binary of this build tree, so the asan and
# coverage stages leave it out (-LE qemu-only).
add_test(NAME qemu.guest-virt-pci
         COMMAND ${PROJECT_SOURCE_DIR}/guest/run-guest.sh)
set_tests_properties(qemu.guest-virt-pci PROPERTIES
  SKIP_RETURN_CODE 77 TIMEOUT 1200 LABELS "qemu;script;qemu-only" RUN_SERIAL TRUE)
if(VPCI_TEST_ENV)
  set_tests_properties(qemu.guest-virt-pci PROPERTIES ENVIRONMENT "${VPCI_TEST_ENV}")
endif()
