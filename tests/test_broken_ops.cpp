// Ops and plugins that break their contract end in a clear error, never a crash or a silent
// loss: factories that make no body or throw anything, bodies that lose jobs, plugins whose
// entry points throw. The plugins are tests/plugin/'s, built into build/plugins/.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <flowpool/flowpool.hpp>
#include <flowpool/plugin.hpp>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "cli_runner.hpp"

namespace {

using flowpool::test::run_cli;

TEST(Plugins, TheReadmeNamesTheCurrentPluginAbi) {
    const std::string readme =
        flowpool::test::slurp(std::string(FLOWPOOL_SOURCE_DIR) + "/README.md");
    EXPECT_NE(readme.find("plugin ABI (" + std::to_string(flowpool::plugin_abi) + " since"),
              std::string::npos);
}

/// A registry with ops whose factories break their contract, each as a stage but `null_sink`
/// and `null_source`.
flowpool::OpRegistry breaking_factories() {
    using flowpool::Params;
    using StagePtr = std::unique_ptr<flowpool::StageBody>;
    flowpool::OpRegistry ops;
    const auto stage = [&ops](std::string name, flowpool::StageFactory make) {
        ops.add({.name = std::move(name),
                 .kind = flowpool::NodeKind::function,
                 .description = "breaks its contract",
                 .takes = flowpool::ValueType::integer,
                 .gives = flowpool::ValueType::integer,
                 .make_stage = std::move(make)});
    };
    stage("null_stage", [](const Params&) -> StagePtr { return nullptr; });
    stage("throws_int", [](const Params&) -> StagePtr { throw 42; });
    stage("throws_std", [](const Params&) -> StagePtr { throw std::runtime_error("no"); });
    ops.add({.name = "null_sink",
             .kind = flowpool::NodeKind::sink,
             .description = "makes no body",
             .takes = flowpool::ValueType::any,
             .make_sink = [](const Params&) { return std::unique_ptr<flowpool::SinkBody>(); }});
    ops.add({.name = "null_source",
             .kind = flowpool::NodeKind::source,
             .description = "makes no body",
             .gives = flowpool::ValueType::integer,
             .make_source = [](const Params&) { return std::unique_ptr<flowpool::SourceBody>(); }});
    return ops;
}

/// What running @p yaml with breaking_factories() throws, or "no error".
std::string factory_error(const std::string& yaml) {
    try {
        flowpool::run_graph(flowpool::parse_graph(yaml, "f.yaml"), breaking_factories());
    } catch (const flowpool::ConfigError& e) {
        return e.what();
    }
    return "no error";
}

TEST(BrokenOps, AFactoryThatMakesNoBodyOrThrowsIsAGraphErrorNamingTheNode) {
    const std::string source = "nodes:\n  jobs: { kind: source, op: range, count: 3 }\n";
    const std::string sink = "  out:  { kind: sink, op: print }\n";
    for (const auto& [op, reason] :
         {std::pair{"null_stage", "op 'null_stage' made no body"},
          std::pair{"throws_int", "unknown exception"}, std::pair{"throws_std", "no"}}) {
        SCOPED_TRACE(op);
        EXPECT_EQ(factory_error(source + "  work: { kind: function, op: " + op + " }\n" + sink +
                                "edges: [ jobs -> work -> out ]\n"),
                  std::string("f.yaml:3:3: error: node 'work': ") + reason);
    }
    EXPECT_EQ(factory_error(source + "  out:  { kind: sink, op: null_sink }\n" +
                            "edges: [ jobs -> out ]\n"),
              "f.yaml:3:3: error: node 'out': op 'null_sink' made no body");
    EXPECT_EQ(factory_error("nodes:\n  jobs: { kind: source, op: null_source }\n" + sink +
                            "edges: [ jobs -> out ]\n"),
              "f.yaml:2:3: error: node 'jobs': op 'null_source' made no body");
}

TEST(BrokenOps, APluginsBreakingFactoryExitsTwoNamingTheNode) {
    ::setenv("FLOWPOOL_PLUGIN_DIR", FLOWPOOL_PLUGIN_DIR, 1);
    const std::string graph = flowpool::test::temp_file(
        "factories.yaml",
        "plugins: [ \"${FLOWPOOL_PLUGIN_DIR}/bad_factories.so\" ]\nnodes:\n"
        "  jobs: { kind: source, op: range, count: 3 }\n"
        "  work: { kind: function, op: throws_int }\n"
        "  out:  { kind: sink, op: print }\nedges: [ jobs -> work -> out ]\n");
    for (const auto& [op, reason] :
         {std::pair{"throws_int", "unknown exception"}, std::pair{"throws_std", "factory says no"},
          std::pair{"null_stage", "op 'null_stage' made no body"}}) {
        SCOPED_TRACE(op);
        const auto result = run_cli("run '" + graph + "' --set work.op=" + op);
        EXPECT_EQ(result.exit_code, 2) << result.err;
        EXPECT_EQ(result.err, graph + ":4:3: error: node 'work': " + reason + "\n");
        EXPECT_EQ(result.out, "");
    }
}

TEST(Plugins, AnAbiCheckThatThrowsIsAnErrorAtItsEntryAndValidateGoesOn) {
    ::setenv("FLOWPOOL_PLUGIN_DIR", FLOWPOOL_PLUGIN_DIR, 1);
    const std::string bad = "tests/data/bad/plugin_abi_throws.yaml";
    const auto result = run_cli("validate " + bad + " graphs/worker_pool.yaml");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.out, "graphs/worker_pool.yaml: ok\n") << "each file is checked on its own";
    EXPECT_NE(result.err.find(bad + ":2:12: error: plugin '" FLOWPOOL_PLUGIN_DIR
                                    "/abi_throws.so': flowpool_plugin_abi() threw: the ABI "
                                    "check threw\n"),
              std::string::npos)
        << result.err;
    for (const std::string command : {"ops", "dot"}) {
        EXPECT_EQ(run_cli(command + " " + bad).exit_code, 2) << command;
    }
}

