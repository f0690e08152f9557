# All of tether's cache options in one place. Everything that only makes sense
# when tether is the project being worked on defaults to PROJECT_IS_TOP_LEVEL,
# so add_subdirectory(tether) from another project builds just the library.

option(TETHER_BUILD_TESTS    "Build tether's tests (GoogleTest)"         ${PROJECT_IS_TOP_LEVEL})
option(TETHER_BUILD_BENCH    "Build tether's benchmarks (Google Benchmark)" ${PROJECT_IS_TOP_LEVEL})
option(TETHER_BUILD_EXAMPLES "Build the programs in examples/"            ${PROJECT_IS_TOP_LEVEL})
option(TETHER_INSTALL        "Generate install rules and the CMake package" ${PROJECT_IS_TOP_LEVEL})
option(TETHER_BUILD_FUZZ     "Build the libFuzzer targets in tests/fuzz (clang)" OFF)
# The differential tests run the same scenario in tether and in Node: their
# outcome does not depend on the compiler, so the clang preset skips them.
option(TETHER_BUILD_DIFFERENTIAL "Build the tests that compare tether with Node (needs TETHER_BUILD_TESTS)" ON)
option(TETHER_WERROR         "Treat warnings as errors in tether's own code" OFF)

set(TETHER_SANITIZE "" CACHE STRING
  "Sanitizers for every target: empty, 'address,undefined' or 'thread'")
set_property(CACHE TETHER_SANITIZE PROPERTY STRINGS "" "address,undefined" "thread")

# Per-layer switches (ON by default; a missing dependency is a configure error
# naming the Debian package, never a silent skip):
option(TETHER_WITH_RUNTIME "Build tether::runtime (libuv event loop)" ON)
include(CMakeDependentOption)
cmake_dependent_option(TETHER_WITH_HTTP "Build tether::http (HTTP/1.1 on the runtime)" ON
  "TETHER_WITH_RUNTIME" OFF)
option(TETHER_WITH_STACK_TRACE "Build tether::stack_trace (async stack traces; libdw, libunwind)" ON)
option(TETHER_WITH_PROFILER "Build tether::profiler and the tether-prof tool" ON)
# tether::asio (standalone Asio) and tether::boost_asio (Boost.Asio); needs
# libasio-dev and libboost-dev.
option(TETHER_WITH_ASIO "Build tether::asio and tether::boost_asio (Asio handler tracking)" ON)
cmake_dependent_option(TETHER_WITH_TRACE "Build tether::trace (W3C context, spans, OTLP)" ON
  "TETHER_WITH_HTTP" OFF)
