// `key: EXPR` on function and filter nodes, at 1, 2, 4 and 8 workers, with jobs that sleep a
// random few microseconds. An op that keeps per-key state without any lock checks, for every job,
// that no other job of its key is running (an atomic flag per key), that the key's previous job
// had a smaller id (arrival order: its source's order), and that its key always runs on the same
// worker. Each run's accounting is checked (jobs made = jobs with a known end), and an ordered
// sink downstream must get every job that passed, in id order. Expectations come from plain loops
// over the inputs here, never from flowpool's output.

#include <gtest/gtest.h>
#include <unistd.h>

#include <flowpool/flowpool.hpp>
#include "collect_sink.hpp"
#include "graphfile/job_key.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using flowpool::Value;
using flowpool::test::Collected;
using flowpool::test::CollectSink;

constexpr std::int64_t keys = 7;

/// The key the graphs below give a job: `. % 7` for integers, `.k` for records.
std::int64_t key_of(const Value& value) {
    if (const auto* n = std::get_if<std::int64_t>(&value)) return *n % keys;
    const auto* record = std::get_if<flowpool::Record>(&value);
    return std::get<std::int64_t>(*record->find("k"));
}

/// What the `per_key` op saw. `last` and `worker` are read and written without a lock: only a
/// node that runs one job of a key at a time makes that safe (ThreadSanitizer would say).
struct PerKeyState {
    std::vector<std::atomic<bool>> running = std::vector<std::atomic<bool>>(keys);
    std::vector<std::int64_t> last = std::vector<std::int64_t>(keys, -1);
    std::vector<int> worker = std::vector<int>(keys, -1);
    std::atomic<std::uint64_t> overlaps{0};      // a job started while one of its key ran
    std::atomic<std::uint64_t> out_of_order{0};  // a job came after a later one of its key
    std::atomic<std::uint64_t> moved{0};         // a key ran on two workers
    bool check_order = true;                     // false: touch nothing but `running`
    std::int64_t cancel_at = -1;                 // the job that sets `cancel`
    std::atomic<bool> cancel{false};             // RunOptions::cancel
};

/// Sleeps 0 to 20 microseconds, at random.
void nap() {
    thread_local std::mt19937 random(std::random_device{}());
    const auto us = std::uniform_int_distribution<int>(0, 20)(random);
    if (us != 0) std::this_thread::sleep_for(std::chrono::microseconds(us));
}

/// The built-in ops, `per_key` (checks and naps; `fail_every: N` throws for ids = 5 mod N),
/// `collect` and `letters` (sinks that keep what they get).
flowpool::OpRegistry test_ops(const std::shared_ptr<PerKeyState>& state,
                              const std::shared_ptr<Collected>& out,
                              const std::shared_ptr<Collected>& letters) {
    flowpool::OpRegistry ops;
    ops.add({.name = "per_key",
             .kind = flowpool::NodeKind::function,
             .description = "checks that its key's jobs come one at a time and in order",
             .params = {{.name = "fail_every",
                         .type = flowpool::ParamType::integer,
                         .default_value = "0"}},
             .takes = flowpool::ValueType::any,
             .make_stage = [state](const flowpool::Params& p) {
                 const std::int64_t fail_every = p.integer("fail_every");
                 return flowpool::stage_body(
                     [state, fail_every](Value v, const flowpool::JobContext& job) -> Value {
                         const std::int64_t k = key_of(v);
                         const auto id = static_cast<std::int64_t>(job.id());
                         if (state->running[k].exchange(true)) ++state->overlaps;
                         if (state->check_order) {
                             if (state->last[k] >= id) ++state->out_of_order;
                             state->last[k] = id;
                             if (state->worker[k] == -1) state->worker[k] = job.worker();
                             if (state->worker[k] != job.worker()) ++state->moved;
                         }
                         nap();
                         if (id == state->cancel_at) state->cancel = true;
                         state->running[k].store(false);
                         if (fail_every != 0 && id % fail_every == 5) {
                             throw std::runtime_error("job " + std::to_string(id) + " fails");
                         }
                         return v;
                     });
             }});
    for (const auto& [name, into] : {std::pair{"collect", out}, std::pair{"letters", letters}}) {
        ops.add({.name = name,
                 .kind = flowpool::NodeKind::sink,
                 .description = "keeps every job for the test",
                 .takes = flowpool::ValueType::any,
                 .make_sink =
                     [into = into](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
                     return std::make_unique<CollectSink>(into);
                 }});
    }
    return ops;
}

