# ctest entries for tests/qemu/iommu (included by CMakeLists.txt inside
# if(BUILD_TESTING) and if(VPCI_HAVE_MOCKHOST)).
# DMA through QEMU's IOMMUs under qtest: each script builds the IOMMU's
# tables and programs it as a guest driver would, then checks a translated
# copy and reported faults for QEMU's edu, vpci-edu (compared with each
# other) and vpci-dma-engine, with the device-side sequences of
# iommu_dma.py:
#  - qemu.intel-iommu: intel-iommu (VT-d) on q35;
#  - qemu.smmuv3: SMMUv3 on virt (-machine virt,iommu=smmuv3), and also
#    bypass, abort and invalid stream table entries.
# Exit 77 (skipped) when no QEMU with the adapter is found and
# VPCI_REQUIRE_QEMU is unset.  Label "qemu-only": they run QEMU and its
# adapter only, no binary of this tree.
function(vpci_iommu_test name script)
  add_test(NAME ${name}
           COMMAND python3 ${PROJECT_SOURCE_DIR}/tests/qemu/iommu/${script})
  set_tests_properties(${name} PROPERTIES
    SKIP_RETURN_CODE 77 TIMEOUT 600 LABELS "qemu;script;qemu-only" RUN_SERIAL TRUE)
  if(VPCI_TEST_ENV)
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${VPCI_TEST_ENV}")
  endif()
endfunction()

vpci_iommu_test(qemu.intel-iommu test_intel_iommu.py)
vpci_iommu_test(qemu.smmuv3 test_smmuv3.py)
