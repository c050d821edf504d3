#pragma once
// One program run to its end, for the `exec` op: started with posix_spawn in a process group of
// its own, its standard input fed and its output read through pipes by the calling thread (one
// poll loop, no thread of its own), its group killed at a deadline, and the child always reaped.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace flowpool::detail {

/// What to run and how.
struct ProgramSpec {
    std::vector<std::string> argv;  ///< the program (searched on PATH without a '/') and its args
    /// NAME=VALUE strings for its environment; null: flowpool's own environment.
    const std::vector<std::string>* env = nullptr;
    std::string cwd;                             ///< its working directory; empty: flowpool's
    std::optional<std::string> input;            ///< written to its standard input; none: /dev/null
    std::chrono::milliseconds timeout{0};        ///< 0: none; else its group gets SIGTERM then
    std::chrono::milliseconds kill_grace{2000};  ///< after SIGTERM, the wait before SIGKILL
    std::size_t max_output_bytes = std::size_t{16} << 20;  ///< more standard output fails it
};

/// How a program ended and what it wrote.
struct ProgramResult {
    enum class End {
        exited,           ///< it exited, `code` is its exit code
        signalled,        ///< a signal killed it, `code` is the signal
        timed_out,        ///< it outlived its timeout; its group was killed
        too_much_output,  ///< it wrote more than max_output_bytes; its group was killed
        not_started,      ///< posix_spawn failed; `why` says why
    };
    End end = End::exited;
    int code = 0;
    std::string out;  ///< its standard output
    std::string err;  ///< its standard error (at most max_output_bytes: the last ones)
    std::string why;  ///< for not_started: the reason

    /// True if it exited with code 0.
    [[nodiscard]] bool ok() const noexcept { return end == End::exited && code == 0; }
};

/// Runs @p spec to its end and reaps it. Never leaves a child behind; throws only
/// std::bad_alloc and std::system_error for a pipe that cannot be made.
ProgramResult run_program(const ProgramSpec& spec);

/// Why @p result is a failure, for a job's error: "exited with code 3", "killed by SIGSEGV",
/// "timed out after 500 ms", ..., followed by the last 4 KiB of its standard error.
std::string failure_message(const ProgramResult& result, const ProgramSpec& spec);

/// The name of signal @p signal: "SIGTERM", or "signal 77".
std::string signal_name_of(int signal);

}  // namespace flowpool::detail