/// Replaces every `{W}` in @p text by @p workers.
std::string with_workers(std::string text, int workers) {
    for (std::size_t at; (at = text.find("{W}")) != std::string::npos;) {
        text.replace(at, 3, std::to_string(workers));
    }
    return text;
}

class Keyed : public ::testing::TestWithParam<int> {
protected:
    /// Runs the graph @p text (`{W}`: the worker count) and checks its accounting.
    flowpool::RunResult run(const std::string& text, const flowpool::RunOptions& options = {}) {
        const auto graph = flowpool::parse_graph(with_workers(text, GetParam()), "k.yaml");
        flowpool::RunResult result =
            flowpool::run_graph(graph, test_ops(state_, out_, letters_), options);
        const auto& s = result.stats;
        EXPECT_EQ(s.accounted(), s.jobs()) << "jobs in " << s.jobs_in << ", made " << s.made;
        return result;
    }

    /// No job of a key ran beside another of its key, out of order, or on another worker.
    void expect_one_at_a_time_in_order() const {
        EXPECT_EQ(state_->overlaps.load(), 0U);
        EXPECT_EQ(state_->out_of_order.load(), 0U);
        EXPECT_EQ(state_->moved.load(), 0U);
    }

    /// The ordered sink got exactly the ids @p expected, in that order.
    void expect_results(const std::vector<std::uint64_t>& expected) const {
        std::vector<std::uint64_t> got;
        for (const auto& [id, value] : out_->jobs) got.push_back(id);
        EXPECT_EQ(got, expected);
    }

    std::shared_ptr<PerKeyState> state_ = std::make_shared<PerKeyState>();
    std::shared_ptr<Collected> out_ = std::make_shared<Collected>();
    std::shared_ptr<Collected> letters_ = std::make_shared<Collected>();
};

constexpr std::uint64_t jobs = 3000;

std::vector<std::uint64_t> ids_where(bool (*keep)(std::uint64_t)) {
    std::vector<std::uint64_t> ids;
    for (std::uint64_t id = 0; id < jobs; ++id) {
        if (keep(id)) ids.push_back(id);
    }
    return ids;
}

TEST_P(Keyed, JobsOfOneKeyRunOneAtATimeInArrivalOrder) {
    const auto result =
        run("graph: k\n"
            "nodes:\n"
            "  nums: { kind: source, op: range, count: 3000, batch: 16 }\n"
            "  work: { kind: function, op: per_key, key: '. % 7', concurrency: {W} }\n"
            "  out:  { kind: sink, op: collect, ordered: true }\n"
            "edges:\n"
            "  - nums -> work -> out\n");
    EXPECT_FALSE(result.error);
    expect_one_at_a_time_in_order();
    EXPECT_EQ(result.stats.results_out, jobs);
    expect_results(ids_where([](std::uint64_t) { return true; }));
    for (const auto& [id, value] : out_->jobs) {
        ASSERT_EQ(std::get<std::int64_t>(value), static_cast<std::int64_t>(id));
    }
}

