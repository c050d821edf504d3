// Stress: the throwing-job pipeline 500 times, each run at a random worker count (1..8), batch
// size (0..64), in-flight bound and failure policy (fail, skip, dead letter, with or without
// retries), sometimes with a filter before the throwing stage, an ordered sink or a cancel.
// Every run must end (a watchdog aborts with the run's settings if one takes over 20 s), account
// for every job (jobs in = results + filtered + skipped + dead-lettered + failed + abandoned) and
// report exactly what its policy promises. FLOWPOOL_STRESS_SEED=N replays a seed.
//
//   jobs ─► [drop v % 3 == 0] ─► check (throws on v % every == 0) ─► results
//                                  └─ on_error: fail | skip | dead_letter ─► rejects

#include <gtest/gtest.h>

#include <flowpool/on_error.hpp>
#include <flowpool/pipeline.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using flowpool::JobContext;
using flowpool::OnError;
using flowpool::RunResult;

constexpr int runs = 500;

/// One run's settings, drawn at random.
struct Trial {
    std::int64_t jobs = 0;          ///< the source's range
    std::int64_t every = 1;         ///< job v throws in `check` if v % every == 0
    std::size_t workers = 1;        ///< of `check` (and of the filter)
    std::size_t batch_size = 0;     ///< RunOptions::batch_size
    std::size_t max_in_flight = 0;  ///< RunOptions::max_in_flight
    OnError::Action action = OnError::Action::fail;
    int attempts = 1;                ///< tries per job in `check`
    bool filter = false;             ///< drop v % 3 == 0 before `check`
    bool ordered = false;            ///< the results sink wants ids in order
    std::int64_t cancel_after = -1;  ///< results seen before the sink cancels the run; -1 never

    [[nodiscard]] bool dropped(std::int64_t v) const { return filter && v % 3 == 0; }
    [[nodiscard]] bool throws(std::int64_t v) const { return v % every == 0; }
    /// Jobs that reach `check` and throw there, if the run is not stopped early.
    [[nodiscard]] std::uint64_t failing() const {
        std::uint64_t n = 0;
        for (std::int64_t v = 0; v < jobs; ++v) n += !dropped(v) && throws(v) ? 1 : 0;
        return n;
    }
    [[nodiscard]] std::uint64_t filtered_out() const {
        std::uint64_t n = 0;
        for (std::int64_t v = 0; v < jobs; ++v) n += dropped(v) ? 1 : 0;
        return n;
    }
    [[nodiscard]] std::string describe() const {
        static const char* const actions[] = {"fail", "skip", "dead_letter"};
        std::ostringstream out;
        out << "jobs=" << jobs << " every=" << every << " workers=" << workers
            << " batch_size=" << batch_size << " max_in_flight=" << max_in_flight
            << " on_error=" << actions[static_cast<int>(action)] << " attempts=" << attempts
            << " filter=" << filter << " ordered=" << ordered << " cancel_after=" << cancel_after;
        return out.str();
    }
};

Trial draw(std::mt19937_64& random) {
    auto pick = [&random](std::int64_t low, std::int64_t high) {
        return std::uniform_int_distribution<std::int64_t>(low, high)(random);
    };
    Trial t;
    t.jobs = pick(0, 9) == 0 ? pick(0, 3) : pick(1, 3000);
    t.every = pick(1, 10) == 1 ? 1 : pick(2, 200);
    t.workers = static_cast<std::size_t>(pick(1, 8));
    t.batch_size = static_cast<std::size_t>(pick(0, 64));
    t.max_in_flight = pick(0, 1) == 0 ? 0 : static_cast<std::size_t>(pick(1, 8));
    t.action = static_cast<OnError::Action>(pick(0, 2));
    t.attempts = pick(0, 3) == 0 ? static_cast<int>(pick(2, 3)) : 1;
    t.filter = pick(0, 1) == 1;
    t.ordered = pick(0, 3) == 0;
    t.cancel_after = pick(0, 9) == 0 ? pick(0, 200) : -1;
    return t;
}

