# Tests that drive the flowpool executable from a shell script.
if(TARGET flowpool_cli)
    add_test(NAME memory.peak_rss_flat
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/memory_flat.sh $<TARGET_FILE:flowpool_cli>
                     ${PROJECT_SOURCE_DIR})
    set_tests_properties(memory.peak_rss_flat PROPERTIES TIMEOUT 120 RUN_SERIAL TRUE)
endif()

# Consumers: an application links flowpool three ways, each built from scratch.
foreach(mode find_package pkg-config add_subdirectory)
    add_test(NAME consumer.${mode}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/consumer.sh ${mode} ${PROJECT_SOURCE_DIR}
                     ${PROJECT_BINARY_DIR})
    set_tests_properties(consumer.${mode} PROPERTIES TIMEOUT 600 LABELS consumer)
endforeach()
# add_subdirectory compiles the whole library again (unoptimised: consumer.sh): 117 s alone,
# 260 s beside a -j2 suite on the same 2 cores. Twenty minutes still ends a hung build.
set_tests_properties(consumer.add_subdirectory PROPERTIES TIMEOUT 1200)

# Public headers under strict warnings, with each compiler this machine has.
foreach(compiler g++ clang++)
    find_program(FLOWPOOL_${compiler}_PATH ${compiler})
    if(FLOWPOOL_${compiler}_PATH)
        add_test(NAME headers.strict_warnings.${compiler}
                 COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/header_strict.sh ${FLOWPOOL_${compiler}_PATH}
                         ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
        set_tests_properties(headers.strict_warnings.${compiler} PROPERTIES TIMEOUT 120)
    endif()
endforeach()

if(TARGET flowpool_cli)
    add_test(NAME cli.interrupt COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/interrupt.sh
             $<TARGET_FILE:flowpool_cli> ${PROJECT_SOURCE_DIR})
    # Its bound ("within a second") is scaled in sanitized builds, as the C++ tests' are.
    set_tests_properties(cli.interrupt PROPERTIES TIMEOUT ${flowpool_short_timeout}
                         ENVIRONMENT FLOWPOOL_TEST_SLOWDOWN=${flowpool_test_slowdown})
    add_test(NAME cli.fifo COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/fifo.sh $<TARGET_FILE:flowpool_cli>)
    set_tests_properties(cli.fifo PROPERTIES TIMEOUT ${flowpool_short_timeout}
                         ENVIRONMENT FLOWPOOL_TEST_SLOWDOWN=${flowpool_test_slowdown})
endif()

add_test(NAME graphs.schema COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/schema_check.py ${PROJECT_SOURCE_DIR})
set_tests_properties(graphs.schema PROPERTIES TIMEOUT ${flowpool_short_timeout})

if(TARGET flowpool_cli)
    add_test(NAME cli.exec_signals COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/exec_signals.sh
             $<TARGET_FILE:flowpool_cli>)
    set_tests_properties(cli.exec_signals PROPERTIES TIMEOUT ${flowpool_short_timeout})
    add_test(NAME cli.journal_append COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/journal_append.sh
             $<TARGET_FILE:flowpool_cli> ${PROJECT_SOURCE_DIR})
    set_tests_properties(cli.journal_append PROPERTIES TIMEOUT ${flowpool_short_timeout})
    foreach(signal INT TERM)
        add_test(NAME cli.journal_interrupt.${signal}
                 COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/journal_interrupt.sh
                         $<TARGET_FILE:flowpool_cli> ${signal})
        set_tests_properties(cli.journal_interrupt.${signal}
                             PROPERTIES TIMEOUT ${flowpool_short_timeout})
    endforeach()
endif()

# Resumable runs (issue 17): SIGKILL mid-run, then --resume, at 1, 2, 4 and 8 workers, for a
# graph (`flowpool run`) and for `flowpool exec`; the journal's edge cases and max_failures.
if(TARGET flowpool_cli)
    foreach(mode run exec)
        foreach(workers 1 2 4 8)
            add_test(NAME cli.journal_resume.${mode}.${workers}
                     COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/journal_resume.sh
                             $<TARGET_FILE:flowpool_cli> ${workers} ${mode})
            set_tests_properties(cli.journal_resume.${mode}.${workers} PROPERTIES TIMEOUT 120)
        endforeach()
    endforeach()
    add_test(NAME cli.journal_checks COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/journal_checks.sh
             $<TARGET_FILE:flowpool_cli>)
    set_tests_properties(cli.journal_checks PROPERTIES TIMEOUT ${flowpool_short_timeout})
endif()