TEST_P(Keyed, PerKeyOrderIsTheSourcesOrderEvenAfterConcurrentDecoding) {
    // A jsonl source parses its lines on the workers, so its batches reach the next node in any
    // order: the keyed node takes each source's batches in the order they were made.
    const auto dir = std::filesystem::path(::testing::TempDir()) /
                     ("flowpool_keyed_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string input = (dir / "events.jsonl").string();
    {
        std::ofstream file(input);
        for (std::uint64_t i = 0; i < jobs; ++i) {
            file << R"({"i":)" << i << R"(,"k":)" << (i * 5 + i / 11) % keys << "}\n";
        }
    }
    const auto result =
        run("graph: k\n"
            "nodes:\n"
            "  events: { kind: source, op: jsonl, path: '" +
            input +
            "', batch: 8 }\n"
            "  work: { kind: function, op: per_key, key: .k, concurrency: {W} }\n"
            "  out:  { kind: sink, op: collect, ordered: true }\n"
            "edges:\n"
            "  - events -> work -> out\n");
    EXPECT_FALSE(result.error);
    expect_one_at_a_time_in_order();
    expect_results(ids_where([](std::uint64_t) { return true; }));
    std::filesystem::remove_all(dir);
}

TEST_P(Keyed, AnInterruptedRunLosesNoJobItMade) {
    // Job 500 cancels the run: the source stops, and every job it made still ends in order.
    state_->cancel_at = 500;
    flowpool::RunOptions options;
    options.cancel = &state_->cancel;
    const auto result =
        run("graph: k\n"
            "nodes:\n"
            "  nums: { kind: source, op: range, count: 1000000, batch: 16 }\n"
            "  work: { kind: function, op: per_key, key: '. % 7', concurrency: {W} }\n"
            "  out:  { kind: sink, op: collect, ordered: true }\n"
            "edges:\n"
            "  - nums -> work -> out\n",
            options);
    EXPECT_TRUE(result.cancelled);
    EXPECT_FALSE(result.error);
    expect_one_at_a_time_in_order();
    EXPECT_GT(result.stats.jobs_in, 500U);
    EXPECT_LT(result.stats.jobs_in, 1000000U);
    EXPECT_EQ(result.stats.results_out, result.stats.jobs_in);
    std::vector<std::uint64_t> made(result.stats.jobs_in);
    for (std::uint64_t id = 0; id < made.size(); ++id) made[id] = id;
    expect_results(made);
}

TEST_P(Keyed, AFailedJobUnderSkipDisturbsNoOther) {
    const auto result =
        run("graph: k\n"
            "nodes:\n"
            "  nums: { kind: source, op: range, count: 3000, batch: 16 }\n"
            "  work: { kind: function, op: per_key, key: '. % 7', concurrency: {W},\n"
            "          fail_every: 13, on_error: skip }\n"
            "  out:  { kind: sink, op: collect, ordered: true }\n"
            "edges:\n"
            "  - nums -> work -> out\n");
    EXPECT_FALSE(result.error);
    expect_one_at_a_time_in_order();
    const auto passed = ids_where([](std::uint64_t id) { return id % 13 != 5; });
    EXPECT_EQ(result.stats.skipped, jobs - passed.size());
    EXPECT_EQ(result.stats.results_out, passed.size());
    expect_results(passed);
}

TEST_P(Keyed, AFailedJobUnderDeadLetterGoesThereAlone) {
    const auto result =
        run("graph: k\n"
            "nodes:\n"
            "  nums: { kind: source, op: range, count: 3000, batch: 16 }\n"
            "  work: { kind: function, op: per_key, key: '. % 7', concurrency: {W},\n"
            "          fail_every: 13, dead_letter: dead }\n"
            "  out:  { kind: sink, op: collect, ordered: true }\n"
            "  dead: { kind: sink, op: letters }\n"
            "edges:\n"
            "  - nums -> work -> out\n");
    EXPECT_FALSE(result.error);
    expect_one_at_a_time_in_order();
    const auto passed = ids_where([](std::uint64_t id) { return id % 13 != 5; });
    const auto failed = ids_where([](std::uint64_t id) { return id % 13 == 5; });
    EXPECT_EQ(result.stats.dead_lettered, failed.size());
    expect_results(passed);
    std::vector<std::uint64_t> dead;
    for (const auto& [id, value] : letters_->jobs) dead.push_back(id);
    std::sort(dead.begin(), dead.end());
    EXPECT_EQ(dead, failed);
    for (std::size_t i = 0; i < letters_->jobs.size(); ++i) {
        EXPECT_EQ(letters_->errors[i], "job " + std::to_string(letters_->jobs[i].first) + " fails");
    }
}

TEST_P(Keyed, AKeyThatCannotBeComputedFailsItsJobUnderOnError) {
    // Jobs 3, 14, 25, ... have a string where the key adds an integer.
    const std::string graph =
        "graph: k\n"
        "nodes:\n"
        "  nums: { kind: source, op: range, count: 3000, batch: 16 }\n"
        "  work: { kind: function, op: per_key, concurrency: {W}, POLICY,\n"
        "          key: '. % 7 + if(. % 11 == 3, \"x\", 0)' }\n"
        "  out:  { kind: sink, op: collect, ordered: true }\n"
        "DEAD"
        "edges:\n"
        "  - nums -> work -> out\n";
    const auto policy = [&](const std::string& text, const std::string& dead) {
        std::string g = graph;
        g.replace(g.find("POLICY"), 6, text);
        g.replace(g.find("DEAD"), 4, dead);
        return g;
    };
    const auto passed = ids_where([](std::uint64_t id) { return id % 11 != 3; });
    const auto failed = ids_where([](std::uint64_t id) { return id % 11 == 3; });
    const std::string why =
        "key: '. % 7 + if(. % 11 == 3, \"x\", 0)': cannot add an integer and a string";

    auto result = run(policy("dead_letter: dead", "  dead: { kind: sink, op: letters }\n"));
    EXPECT_FALSE(result.error);
    expect_one_at_a_time_in_order();
    EXPECT_EQ(result.stats.dead_lettered, failed.size());
    expect_results(passed);
    ASSERT_EQ(letters_->jobs.size(), failed.size());
    for (const std::string& error : letters_->errors) EXPECT_EQ(error, why);

    out_->jobs.clear();
    letters_->jobs.clear();
    result = run(policy("on_error: fail", ""));
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->node(), "work");
    EXPECT_EQ(result.error->job_id() % 11, 3U);  // batches are split concurrently: any of them
    EXPECT_EQ(result.error->reason(), why);
}

