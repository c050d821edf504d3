#pragma once
// The fixture of the tests of the ops written in expressions (test_expr_ops.cpp: where, map,
// route, explode; test_keyed_ops.cpp: aggregate and its windows, top, dedupe, rate_limit): events
// of a fixed seed written as JSON lines, a `collect` sink that keeps what it gets, and a run at
// the test's worker count (1, 2, 4, 8) whose accounting is checked.

#include <gtest/gtest.h>
#include <unistd.h>
#include <flowpool/flowpool.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "collect_sink.hpp"

namespace flowpool::test {

using flowpool::Record;
using flowpool::Value;

struct Event {
    std::string host;
    std::int64_t status = 0;
    double latency = 0;
    std::int64_t user = 0;
    double t = 0;  // event time, seconds
};

/// @p n events of a fixed seed, written to a file as JSON lines; returns them.
inline std::vector<Event> make_events(std::size_t n, const std::string& path, unsigned seed = 1) {
    std::mt19937_64 random(seed);
    std::vector<Event> events;
    std::ofstream out(path);
    out << std::setprecision(17);  // every double read back as itself
    for (std::size_t i = 0; i < n; ++i) {
        Event e;
        e.host = "web-" + std::to_string(random() % 5);
        e.status = std::array<std::int64_t, 6>{200, 200, 404, 500, 503, 302}[random() % 6];
        e.latency = static_cast<double>(random() % 100000) / 8.0;  // exact in binary
        e.user = static_cast<std::int64_t>(random() % 50);
        e.t = static_cast<double>(i) / 10.0;
        out << R"({"host":")" << e.host << R"(","status":)" << e.status << R"(,"latency_ms":)"
            << e.latency << R"(,"user":{"id":)" << e.user << R"(},"t":)" << e.t << "}\n";
        events.push_back(e);
    }
    return events;
}

/// The built-in ops plus `collect` (keeps every job) and `late` (another, for dead letters).
inline flowpool::OpRegistry ops_with(const std::shared_ptr<Collected>& into,
                                     const std::shared_ptr<Collected>& letters) {
    flowpool::OpRegistry ops;
    for (const auto& [name, where] : {std::pair{"collect", into}, std::pair{"letters", letters}}) {
        ops.add(
            {.name = name,
             .kind = flowpool::NodeKind::sink,
             .description = "keeps every job for the test",
             .takes = flowpool::ValueType::any,
             .make_sink = [where](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
                 return std::make_unique<CollectSink>(where);
             }});
    }
    // Reads only `host` (as OpInfo::reads_fields says), so a jsonl source before it may read
    // only what it and the nodes between read.
    ops.add({.name = "collect_host",
             .kind = flowpool::NodeKind::sink,
             .description = "keeps every job for the test, reading only its host",
             .takes = flowpool::ValueType::any,
             .make_sink = [into](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
                 return std::make_unique<CollectSink>(into);
             },
             .reads_fields =
                 [](const flowpool::Params&, std::vector<std::string>& names, bool& passes_on) {
                     passes_on = false;
                     names.push_back("host");
                     return true;
                 }});
    return ops;
}

class ExprOps : public ::testing::TestWithParam<int> {
protected:
    void SetUp() override {
        dir_ = std::filesystem::path(::testing::TempDir()) /
               ("flowpool_expr_ops_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
        input_ = (dir_ / "events.jsonl").string();
        events_ = make_events(3000, input_);
    }

    /// Runs the graph whose nodes section is @p nodes (`{W}` is the worker count, `{IN}` the
    /// events file) and checks its accounting, under @p options.
    flowpool::RunResult run(std::string nodes, const std::string& edges,
                            const flowpool::RunOptions& options = {}) {
        for (const auto& [from, to] :
             {std::pair<std::string, std::string>{"{W}", std::to_string(GetParam())},
              {"{IN}", input_}}) {
            for (std::size_t at; (at = nodes.find(from)) != std::string::npos;) {
                nodes.replace(at, from.size(), to);
            }
        }
        const std::string text = "graph: t\nnodes:\n" + nodes + "edges:\n" + edges;
        const auto graph = flowpool::parse_graph(text, "t.yaml");
        flowpool::RunResult result = flowpool::run_graph(graph, ops_with(out_, letters_), options);
        const auto& s = result.stats;
        EXPECT_EQ(s.accounted(), s.jobs()) << "jobs in " << s.jobs_in << ", made " << s.made;
        return result;
    }

    /// Runs `jsonl (@p path) -> where @p expr -> @p sink` at the test's worker count.
    flowpool::RunResult run_where(const std::string& path, const std::string& expr,
                                  const std::string& sink) {
        return run("  events: { kind: source, op: jsonl, path: '" + path + "' }\n" +
                       "  few: { kind: filter, op: where, concurrency: {W}, expr: \"" + expr +
                       "\" }\n" + "  out: { kind: sink, op: " + sink + " }\n",
                   "  - events -> few -> out\n");
    }

    std::filesystem::path dir_;
    std::string input_;
    std::vector<Event> events_;
    std::shared_ptr<Collected> out_ = std::make_shared<Collected>();
    std::shared_ptr<Collected> letters_ = std::make_shared<Collected>();
};

inline const Value& field(const Value& record, const char* name) {
    const Value* v = std::get<Record>(record).find(name);
    if (v == nullptr) throw std::runtime_error(std::string("no field ") + name);
    return *v;
}

inline double number(const Value& v) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) return static_cast<double>(*n);
    return std::get<double>(v);
}

}  // namespace flowpool::test
