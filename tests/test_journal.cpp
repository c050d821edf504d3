// A run's journal (RunOptions::journal) in the library: every source job is journaled once,
// when it and every job made from it finished, with the failures of the jobs made from it; the
// jobs the journal skips are left out at the source, also from a jsonl file's runs of uncut lines.
// At 1, 2, 4 and 8 workers.

#include <gtest/gtest.h>
#include <unistd.h>

#include <flowpool/graph.hpp>
#include <flowpool/journal.hpp>
#include <flowpool/ops.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

/// Remembers what the run told it; skips the ids it was given.
class Recorder final : public flowpool::RunJournal {
public:
    explicit Recorder(std::set<std::uint64_t> skip = {}) : skip_(std::move(skip)) {}

    bool skips(std::string_view source, std::uint64_t id) const noexcept override {
        return source == "input" && skip_.count(id) != 0;
    }
    void finished(std::string_view source, const std::vector<std::uint64_t>& ids,
                  const std::vector<flowpool::FailedJob>& failed) noexcept override {
        const std::lock_guard lock(mutex_);
        if (source != "input") ++foreign_;
        for (const std::uint64_t id : ids) ++times_[id];
        for (const flowpool::FailedJob& job : failed) failed_.insert(job.id);
    }

    std::map<std::uint64_t, int> times_;  // per source job: how often journaled
    std::set<std::uint64_t> failed_;      // the ids of the failed jobs, as reported
    int foreign_ = 0;                     // batches of another source

private:
    std::set<std::uint64_t> skip_;
    mutable std::mutex mutex_;
};

class JournalTest : public ::testing::TestWithParam<std::size_t> {
protected:
    static constexpr std::uint64_t jobs = 3000;

    /// Lines "v,v+1" for v in [0, jobs), exploded into two pieces each, parsed; the piece whose
    /// value is 1000 fails (so do source jobs 999 and 1000) and is skipped.
    flowpool::RunResult run(Recorder& journal) {
        // One file per process: CTest runs the tests of this file side by side.
        const auto input = std::filesystem::path(::testing::TempDir()) /
                           ("journal_input." + std::to_string(::getpid()) + ".txt");
        {
            std::ofstream out(input);
            for (std::uint64_t v = 0; v < jobs; ++v) out << v << ',' << v + 1 << '\n';
        }
        const std::string w = std::to_string(GetParam());
        const std::string text =
            "graph: journal\nnodes:\n"
            "  input: {kind: source, op: lines, path: \"" +
            input.string() +
            "\"}\n"
            "  pieces: {kind: function, op: explode, split: \",\", "
            "concurrency: " +
            w +
            "}\n"
            "  parse: {kind: function, op: parse_int, concurrency: " +
            w +
            "}\n"
            "  bad: {kind: function, op: fail, value: 1000, on_error: skip, "
            "concurrency: " +
            w +
            "}\n"
            "  out: {kind: sink, op: file, path: /dev/null}\n"
            "edges: [input -> pieces -> parse -> bad -> out]\n";
        const flowpool::GraphSpec graph = flowpool::parse_graph(text, "journal.yaml");
        flowpool::RunOptions options;
        options.journal = &journal;
        flowpool::RunResult result = flowpool::run_graph(graph, flowpool::OpRegistry{}, options);
        std::filesystem::remove(input);
        return result;
    }
};

TEST_P(JournalTest, EverySourceJobIsJournaledOnceWithTheFailuresMadeFromIt) {
    Recorder journal;
    const flowpool::RunResult result = run(journal);
    ASSERT_FALSE(result.error) << result.error->what();
    EXPECT_EQ(result.stats.skipped, 2U);
    EXPECT_EQ(journal.foreign_, 0);
    ASSERT_EQ(journal.times_.size(), jobs);
    for (const auto& [id, times] : journal.times_) {
        ASSERT_LT(id, jobs);
        ASSERT_EQ(times, 1) << "job " << id;
    }
    // Piece 1 of job 999 and piece 0 of job 1000, under their derived ids (id * 2^20 + piece).
    EXPECT_EQ(journal.failed_, (std::set<std::uint64_t>{(999ULL << 20) + 1, 1000ULL << 20}));
}

TEST_P(JournalTest, JobsTheJournalSkipsAreLeftOutAtTheSource) {
    std::set<std::uint64_t> skip;
    for (std::uint64_t id = 0; id < jobs; ++id) {
        if (id % 3 == 0 || (id > 500 && id < 1500)) skip.insert(id);  // whole batches, and some
    }
    Recorder journal(skip);
    const flowpool::RunResult result = run(journal);
    ASSERT_FALSE(result.error) << result.error->what();
    EXPECT_EQ(result.stats.jobs_in, jobs - skip.size());
    EXPECT_EQ(result.stats.skipped, 0U);  // 999 and 1000 were left out
    EXPECT_EQ(result.stats.accounted(), result.stats.jobs());
    EXPECT_EQ(journal.times_.size(), jobs - skip.size());
    for (const auto& [id, times] : journal.times_) {
        ASSERT_EQ(skip.count(id), 0U) << "job " << id << " was skipped but ran";
        ASSERT_EQ(times, 1) << "job " << id;
    }
}

