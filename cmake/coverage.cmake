# Run by the `coverage` target (cmake -P):
#   zero the counters, run the whole ctest suite, capture with lcov, keep
#   libvpci/ (and mockhost/ when present), write an HTML report, print the
#   line and function coverage of libvpci/ and of mockhost/, and fail when
#   either is below MIN_LINES percent.
# Inputs: BUILD_DIR SOURCE_DIR LCOV GENHTML CTEST MIN_LINES
cmake_minimum_required(VERSION 3.25)

foreach(v BUILD_DIR SOURCE_DIR LCOV GENHTML CTEST MIN_LINES)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "coverage.cmake: ${v} is not set")
  endif()
endforeach()

set(out ${BUILD_DIR}/coverage)
set(html ${out}/html)
set(rc --rc lcov_branch_coverage=0)
file(REMOVE_RECURSE ${out})
file(MAKE_DIRECTORY ${out})
cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)

function(run)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${BUILD_DIR}
                  RESULT_VARIABLE rv)
  if(NOT rv EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "coverage: command failed (${rv}): ${cmd}")
  endif()
endfunction()
function(run_quiet)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${BUILD_DIR}
                  RESULT_VARIABLE rv OUTPUT_VARIABLE o ERROR_VARIABLE e)
  if(NOT rv EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "coverage: command failed (${rv}): ${cmd}\n${o}\n${e}")
  endif()
endfunction()

message(STATUS "coverage: zeroing counters")
run_quiet(${LCOV} ${rc} --quiet --zerocounters --directory ${BUILD_DIR})
# Baseline (every instrumented line at 0), so a source file that no test
# reaches counts as uncovered instead of being left out.
run_quiet(${LCOV} ${rc} --quiet --capture --initial --directory ${BUILD_DIR}
          --output-file ${out}/base.info)

message(STATUS "coverage: running the test suite")
# Tests labelled "qemu-only" run QEMU and nothing built here: they add no
# coverage of libvpci/ or mockhost/ in this tree.
run(${CTEST} --output-on-failure --no-tests=error -j ${jobs} -LE qemu-only)

message(STATUS "coverage: capturing")
run_quiet(${LCOV} ${rc} --quiet --capture --directory ${BUILD_DIR}
          --output-file ${out}/tests.info)
run_quiet(${LCOV} ${rc} --quiet --add-tracefile ${out}/base.info
          --add-tracefile ${out}/tests.info --output-file ${out}/all.info)

set(patterns "${SOURCE_DIR}/libvpci/*")
file(GLOB mock_sources ${SOURCE_DIR}/mockhost/*.c)
if(mock_sources)
  list(APPEND patterns "${SOURCE_DIR}/mockhost/*")
endif()
run_quiet(${LCOV} ${rc} --quiet --extract ${out}/all.info ${patterns}
          --output-file ${out}/coverage.info)
run_quiet(${LCOV} ${rc} --quiet --extract ${out}/all.info "${SOURCE_DIR}/libvpci/*"
          --output-file ${out}/libvpci.info)
if(mock_sources)
  run_quiet(${LCOV} ${rc} --quiet --extract ${out}/all.info "${SOURCE_DIR}/mockhost/*"
            --output-file ${out}/mockhost.info)
endif()

run_quiet(${GENHTML} ${rc} --quiet --title "libvpci coverage"
          --prefix ${SOURCE_DIR} --output-directory ${html} ${out}/coverage.info)

# lcov --summary prints e.g. "  lines......: 93.1% (1234 of 1325 lines)"
function(summary info label prefix)
  execute_process(COMMAND ${LCOV} ${rc} --summary ${info}
                  RESULT_VARIABLE rv OUTPUT_VARIABLE o ERROR_VARIABLE e)
  set(text "${o}\n${e}")
  if(NOT rv EQUAL 0)
    message(FATAL_ERROR "coverage: lcov --summary ${info} failed:\n${text}")
  endif()
  foreach(kind lines functions)
    if(text MATCHES "${kind}\\.*: ([0-9.]+)% \\(([0-9]+) of ([0-9]+)")
      set(${prefix}_${kind} ${CMAKE_MATCH_1} PARENT_SCOPE)
      message("${label} ${kind}: ${CMAKE_MATCH_1}% (${CMAKE_MATCH_2} of ${CMAKE_MATCH_3})")
    else()
      message(FATAL_ERROR "coverage: no ${kind} figure in lcov --summary of ${info}:\n${text}")
    endif()
  endforeach()
endfunction()

message("")
message("Coverage summary (HTML report: ${html}/index.html)")
summary(${out}/libvpci.info "libvpci/" lib)
if(mock_sources)
  summary(${out}/mockhost.info "mockhost/" mock)
endif()

set(gates lib)
if(mock_sources)
  list(APPEND gates mock)
endif()
set(lib_name libvpci/)
set(mock_name mockhost/)
foreach(g ${gates})
  if(${g}_lines LESS MIN_LINES)
    message(FATAL_ERROR "coverage: ${${g}_name} line coverage ${${g}_lines}% is below the required ${MIN_LINES}%")
  endif()
  message("coverage: ${${g}_name} line coverage ${${g}_lines}% >= ${MIN_LINES}%: OK")
endforeach()
