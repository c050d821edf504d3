#pragma once
// The fixture of the tests of the built-in ops through graph files (test_ops.cpp: the lines
// source, the file and jsonl sinks, the CLI; test_string_ops.cpp: the string and integer ops and
// validation): a `collect` sink that keeps every job's value by id, a scratch directory per
// process, a run of a graph file's text that captures stdout, and the worker counts (1, 2, 4, 8)
// the concurrency tests take.

#include <gtest/gtest.h>
#include <unistd.h>
#include <flowpool/flowpool.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace flowpool::test::ops_fixture {

/// What the `collect` test sink saw: every job's value by id, and how many jobs came twice.
struct Collected {
    std::map<std::uint64_t, flowpool::Value> values;
    int repeated = 0;
};

class CollectSink final : public flowpool::SinkBody {
public:
    explicit CollectSink(std::shared_ptr<Collected> into) : into_(std::move(into)) {}
    void consume(const flowpool::detail::BatchPtr& in, flowpool::BatchContext&) override {
        const auto& batch = static_cast<const flowpool::detail::Items<flowpool::Value>&>(*in);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (!into_->values.emplace(batch.ids[i], batch.values[i]).second) ++into_->repeated;
        }
    }

private:
    std::shared_ptr<Collected> into_;
};

/// The built-in ops plus `collect`, a sink that keeps what it gets in @p into.
inline flowpool::OpRegistry ops_with_collect(const std::shared_ptr<Collected>& into) {
    flowpool::OpRegistry ops;
    ops.add({.name = "collect",
             .kind = flowpool::NodeKind::sink,
             .description = "keeps every job for the test",
             .takes = flowpool::ValueType::any,
             .make_sink = [into](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
                 return std::make_unique<CollectSink>(into);
             }});
    return ops;
}

/// This process's scratch directory, removed with everything in it when the process ends.
inline const std::filesystem::path& scratch_root() {
    struct Root {
        std::filesystem::path path;
        ~Root() {
            std::error_code ignored;
            std::filesystem::remove_all(path, ignored);
        }
    };
    static const Root root{std::filesystem::path(::testing::TempDir()) /
                           ("flowpool_ops_" + std::to_string(::getpid()))};
    return root.path;
}

/// A fresh directory for one test's files.
inline std::string temp_dir() {
    static int counter = 0;
    const std::filesystem::path dir = scratch_root() / std::to_string(counter++);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

inline void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

struct Outcome {
    flowpool::RunResult result;
    std::string out;  ///< what the run wrote to stdout
};

/// Parses @p yaml, applies `NODE.PARAM=VALUE` overrides and runs it, capturing stdout.
inline Outcome run_yaml(const std::string& yaml, const flowpool::OpRegistry& ops,
                        const std::vector<std::string>& sets = {}, std::size_t batch = 0) {
    flowpool::GraphSpec graph = flowpool::parse_graph(yaml, "test.yaml");
    for (const std::string& s : sets) flowpool::set_param(graph, s);
    flowpool::RunOptions options;
    options.batch_size = batch;
    testing::internal::CaptureStdout();
    Outcome outcome;
    try {
        outcome.result = flowpool::run_graph(graph, ops, options);
    } catch (...) {
        testing::internal::GetCapturedStdout();
        throw;
    }
    outcome.out = testing::internal::GetCapturedStdout();
    return outcome;
}

inline std::map<std::uint64_t, flowpool::Value> strings(const std::vector<std::string>& texts) {
    std::map<std::uint64_t, flowpool::Value> values;
    for (std::size_t i = 0; i < texts.size(); ++i) values[i] = texts[i];
    return values;
}

/// FNV-1a 64, written again here from its definition, to check the `hash` op against.
inline std::string fnv1a_hex(const std::string& text) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
    char digits[17];
    std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(h));
    return digits;
}

/// Concurrency tests take the worker count of the nodes they set as parameter.
class OpsWorkers : public ::testing::TestWithParam<int> {};

}  // namespace flowpool::test::ops_fixture