/// A body that breaks process()'s contract: it passes on at most @p keep jobs of each batch (none:
/// it returns null) and reports nothing of the others.
class LosesJobs final : public flowpool::StageBody {
public:
    explicit LosesJobs(std::size_t keep) : keep_(keep) {}

    flowpool::BatchPtr process(const flowpool::BatchPtr& in, flowpool::BatchContext&) override {
        if (keep_ == 0) return nullptr;
        const auto& jobs = static_cast<const flowpool::Items<flowpool::Value>&>(*in);
        auto out = std::make_shared<flowpool::Items<flowpool::Value>>();
        out->derive_from(*in);
        for (std::size_t i = 0; i < jobs.size() && i < keep_; ++i) {
            out->ids.push_back(jobs.ids[i]);
            out->values.push_back(jobs.values[i]);
        }
        return out;
    }

private:
    std::size_t keep_;
};

TEST(BrokenOps, ABodyThatLosesJobsFailsTheRunNamingTheNodeAndEveryJobIsCounted) {
    flowpool::OpRegistry ops;
    for (const std::size_t keep : {0, 1}) {
        ops.add({.name = keep == 0 ? "returns_null" : "keeps_one",
                 .kind = flowpool::NodeKind::function,
                 .description = "loses jobs",
                 .takes = flowpool::ValueType::integer,
                 .gives = flowpool::ValueType::integer,
                 .make_stage = [keep](const flowpool::Params&) {
                     return std::make_unique<LosesJobs>(keep);
                 }});
    }
    // Plain, concurrent, keyed (lanes run the body) and under a policy that skips failed jobs:
    // a body that loses jobs is broken, whatever the policy.
    for (const std::string work :
         {"op: returns_null", "op: keeps_one", "op: returns_null, concurrency: 4",
          "op: keeps_one, key: '. % 3', concurrency: 2", "op: returns_null, on_error: skip"}) {
        SCOPED_TRACE(work);
        testing::internal::CaptureStdout();  // the summary's lines
        const flowpool::RunResult result = flowpool::run_graph(
            flowpool::parse_graph("nodes:\n  jobs: { kind: source, op: range, count: 100 }\n"
                                  "  work: { kind: function, " +
                                      work +
                                      " }\n  out:  { kind: sink, op: summary }\n"
                                      "edges: [ jobs -> work -> out ]\n",
                                  "lost.yaml"),
            ops, {.batch_size = 10});
        testing::internal::GetCapturedStdout();
        ASSERT_TRUE(result.error.has_value()) << "lost jobs went unnoticed";
        EXPECT_EQ(result.error->node(), "work");
        EXPECT_EQ(result.error->reason().rfind("the op's body lost ", 0), 0u)
            << result.error->reason();
        EXPECT_GT(result.stats.failed, 0u);
        EXPECT_EQ(result.stats.accounted(), result.stats.jobs()) << "every job is accounted for";
    }
}

