# Finds Debian's protozero (libprotozero-dev): a header-only protobuf
# writer/reader with no CMake or pkg-config file. Defines protozero::protozero.
# Used privately (OTLP export, Perfetto traces): consumers never need it.

find_path(protozero_INCLUDE_DIR NAMES protozero/pbf_writer.hpp)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(protozero
  REQUIRED_VARS protozero_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "needs protozero: apt-get install libprotozero-dev")

if(protozero_FOUND AND NOT TARGET protozero::protozero)
  add_library(protozero::protozero INTERFACE IMPORTED)
  set_target_properties(protozero::protozero PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${protozero_INCLUDE_DIR}")
endif()
mark_as_advanced(protozero_INCLUDE_DIR)
