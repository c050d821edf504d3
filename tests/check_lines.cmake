# Runs a program and checks its stdout line by line, in any order: every line written must match
# exactly one pattern of EXPECTED (a file of CMake regexes, one a line, without ';'), and every
# pattern exactly one line. The program must exit with 0; what it writes to stderr is ignored.
#
#   cmake -DCOMMAND=<program> -DEXPECTED=<file> -P check_lines.cmake

foreach(var IN ITEMS COMMAND EXPECTED)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "usage: cmake -DCOMMAND=<program> -DEXPECTED=<file> -P check_lines.cmake")
    endif()
endforeach()

execute_process(COMMAND ${COMMAND} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "${COMMAND} failed (${rc}):\n${err}")
endif()

file(STRINGS ${EXPECTED} patterns)
list(FILTER patterns EXCLUDE REGEX "^$")
# One list element per line written; a missing final newline still counts as a line.
string(REGEX REPLACE "\n$" "" out "${out}")
set(lines "")
if(NOT out STREQUAL "")
    string(REPLACE ";" "\\;" out "${out}")
    string(REPLACE "\n" ";" lines "${out}")
endif()

set(problems "")
foreach(line IN LISTS lines)
    set(matched 0)
    foreach(pattern IN LISTS patterns)
        if(line MATCHES "^${pattern}$")
            math(EXPR matched "${matched} + 1")
        endif()
    endforeach()
    if(NOT matched EQUAL 1)
        string(APPEND problems "\n  line matches ${matched} patterns: '${line}'")
    endif()
endforeach()
foreach(pattern IN LISTS patterns)
    set(matched 0)
    foreach(line IN LISTS lines)
        if(line MATCHES "^${pattern}$")
            math(EXPR matched "${matched} + 1")
        endif()
    endforeach()
    if(NOT matched EQUAL 1)
        string(APPEND problems "\n  pattern matched by ${matched} lines: '${pattern}'")
    endif()
endforeach()

if(NOT problems STREQUAL "")
    message(FATAL_ERROR "output of ${COMMAND} does not match ${EXPECTED}:${problems}\n"
                        "--- output ---\n${out}")
endif()
list(LENGTH lines n)
message(STATUS "${n} lines, each matching exactly one pattern of ${EXPECTED}")