/// Aborts the process, naming the run, if the run it guards has not ended within 20 s: a hang
/// then says which settings hung instead of only hitting CTest's timeout.
class Watchdog {
public:
    explicit Watchdog(std::string what) : what_(std::move(what)), thread_([this] { watch(); }) {}
    ~Watchdog() {
        {
            const std::lock_guard lock(mutex_);
            done_ = true;
        }
        ended_.notify_one();
        thread_.join();
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

private:
    void watch() {
        std::unique_lock lock(mutex_);
        if (!ended_.wait_for(lock, std::chrono::seconds(20), [this] { return done_; })) {
            std::fprintf(stderr, "HANG: run did not end within 20 s: %s\n", what_.c_str());
            std::abort();
        }
    }

    std::string what_;
    std::mutex mutex_;
    std::condition_variable ended_;
    bool done_ = false;
    std::thread thread_;
};

/// What the sinks saw.
struct Seen {
    std::vector<std::uint64_t> result_ids;
    std::vector<std::int64_t> letter_values;
    std::vector<std::string> letter_nodes;
    std::vector<std::string> letter_errors;
};

RunResult run_trial(const Trial& t, Seen& seen) {
    std::atomic<bool> cancel{false};
    flowpool::RunOptions options;
    options.batch_size = t.batch_size;
    options.max_in_flight = t.max_in_flight;
    options.cancel = &cancel;

    auto check = [&t](std::int64_t v) -> std::int64_t {
        if (t.throws(v)) throw std::runtime_error("job value " + std::to_string(v) + " throws");
        return v;
    };
    auto result_sink = [&](std::int64_t, const JobContext& job) {
        seen.result_ids.push_back(job.id());
        if (t.cancel_after >= 0 &&
            seen.result_ids.size() >= static_cast<std::size_t>(t.cancel_after)) {
            cancel.store(true);
        }
    };

    auto flow = flowpool::source("jobs", flowpool::range(t.jobs));
    if (t.action == OnError::Action::dead_letter) {
        flow = flow.dead_letters("rejects", [&seen](std::int64_t v, const JobContext& job) {
            seen.letter_values.push_back(v);
            seen.letter_nodes.emplace_back(job.failed_node());
            seen.letter_errors.emplace_back(job.error());
        });
    }
    if (t.filter) {
        flow = flow.filter("sieve", t.workers, [](std::int64_t v) { return v % 3 != 0; });
    }
    OnError policy = t.action == OnError::Action::skip          ? OnError::skip()
                     : t.action == OnError::Action::dead_letter ? OnError::dead_letter_to("rejects")
                                                                : OnError::fail();
    const auto checked = flow.stage("check", t.workers, check).on_error(policy.retried(t.attempts));
    flowpool::Pipeline pipeline = t.ordered
                                      ? checked.sink("results", result_sink, flowpool::in_order)
                                      : checked.sink("results", result_sink);
    return pipeline.try_run(options);
}

const flowpool::NodeStats* node(const RunResult& result, const std::string& name) {
    for (const flowpool::NodeStats& n : result.stats.nodes) {
        if (n.name == name) return &n;
    }
    return nullptr;
}

void check_trial(const Trial& t, const RunResult& result, const Seen& seen) {
    const flowpool::RunStats& s = result.stats;
    ASSERT_EQ(s.accounted(), s.jobs_in)
        << "results " << s.results_out << " filtered " << s.filtered << " skipped " << s.skipped
        << " dead-lettered " << s.dead_lettered << " failed " << s.failed << " abandoned "
        << s.abandoned;
    EXPECT_EQ(s.abandoned, 0u);
    EXPECT_LE(s.jobs_in, static_cast<std::uint64_t>(t.jobs));
    EXPECT_EQ(s.results_out, seen.result_ids.size());
    EXPECT_EQ(s.dead_lettered, seen.letter_values.size());
    if (t.ordered) {
        for (std::size_t i = 1; i < seen.result_ids.size(); ++i) {
            ASSERT_LT(seen.result_ids[i - 1], seen.result_ids[i]) << "ordered sink, position " << i;
        }
    }
    for (const std::uint64_t id : seen.result_ids) {
        ASSERT_FALSE(t.throws(static_cast<std::int64_t>(id)))
            << "job " << id << " threw yet reached the sink";
        ASSERT_FALSE(t.dropped(static_cast<std::int64_t>(id)))
            << "job " << id << " was filtered yet reached the sink";
    }
    const flowpool::NodeStats* check = node(result, "check");
    ASSERT_NE(check, nullptr);

    // A run that stopped early (a cancel, or a failure under `fail`) made fewer jobs: only the
    // equation above and the error are exact then.
    const bool complete = s.jobs_in == static_cast<std::uint64_t>(t.jobs);
    if (t.action == OnError::Action::fail) {
        EXPECT_EQ(s.skipped + s.dead_lettered, 0u);
        if (complete && t.failing() > 0) {
            EXPECT_GE(s.failed, 1u);
        }
        ASSERT_EQ(result.error.has_value(), s.failed > 0);
        if (result.error) {
            EXPECT_EQ(result.error->node(), "check");
            EXPECT_TRUE(t.throws(static_cast<std::int64_t>(result.error->job_id())))
                << "job " << result.error->job_id() << " does not throw";
            EXPECT_FALSE(t.dropped(static_cast<std::int64_t>(result.error->job_id())));
            EXPECT_EQ(result.error->failed_jobs(), s.failed);
            EXPECT_EQ(result.error->reason(),
                      "job value " + std::to_string(result.error->job_id()) + " throws");
        }
        return;
    }
    EXPECT_FALSE(result.error) << result.error->what();
    EXPECT_EQ(s.failed, 0u);
    const std::uint64_t failed_here =
        t.action == OnError::Action::skip ? s.skipped : s.dead_lettered;
    EXPECT_EQ(t.action == OnError::Action::skip ? s.dead_lettered : s.skipped, 0u);
    // Once a cancel stops the run, a failing job is not tried again.
    if (result.cancelled) {
        EXPECT_LE(check->retries, failed_here * static_cast<std::uint64_t>(t.attempts - 1));
    } else {
        EXPECT_EQ(check->retries, failed_here * static_cast<std::uint64_t>(t.attempts - 1));
    }
    for (std::size_t i = 0; i < seen.letter_values.size(); ++i) {
        ASSERT_TRUE(t.throws(seen.letter_values[i]))
            << "letter of job value " << seen.letter_values[i];
        ASSERT_EQ(seen.letter_nodes[i], "check");
        ASSERT_EQ(seen.letter_errors[i],
                  "job value " + std::to_string(seen.letter_values[i]) + " throws");
    }
    if (complete) {
        EXPECT_EQ(failed_here, t.failing());
        EXPECT_EQ(s.filtered, t.filtered_out());
        EXPECT_EQ(s.results_out,
                  static_cast<std::uint64_t>(t.jobs) - t.failing() - t.filtered_out());
    } else {
        EXPECT_GE(t.cancel_after, 0) << "only a cancel stops a run under " << t.describe();
        EXPECT_TRUE(result.cancelled);
    }
}

std::uint64_t stress_seed() {
    if (const char* text = std::getenv("FLOWPOOL_STRESS_SEED")) return std::stoull(text);
    return std::random_device{}();
}

TEST(Stress, FiveHundredRunsOfTheThrowingGraphEndAndAccountForEveryJob) {
    const std::uint64_t seed = stress_seed();
    std::mt19937_64 random(seed);
    const auto start = std::chrono::steady_clock::now();
    for (int run = 0; run < runs; ++run) {
        const Trial t = draw(random);
        SCOPED_TRACE("FLOWPOOL_STRESS_SEED=" + std::to_string(seed) + " run " +
                     std::to_string(run) + ": " + t.describe());
        Seen seen;
        RunResult result;
        {
            const Watchdog watchdog("seed " + std::to_string(seed) + " run " + std::to_string(run) +
                                    ": " + t.describe());
            result = run_trial(t, seen);
        }
        check_trial(t, result, seen);
        if (::testing::Test::HasFailure()) break;  // one run's report is enough to go on
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%d runs in %.1f s (FLOWPOOL_STRESS_SEED=%llu)\n", runs, seconds,
                static_cast<unsigned long long>(seed));
}

}  // namespace
