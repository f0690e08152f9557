# tether_private: an INTERFACE target carrying the flags for tether's own
# translation units (library sources, tests, benchmarks, examples, the header
# check). It is never installed or exported: link it PRIVATE from tests,
# benchmarks and examples; exported libraries use tether_target_private().
#
# Only flags that affect .cpp files alone belong here; anything that changes
# a public type's layout must go through a generated config header instead.

add_library(tether_private INTERFACE)

if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(tether_private INTERFACE
    -Wall
    -Wextra
    -Wpedantic
    -Wshadow
    -Wconversion
    -Wsign-conversion
    -Wnon-virtual-dtor
    -Wold-style-cast
    -Woverloaded-virtual
    -Wnull-dereference
    -Wimplicit-fallthrough)
  if(TETHER_WERROR)
    target_compile_options(tether_private INTERFACE -Werror)
  endif()
elseif(MSVC)
  target_compile_options(tether_private INTERFACE /W4 /permissive-)
  if(TETHER_WERROR)
    target_compile_options(tether_private INTERFACE /WX)
  endif()
endif()

# Frame pointers in all of tether's own code: tether::stack_trace walks them
# (tens of ns for 16 frames, against microseconds for a DWARF unwind), and
# tether's frames sit between every user callback and its caller. It costs
# one register.
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(tether_private INTERFACE -fno-omit-frame-pointer)
endif()

# tether_target_private(<target>): give an *exported* library tether_private's
# flags without a link dependency. Linking it, even as
# $<BUILD_INTERFACE:tether_private>, puts $<LINK_ONLY:tether_private> into a
# static library's interface, and the build-tree export() then fails ("requires
# target tether_private that is not in any export set"); CMake 3.26's
# $<BUILD_LOCAL_INTERFACE:> would fix that, 3.25 does not have it.
# Non-exported targets (tests, benchmarks, examples) just link tether_private.
function(tether_target_private target)
  target_compile_options(${target} PRIVATE
    $<TARGET_PROPERTY:tether_private,INTERFACE_COMPILE_OPTIONS>)
  target_compile_definitions(${target} PRIVATE
    $<TARGET_PROPERTY:tether_private,INTERFACE_COMPILE_DEFINITIONS>)
endfunction()
