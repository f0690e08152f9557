# Install rules, the CMake package and the pkg-config files:
#   find_package(tether) + target_link_libraries(app PRIVATE tether::core)
# from an install prefix, or from the build tree via the export() below;
#   pkg-config --cflags --libs tether-<layer>
# from an install prefix (the .pc files are written at the end).

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

# --- pkg-config: one tether-<layer>.pc per installed layer ------------------
#   c++ -std=c++20 app.cpp $(pkg-config --cflags --libs tether-runtime)
# Each layer's Requires and Libs come from its target's link interface, so a
# new layer needs no edit here:
#   tether::<layer>           -> Requires: tether-<layer>
#   PkgConfig::<module>       -> Requires: <module>  (pkg_check_modules(<module> IMPORTED_TARGET <module>))
#   Threads::Threads          -> Libs: -pthread
#   another imported library  -> Libs: -l<name> (and -L<dir> outside the linker's default dirs)
# The layers are static archives: what a layer links privately in CMake
# ($<LINK_ONLY:...>) must still be on the program's link line, so it goes to
# Requires/Libs, not to Requires.private/Libs.private, which `pkg-config
# --libs` leaves out unless --static is given.
set(TETHER_PKGCONFIG_DIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
set(tether_pc_description_core "Node.js async_hooks for C++20: ids, hooks, async_resource, async_local_storage")
set(tether_pc_description_runtime "tether's Node-style event loop on libuv: timers, promises, fs, work, TCP, DNS")
set(tether_pc_description_http "tether's HTTP/1.1 server and client")

# Install paths as seen from the .pc file's directory (${pcfiledir}).
function(tether_pc_path out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
file(RELATIVE_PATH TETHER_PC_PREFIX_FROM_PCDIR
  "/tether-prefix/${TETHER_PKGCONFIG_DIR}" "/tether-prefix")
string(REGEX REPLACE "/$" "" TETHER_PC_PREFIX_FROM_PCDIR "${TETHER_PC_PREFIX_FROM_PCDIR}")
tether_pc_path(TETHER_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
tether_pc_path(TETHER_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")

foreach(TETHER_PC_LAYER IN LISTS tether_package_layers)
  set(target tether_${TETHER_PC_LAYER})
  get_target_property(TETHER_PC_LIBRARY ${target} OUTPUT_NAME)
  if(NOT TETHER_PC_LIBRARY)
    set(TETHER_PC_LIBRARY ${target})
  endif()
  set(TETHER_PC_DESCRIPTION "${tether_pc_description_${TETHER_PC_LAYER}}")
  if(NOT TETHER_PC_DESCRIPTION)
    set(TETHER_PC_DESCRIPTION "tether's ${TETHER_PC_LAYER} layer")
  endif()
  set(requires "")
  set(libs "")
  set(cflags "")
  # What the layer's users must compile with (tether::asio's tracking
  # header); quotes escaped, as pkg-config output is read by a shell.
  get_target_property(defines ${target} INTERFACE_COMPILE_DEFINITIONS)
  foreach(define IN LISTS defines)
    if(define AND NOT define MATCHES "\\$<")
      string(REPLACE "\"" "\\\"" define "${define}")
      list(APPEND cflags "-D${define}")
    endif()
  endforeach()
  get_target_property(deps ${target} INTERFACE_LINK_LIBRARIES)
  if(NOT deps)
    set(deps "")
  endif()
  foreach(dep IN LISTS deps)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" dep "${dep}")
    # Imported targets are scoped to the directory that found them (a
    # layer's src/<layer>/): find <Package>::<name> again here.
    if(NOT TARGET "${dep}" AND NOT dep MATCHES "^(tether|PkgConfig|Threads)::"
       AND dep MATCHES "^([A-Za-z0-9_]+)::")
      find_package(${CMAKE_MATCH_1} QUIET)  # CMAKE_MATCH_1: the last MATCHES above
    endif()
    if(dep MATCHES "^tether::(.+)$")
      list(APPEND requires "tether-${CMAKE_MATCH_1}")
    elseif(dep MATCHES "^PkgConfig::(.+)$")
      list(APPEND requires "${CMAKE_MATCH_1}")
    elseif(dep STREQUAL "Threads::Threads")
      list(APPEND libs "-pthread")
    elseif(TARGET "${dep}")
      get_target_property(type "${dep}" TYPE)
      if(type STREQUAL "INTERFACE_LIBRARY")
        # Header-only (Boost::headers): its include directories, if any are
        # outside the compiler's default ones; nothing to link.
        get_target_property(dirs "${dep}" INTERFACE_INCLUDE_DIRECTORIES)
        foreach(dir IN LISTS dirs)
          if(dir AND NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
            list(APPEND cflags "-I${dir}")
          endif()
        endforeach()
        continue()
      endif()
      get_target_property(location "${dep}" IMPORTED_LOCATION)
      if(NOT location)
        message(FATAL_ERROR "tether-${TETHER_PC_LAYER}.pc: cannot express ${dep} for pkg-config; "
                            "give it an IMPORTED_LOCATION or link it through PkgConfig::")
      endif()
      get_filename_component(dir "${location}" DIRECTORY)
      get_filename_component(name "${location}" NAME_WE)
      string(REGEX REPLACE "^lib" "" name "${name}")
      if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
        list(APPEND libs "-L${dir}")
      endif()
      list(APPEND libs "-l${name}")
    elseif(dep MATCHES "^-")
      list(APPEND libs "${dep}")
    elseif(dep)
      list(APPEND libs "-l${dep}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES requires)
  list(JOIN requires " " TETHER_PC_REQUIRES)
  list(JOIN libs " " TETHER_PC_LIBS)
  list(JOIN cflags " " TETHER_PC_CFLAGS)
  configure_file("${PROJECT_SOURCE_DIR}/cmake/tether.pc.in"
    "${PROJECT_BINARY_DIR}/pkgconfig/tether-${TETHER_PC_LAYER}.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/pkgconfig/tether-${TETHER_PC_LAYER}.pc"
    DESTINATION "${TETHER_PKGCONFIG_DIR}")
endforeach()
