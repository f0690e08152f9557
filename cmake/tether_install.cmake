# Install rules and the CMake package:
#   find_package(tether) + target_link_libraries(app PRIVATE tether::core)
# from an install prefix, or from the build tree via the export() below.

include(CMakePackageConfigHelpers)

set(TETHER_CMAKE_PACKAGE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/tether")

# Targets that go into the package: every layer that this build configured.
set(tether_package_targets "")
# tether_package_layers names them for tetherConfig.cmake, which finds each
# one's own dependencies.
set(tether_package_layers "")
foreach(layer IN ITEMS core runtime http trace asio boost_asio profiler stack_trace)
  if(TARGET tether_${layer})
    list(APPEND tether_package_targets tether_${layer})
    list(APPEND tether_package_layers ${layer})
  endif()
endforeach()

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/tetherConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/tetherConfig.cmake"
  INSTALL_DESTINATION "${TETHER_CMAKE_PACKAGE_DIR}")

write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/tetherConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)

# Build-tree package: -Dtether_DIR=<build dir> works without installing.
export(TARGETS ${tether_package_targets}
  NAMESPACE tether::
  FILE "${PROJECT_BINARY_DIR}/tetherTargets.cmake")

if(NOT TETHER_INSTALL)
  return()
endif()

# Each layer installs its own headers (its FILE_SET HEADERS): installing
# core alone installs core's headers alone.
install(TARGETS ${tether_package_targets}
  EXPORT tetherTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
  FILE_SET HEADERS DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

install(EXPORT tetherTargets
  NAMESPACE tether::
  DESTINATION "${TETHER_CMAKE_PACKAGE_DIR}")

install(FILES
  "${PROJECT_BINARY_DIR}/tetherConfig.cmake"
  "${PROJECT_BINARY_DIR}/tetherConfigVersion.cmake"
  DESTINATION "${TETHER_CMAKE_PACKAGE_DIR}")
