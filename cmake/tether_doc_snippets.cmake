# tether_doc_snippets(<target> DOC <markdown file> LINK <target>...)
#
# Every ```cpp block of a docs/ page must compile: each becomes one generated
# translation unit (written only when its text changed, so unchanged snippets
# are not rebuilt), and together they form an OBJECT library that is part of
# ALL. A snippet is therefore a whole translation unit: its #includes, then
# declarations and definitions (several may define main; they are compiled,
# not linked). Other fences (```text, ```sh) are left alone. The page is a
# configure dependency: editing it regenerates the snippets.

function(tether_doc_snippets target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "DOC" "LINK")
  if(NOT arg_DOC)
    message(FATAL_ERROR "tether_doc_snippets: DOC is required")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${arg_DOC}")
  file(READ "${arg_DOC}" rest)
  get_filename_component(page "${arg_DOC}" NAME_WE)
  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/${target}")
  set(open_fence "```cpp\n")
  string(LENGTH "${open_fence}" open_length)
  set(sources "")
  set(index 0)
  while(TRUE)
    string(FIND "${rest}" "${open_fence}" start)
    if(start EQUAL -1)
      break()
    endif()
    math(EXPR start "${start} + ${open_length}")
    string(SUBSTRING "${rest}" ${start} -1 rest)
    string(FIND "${rest}" "\n```" end)
    if(end EQUAL -1)
      message(FATAL_ERROR "${arg_DOC}: snippet ${index} has no closing fence")
    endif()
    string(SUBSTRING "${rest}" 0 ${end} code)
    math(EXPR end "${end} + 4")
    string(SUBSTRING "${rest}" ${end} -1 rest)

    set(tu "${out_dir}/${page}_snippet_${index}.cpp")
    file(WRITE "${tu}.new" "// Generated from ${arg_DOC} (snippet ${index}) by cmake/tether_doc_snippets.cmake.\n${code}\n")
    configure_file("${tu}.new" "${tu}" COPYONLY)
    file(REMOVE "${tu}.new")
    list(APPEND sources "${tu}")
    math(EXPR index "${index} + 1")
  endwhile()
  if(NOT sources)
    message(FATAL_ERROR "tether_doc_snippets: ${arg_DOC} has no ```cpp snippet")
  endif()
  add_library(${target} OBJECT ${sources})
  target_link_libraries(${target} PRIVATE ${arg_LINK})
endfunction()
