// What `flowpool run` shows about a run: the summary on stderr, --stats and --stats-json, the
// progress line on a terminal only, --trace, --log-level, and --drain-timeout after a signal.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <re2/re2.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "cli_runner.hpp"

using flowpool::test::lines_of;
using flowpool::test::run_cli;
using flowpool::test::slurp;

namespace {

using Clock = std::chrono::steady_clock;

std::string temp_path(const std::string& name) {
    return std::string(::testing::TempDir()) + "flowpool_observe_" + std::to_string(::getpid()) +
           "_" + name;
}

/// Runs python3 @p script with @p file as its argument and returns what it prints.
std::string python(const std::string& script, const std::string& file) {
    const std::string py = temp_path("check.py");
    const std::string out = temp_path("check.out");
    std::ofstream(py) << script;
    const int status =
        std::system(("python3 '" + py + "' '" + file + "' >'" + out + "' 2>&1").c_str());
    EXPECT_EQ(status, 0) << slurp(out);
    return slurp(out);
}

/// The counts of a summary line, as written; `abandoned` is empty if the line has none.
struct Summary {
    std::string in, out, filtered, skipped, failed, dead_lettered, abandoned;
};

/// Reads the summary line @p line, `N jobs in, N results out, N filtered, N skipped, N failed, N
/// dead-lettered[, N abandoned] in S s (R jobs/s)`, into @p summary; false if it is not one.
bool read_summary(const std::string& line, Summary& summary) {
    static const RE2 pattern(
        R"((\d+) jobs in, (\d+) results out, (\d+) filtered, (\d+) skipped, (\d+) failed, (\d+) dead-lettered(?:, (\d+) abandoned)? in [0-9.]+ s \([0-9.]+ jobs/s\))");
    return RE2::FullMatch(line, pattern, &summary.in, &summary.out, &summary.filtered,
                          &summary.skipped, &summary.failed, &summary.dead_lettered,
                          &summary.abandoned);
}

}  // namespace

TEST(CliObserve, EveryRunEndsWithASummaryOnStderrUnlessQuiet) {
    const auto result = run_cli("run graphs/spin_summary.yaml --set jobs.count=10000");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::string line;
    ASSERT_TRUE(RE2::FullMatch(result.err, R"(([^\n]*)\n)", &line)) << result.err;
    Summary summary;
    ASSERT_TRUE(read_summary(line, summary)) << line;
    EXPECT_EQ(summary.in, "10000");
    EXPECT_EQ(summary.out, "10000");
    EXPECT_EQ(summary.failed, "0");
    EXPECT_EQ(summary.abandoned, "") << "no abandoned jobs, none mentioned";
    EXPECT_EQ(result.out.find("jobs in"), std::string::npos) << "the summary is never on stdout";

    const auto quiet = run_cli("run graphs/spin_summary.yaml --set jobs.count=10000 --quiet");
    EXPECT_EQ(quiet.exit_code, 0);
    EXPECT_EQ(quiet.err, "");
    EXPECT_EQ(quiet.out, result.out);
}

TEST(CliObserve, AFailedRunPrintsTheErrorThenTheSummary) {
    const auto result = run_cli("run tests/data/failing_job.yaml --set check.concurrency=2");
    EXPECT_EQ(result.exit_code, 1);
    const auto lines = lines_of(result.err);
    ASSERT_EQ(lines.size(), 2u) << result.err;
    EXPECT_EQ(lines[0], "error: node 'check' job 4242: value 4242 fails by request");
    Summary summary;
    ASSERT_TRUE(read_summary(lines[1], summary)) << lines[1];
    EXPECT_GE(std::stoul(summary.failed), 1u) << "at least job 4242 failed";
    EXPECT_LT(std::stoul(summary.out), 10000u);
}

TEST(CliObserve, StatsPrintsARowPerNodeAndTheBottleneck) {
    const auto result = run_cli("run graphs/spin_summary.yaml --set jobs.count=10000 --stats");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto lines = lines_of(result.err);
    ASSERT_EQ(lines.size(), 6u) << result.err;  // summary, header, 3 nodes, bottleneck
    EXPECT_EQ(lines[1].rfind("node ", 0), 0u) << lines[1];
    for (const char* column : {"in", "out", "util", "p50", "p99", "max", "queue-hw", "batch"})
        EXPECT_NE(lines[1].find(column), std::string::npos) << column;
    // Node, kind, workers, in, out, filt/fail/skip/dl, then the rest of the line: `[^\r\n]*`, not
    // `.*`, which in RE2 matches a '\r' too.
    const RE2 row(R"(\w+ +(?:source|function|sink) +\d+ +(\d+) +(\d+) +\d+/\d+/\d+/\d+ [^\r\n]*)");
    for (int i = 2; i <= 4; ++i) {
        std::string in, out;
        ASSERT_TRUE(RE2::FullMatch(lines[i], row, &in, &out)) << lines[i];
        EXPECT_EQ(in, "10000") << lines[i];
        EXPECT_EQ(out, "10000") << lines[i];
    }
    EXPECT_TRUE(RE2::FullMatch(lines[5], R"(bottleneck: (jobs|work|total) \(\d+% busy\))"))
        << lines[5];
}