TEST_P(JournalTest, ANodeThatHoldsJobsBackCannotBeJournaled) {
    const flowpool::GraphSpec graph = flowpool::parse_graph(
        "nodes:\n  input: {kind: source, op: range, count: 10}\n"
        "  n: {kind: function, op: aggregate, fields: {n: \"count()\"}}\n"
        "  out: {kind: sink, op: print}\nedges: [input -> n -> out]\n",
        "held.yaml");
    Recorder journal;
    flowpool::RunOptions options;
    options.journal = &journal;
    EXPECT_THROW(flowpool::run_graph(graph, flowpool::OpRegistry{}, options), flowpool::UsageError);
    // A sink that writes only at the end (its jobs are journaled as it takes them).
    const flowpool::GraphSpec summed = flowpool::parse_graph(
        "nodes:\n  input: {kind: source, op: range, count: 10}\n"
        "  out: {kind: sink, op: summary}\nedges: [input -> out]\n",
        "summed.yaml");
    EXPECT_THROW(flowpool::run_graph(summed, flowpool::OpRegistry{}, options),
                 flowpool::UsageError);
}

/// Lines 0-999 of which every hundredth from 7 on (7, 107, ..., 907) is over max_line_bytes:
/// `lines` fails those as it reads them, before any batch holds them.
class SourceFailuresTest : public ::testing::TestWithParam<std::size_t> {
protected:
    static constexpr std::uint64_t lines = 1000;

    static std::set<std::uint64_t> too_long() {
        std::set<std::uint64_t> ids;
        for (std::uint64_t id = 7; id < lines; id += 100) ids.insert(id);
        return ids;
    }

    /// Runs the lines through `upper` at the test's workers into a file; returns its lines.
    std::vector<std::string> run(Recorder& journal, const std::string& on_error,
                                 flowpool::RunResult& result) {
        const std::string stem = std::filesystem::path(::testing::TempDir()) /
                                 ("source_failures." + std::to_string(::getpid()));
        {
            std::ofstream out(stem + ".txt");
            for (std::uint64_t id = 0; id < lines; ++id)
                out << (too_long().count(id) != 0 ? std::string(40, 'x') : std::to_string(id))
                    << '\n';
        }
        const std::string text = "nodes:\n  input: {kind: source, op: lines, path: \"" + stem +
                                 ".txt\", max_line_bytes: 20, on_error: " + on_error +
                                 "}\n  up: {kind: function, op: map, expr: \"upper(.)\", "
                                 "concurrency: " +
                                 std::to_string(GetParam()) +
                                 "}\n  out: {kind: sink, op: file, path: \"" + stem +
                                 ".out\"}\nedges: [input -> up -> out]\n";
        flowpool::RunOptions options;
        options.journal = &journal;
        options.batch_size = 64;
        result = flowpool::run_graph(flowpool::parse_graph(text, "source_failures.yaml"),
                                     flowpool::OpRegistry{}, options);
        std::vector<std::string> out;
        std::ifstream written(stem + ".out");
        for (std::string line; std::getline(written, line);) out.push_back(line);
        std::filesystem::remove(stem + ".txt");
        std::filesystem::remove(stem + ".out");
        return out;
    }
};

TEST_P(SourceFailuresTest, JobsASourceFailsAsItReadsAreJournaledAndLeftOutWhenResumed) {
    Recorder first;
    flowpool::RunResult result;
    EXPECT_EQ(run(first, "skip", result).size(), lines - too_long().size());
    ASSERT_FALSE(result.error) << result.error->what();
    EXPECT_EQ(result.stats.skipped, too_long().size());
    EXPECT_EQ(first.failed_, too_long());  // journaled, as failed
    ASSERT_EQ(first.times_.size(), lines);
    for (const auto& [id, times] : first.times_) ASSERT_EQ(times, 1) << "job " << id;

    // Resumed: the journal skips them, so they neither fail again nor count as this run's, even
    // under a policy that would fail the run.
    for (const std::string policy : {"skip", "fail"}) {
        Recorder resumed(too_long());
        EXPECT_EQ(run(resumed, policy, result).size(), lines - too_long().size()) << policy;
        ASSERT_FALSE(result.error) << policy << ": " << result.error->what();
        EXPECT_EQ(result.stats.skipped, 0U) << policy;
        EXPECT_EQ(result.stats.jobs_in, lines - too_long().size()) << policy;
        EXPECT_EQ(result.stats.accounted(), result.stats.jobs()) << policy;
        EXPECT_TRUE(resumed.failed_.empty()) << policy;
        for (const std::uint64_t id : too_long()) EXPECT_EQ(resumed.times_.count(id), 0U) << id;
    }
}

TEST_P(SourceFailuresTest, AFailureAsTheSourceReadsStopsItReading) {
    Recorder journal;
    flowpool::RunResult result;
    // Batches of 64: the first holds jobs 0-6, then line 7 fails the run.
    const std::vector<std::string> out = run(journal, "fail", result);
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->node(), "input");
    EXPECT_EQ(result.error->job_id(), 7U);
    EXPECT_LE(out.size(), 7U);
    EXPECT_EQ(journal.failed_, (std::set<std::uint64_t>{7}));
}