/// A source that acknowledges what it made, as a message queue's does: it adds up the jobs
/// SourceBody::retired() says ended (a batch's jobs less its failed ones).
class AcknowledgingSource final : public flowpool::SourceBody {
public:
    explicit AcknowledgingSource(std::atomic<std::size_t>& acknowledged)
        : acknowledged_(acknowledged) {}

    flowpool::BatchPtr next(std::size_t max_jobs, flowpool::BatchContext&) override {
        auto batch = std::make_shared<flowpool::Items<flowpool::Value>>();
        for (; batch->size() < max_jobs && made_ < 100; ++made_) {
            batch->ids.push_back(made_);
            batch->values.emplace_back(static_cast<std::int64_t>(made_));
        }
        if (batch->size() == 0) return nullptr;
        const std::lock_guard lock(mutex_);
        sizes_.push_back(batch->size());  // batch seq N is the Nth made
        return batch;
    }

    void retired(std::uint64_t seq,
                 const std::vector<flowpool::FailedJob>& failed) noexcept override {
        const std::lock_guard lock(mutex_);
        acknowledged_ += sizes_.at(seq) - failed.size();
    }

private:
    std::atomic<std::size_t>& acknowledged_;
    std::uint64_t made_ = 0;
    std::mutex mutex_;
    std::vector<std::size_t> sizes_;
};

TEST(BrokenOps, NoJobOfABatchABodyLostIsAcknowledged) {
    // Which of the batch's jobs ended is unknown: a message queue must deliver all of it again.
    std::atomic<std::size_t> acknowledged{0};
    flowpool::OpRegistry ops;
    ops.add({.name = "acks",
             .kind = flowpool::NodeKind::source,
             .description = "100 jobs, acknowledged when retired",
             .gives = flowpool::ValueType::integer,
             .make_source = [&](const flowpool::Params&) {
                 return std::make_unique<AcknowledgingSource>(acknowledged);
             }});
    ops.add({.name = "keeps_one",
             .kind = flowpool::NodeKind::function,
             .description = "loses jobs",
             .takes = flowpool::ValueType::integer,
             .gives = flowpool::ValueType::integer,
             .make_stage = [](const flowpool::Params&) { return std::make_unique<LosesJobs>(1); }});
    for (const std::string work : {"map, expr: '. + 1'", "keeps_one"}) {
        SCOPED_TRACE(work);
        acknowledged = 0;
        testing::internal::CaptureStdout();
        const flowpool::RunResult result = flowpool::run_graph(
            flowpool::parse_graph("nodes:\n  jobs: { kind: source, op: acks }\n"
                                  "  work: { kind: function, op: " +
                                      work +
                                      " }\n  out:  { kind: sink, op: summary }\n"
                                      "edges: [ jobs -> work -> out ]\n",
                                  "acks.yaml"),
            ops, {.batch_size = 10});
        testing::internal::GetCapturedStdout();
        if (work == "keeps_one") {
            ASSERT_TRUE(result.error.has_value());
            EXPECT_EQ(acknowledged.load(), 0u) << "jobs a body lost were acknowledged";
        } else {
            EXPECT_FALSE(result.error.has_value());
            EXPECT_EQ(acknowledged.load(), 100u) << "a run that lost nothing acknowledges all";
        }
    }
}

/// A sink whose finish() throws: its last write, at the end of the run, failed.
class FailsWhenFinishing final : public flowpool::SinkBody {
public:
    void consume(const flowpool::BatchPtr&, flowpool::BatchContext&) override {}
    void finish() override { throw std::runtime_error("the last write failed"); }
};

/// A stage that holds back every job it takes, merged into what it would make at the end, and
/// whose flush() throws: what it held never gets out.
class FailsWhenFlushing final : public flowpool::StageBody {
public:
    bool holds_back() const noexcept override { return true; }
    flowpool::BatchPtr process(const flowpool::BatchPtr& in, flowpool::BatchContext& ctx) override {
        ctx.jobs_merged(in->size());
        return nullptr;
    }
    flowpool::BatchPtr flush(flowpool::BatchContext&) override {
        throw std::runtime_error("the groups cannot be told");
    }
};