TEST(CliObserve, StatsJsonHoldsTheRunsCountsAndEscapesNames) {
    // A node name with a quote, a backslash and a tab: the JSON must still parse.
    const std::string graph = temp_path("weird.yaml");
    std::ofstream(graph)
        << "graph: weird\nnodes:\n"
           "  jobs: { kind: source, op: range, count: 10000 }\n"
           "  \"we\\\"ird\\\\na\\tme\": { kind: function, op: fail, value: 42, on_error: skip }\n"
           "  out: { kind: sink, op: summary }\n"
           "edges:\n  - \"jobs -> we\\\"ird\\\\na\\tme -> out\"\n";
    const std::string json = temp_path("stats.json");
    const auto result = run_cli("run '" + graph + "' --quiet --stats-json '" + json + "'");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const std::string figures = python(R"(import json, sys
d = json.load(open(sys.argv[1]))
print(d["jobs_in"], d["results_out"], d["filtered"], d["failed"], d["abandoned"], d["skipped"])
for n in d["nodes"]:
    print(repr(n["name"]), n["kind"], n["messages_in"], n["messages_out"], n["filtered"],
          n["batches"] >= 1, 0 <= n["utilisation"] <= 1.05, n["expected_jobs"])
busiest = max(d["nodes"], key=lambda n: n["utilisation"])
print(d["bottleneck"] == busiest["name"], d["wall_seconds"] > 0)
)",
                                       json);
    EXPECT_EQ(figures,
              "10000 9999 0 0 0 1\n"
              "'jobs' source 10000 10000 0 True True 10000\n"
              "'we\"ird\\\\na\\tme' function 10000 9999 0 True True 0\n"
              "'out' sink 9999 9999 0 True True 0\n"
              "True True\n");
}

TEST(CliObserve, AnUnwritableStatsJsonPathIsBadUsage) {
    const auto result = run_cli("run graphs/worker_pool.yaml --stats-json /nonexistent-dir/s.json");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.out, "") << "the graph must not run";
    EXPECT_NE(result.err.find("/nonexistent-dir/s.json"), std::string::npos) << result.err;

    // Opened but not written (a full disk): the run ran, and its exit code says the file is not.
    const auto full = run_cli("run graphs/worker_pool.yaml --stats-json /dev/full");
    EXPECT_EQ(full.exit_code, 2) << full.err;
    EXPECT_FALSE(full.out.empty()) << "the graph ran";
    EXPECT_NE(full.err.find("error: cannot write '/dev/full'"), std::string::npos) << full.err;

    // A trace the same: 2 only where the run's own code would be 0 (a job failed: 1).
    const auto trace = run_cli("run graphs/worker_pool.yaml --trace /dev/full");
    EXPECT_EQ(trace.exit_code, 2) << trace.err;
    const auto failed = run_cli("run tests/data/failing_job.yaml --trace /dev/full");
    EXPECT_EQ(failed.exit_code, 1) << failed.err;
    EXPECT_NE(failed.err.find("could not write the trace file '/dev/full'"), std::string::npos)
        << failed.err;
}

TEST(CliObserve, TraceHasASpanPerBatchOrPerSampledBatch) {
    for (const int sample : {1, 10}) {
        SCOPED_TRACE(sample);
        const std::string trace = temp_path("trace.json");
        const std::string json = temp_path("trace_stats.json");
        const auto result = run_cli(
            "run graphs/spin_summary.yaml --set jobs.count=1000 --batch 4 -q"
            " --trace '" +
            trace + "' --trace-sample " + std::to_string(sample) + " --stats-json '" + json + "'");
        ASSERT_EQ(result.exit_code, 0) << result.err;
        const std::string expected = python(
            "import json, sys\nd = json.load(open(sys.argv[1]))\n"
            "print(sum((n['batches'] + " +
                std::to_string(sample - 1) + ") // " + std::to_string(sample) +
                " for n in d['nodes']))\n",
            json);
        const std::string spans = python(R"(import json, sys
d = json.load(open(sys.argv[1]))
print(sum(1 for e in d["traceEvents"] if e["ph"] == "X"))
)",
                                         trace);
        EXPECT_EQ(spans, expected);
        EXPECT_GE(std::stoul(spans), 3u);
    }
    EXPECT_EQ(run_cli("run graphs/worker_pool.yaml --trace-sample 0").exit_code, 2);
}

