# ctest entry for tests/qemu/iommu (included by CMakeLists.txt inside
# if(BUILD_TESTING) and if(VPCI_HAVE_MOCKHOST)).
# DMA through QEMU's intel-iommu on q35 under qtest: the script builds the
# VT-d tables and programs the DMAR unit as a guest driver would, then
# checks a translated copy and reported faults for QEMU's edu, vpci-edu
# (compared with each other) and vpci-dma-engine.  Exit 77 (skipped) when
# no QEMU with the adapter is found and VPCI_REQUIRE_QEMU is unset.  Label
# "qemu-only": it runs QEMU and its adapter only, no binary of this tree.
add_test(NAME qemu.intel-iommu
         COMMAND python3 ${PROJECT_SOURCE_DIR}/tests/qemu/iommu/test_intel_iommu.py)
set_tests_properties(qemu.intel-iommu PROPERTIES
  SKIP_RETURN_CODE 77 TIMEOUT 600 LABELS "qemu;script;qemu-only" RUN_SERIAL TRUE)
if(VPCI_TEST_ENV)
  set_tests_properties(qemu.intel-iommu PROPERTIES ENVIRONMENT "${VPCI_TEST_ENV}")
endif()
