# The README's C++ example, built like an application and run under CTest with its output checked.
add_executable(readme_example ${CMAKE_CURRENT_SOURCE_DIR}/examples/readme_example.cpp)
target_link_libraries(readme_example PRIVATE flowpool::flowpool flowpool_warnings)

# What it must print, in any order: each job once by some worker of three, then its result.
set(readme_expected "")
foreach(i RANGE 9)
    string(APPEND readme_expected "Job ${i} processed by worker [0-2]\nResult: Job ${i} Value ${i}\n")
endforeach()
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/readme_example.expected "${readme_expected}")

add_test(NAME example.readme
         COMMAND ${CMAKE_COMMAND} -DCOMMAND=$<TARGET_FILE:readme_example>
                 -DEXPECTED=${CMAKE_CURRENT_BINARY_DIR}/readme_example.expected
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/check_lines.cmake)
set_tests_properties(example.readme PROPERTIES TIMEOUT ${flowpool_short_timeout})

# The README's custom-op example: an application registers `add` and runs tests/examples/add.yaml.
add_executable(custom_op_example ${CMAKE_CURRENT_SOURCE_DIR}/examples/custom_op.cpp)
target_link_libraries(custom_op_example PRIVATE flowpool::flowpool flowpool_warnings)
set(custom_op_expected "")
foreach(i RANGE 4)
    math(EXPR value "${i} + 100")
    string(APPEND custom_op_expected "Job ${i}: ${value}\n")
endforeach()
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/custom_op_example.expected "${custom_op_expected}")
add_test(NAME example.custom_op
         COMMAND ${CMAKE_COMMAND}
                 "-DCOMMAND=$<TARGET_FILE:custom_op_example>$<SEMICOLON>${CMAKE_CURRENT_SOURCE_DIR}/examples/add.yaml"
                 -DEXPECTED=${CMAKE_CURRENT_BINARY_DIR}/custom_op_example.expected
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/check_lines.cmake)
set_tests_properties(example.custom_op PROPERTIES TIMEOUT ${flowpool_short_timeout})

# The README's application-types example: an application registers the type `order` and two ops
# on it, and runs tests/examples/orders.yaml on tests/examples/orders.jsonl (paths from the
# repository root).
add_executable(app_types_example ${CMAKE_CURRENT_SOURCE_DIR}/examples/app_types.cpp)
target_link_libraries(app_types_example PRIVATE flowpool::flowpool flowpool_warnings)
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/app_types_example.expected
     "ada owes 7.5\ngrace owes 2.5\nlinus owes 12.0\nbarbara owes 4.5\n")
add_test(NAME example.app_types
         COMMAND ${CMAKE_COMMAND} -DCOMMAND=$<TARGET_FILE:app_types_example>
                 -DEXPECTED=${CMAKE_CURRENT_BINARY_DIR}/app_types_example.expected
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/check_lines.cmake
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(example.app_types PROPERTIES TIMEOUT ${flowpool_short_timeout})

# The README's records-from-C++ example: the typed API on tests/examples/events.jsonl, keeping
# the jobs whose status is 500 or more.
add_executable(records_api_example ${CMAKE_CURRENT_SOURCE_DIR}/examples/records_api.cpp)
target_link_libraries(records_api_example PRIVATE flowpool::flowpool flowpool_warnings)
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/records_api_example.expected
     "Job 1: 503 from FR\nJob 3: 500 from nowhere\nJob 4: 502 from JP\n")
add_test(NAME example.records_api
         COMMAND ${CMAKE_COMMAND} -DCOMMAND=$<TARGET_FILE:records_api_example>
                 -DEXPECTED=${CMAKE_CURRENT_BINARY_DIR}/records_api_example.expected
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/check_lines.cmake
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(example.records_api PROPERTIES TIMEOUT ${flowpool_short_timeout})

# graphs/records.yaml with its records written to the file RECORDS_OUT names: that file must hold
# each event's kept fields, in any order (tests/expected/records.jsonl.txt, derived from
# graphs/data/events.jsonl). Its standard output is checked with every graph's by test_cli.
if(TARGET flowpool_cli)
    set(records_out ${CMAKE_CURRENT_BINARY_DIR}/records_example.jsonl)
    add_test(NAME example.records_file
             COMMAND ${CMAKE_COMMAND}
                     "-DCOMMAND=sh$<SEMICOLON>-c$<SEMICOLON>RECORDS_OUT='${records_out}' '$<TARGET_FILE:flowpool_cli>' run graphs/records.yaml >/dev/null && cat '${records_out}'"
                     -DEXPECTED=${CMAKE_CURRENT_SOURCE_DIR}/expected/records.jsonl.txt
                     -P ${CMAKE_CURRENT_SOURCE_DIR}/check_lines.cmake
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(example.records_file PROPERTIES TIMEOUT ${flowpool_short_timeout})
endif()
