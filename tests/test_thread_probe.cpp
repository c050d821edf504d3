// The threads the thread probe (src/runtime/thread_probe.hpp) counts beside a run's arena: one
// per worker of a node with a timeout, which waits on its job's own thread (timed_job.hpp). A
// count, not a run: whether the system refuses them depends on the machine's limits.

#include <gtest/gtest.h>

#include <flowpool/body.hpp>
#include <flowpool/stats.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "runtime/plan_node.hpp"
#include "runtime/thread_probe.hpp"

namespace {

using flowpool::detail::PlanNodes;
using flowpool::detail::timeout_threads;
using namespace std::chrono_literals;

/// A stage that passes its jobs on; waits() as asked.
class Pass final : public flowpool::StageBody {
public:
    explicit Pass(bool waits) : waits_(waits) {}
    flowpool::BatchPtr process(const flowpool::BatchPtr& in, flowpool::BatchContext&) override {
        return in;
    }
    [[nodiscard]] bool waits() const noexcept override { return waits_; }

private:
    bool waits_;
};

/// Adds a function node of @p concurrency with @p timeout (0: none) to @p nodes.
void add_stage(PlanNodes& nodes, std::size_t concurrency, std::chrono::milliseconds timeout,
               bool waits = false) {
    flowpool::detail::PlanNode& node = nodes.emplace_back();
    node.name = "stage" + std::to_string(nodes.size());
    node.concurrency = concurrency;
    node.stage = std::make_shared<Pass>(waits);
    node.timeout = timeout;
}

TEST(ThreadProbe, NodesWithoutATimeoutStartNoThreadsOfTheirOwn) {
    PlanNodes nodes;
    add_stage(nodes, 300, 0ms, true);
    add_stage(nodes, 2, 0ms);
    EXPECT_EQ(timeout_threads(nodes, 302), 0u);
}

TEST(ThreadProbe, ATimedNodeStartsAThreadPerWorker) {
    PlanNodes nodes;
    add_stage(nodes, 300, 1000ms, true);  // `concurrency: 300, timeout_ms: 1000` on a wait
    add_stage(nodes, 2, 0ms);
    EXPECT_EQ(timeout_threads(nodes, 302), 300u);
}

TEST(ThreadProbe, ATimedNodeHasNoMoreWorkersThanTheArenaHasThreads) {
    PlanNodes nodes;
    add_stage(nodes, 8, 50ms);  // a computing node on a 2-thread arena: 2 workers at once
    EXPECT_EQ(timeout_threads(nodes, 2), 2u);
    PlanNodes unbounded;
    add_stage(unbounded, flowpool::unlimited, 50ms);
    EXPECT_EQ(timeout_threads(unbounded, 4), 4u);
}

TEST(ThreadProbe, TimedNodesTogetherHaveNoMoreThreadsThanTheArena) {
    // Each timed job's thread has a worker waiting on it, and each worker an arena thread.
    PlanNodes nodes;
    add_stage(nodes, 200, 1000ms, true);
    add_stage(nodes, 100, 1000ms, true);
    EXPECT_EQ(timeout_threads(nodes, 301), 300u);
    EXPECT_EQ(timeout_threads(nodes, 250), 250u);
}

}  // namespace
