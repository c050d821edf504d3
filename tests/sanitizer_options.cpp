// Default options of the sanitizer runtimes, compiled into every flowpool target of a
// FLOWPOOL_SANITIZE, FLOWPOOL_FUZZ or FLOWPOOL_TSAN build, so that a plain `ctest` (and the CLI
// the tests start) picks up the narrow suppression files without any environment variable.
// UBSAN_OPTIONS / TSAN_OPTIONS set in the environment still add to or override these.

extern "C" {

/// Read by UndefinedBehaviorSanitizer at start-up: stacks in reports, tests/ubsan.supp.
const char* __ubsan_default_options() {
    return "print_stacktrace=1:suppressions=" FLOWPOOL_UBSAN_SUPPRESSIONS;
}

/// Read by ThreadSanitizer at start-up: tests/tsan.supp, and a report fails the process.
const char* __tsan_default_options() {
    return "halt_on_error=1:second_deadlock_stack=1:suppressions=" FLOWPOOL_TSAN_SUPPRESSIONS;
}

}