/// A jsonl file of 6,000 lines, a few hundred KB, so that the source reads it in runs of uncut
/// lines (TextSource::read_run), a few of them bad or blank, into a file as `{id} {value.line}`:
/// a journal that leaves jobs out of such a run has it cut first (TextBatch::keep).
class JsonlJournalTest : public ::testing::TestWithParam<std::size_t> {
protected:
    static constexpr std::uint64_t lines = 6000;

    // Few, for most batches to be runs: a batch that cannot be one (a blank line) is cut line by
    // line, and so are the next few.
    static bool bad(std::uint64_t id) { return id % 1000 == 503; }
    static bool blank(std::uint64_t id) { return id % 1500 == 700 || id == 701; }

    /// Runs the file at the test's threads and @p batch_size (0: sized by the run); returns the
    /// lines written, sorted.
    std::vector<std::string> run(Recorder& journal, std::size_t batch_size,
                                 flowpool::RunResult& result) {
        const std::string stem = std::filesystem::path(::testing::TempDir()) /
                                 ("jsonl_journal." + std::to_string(::getpid()));
        {
            std::ofstream out(stem + ".jsonl", std::ios::binary);
            for (std::uint64_t id = 0; id < lines; ++id) {
                if (blank(id)) {
                    out << (id % 2 == 0 ? "" : "  ") << '\n';
                } else if (bad(id)) {
                    out << "{\"line\":" << id + 1 << ",}\n";
                } else {
                    out << "{\"line\":" << id + 1 << ",\"pad\":\"" << std::string(id % 90, 'p')
                        << "\"}\n";
                }
            }
        }
        const std::string text = "nodes:\n  input: {kind: source, op: jsonl, path: \"" + stem +
                                 ".jsonl\", on_error: skip}\n  out: {kind: sink, op: file, path: "
                                 "\"" +
                                 stem +
                                 ".out\", format: \"{id} {value.line}\"}\n"
                                 "edges: [input -> out]\n";
        flowpool::RunOptions options;
        options.journal = &journal;
        options.batch_size = batch_size;
        options.threads = GetParam();
        result = flowpool::run_graph(flowpool::parse_graph(text, "jsonl_journal.yaml"),
                                     flowpool::OpRegistry{}, options);
        std::vector<std::string> out;
        std::ifstream written(stem + ".out");
        for (std::string line; std::getline(written, line);) out.push_back(line);
        std::sort(out.begin(), out.end());
        std::filesystem::remove(stem + ".jsonl");
        std::filesystem::remove(stem + ".out");
        return out;
    }
};

TEST_P(JsonlJournalTest, JobsTheJournalSkipsAreLeftOutOfRunsOfUncutLines) {
    std::set<std::uint64_t> skip;
    for (std::uint64_t id = 0; id < lines; ++id) {
        // Every fifth (a run the journal leaves jobs out of is cut), whole runs, and now and then
        // (most runs are then left whole, and parsed uncut).
        if ((id < 2000 && id % 5 == 0) || (id >= 2000 && id < 3000) || id % 500 == 7)
            skip.insert(id);
    }
    // What a resumed run must do: the jobs not skipped, each once; the bad ones among them fail.
    std::vector<std::string> written;
    std::set<std::uint64_t> jobs;
    std::set<std::uint64_t> failed;
    for (std::uint64_t id = 0; id < lines; ++id) {
        if (blank(id) || skip.count(id) != 0) continue;
        jobs.insert(id);
        if (bad(id)) {
            failed.insert(id);
        } else {
            written.push_back(std::to_string(id) + " " + std::to_string(id + 1));
        }
    }
    std::sort(written.begin(), written.end());
    ASSERT_FALSE(failed.empty());
    for (const std::size_t batch_size : {0, 7, 100}) {
        Recorder journal(skip);
        flowpool::RunResult result;
        const std::vector<std::string> out = run(journal, batch_size, result);
        ASSERT_FALSE(result.error) << result.error->what();
        EXPECT_EQ(out, written) << "batch " << batch_size;
        EXPECT_EQ(result.stats.jobs_in, jobs.size()) << "batch " << batch_size;
        EXPECT_EQ(result.stats.skipped, failed.size()) << "batch " << batch_size;
        EXPECT_EQ(journal.failed_, failed) << "batch " << batch_size;
        std::set<std::uint64_t> journaled;
        for (const auto& [id, times] : journal.times_) {
            EXPECT_EQ(times, 1) << "job " << id << ", batch " << batch_size;
            journaled.insert(id);
        }
        EXPECT_EQ(journaled, jobs) << "batch " << batch_size;
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, JournalTest, ::testing::Values(1, 2, 4, 8));
INSTANTIATE_TEST_SUITE_P(Workers, SourceFailuresTest, ::testing::Values(1, 2, 4, 8));
INSTANTIATE_TEST_SUITE_P(Workers, JsonlJournalTest, ::testing::Values(1, 2, 4, 8));

}  // namespace
