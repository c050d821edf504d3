# Tests that drive the flowpool executable from a shell script.
if(TARGET flowpool_cli)
    add_test(NAME memory.peak_rss_flat
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/memory_flat.sh $<TARGET_FILE:flowpool_cli>
                     ${PROJECT_SOURCE_DIR})
    set_tests_properties(memory.peak_rss_flat PROPERTIES TIMEOUT 120 RUN_SERIAL TRUE)
endif()
