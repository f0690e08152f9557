# cmake -P script behind the `package.find_package` ctest test (fmt's
# find-package-test): install this build into a stage prefix, configure an
# outside project against it with find_package(tether), build it, run it.
#
# Inputs (-D): TETHER_BUILD_DIR, TETHER_STAGE_DIR, TETHER_CONSUMER_SOURCE_DIR,
# TETHER_CONSUMER_BINARY_DIR, TETHER_GENERATOR, TETHER_MAKE_PROGRAM,
# TETHER_CXX_COMPILER, TETHER_BUILD_TYPE, TETHER_CXX_FLAGS, TETHER_EXTRA_FLAGS
# (sanitizer flags, added to compile and link lines).

foreach(var IN ITEMS TETHER_BUILD_DIR TETHER_STAGE_DIR TETHER_CONSUMER_SOURCE_DIR
                     TETHER_CONSUMER_BINARY_DIR TETHER_GENERATOR TETHER_CXX_COMPILER)
  if(NOT ${var})
    message(FATAL_ERROR "package test: ${var} is not set")
  endif()
endforeach()

# Runs one step; stops the test with the step's name and output on failure.
function(run_step name)
  message(STATUS "package test: ${name}")
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR
      "package test: step '${name}' failed (exit ${rc})\n"
      "command: ${cmd}\n"
      "---- output ----\n${out}")
  endif()
endfunction()

# Start from nothing: a stale stage or cache would hide a broken install.
file(REMOVE_RECURSE "${TETHER_STAGE_DIR}" "${TETHER_CONSUMER_BINARY_DIR}")

run_step("install into ${TETHER_STAGE_DIR}"
  "${CMAKE_COMMAND}" --install "${TETHER_BUILD_DIR}" --prefix "${TETHER_STAGE_DIR}")

set(configure_args
  -S "${TETHER_CONSUMER_SOURCE_DIR}"
  -B "${TETHER_CONSUMER_BINARY_DIR}"
  -G "${TETHER_GENERATOR}"
  "-DCMAKE_PREFIX_PATH=${TETHER_STAGE_DIR}"
  "-DCMAKE_CXX_COMPILER=${TETHER_CXX_COMPILER}"
  "-DCMAKE_BUILD_TYPE=${TETHER_BUILD_TYPE}"
  "-DCMAKE_CXX_FLAGS=${TETHER_CXX_FLAGS} ${TETHER_EXTRA_FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${TETHER_EXTRA_FLAGS}"
  # Only the staged prefix may satisfy find_package(tether).
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(TETHER_MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${TETHER_MAKE_PROGRAM}")
endif()
run_step("configure the outside project" "${CMAKE_COMMAND}" ${configure_args})

run_step("build the outside project"
  "${CMAKE_COMMAND}" --build "${TETHER_CONSUMER_BINARY_DIR}")

run_step("run the outside core program (expects execution_async_id() == 1)"
  "${TETHER_CONSUMER_BINARY_DIR}/tether_find_package_core")
run_step("run the outside runtime program (expects one timeout to fire)"
  "${TETHER_CONSUMER_BINARY_DIR}/tether_find_package_runtime")

if(EXISTS "${TETHER_CONSUMER_BINARY_DIR}/tether_find_package_stack_trace")
  run_step("run the outside stack_trace program (expects a trace with its Timeout hop)"
    "${TETHER_CONSUMER_BINARY_DIR}/tether_find_package_stack_trace")
endif()
if(EXISTS "${TETHER_CONSUMER_BINARY_DIR}/tether_find_package_profiler")
  set(trace "${TETHER_CONSUMER_BINARY_DIR}/package.tether")
  file(REMOVE "${trace}")
  run_step("run the outside profiler program with TETHER_PROFILE set"
    "${CMAKE_COMMAND}" -E env "TETHER_PROFILE=${trace}"
    "${TETHER_CONSUMER_BINARY_DIR}/tether_find_package_profiler")
  if(NOT EXISTS "${trace}")
    message(FATAL_ERROR "the installed tether::profiler did not record: no ${trace}")
  endif()
  run_step("read the trace with the installed tether-prof"
    "${TETHER_STAGE_DIR}/bin/tether-prof" summary "${trace}")
endif()

message(STATUS "package test: find_package(tether) works from ${TETHER_STAGE_DIR}")
