# Finds Debian's http-parser (libhttp-parser-dev: Node's original HTTP/1.1
# parser, which ships no CMake or pkg-config file) and defines the imported
# target http_parser::http_parser.
#
# Installed beside tetherConfig.cmake: tether::runtime is a static library
# that links http-parser privately, so a consumer's find_package(tether) must
# be able to recreate this target too.

find_path(http_parser_INCLUDE_DIR NAMES http_parser.h)
find_library(http_parser_LIBRARY NAMES http_parser)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(http_parser
  REQUIRED_VARS http_parser_LIBRARY http_parser_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "tether::runtime needs http-parser: apt-get install libhttp-parser-dev")

if(http_parser_FOUND AND NOT TARGET http_parser::http_parser)
  add_library(http_parser::http_parser UNKNOWN IMPORTED)
  set_target_properties(http_parser::http_parser PROPERTIES
    IMPORTED_LOCATION "${http_parser_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${http_parser_INCLUDE_DIR}")
endif()
mark_as_advanced(http_parser_INCLUDE_DIR http_parser_LIBRARY)
