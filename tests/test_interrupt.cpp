// Clean interruption, measured: a real SIGINT stops a busy source within 100 ms. The CLI's
// handler (src/cli/main.cpp) only sets the RunOptions::cancel flag, as the handler here does, so
// what is measured is the runtime's answer: the end of the source's last batch (from its trace
// spans) minus the moment the signal was sent. tests/interrupt.sh checks the CLI end to end.
//
//   jobs (range, 1 job a batch) ─► work (2 workers, 20 µs a job) ─► results

#include <gtest/gtest.h>

#include <flowpool/pipeline.hpp>
#include <flowpool/trace.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Set by the SIGINT handler below, read by the run as RunOptions::cancel.
std::atomic<bool> interrupted{false};

extern "C" void on_sigint(int) { interrupted.store(true); }

/// Remembers when one node last finished a batch; spans come from worker threads.
class LastBatch final : public flowpool::TraceSink {
public:
    explicit LastBatch(std::string node) : node_(std::move(node)) {}

    void span(const flowpool::Span& span) noexcept override {
        if (span.node != node_) return;
        const std::lock_guard<std::mutex> lock(mutex_);
        last_ = std::max(last_, span.end);
    }
    /// The end of the node's last batch (the epoch if it ran none).
    [[nodiscard]] Clock::time_point last() {
        const std::lock_guard<std::mutex> lock(mutex_);
        return last_;
    }

private:
    std::string node_;
    std::mutex mutex_;
    Clock::time_point last_{};
};

/// Runs the pipeline above, sends this process SIGINT after @p running, and returns how long
/// after the signal the source finished its last batch (negative: it had stopped before).
milliseconds source_stop_after_sigint(milliseconds running) {
    interrupted.store(false);
    LastBatch source_clock("jobs");
    flowpool::RunOptions options;
    options.cancel = &interrupted;
    options.trace = &source_clock;
    Clock::time_point signalled{};
    std::thread signaller([&] {
        std::this_thread::sleep_for(running);
        signalled = Clock::now();
        ::kill(::getpid(), SIGINT);
    });
    const flowpool::RunResult result =
        flowpool::source("jobs", flowpool::range(std::int64_t{1} << 50), 1)
            .stage("work", 2,
                   [](std::int64_t v) {
                       const auto until = Clock::now() + std::chrono::microseconds(20);
                       while (Clock::now() < until) {
                       }
                       return v;
                   })
            .sink("results", [](std::int64_t) {})
            .try_run(options);
    signaller.join();
    EXPECT_TRUE(result.cancelled);
    EXPECT_FALSE(result.error.has_value());
    EXPECT_GT(result.stats.jobs_in, 0u);
    EXPECT_EQ(result.stats.accounted(), result.stats.jobs_in) << "the jobs in flight finish";
    return std::chrono::duration_cast<milliseconds>(source_clock.last() - signalled);
}

TEST(Interrupt, SigintStopsABusySourceWithin100Ms) {
    struct sigaction action {};
    struct sigaction previous {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    ASSERT_EQ(::sigaction(SIGINT, &action, &previous), 0);

    // Five runs; the median must be within the 100 ms promised. Each run gets 1 s, so that one
    // slice of a loaded CI machine taken away at the wrong moment does not fail the test, while
    // a source that ignores the flag (it would run for days) or polls it lazily still does.
    std::vector<milliseconds> stops;
    for (int run = 0; run < 5; ++run) stops.push_back(source_stop_after_sigint(milliseconds(200)));
    ::sigaction(SIGINT, &previous, nullptr);

    std::string figures;
    for (const milliseconds stop : stops) figures += std::to_string(stop.count()) + " ms ";
    std::printf("source's last batch after SIGINT: %s\n", figures.c_str());
    RecordProperty("source_stop_ms", figures);
    for (const milliseconds stop : stops) EXPECT_LT(stop, milliseconds(1000)) << figures;
    std::sort(stops.begin(), stops.end());
    EXPECT_LT(stops[stops.size() / 2], milliseconds(100)) << figures;
}

}  // namespace
