// The fault tests of issue 8: workers killed with SIGKILL, and the server stopped and started
// again, mid-run. Afterwards every job has a correct result, nothing is pending, and the jobs
// that ran twice are bounded.

#include <gtest/gtest.h>

#include <iostream>
#include <random>

#include "ops/spin.hpp"
#include "redis_fixture.hpp"

namespace flowpool::test {
namespace {

constexpr std::uint64_t jobs = 10000;
constexpr int batch = 10;

/// Spin iterations per job for the 10,000 jobs to keep two cores busy for about @p seconds, from
/// the best speed of one thread over a few short samples: on a shared machine the jobs may then
/// take longer (the timeouts allow for it), but never so little time that the faults come after
/// the last job.
std::int64_t iterations_for(double seconds) {
    constexpr std::int64_t step = 20'000;
    double best = 0;
    std::int64_t sink = 0;
    for (int sample = 0; sample < 8; ++sample) {
        const auto start = Clock::now();
        std::int64_t done = 0;
        while (Clock::now() - start < 50ms) {
            sink += detail::spin(done, step);
            done += step;
        }
        const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        best = std::max(best, static_cast<double>(done) / elapsed);
    }
    const auto iterations = static_cast<std::int64_t>(best * 2 * seconds / jobs) + (sink & 1);
    std::cout << "spin: " << best / 1e6 << " M iterations/s on one thread at best; " << iterations
              << " iterations a job\n";
    return std::max<std::int64_t>(iterations, 1000);
}

class RedisFaults : public ::testing::Test {
protected:
    RedisServer server;
    Client client{server.port()};
    int started = 0;

    void enqueue() {
        auto p = run_flowpool(source_file("graphs/redis/enqueue.yaml"),
                              {"jobs.count=" + std::to_string(jobs), "queue.url=" + server.url()},
                              server.dir(), "enqueue");
        ASSERT_EQ(p->wait(30s), 0) << p->err();
    }

    /// A worker process of graphs/redis/worker.yaml; it exits once the group is drained.
    std::unique_ptr<Process> worker(std::int64_t iterations) {
        return run_flowpool(source_file("graphs/redis/worker.yaml"),
                            {"jobs.url=" + server.url(), "results.url=" + server.url(),
                             "jobs.batch=" + std::to_string(batch), "jobs.claim_idle_ms=3000",
                             "jobs.idle_exit_ms=2000", "work.concurrency=1",
                             "work.iterations=" + std::to_string(iterations)},
                            server.dir(), "worker" + std::to_string(started++));
    }

    long long results() { return client.integer({"XLEN", "results"}); }

    /// Waits (90 s in all) for every worker still running to finish by itself, with exit code 0.
    void wait_all(std::vector<std::unique_ptr<Process>>& workers) {
        const auto until = Clock::now() + 90s;
        for (auto& w : workers) {
            if (!w->running()) continue;
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
            const int code = w->wait(std::max(left, std::chrono::milliseconds{0}));
            EXPECT_EQ(code, 0) << "worker " << w->pid() << " (" << results() << " results):\n"
                               << w->err();
        }
    }

