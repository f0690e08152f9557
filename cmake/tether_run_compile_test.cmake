# cmake -P script behind tether_add_compile_test(): compiles SOURCE and checks
# the outcome against EXPECT and REGEXES (see tether_add_compile_test.cmake).

string(REPLACE "|||" ";" regexes "${REGEXES}")
string(REPLACE "|||" ";" flags "${FLAGS}")
execute_process(
  COMMAND "${COMPILER}" -std=c++20 -fsyntax-only -Wall -Wextra ${flags}
          "-I${INCLUDE_DIR}" "${SOURCE}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out)
string(REPLACE ";" " " shown_flags "${flags}")
set(report "compiler: ${COMPILER} ${shown_flags}\nsource: ${SOURCE}\nexit: ${rc}\n---- output ----\n${out}")

if(EXPECT STREQUAL "error" AND rc EQUAL 0)
  message(FATAL_ERROR "compile test: expected the compiler to reject the file\n${report}")
endif()
if(NOT EXPECT STREQUAL "error" AND NOT rc EQUAL 0)
  message(FATAL_ERROR "compile test: expected the file to compile\n${report}")
endif()
if(EXPECT STREQUAL "clean" AND NOT out STREQUAL "")
  message(FATAL_ERROR "compile test: expected no diagnostic at all\n${report}")
endif()
foreach(regex IN LISTS regexes)
  if(NOT out MATCHES "${regex}")
    message(FATAL_ERROR "compile test: the output does not match '${regex}'\n${report}")
  endif()
endforeach()
message(STATUS "compile test: ${EXPECT} as expected (${SOURCE})")