TEST(CliObserve, LogLevelOverridesTheEnvironment) {
    const auto info = run_cli("run graphs/worker_pool.yaml -q --log-level info");
    EXPECT_EQ(info.exit_code, 0);
    EXPECT_NE(info.err.find("graph 'worker-pool' loaded from graphs/worker_pool.yaml"),
              std::string::npos)
        << info.err;
    EXPECT_NE(info.err.find("run finished"), std::string::npos) << info.err;
    EXPECT_EQ(info.out.find("[info]"), std::string::npos) << "logs go to stderr only";
    EXPECT_EQ(run_cli("run graphs/worker_pool.yaml -q").err, "") << "warn by default";
    ::setenv("FLOWPOOL_LOG", "debug", 1);
    EXPECT_NE(run_cli("run graphs/worker_pool.yaml -q").err.find("[debug]"), std::string::npos);
    EXPECT_EQ(run_cli("run graphs/worker_pool.yaml -q --log-level off").err, "");
    ::unsetenv("FLOWPOOL_LOG");
    EXPECT_EQ(run_cli("run graphs/worker_pool.yaml --log-level loud").exit_code, 2);
}

TEST(CliObserve, ProgressIsDrawnOnATerminalOnlyAndClearedBeforeTheSummary) {
    if (std::system("command -v script >/dev/null") != 0) GTEST_SKIP() << "no script(1)";
    // About a second of work, so the observer draws several times.
    const std::string args =
        " run graphs/spin_summary.yaml --set jobs.count=200 --set work.iterations=1000000";
    const std::string out = temp_path("progress.out");
    const std::string tty = temp_path("progress.tty");
    const auto under_terminal = [&](const std::string& extra) {
        const std::string inner =
            std::string("'") + FLOWPOOL_CLI + "'" + args + extra + " >'" + out + "'";
        const std::string command = "cd '" + std::string(FLOWPOOL_SOURCE_DIR) +
                                    "' && script -qfec \"" + inner + "\" /dev/null >'" + tty +
                                    "' </dev/null";
        EXPECT_EQ(std::system(command.c_str()), 0);
        return slurp(tty);
    };
    const std::string drawn = under_terminal("");
    EXPECT_NE(drawn.find("/200 jobs"), std::string::npos) << drawn;
    EXPECT_NE(drawn.find("ETA "), std::string::npos) << drawn;
    const std::size_t last_clear = drawn.rfind("\r\033[K");
    ASSERT_NE(last_clear, std::string::npos) << drawn;
    EXPECT_EQ(drawn.substr(last_clear + 4, 16), "200 jobs in, 200") << "cleared before the summary";
    EXPECT_EQ(slurp(out).find("jobs"), std::string::npos) << "never on stdout";

    EXPECT_EQ(under_terminal(" --no-progress").find("/200 jobs"), std::string::npos);
    const auto piped = run_cli(args);
    EXPECT_EQ(piped.exit_code, 0);
    EXPECT_EQ(piped.err.find("\033[K"), std::string::npos) << "no progress into a pipe";
    EXPECT_EQ(piped.err.find("/200 jobs"), std::string::npos);
}