TEST_P(Keyed, AKeyedFilterKeepsOrderAndCounts) {
    const auto result = run(
        "graph: k\n"
        "nodes:\n"
        "  nums:  { kind: source, op: range, count: 3000, batch: 16 }\n"
        "  odd:   { kind: filter, op: where, expr: '. % 2 == 1', key: '. % 7', concurrency: {W} }\n"
        "  work:  { kind: function, op: per_key, key: '. % 7', concurrency: {W} }\n"
        "  out:   { kind: sink, op: collect, ordered: true }\n"
        "edges:\n"
        "  - nums -> odd -> work -> out\n");
    EXPECT_FALSE(result.error);
    expect_one_at_a_time_in_order();
    const auto odd = ids_where([](std::uint64_t id) { return id % 2 == 1; });
    EXPECT_EQ(result.stats.filtered, jobs - odd.size());
    expect_results(odd);
}

TEST_P(Keyed, JobsMadeFromOneJobStayInIdOrder) {
    // explode's pieces get ids j * 2^20 + i: lanes' pieces of one batch are joined by id.
    const auto result =
        run("graph: k\n"
            "nodes:\n"
            "  nums:  { kind: source, op: range, count: 3000, batch: 16 }\n"
            "  words: { kind: function, op: map, expr: 'str(.) + \" \" + str(. + 1)' }\n"
            "  parts: { kind: function, op: explode, split: ' ', key: ., concurrency: {W} }\n"
            "  out:   { kind: sink, op: collect, ordered: true }\n"
            "edges:\n"
            "  - nums -> words -> parts -> out\n");
    EXPECT_FALSE(result.error);
    std::vector<std::uint64_t> expected;
    for (std::uint64_t id = 0; id < jobs; ++id) {
        expected.push_back(id << 20);
        expected.push_back((id << 20) + 1);
    }
    EXPECT_EQ(result.stats.made, 2 * jobs);
    EXPECT_EQ(result.stats.merged, jobs);
    expect_results(expected);
}

