# tether_llhttp: llhttp's C sources (found by cmake/Findllhttp.cmake) as an
# OBJECT library in llhttp's strict mode, the one Node's behaviour follows.
# tether::http puts its objects into its own archive ($<TARGET_OBJECTS:>),
# and the fuzz target compiles the same objects with its instrumentation.
# Included once per build tree; needs the C language enabled by the project.

if(TARGET tether_llhttp)
  return()
endif()

add_library(tether_llhttp OBJECT ${llhttp_SOURCES})
target_include_directories(tether_llhttp PRIVATE "${llhttp_INCLUDE_DIR}")
# Strict mode: llhttp.c holds two generated parsers and this picks the one
# that rejects what Node 20's llhttp 9 rejects by default (bare LF, any byte
# in place of an LF, spaces in header names, non-token characters...).
target_compile_definitions(tether_llhttp PRIVATE LLHTTP_STRICT_MODE=1)
set_target_properties(tether_llhttp PROPERTIES
  C_STANDARD 99
  C_EXTENSIONS OFF
  POSITION_INDEPENDENT_CODE ON
  # Generated code: its warnings are not ours to fix.
  C_CLANG_TIDY ""
  COMPILE_OPTIONS "-w")