TEST(CliObserve, ALinesFileShowsProgressInBytesOnATerminalOnly) {
    if (std::system("command -v script >/dev/null") != 0) GTEST_SKIP() << "no script(1)";
    // 256 lines of 40 bytes: 10240 bytes, "10.0 KiB"; each job spins about as long as in the
    // test above, so the observer draws while the run goes on.
    const std::string data = temp_path("bytes.txt");
    {
        std::ofstream lines(data);
        for (int i = 0; i < 256; ++i) lines << "line " << 1000 + i << std::string(30, 'x') << '\n';
    }
    ASSERT_EQ(slurp(data).size(), 10240u);
    const std::string graph = temp_path("bytes.yaml");
    const std::string yaml =
        "graph: bytes\nversion: 1\nnodes:\n"
        "  text: { kind: source, op: lines, path: '" +
        data + "' }\n" +
        "  size: { kind: function, op: length }\n"
        "  work: { kind: function, op: spin, iterations: 1000000 }\n"
        "  total: { kind: sink, op: summary }\n"
        "edges: [ 'text -> size -> work -> total' ]\n";
    std::ofstream(graph) << yaml;
    const std::string out = temp_path("bytes.out");
    const std::string tty = temp_path("bytes.tty");
    const std::string inner =
        std::string("'") + FLOWPOOL_CLI + "' run '" + graph + "' >'" + out + "'";
    ASSERT_EQ(
        std::system(("script -qfec \"" + inner + "\" /dev/null >'" + tty + "' </dev/null").c_str()),
        0);
    const std::string drawn = slurp(tty);
    // `DONE/10.0 KiB  PCT%  RATE/s  N jobs  ETA m:ss`, DONE and RATE in B, KiB, ...
    const RE2 line(
        R"(\r\x1b\[K([0-9.]+ (B|KiB))/10\.0 KiB +[0-9.]+%  [0-9.]+ (B|KiB|MiB)/s  (\d+) jobs  ETA \d+:\d\d)");
    std::size_t lines_drawn = 0;
    for (re2::StringPiece rest(drawn); RE2::FindAndConsume(&rest, line);) ++lines_drawn;
    EXPECT_GE(lines_drawn, 1u) << drawn;
    EXPECT_NE(drawn.find("10.0 KiB/10.0 KiB 100.0%"), std::string::npos)
        << "the observer's last call, at the end, counts every byte: " << drawn;
    EXPECT_NE(drawn.find("256 jobs in, 256 results out"), std::string::npos) << drawn;
    EXPECT_EQ(slurp(out).find("KiB"), std::string::npos) << "never on stdout";

    const auto piped = run_cli("run '" + graph + "'");
    EXPECT_EQ(piped.exit_code, 0) << piped.err;
    EXPECT_EQ(piped.err.find("\033[K"), std::string::npos) << "no progress into a pipe";
    EXPECT_EQ(piped.err.find("KiB"), std::string::npos) << piped.err;
}

TEST(CliObserve, AfterASignalJobsInFlightAreAbandonedWhenTheDrainTimeoutExpires) {
    for (const int signal : {SIGINT, SIGTERM}) {
        SCOPED_TRACE(signal);
        const std::string err = temp_path("drain.err");
        std::remove(err.c_str());  // the previous signal's run logged "run started" there too
        // Each job spins for seconds: none can finish within the 1 s drain timeout.
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            const int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, STDERR_FILENO);
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, STDOUT_FILENO);
            ::chdir(FLOWPOOL_SOURCE_DIR);
            ::execl(FLOWPOOL_CLI, FLOWPOOL_CLI, "run", "graphs/spin_summary.yaml", "--set",
                    "jobs.count=100", "--set", "work.iterations=4000000000", "--batch", "1",
                    "--drain-timeout", "1", "--log-level", "info", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // Signal once the run has started (its handlers are installed before it logs that): a
        // fixed wait loses that race under a sanitizer on a loaded machine, and the default
        // action of the signal then kills the CLI.
        const auto forked = Clock::now();
        while (slurp(err).find("run started") == std::string::npos &&
               Clock::now() - forked < std::chrono::seconds(30))
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        const auto signalled = Clock::now();
        ::kill(pid, signal);
        int status = 0;
        while (::waitpid(pid, &status, WNOHANG) == 0 &&
               Clock::now() - signalled < std::chrono::seconds(10))
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        const auto elapsed = Clock::now() - signalled;
        if (elapsed >= std::chrono::seconds(10)) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            FAIL() << "still running 10 s after the signal";
        }
        EXPECT_LT(elapsed, std::chrono::seconds(1 + 2 * FLOWPOOL_TEST_SLOWDOWN))
            << "drain timeout 1 s, plus at most 2 s (6 s in sanitized builds): the signal, the "
               "drain's end and the exit come while the run's workers spin on both cores";
        EXPECT_GE(elapsed, std::chrono::milliseconds(900)) << "the jobs in flight got their second";
        ASSERT_TRUE(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), 128 + signal);
        const std::string text = slurp(err);
        EXPECT_NE(text.find("abandoned after the drain timeout"), std::string::npos) << text;
        const auto lines = lines_of(text);
        ASSERT_FALSE(lines.empty());
        Summary summary;
        ASSERT_TRUE(read_summary(lines.back(), summary)) << text;
        ASSERT_NE(summary.abandoned, "") << "abandoned jobs are counted: " << lines.back();
        EXPECT_GE(std::stoul(summary.abandoned), 1u);
        EXPECT_EQ(summary.in, summary.abandoned) << "every job made was in flight";
    }
}