TEST_P(Keyed, AnOpWithAKeyOfItsOwnKeepsItsMeaning) {
    // aggregate groups by its `key`; the node is not keyed (its workers' groups are merged).
    const auto result =
        run("graph: k\n"
            "nodes:\n"
            "  nums: { kind: source, op: range, count: 3000 }\n"
            "  by:   { kind: function, op: aggregate, key: '. % 7', concurrency: {W},\n"
            "          fields: { n: 'count()' } }\n"
            "  out:  { kind: sink, op: collect }\n"
            "edges:\n"
            "  - nums -> by -> out\n");
    EXPECT_FALSE(result.error);
    ASSERT_EQ(out_->jobs.size(), static_cast<std::size_t>(keys));
    for (const auto& [id, value] : out_->jobs) {
        const auto& row = std::get<flowpool::Record>(value);
        const std::int64_t key = std::get<std::int64_t>(*row.find("key"));
        EXPECT_EQ(std::get<std::int64_t>(*row.find("n")), (3000 - key + keys - 1) / keys);
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, Keyed, ::testing::Values(1, 2, 4, 8),
                         [](const auto& p) { return std::to_string(p.param) + "_workers"; });

TEST(KeyedControl, WithoutAKeyJobsOfOneKeyDoRunAtOnce) {
    // The checks above can fail: unkeyed, at 4 workers, jobs of one key overlap.
    auto state = std::make_shared<PerKeyState>();
    state->check_order = false;  // the unlocked state would be a data race here
    const auto graph = flowpool::parse_graph(
        "graph: k\n"
        "nodes:\n"
        "  nums: { kind: source, op: range, count: 3000, batch: 16 }\n"
        "  work: { kind: function, op: per_key, concurrency: 4 }\n"
        "  out:  { kind: sink, op: collect }\n"
        "edges:\n"
        "  - nums -> work -> out\n",
        "k.yaml");
    const auto result = flowpool::run_graph(
        graph, test_ops(state, std::make_shared<Collected>(), std::make_shared<Collected>()));
    EXPECT_FALSE(result.error);
    EXPECT_GT(state->overlaps.load(), 0U);
}

TEST(KeyedPlan, OnlyAFunctionOrFilterWithoutTimeoutOrRoutesIsKeyed) {
    flowpool::detail::Plan plan;
    const auto nums = plan.add_source(
        "nums", flowpool::source_body([n = std::int64_t{0}]() mutable -> std::optional<Value> {
            if (n == 10) return std::nullopt;
            return Value(n++);
        }));
    const auto work = plan.add_stage("work", flowpool::NodeKind::function, 2,
                                     flowpool::stage_body([](Value v) { return v; }));
    const auto out = plan.add_sink("out", flowpool::sink_body([](const Value&) {}));
    plan.connect(nums, work);
    plan.connect(work, out);
    EXPECT_THROW(plan.set_key(out, flowpool::detail::expression_key(".")), flowpool::UsageError);
    plan.set_key(work, flowpool::detail::expression_key("."));
    plan.set_timeout(work, std::chrono::milliseconds(100));
    try {
        plan.run();
        ADD_FAILURE() << "a keyed node with a timeout ran";
    } catch (const flowpool::UsageError& error) {
        EXPECT_STREQ(error.what(), "keyed node 'work' cannot have a timeout");
    }
}

/// The problems validation finds in a graph whose nodes are @p nodes, as text.
std::string problems(const std::string& nodes, const std::string& edges) {
    try {
        flowpool::validate(
            flowpool::parse_graph("graph: bad\nnodes:\n" + nodes + "edges:\n" + edges, "bad.yaml"),
            flowpool::OpRegistry{});
    } catch (const flowpool::ConfigError& error) {
        return error.what();
    }
    return "";
}

TEST(KeyedGraphFile, ABadKeyExpressionIsAnErrorAtItsColumn) {
    EXPECT_EQ(problems("  nums: { kind: source, op: range, count: 10 }\n"
                       "  work: { kind: function, op: map, key: '.a + lowr(.b)' }\n"
                       "  out:  { kind: sink, op: print }\n",
                       "  - nums -> work -> out\n"),
              "bad.yaml:4:47: error: parameter 'key': unknown function 'lowr'; did you mean "
              "'lower'?");
    EXPECT_EQ(problems("  nums: { kind: source, op: range, count: 10 }\n"
                       "  work: { kind: filter, op: where, expr: 'true',\n"
                       "          key: .a +  }\n"
                       "  out:  { kind: sink, op: print }\n",
                       "  - nums -> work -> out\n"),
              "bad.yaml:5:20: error: parameter 'key': expected a value, found the end");
}

TEST(KeyedGraphFile, KeyIsRefusedWhereItHasNoMeaning) {
    EXPECT_EQ(problems("  nums: { kind: source, op: range, count: 10, key: . }\n"
                       "  out:  { kind: sink, op: print, key: . }\n",
                       "  - nums -> out\n"),
              "bad.yaml:3:47: error: 'key' keys the jobs of a function or filter (jobs with one "
              "key run one at a time, in order); node 'nums' is a source\n"
              "bad.yaml:4:34: error: 'key' keys the jobs of a function or filter (jobs with one "
              "key run one at a time, in order); node 'out' is a sink");
    EXPECT_EQ(problems("  nums: { kind: source, op: range, count: 10 }\n"
                       "  work: { kind: function, op: map, key: ., timeout_ms: 100 }\n"
                       "  out:  { kind: sink, op: print }\n",
                       "  - nums -> work -> out\n"),
              "bad.yaml:4:44: error: 'timeout_ms' cannot be set on keyed node 'work': a job "
              "given up on would run beside the next job of its key");
    EXPECT_EQ(problems("  nums: { kind: source, op: range, count: 10 }\n"
                       "  pick: { kind: function, op: route, key: ., default: out,\n"
                       "          cases: [{ when: '. > 5', to: out }] }\n"
                       "  out:  { kind: sink, op: print }\n",
                       "  - nums -> pick -> out\n"),
              "bad.yaml:4:38: error: 'key' cannot be set on node 'pick': op 'route' routes "
              "jobs, and a keyed node cannot");
}

}  // namespace
