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
foreach(_vpci_iommu intel-iommu smmuv3)
  string(REPLACE "-" "_" _vpci_script test_${_vpci_iommu}.py)
  vpci_qemu_test(qemu.${_vpci_iommu} 600 "qemu;script;qemu-only"
                 python3 ${PROJECT_SOURCE_DIR}/tests/qemu/iommu/${_vpci_script})
endforeach()
