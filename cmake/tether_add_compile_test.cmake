# tether_add_compile_test(NAME <test> SOURCE <file> EXPECT error|warning|clean
#                         [REGEX <regex>...] [FLAGS <flag>...])
#
# A CTest test that runs the C++ compiler on one file (-fsyntax-only, C++20,
# tether's include/ directory) and checks what it says: that a misuse is
# diagnosed (libc++'s and Abseil's "should not compile" tests), or that a
# recommended form compiles without a single warning.
#   EXPECT error    the compiler fails, and its output matches every REGEX
#   EXPECT warning  it succeeds, and its output matches every REGEX
#   EXPECT clean    it succeeds and prints nothing
#   FLAGS           extra flags (e.g. -Werror), after -Wall -Wextra
# The file is compiled by the compiler of this build, at test time, so a
# header change that loses a diagnostic fails `ctest` at once.

function(tether_add_compile_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME;SOURCE;EXPECT" "REGEX;FLAGS")
  if(NOT arg_NAME OR NOT arg_SOURCE OR NOT arg_EXPECT MATCHES "^(error|warning|clean)$")
    message(FATAL_ERROR "tether_add_compile_test: NAME, SOURCE and EXPECT error|warning|clean are required")
  endif()
  if(arg_EXPECT STREQUAL "clean" AND arg_REGEX)
    message(FATAL_ERROR "tether_add_compile_test(${arg_NAME}): EXPECT clean takes no REGEX")
  endif()
  get_filename_component(source "${arg_SOURCE}" ABSOLUTE)
  # Lists travel to the script as '|'-separated strings (one -D argument each).
  list(JOIN arg_REGEX "|||" regexes)
  list(JOIN arg_FLAGS "|||" flags)
  add_test(NAME ${arg_NAME}
    COMMAND "${CMAKE_COMMAND}"
      "-DCOMPILER=${CMAKE_CXX_COMPILER}"
      "-DINCLUDE_DIR=${PROJECT_SOURCE_DIR}/include"
      "-DSOURCE=${source}"
      "-DEXPECT=${arg_EXPECT}"
      "-DREGEXES=${regexes}"
      "-DFLAGS=${flags}"
      -P "${PROJECT_SOURCE_DIR}/cmake/tether_run_compile_test.cmake")
  set_tests_properties(${arg_NAME} PROPERTIES LABELS "compile" TIMEOUT 120)
endfunction()
