// Default options of the sanitizer runtimes, compiled into every flowpool target of a
// FLOWPOOL_SANITIZE, FLOWPOOL_FUZZ or FLOWPOOL_TSAN build, so that a plain `ctest` (and the CLI
// the tests start) picks up the narrow suppression files without any environment variable.
// ASAN_OPTIONS / UBSAN_OPTIONS / TSAN_OPTIONS set in the environment still add to or override
// these.
//
// Every report fails the process with exit code 86 (the sanitizers' own default is 1, which is
// also the CLI's "a job failed": a test of that exit code would pass through a report). 86 is no
// exit code of flowpool's, so a report in the CLI fails every test that checks its exit code, and
// a report in a test executable fails that test.

extern "C" {

/// Read by AddressSanitizer (and LeakSanitizer, and UBSan beside it) at start-up.
const char* __asan_default_options() { return "exitcode=86:halt_on_error=1:detect_leaks=1"; }

/// Read by LeakSanitizer at start-up: tests/sanitizers/lsan.supp.
const char* __lsan_default_options() { return "suppressions=" FLOWPOOL_LSAN_SUPPRESSIONS; }

/// Read by UndefinedBehaviorSanitizer at start-up: stacks in reports, tests/sanitizers/ubsan.supp.
/// (The build also passes -fno-sanitize-recover=undefined: the first report ends the process.)
const char* __ubsan_default_options() {
    return "print_stacktrace=1:halt_on_error=1:exitcode=86:"
           "suppressions=" FLOWPOOL_UBSAN_SUPPRESSIONS;
}

/// Read by ThreadSanitizer at start-up: tests/sanitizers/tsan.supp, and a report fails the process.
const char* __tsan_default_options() {
    return "halt_on_error=1:exitcode=86:second_deadlock_stack=1:"
           "suppressions=" FLOWPOOL_TSAN_SUPPRESSIONS;
}
}
