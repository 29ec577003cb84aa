# ctest entries for tests/qemu/adapter (included by CMakeLists.txt inside
# if(BUILD_TESTING) and if(VPCI_HAVE_MOCKHOST)): the QEMU adapter
# (adapters/qemu/device/vpci-qemu.c) in a real QEMU 7.2, one entry per area
# of test_adapter.py.  Exit 77 (skipped) without a qtest-capable QEMU built
# with the adapter, unless VPCI_REQUIRE_QEMU is set.  Labels "qemu;script":
# a Python script driving QEMU, not for ctest -T memcheck (the unplug entry
# runs one QEMU under valgrind itself).
# Every entry but props exercises only QEMU and the adapter built into it, not
# this build tree's binaries: label "qemu-only" lets scripts/test.sh run them
# once (unit stage) rather than again in the ASan and coverage builds.
function(vpci_adapter_test name)
  vpci_qemu_test(qemu.adapter.${name} 900 "qemu;script;qemu-only"
                 python3 ${PROJECT_SOURCE_DIR}/tests/qemu/adapter/test_adapter.py ${ARGN})
endfunction()

foreach(_vpci_machine q35 virt)
  vpci_adapter_test(migrate-${_vpci_machine} --machine ${_vpci_machine} migrate)
  vpci_adapter_test(savevm-${_vpci_machine} --machine ${_vpci_machine} savevm)
  vpci_adapter_test(reset-${_vpci_machine} --machine ${_vpci_machine} reset flr)
  vpci_adapter_test(unplug-${_vpci_machine} --machine ${_vpci_machine} --valgrind unplug)
endforeach()
vpci_adapter_test(props --machine q35 --vpci-host $<TARGET_FILE:vpci-host> props)

# props compares QEMU's help with this tree's `vpci-host list-models`
set_tests_properties(qemu.adapter.props PROPERTIES LABELS "qemu;script")
