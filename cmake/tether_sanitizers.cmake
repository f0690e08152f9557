# TETHER_SANITIZE=address,undefined | thread | (empty)
#
# Applied globally with add_compile_options/add_link_options, not through
# tether_private: every target in the build (library, tests, gtest users,
# examples) must be instrumented alike, or ASan container checks and TSan's
# view of synchronisation disagree across translation units.
#
# TETHER_SANITIZE_FLAGS is left set for scripts that build outside projects
# against this build (tests/package) so they can pass the same flags.

set(TETHER_SANITIZE_FLAGS "")

if(TETHER_SANITIZE)
  set(_tether_known_sanitizers "address,undefined" "address" "undefined" "thread")
  if(NOT TETHER_SANITIZE IN_LIST _tether_known_sanitizers)
    message(FATAL_ERROR
      "TETHER_SANITIZE='${TETHER_SANITIZE}' is not supported; "
      "use 'address,undefined', 'thread' or leave it empty")
  endif()
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "TETHER_SANITIZE needs GCC or Clang (got ${CMAKE_CXX_COMPILER_ID})")
  endif()

  set(TETHER_SANITIZE_FLAGS
    -fsanitize=${TETHER_SANITIZE}
    -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  add_compile_options(${TETHER_SANITIZE_FLAGS})
  add_link_options(${TETHER_SANITIZE_FLAGS})
  message(STATUS "tether: sanitizers enabled: ${TETHER_SANITIZE}")
endif()
