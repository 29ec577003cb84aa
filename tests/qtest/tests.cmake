# ctest entries for tests/qtest (included by CMakeLists.txt inside
# if(BUILD_TESTING) and if(VPCI_HAVE_MOCKHOST)).
# One test per model and machine, qtest.MODEL.MACHINE: the scripts in
# scripts/MODEL/MACHINE run against QEMU 7.2 with the model inside it
# (-device vpci-MODEL; for edu also QEMU's own edu: three transcripts)
# and against vpci-host, byte for byte.  q35 runs qemu-system-x86_64
# (config space through CF8/CFC), virt qemu-system-aarch64 (ECAM).  Exit
# 77 (skipped) when no qtest-capable QEMU with the adapter is found and
# VPCI_REQUIRE_QEMU is unset.  Label "qemu": a shell script, not for
# ctest -T memcheck.  RUN_SERIAL: QEMU's own edu computes the factorial on
# a thread, and parallel load lets a status read race it.
foreach(model edu virt-pci dma-engine epf-test)
  foreach(machine q35 virt)
    vpci_qemu_test(qtest.${model}.${machine} 1200 "qemu;script"
                   ${PROJECT_SOURCE_DIR}/tests/qtest/run-compare.sh
                   --model ${model} --machine ${machine}
                   --vpci-host $<TARGET_FILE:vpci-host>
                   --out ${PROJECT_BINARY_DIR}/qtest-compare)
  endforeach()
endforeach()
