# Finds llhttp, Node's HTTP/1.1 parser, as Debian's node-llhttp package ships
# it: C sources (/usr/share/llhttp/{api,http,llhttp}.c) and one header
# (/usr/share/include/llhttp/llhttp.h), no library. Sets
#
#   llhttp_FOUND, llhttp_VERSION (from LLHTTP_VERSION_* in the header)
#   llhttp_INCLUDE_DIR   the directory holding llhttp.h
#   llhttp_SOURCES       the three C files, to be compiled into the user
#
# and no target: tether::http compiles the sources into itself (a PRIVATE
# object library), so nothing of llhttp is exported or installed and a
# consumer's find_package(tether) does not need this module.
#
# llhttp_ROOT (or -Dllhttp_INCLUDE_DIR / -Dllhttp_SOURCE_DIR) points at
# another copy of the same layout.

find_path(llhttp_INCLUDE_DIR NAMES llhttp.h
  HINTS "${llhttp_ROOT}/include"
  PATHS /usr/share/include /usr/local/share/include
  PATH_SUFFIXES llhttp)
find_path(llhttp_SOURCE_DIR NAMES llhttp.c api.c http.c
  HINTS "${llhttp_ROOT}/src" "${llhttp_ROOT}"
  PATHS /usr/share/llhttp /usr/local/share/llhttp)

if(llhttp_INCLUDE_DIR AND EXISTS "${llhttp_INCLUDE_DIR}/llhttp.h")
  file(STRINGS "${llhttp_INCLUDE_DIR}/llhttp.h" _llhttp_version_lines
    REGEX "^#define LLHTTP_VERSION_(MAJOR|MINOR|PATCH) [0-9]+$")
  foreach(_part MAJOR MINOR PATCH)
    string(REGEX REPLACE ".*LLHTTP_VERSION_${_part} ([0-9]+).*" "\\1"
      _llhttp_${_part} "${_llhttp_version_lines}")
  endforeach()
  set(llhttp_VERSION "${_llhttp_MAJOR}.${_llhttp_MINOR}.${_llhttp_PATCH}")
  unset(_llhttp_version_lines)
  unset(_llhttp_MAJOR)
  unset(_llhttp_MINOR)
  unset(_llhttp_PATCH)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(llhttp
  REQUIRED_VARS llhttp_SOURCE_DIR llhttp_INCLUDE_DIR
  VERSION_VAR llhttp_VERSION
  REASON_FAILURE_MESSAGE "tether::http builds llhttp from Debian's sources: apt-get install node-llhttp")

if(llhttp_FOUND)
  set(llhttp_SOURCES
    "${llhttp_SOURCE_DIR}/api.c"
    "${llhttp_SOURCE_DIR}/http.c"
    "${llhttp_SOURCE_DIR}/llhttp.c")
endif()
mark_as_advanced(llhttp_INCLUDE_DIR llhttp_SOURCE_DIR)
