# ctest entries for tests/qtest (included by CMakeLists.txt inside
# if(BUILD_TESTING) and if(VPCI_HAVE_MOCKHOST)).
# vpci-host qtest against QEMU 7.2's own edu, byte for byte.  Exit 77
# (skipped) when no qtest-capable QEMU is found and VPCI_REQUIRE_QEMU is
# unset.  Label "qemu": a shell script, not for ctest -T memcheck.
add_test(NAME qtest.compare-qemu
         COMMAND ${PROJECT_SOURCE_DIR}/tests/qtest/run-compare.sh
                 --vpci-host $<TARGET_FILE:vpci-host>
                 --out ${PROJECT_BINARY_DIR}/qtest-compare)
set_tests_properties(qtest.compare-qemu PROPERTIES
  SKIP_RETURN_CODE 77 TIMEOUT 3600 LABELS "qemu;script" RUN_SERIAL TRUE)
if(VPCI_TEST_ENV)
  set_tests_properties(qtest.compare-qemu PROPERTIES ENVIRONMENT "${VPCI_TEST_ENV}")
endif()

# The same scripts against libvpci's edu inside QEMU (adapters/qemu:
# -device vpci-edu) next to QEMU's own edu in the same QEMU binary
# and vpci-host: three identical transcripts.  Exit 77 (skipped)
# without a QEMU built with the adapter.
add_test(NAME qtest.compare-vpci-edu
         COMMAND ${PROJECT_SOURCE_DIR}/tests/qtest/run-compare.sh
                 --vpci-host $<TARGET_FILE:vpci-host>
                 --target vpci-edu
                 --out ${PROJECT_BINARY_DIR}/qtest-compare-vpci-edu)
set_tests_properties(qtest.compare-vpci-edu PROPERTIES
  SKIP_RETURN_CODE 77 TIMEOUT 3600 LABELS "qemu;script" RUN_SERIAL TRUE)
if(VPCI_TEST_ENV)
  set_tests_properties(qtest.compare-vpci-edu PROPERTIES ENVIRONMENT "${VPCI_TEST_ENV}")
endif()
