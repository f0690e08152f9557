# cmake -P script behind the `package.find_package` ctest test (fmt's
# find-package-test): install this build into a stage prefix, configure an
# outside project against it with find_package(tether), build it, run it.
#
# Then the same programs again, built with nothing but the compiler and
# `pkg-config --cflags --libs tether-<layer>` (one .pc per installed layer).
#
# Inputs (-D): TETHER_BUILD_DIR, TETHER_STAGE_DIR, TETHER_CONSUMER_SOURCE_DIR,
# TETHER_CONSUMER_BINARY_DIR, TETHER_GENERATOR, TETHER_MAKE_PROGRAM,
# TETHER_CXX_COMPILER, TETHER_BUILD_TYPE, TETHER_CXX_FLAGS, TETHER_EXTRA_FLAGS
# (sanitizer flags, added to compile and link lines), TETHER_INSTALL_LIBDIR,
# TETHER_PKG_CONFIG (the pkg-config program; empty: that part is skipped with
# a message), TETHER_SOURCE_DIR, TETHER_VERSION.

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
if(EXISTS "${TETHER_CONSUMER_BINARY_DIR}/tether_find_package_http")
  run_step("run the outside http program (expects its own fetch to be answered)"
    "${TETHER_CONSUMER_BINARY_DIR}/tether_find_package_http")
endif()

message(STATUS "package test: find_package(tether) works from ${TETHER_STAGE_DIR}")

# --- what was installed ---------------------------------------------------------
# The generated config must be plain CMake (no `if(ON)` left by a substituted
# option), and nothing installed may point back into the source or build tree.
set(package_dir "${TETHER_STAGE_DIR}/${TETHER_INSTALL_LIBDIR}/cmake/tether")
file(READ "${package_dir}/tetherConfig.cmake" config)
if(config MATCHES "if *\\( *(ON|OFF|TRUE|FALSE|YES|NO|1|0) *\\)")
  message(FATAL_ERROR "package test: ${package_dir}/tetherConfig.cmake contains "
                      "'${CMAKE_MATCH_0}': a configure-time value left as a condition")
endif()
file(GLOB installed_files "${package_dir}/*.cmake" "${TETHER_STAGE_DIR}/${TETHER_INSTALL_LIBDIR}/pkgconfig/*.pc")
foreach(f IN LISTS installed_files)
  file(READ "${f}" text)
  foreach(tree IN ITEMS "${TETHER_BUILD_DIR}" "${TETHER_SOURCE_DIR}")
    string(FIND "${text}" "${tree}" at)
    if(tree AND NOT at EQUAL -1)
      message(FATAL_ERROR "package test: ${f} refers to ${tree}: the installed package must not "
                          "depend on the build or source tree")
    endif()
  endforeach()
endforeach()

# --- pkg-config ---------------------------------------------------------------
if(NOT TETHER_PKG_CONFIG)
  message(STATUS "package test: pkg-config not found, its part is skipped "
                 "(apt-get install pkg-config)")
  return()
endif()
set(pc_dir "${TETHER_STAGE_DIR}/${TETHER_INSTALL_LIBDIR}/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
separate_arguments(extra_flags UNIX_COMMAND "${TETHER_CXX_FLAGS} ${TETHER_EXTRA_FLAGS}")

# pkg-config <args>, its output as a list of flags in `out`.
function(pkg_config out)
  execute_process(COMMAND "${TETHER_PKG_CONFIG}" ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE text ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " args "${ARGN}")
    message(FATAL_ERROR "package test: pkg-config ${args} failed (PKG_CONFIG_PATH=${pc_dir}):\n${err}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${text}")
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

set(pc_programs core main.cpp runtime runtime_main.cpp http http_main.cpp)
set(built 0)
while(pc_programs)
  list(POP_FRONT pc_programs layer source)
  if(NOT EXISTS "${pc_dir}/tether-${layer}.pc")
    if(layer STREQUAL "core")
      message(FATAL_ERROR "package test: ${pc_dir}/tether-core.pc was not installed")
    endif()
    continue()  # that layer is off in this build
  endif()
  pkg_config(version --modversion tether-${layer})
  if(NOT version STREQUAL TETHER_VERSION)
    message(FATAL_ERROR "package test: tether-${layer}.pc says version '${version}', "
                        "the project is ${TETHER_VERSION}")
  endif()
  pkg_config(flags --cflags --libs tether-${layer})
  set(exe "${TETHER_CONSUMER_BINARY_DIR}/pkg_config_${layer}")
  # The way a user without CMake builds: the compiler, C++20, pkg-config.
  run_step("build ${source} with pkg-config --cflags --libs tether-${layer}"
    "${TETHER_CXX_COMPILER}" -std=c++20 ${extra_flags}
    "${TETHER_CONSUMER_SOURCE_DIR}/${source}" ${flags} -o "${exe}")
  run_step("run the pkg-config-built ${layer} program" "${exe}")
  math(EXPR built "${built} + 1")
endwhile()
# --static must give a working link line too (the layers are static archives).
pkg_config(static_flags --static --cflags --libs tether-runtime)
run_step("build runtime_main.cpp with pkg-config --static"
  "${TETHER_CXX_COMPILER}" -std=c++20 ${extra_flags}
  "${TETHER_CONSUMER_SOURCE_DIR}/runtime_main.cpp" ${static_flags}
  -o "${TETHER_CONSUMER_BINARY_DIR}/pkg_config_runtime_static")
message(STATUS "package test: pkg-config works for ${built} layer(s) from ${pc_dir}")