TEST(BrokenOps, AFinishOrFlushThatThrowsAtTheEndOfTheRunCountsAsAFailure) {
    // The run fails (exit 1): its figures must say so, even when no job reached the node, as
    // the error line does: the summary said "0 failed". That failure is one, but no job's.
    flowpool::OpRegistry ops;
    ops.add({.name = "fails_finishing",
             .kind = flowpool::NodeKind::sink,
             .description = "its finish() throws",
             .takes = flowpool::ValueType::any,
             .make_sink = [](const flowpool::Params&) {
                 return std::make_unique<FailsWhenFinishing>();
             }});
    ops.add({.name = "fails_flushing",
             .kind = flowpool::NodeKind::function,
             .description = "holds jobs back; its flush() throws",
             .takes = flowpool::ValueType::integer,
             .gives = flowpool::ValueType::integer,
             .make_stage = [](const flowpool::Params&) {
                 return std::make_unique<FailsWhenFlushing>();
             }});
    const std::string jobs = "nodes:\n  jobs: { kind: source, op: range, count: 100 }\n";
    for (const auto& [graph, node, reason] :
         {std::tuple{jobs + "  none: { kind: filter, op: where, expr: '. < 0' }\n"
                            "  out:  { kind: sink, op: fails_finishing }\n"
                            "edges: [ jobs -> none -> out ]\n",
                     "out", "at the end of the run: the last write failed"},
          std::tuple{jobs + "  hold: { kind: function, op: fails_flushing }\n"
                            "  out:  { kind: sink, op: summary }\n"
                            "edges: [ jobs -> hold -> out ]\n",
                     "hold",
                     "at the end of the run, when its window closed: the groups cannot be told"}}) {
        SCOPED_TRACE(node);
        testing::internal::CaptureStdout();  // the summary's line
        const flowpool::RunResult result =
            flowpool::run_graph(flowpool::parse_graph(graph, "end.yaml"), ops, {.batch_size = 10});
        testing::internal::GetCapturedStdout();
        ASSERT_TRUE(result.error.has_value()) << "the failure went unnoticed";
        EXPECT_EQ(result.error->node(), node);
        EXPECT_EQ(result.error->reason(), reason);
        // No job of the node's failed: the error named `job 0`, a job that never reached it.
        EXPECT_EQ(result.error->job_id(), flowpool::JobError::no_job);
        EXPECT_EQ(std::string(result.error->what()), "node '" + std::string(node) + "': " + reason);
        EXPECT_GE(result.stats.failed, 1u) << "the run failed, and its figures say 0 failed";
        EXPECT_EQ(result.stats.failed, result.error->failed_jobs());
        for (const flowpool::NodeStats& stats : result.stats.nodes) {
            EXPECT_EQ(stats.failed, stats.name == node ? result.stats.failed : 0u) << stats.name;
        }
    }
}

TEST(Plugins, APluginThatThrowsWhileRegisteringLeavesTheRegistryAsItWas) {
    const std::string dir = FLOWPOOL_PLUGIN_DIR;
    const auto graph_of = [&dir](const std::string& plugins) {
        return flowpool::parse_graph(
            "plugins: [ " + plugins + " ]\nnodes:\n  jobs: { kind: source, op: range, count: 1 }\n",
            "p.yaml");
    };
    flowpool::OpRegistry ops;
    try {
        flowpool::load_plugins(graph_of(dir + "/collatz.so, " + dir + "/registers_then_throws.so"),
                               ops);
        FAIL() << "no error";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("registers_then_throws.so': half-way"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(ops.find("half_registered"), nullptr) << "the op registered before the throw";
    EXPECT_EQ(ops.find("collatz"), nullptr) << "a plugin loaded before the failing one";
    EXPECT_NE(ops.find("multiply"), nullptr) << "the built-in ops stay";
    // The registry is as good as new: the plugin that did load can be loaded into it again.
    flowpool::load_plugins(graph_of(dir + "/collatz.so"), ops);
    EXPECT_NE(ops.find("collatz"), nullptr);
}

}  // namespace