    /// Every job has its correct result; nothing pending or dead; returns the duplicates.
    std::size_t check_results(std::int64_t iterations) {
        const Tally t = tally(client, "results", jobs, [iterations](std::uint64_t id) {
            return detail::spin(static_cast<std::int64_t>(id), iterations);
        });
        EXPECT_EQ(t.missing, 0u);
        EXPECT_EQ(t.wrong, 0u);
        EXPECT_EQ(t.strangers, 0u);
        EXPECT_EQ(client.pending("jobs", "flowpool"), 0);
        EXPECT_EQ(client.integer({"XLEN", "jobs:dead"}), 0);
        return t.duplicates();
    }
};

TEST_F(RedisFaults, SigkillWorkersLosesNoJob) {
    const std::int64_t iterations = iterations_for(14);  // the kills come at 2, 4, ... 10 s
    constexpr int kills = 5;
    enqueue();
    std::vector<std::unique_ptr<Process>> workers;
    for (int i = 0; i < 3; ++i) workers.push_back(worker(iterations));

    const unsigned seed = std::random_device{}();
    std::mt19937 random(seed);
    std::cout << "seed " << seed << '\n';
    std::vector<std::size_t> alive = {0, 1, 2};
    for (int k = 0; k < kills; ++k) {
        std::this_thread::sleep_for(2s);
        const std::size_t pick =
            std::uniform_int_distribution<std::size_t>(0, alive.size() - 1)(random);
        Process& victim = *workers[alive[pick]];
        ASSERT_TRUE(victim.wait(0ms) == -1) << "worker " << victim.pid() << " ended early:\n"
                                            << victim.err();
        victim.kill(SIGKILL);
        EXPECT_EQ(victim.wait(10s), 128 + SIGKILL);
        const long long done = results();
        std::cout << "kill " << k + 1 << ": worker " << victim.pid() << " at " << done
                  << " results\n";
        ASSERT_LT(done, static_cast<long long>(jobs))
            << "the jobs were done before kill " << k + 1 << ": raise the iterations";
        workers.push_back(worker(iterations));
        alive[pick] = workers.size() - 1;
    }
    wait_all(workers);
    const std::size_t duplicates = check_results(iterations);
    std::cout << "duplicates " << duplicates << " (at most " << kills * batch << ")\n";
    EXPECT_LE(duplicates, static_cast<std::size_t>(kills * batch));
}

TEST_F(RedisFaults, ServerDownAtStartIsWaitedFor) {
    // The source's start-up check of its login and stream must not take a server that is down
    // for one that refuses: the worker waits for it, as for one lost mid-run.
    auto p = run_flowpool(source_file("graphs/redis/enqueue.yaml"),
                          {"jobs.count=100", "queue.url=" + server.url()}, server.dir(), "enqueue");
    ASSERT_EQ(p->wait(30s), 0) << p->err();
    server.stop();
    auto w = worker(0);
    std::this_thread::sleep_for(1500ms);
    ASSERT_TRUE(w->running()) << "the worker gave up:\n" << w->err();
    server.start();
    EXPECT_EQ(w->wait(60s), 0) << w->err();
    EXPECT_NE(w->err().find("retrying with backoff"), std::string::npos) << w->err();
    Client after(server.port());
    EXPECT_EQ(after.integer({"XLEN", "results"}), 100);
    EXPECT_EQ(after.pending("jobs", "flowpool"), 0);
}

TEST_F(RedisFaults, ServerStoppedAndRestartedLosesNoJob) {
    const std::int64_t iterations = iterations_for(6);  // the server is down from 1.5 to 4.5 s
    constexpr int worker_count = 3;
    enqueue();
    std::vector<std::unique_ptr<Process>> workers;
    for (int i = 0; i < worker_count; ++i) workers.push_back(worker(iterations));

    std::this_thread::sleep_for(1500ms);
    const long long before = results();
    std::cout << "stopping redis-server at " << before << " results\n";
    ASSERT_LT(before, static_cast<long long>(jobs)) << "the jobs were done before the stop";
    server.stop();
    std::this_thread::sleep_for(3s);
    for (auto& w : workers) ASSERT_TRUE(w->running()) << "a worker gave up:\n" << w->err();
    server.start();
    Client after(server.port());
    std::cout << "restarted with " << after.integer({"XLEN", "results"}) << " results\n";

    wait_all(workers);
    for (auto& w : workers) {
        EXPECT_NE(w->err().find("retrying with backoff"), std::string::npos)
            << "the outage was not noticed:\n"
            << w->err();
    }
    Client check(server.port());
    const Tally t = tally(check, "results", jobs, [iterations](std::uint64_t id) {
        return detail::spin(static_cast<std::int64_t>(id), iterations);
    });
    EXPECT_EQ(t.missing, 0u);
    EXPECT_EQ(t.wrong, 0u);
    EXPECT_EQ(check.pending("jobs", "flowpool"), 0);
    EXPECT_EQ(check.integer({"XLEN", "jobs:dead"}), 0);
    // At most what was in flight when the server went: per worker, its in-flight batches (6 at
    // concurrency 1) and the one being written, sent again; and what others took over from it.
    const std::size_t bound = worker_count * 7 * batch;
    std::cout << "duplicates " << t.duplicates() << " (at most " << bound << ")\n";
    EXPECT_LE(t.duplicates(), bound);
}

}  // namespace
}  // namespace flowpool::test
