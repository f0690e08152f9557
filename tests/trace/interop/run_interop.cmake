# cmake -P script behind the `trace.interop` ctest test: installs the pinned
# OpenTelemetry JS packages (tests/trace/interop/package.json) into the build
# tree with npm, then runs run_interop.js against the trace_chain example.
#
# Inputs (-D): INTEROP_SOURCE_DIR, INTEROP_WORK_DIR, TRACE_CHAIN.
# Node and npm are needed; without them the test is skipped (exit code 77,
# ctest's SKIP_RETURN_CODE) with a message saying so.

find_program(NODE node)
find_program(NPM npm)
if(NOT NODE OR NOT NPM)
  message("trace.interop: SKIPPED: node and npm are needed (apt-get install nodejs npm)")
  cmake_language(EXIT 77)
endif()

file(MAKE_DIRECTORY "${INTEROP_WORK_DIR}")
foreach(f IN ITEMS package.json receiver.js node_service.js run_interop.js)
  configure_file("${INTEROP_SOURCE_DIR}/${f}" "${INTEROP_WORK_DIR}/${f}" COPYONLY)
endforeach()

# Reinstall only when the pins change.
file(SHA256 "${INTEROP_WORK_DIR}/package.json" pins)
set(stamp "${INTEROP_WORK_DIR}/node_modules/.tether-pins")
set(installed "")
if(EXISTS "${stamp}")
  file(READ "${stamp}" installed)
endif()
if(NOT installed STREQUAL pins)
  message("trace.interop: npm install (the pinned OpenTelemetry JS packages)")
  execute_process(COMMAND "${NPM}" install --no-audit --no-fund --loglevel=error --no-package-lock
    WORKING_DIRECTORY "${INTEROP_WORK_DIR}"
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "trace.interop: npm install failed (exit ${rc}); the npm registry must be reachable")
  endif()
  file(WRITE "${stamp}" "${pins}")
endif()

execute_process(COMMAND "${NODE}" "${INTEROP_WORK_DIR}/run_interop.js" "${TRACE_CHAIN}"
  WORKING_DIRECTORY "${INTEROP_WORK_DIR}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "trace.interop: failed (exit ${rc})")
endif()
