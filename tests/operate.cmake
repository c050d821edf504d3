# Operating flowpool (issue 18): the metrics endpoint and JSON logs, driven through the CLI.
if(TARGET flowpool_cli)
    find_program(FLOWPOOL_CURL curl)
    # Debian's python3-prometheus-client is installed for Debian's Python: a python3 from pyenv
    # or a venv earlier on PATH would not see it.
    find_program(FLOWPOOL_SYSTEM_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
    execute_process(COMMAND ${FLOWPOOL_SYSTEM_PYTHON} -c "import prometheus_client"
                    RESULT_VARIABLE flowpool_no_prometheus_client OUTPUT_QUIET ERROR_QUIET)
    if(FLOWPOOL_CURL AND flowpool_no_prometheus_client EQUAL 0)
        set(metrics_test ${FLOWPOOL_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/metrics_endpoint.py $<TARGET_FILE:flowpool_cli>
            ${PROJECT_SOURCE_DIR})
        foreach(workers 1 2 4 8)
            add_test(NAME metrics.counters_grow.${workers} COMMAND ${metrics_test} grows ${workers})
            set_tests_properties(metrics.counters_grow.${workers} PROPERTIES TIMEOUT 120)
        endforeach()
        add_test(NAME metrics.health_after_failure COMMAND ${metrics_test} health)
        add_test(NAME metrics.bad_address COMMAND ${metrics_test} errors)
        add_test(NAME metrics.label_escaping COMMAND ${metrics_test} labels)
        add_test(NAME metrics.exit_at_once COMMAND ${metrics_test} exit)
        set_tests_properties(metrics.health_after_failure metrics.bad_address
                             metrics.label_escaping metrics.exit_at_once
                             PROPERTIES TIMEOUT ${flowpool_short_timeout})
        # 200 runs (fewer in sanitized builds, where a run starts 0.2 s later): 20 s alone,
        # 45 s beside the suite.
        add_test(NAME metrics.scrapes_as_a_run_ends COMMAND ${metrics_test} ending)
        set_tests_properties(metrics.scrapes_as_a_run_ends PROPERTIES TIMEOUT 240
                             ENVIRONMENT FLOWPOOL_TEST_SLOWDOWN=${flowpool_test_slowdown})
        find_program(FLOWPOOL_METRICS_REDIS_SERVER redis-server)
        if(FLOWPOOL_METRICS_REDIS_SERVER)
            add_test(NAME metrics.redis_worker
                     COMMAND ${metrics_test} redis ${FLOWPOOL_METRICS_REDIS_SERVER})
            set_tests_properties(metrics.redis_worker PROPERTIES TIMEOUT 120 LABELS redis)
        endif()
    else()
        message(WARNING "curl or python3-prometheus-client missing: the metrics.* tests are left "
                        "out (scripts/build.sh installs both)")
    endif()
    find_program(FLOWPOOL_TMUX tmux)
    if(FLOWPOOL_TMUX)
        add_test(NAME cli.top COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/top.sh
                 $<TARGET_FILE:flowpool_cli> ${PROJECT_SOURCE_DIR})
        # Its bound on `q` is scaled in sanitized builds, as the C++ tests' are.
        set_tests_properties(cli.top PROPERTIES TIMEOUT 120
                             ENVIRONMENT FLOWPOOL_TEST_SLOWDOWN=${flowpool_test_slowdown})
    else()
        message(WARNING "tmux missing: cli.top is left out (scripts/build.sh installs it)")
    endif()
    add_test(NAME cli.json_logs COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/json_logs.sh
             $<TARGET_FILE:flowpool_cli> ${PROJECT_SOURCE_DIR})
    set_tests_properties(cli.json_logs PROPERTIES TIMEOUT ${flowpool_short_timeout})
endif()

# Every graph in graphs/ has unit tests in graphs/tests (`flowpool test`), one CTest per test
# file, run from the repository root as the graphs' paths are; the plugin graph uses the plugin
# this build makes.
if(TARGET flowpool_cli)
    file(GLOB_RECURSE flowpool_graph_tests CONFIGURE_DEPENDS
         ${PROJECT_SOURCE_DIR}/graphs/tests/*.test.yaml)
    foreach(test_file IN LISTS flowpool_graph_tests)
        file(RELATIVE_PATH relative ${PROJECT_SOURCE_DIR} ${test_file})
        string(REGEX REPLACE "^graphs/tests/(.*)\\.test\\.yaml$" "\\1" name ${relative})
        string(REPLACE "/" "." name ${name})
        add_test(NAME graphs.test.${name} COMMAND $<TARGET_FILE:flowpool_cli> test ${relative}
                 WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
        set_tests_properties(graphs.test.${name} PROPERTIES TIMEOUT ${flowpool_short_timeout}
                             ENVIRONMENT FLOWPOOL_PLUGIN_DIR=${PROJECT_BINARY_DIR}/plugins)
    endforeach()
endif()
