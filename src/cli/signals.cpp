#include "signals.hpp"

#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <future>
#include <optional>
#include <sstream>

#include "command.hpp"
#include "common/child_groups.hpp"
#include "common/line_output.hpp"
#include "common/log.hpp"

namespace flowpool::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> cancel_requested{false};
std::atomic<int> first_signal{0};
/// Set while run_and_watch() watches: a second signal is then left to it, which kills the
/// programs the run started before leaving.
std::atomic<bool> watching{false};
/// The second signal, while watching.
std::atomic<int> second_signal{0};

/// First SIGINT/SIGTERM/SIGHUP: stop the sources and let the jobs in flight finish. Second: leave
/// now.
extern "C" void on_signal(int signal) {
    if (first_signal.exchange(signal) != 0) {
        if (!watching.load()) ::_exit(128 + signal);
        second_signal.store(signal);
    }
    cancel_requested.store(true);
}

/// The drain timeout expired: the jobs still in flight are abandoned. Prints the summary from
/// the observer's latest figures and leaves at once, without waiting for the run's threads.
[[noreturn]] void abandon(RunWatch& watch, const ReportFlags& flags, std::ofstream* json,
                          Clock::time_point start) {
    watch.stop_progress();
    RunStats stats = watch.latest();
    stats.wall = Clock::now() - start;
    stats.abandoned = stats.jobs() > stats.accounted() ? stats.jobs() - stats.accounted() : 0;
    const int signal = caught_signal();
    detail::log().info("drain timeout of {} s expired: {} jobs abandoned", flags.drain_timeout,
                       stats.abandoned);
    // One write: the run's threads, still going, may log their jobs' failures meanwhile.
    std::ostringstream line;
    line << flags.prefix << "interrupted by " << signal_name(signal) << " after " << stats.jobs_in
         << ' ' << flags.jobs_are << "; " << stats.abandoned
         << " jobs in flight abandoned after the drain timeout (" << flags.drain_timeout << " s)";
    print_line(line.str(), Severity::warning);
    static_cast<void>(report(stats, flags, json));  // the exit code is the signal's
    // Every line a sink wrote is whole already (one write(2) each): nothing to flush.
    std::_Exit(128 + signal);
}

}  // namespace

void install_signal_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    // A hangup (a closed ssh session) stops the run as SIGTERM does, so that no program is left
    // running; unless it was ignored when flowpool started (nohup).
    struct sigaction hangup {};
    if (sigaction(SIGHUP, nullptr, &hangup) == 0 && hangup.sa_handler != SIG_IGN)
        sigaction(SIGHUP, &action, nullptr);
    // A write into a pipe nobody reads fails with EPIPE instead of killing the process: a sink
    // writing a FIFO reports it like any write error, and for standard output the run stops its
    // sources and ends its other outputs before dying of SIGPIPE (exit_as_closed_pipe).
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, nullptr);
}

bool stdout_closed(const RunResult& result) {
    const detail::LineOutput& out = detail::LineOutput::stdout_lines();
    return out.closed() && (!result.error || result.error->reason() == out.failure());
}

void exit_as_closed_pipe() {
    std::signal(SIGPIPE, SIG_DFL);
    sigset_t pipe{};
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_UNBLOCK, &pipe, nullptr);
    std::raise(SIGPIPE);
    std::_Exit(128 + SIGPIPE);  // not reached
}

const std::atomic<bool>& cancel_flag() noexcept { return cancel_requested; }

void stop_sources() noexcept { cancel_requested.store(true); }

int caught_signal() noexcept { return first_signal.load(); }

std::string signal_name(int signal) {
    switch (signal) {
        case SIGTERM:
            return "SIGTERM";
        case SIGHUP:
            return "SIGHUP";
        default:
            return "SIGINT";
    }
}

RunResult run_and_watch(const GraphSpec& graph, const OpRegistry& ops, const RunOptions& options,
                        RunWatch& watch, const ReportFlags& flags, std::ofstream* json) {
    const auto start = Clock::now();
    auto run = std::async(std::launch::async, [&] { return run_graph(graph, ops, options); });
    std::optional<Clock::time_point> deadline;
    watching.store(true);
    while (run.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
        if (const int second = second_signal.load(); second != 0) {
            detail::ChildGroups::running().signal_all(SIGKILL);
            ::_exit(128 + second);
        }
        // Nobody reads stdout: stop the sources even if the sink's on_error skips its failures.
        if (detail::LineOutput::stdout_lines().closed()) cancel_requested.store(true);
        if (caught_signal() == 0) continue;
        if (!deadline) {
            deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(flags.drain_timeout));
            detail::log().info("{}: the sources stop; the jobs in flight get {} s",
                               signal_name(caught_signal()), flags.drain_timeout);
            // The programs the run started (exec) are asked to end too, and none starts now.
            detail::ChildGroups::running().stop(SIGTERM);
        } else if (Clock::now() >= *deadline) {
            // No program outlives flowpool: what is still running after the drain is killed.
            detail::ChildGroups::running().signal_all(SIGKILL);
            abandon(watch, flags, json, start);
        }
    }
    watching.store(false);
    return run.get();
}

}  // namespace flowpool::cli
