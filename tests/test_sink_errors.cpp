// Sinks that cannot write, end to end through the CLI: a `file`, `jsonl` or `print` sink whose
// writes fail (a full device, a full tmpfs, a FIFO whose reader left) fails the run naming the
// path and the OS's reason, exits 1, and counts as results only the jobs whose lines got out
// whole. `print` into a pipe nobody reads any more (`| head -1`) stops quietly, as shell tools do.
//
//   jobs (range) ─► out (file | jsonl | print | summary)

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>

#include "cli_runner.hpp"

namespace {

using flowpool::test::CliResult;
using flowpool::test::run_cli;
using flowpool::test::temp_file;

/// The counts of the summary line on stderr; `found` is false if there is none.
struct Summary {
    bool found = false;
    std::uint64_t in = 0;
    std::uint64_t out = 0;
    std::uint64_t failed = 0;
};

Summary summary_of(const std::string& err) {
    static const RE2 line(R"((\d+) jobs in, (\d+) results out, 0 filtered, 0 skipped, )"
                          R"((\d+) failed, 0 dead-lettered in )");
    std::string in, out, failed;
    if (!RE2::PartialMatch(err, line, &in, &out, &failed)) return {};
    return {true, std::stoull(in), std::stoull(out), std::stoull(failed)};
}

/// A graph file: @p count jobs from a range into the sink `out`, whose op and parameters are
/// @p sink.
std::string graph_file(const std::string& name, const std::string& sink,
                       const std::string& count = "1000") {
    return temp_file(name + ".yaml", "graph: " + name + "\nversion: 1\nnodes:\n" +
                                         "  jobs: { kind: source, op: range, count: " + count +
                                         " }\n  out:  { kind: sink, " + sink +
                                         " }\nedges:\n  - jobs -> out\n");
}

/// The run failed writing to @p where for @p reason: exit 1, one error line naming the node,
/// the first job that was not written, the place and the reason, and a summary that adds up.
Summary expect_write_failure(const CliResult& run, const std::string& where,
                             const std::string& reason) {
    EXPECT_EQ(run.exit_code, 1) << run.err;
    const std::string error = "cannot write to " + where + ": " + reason;
    const RE2 first_line(R"(error: node 'out' job \d+: (.*?)(?: \(\d+ jobs failed\))?)");
    std::string said;
    const std::string line = run.err.substr(0, run.err.find('\n'));
    EXPECT_TRUE(RE2::FullMatch(line, first_line, &said) && said == error) << run.err;
    const Summary summary = summary_of(run.err);
    EXPECT_TRUE(summary.found) << run.err;
    EXPECT_GE(summary.failed, 1u) << run.err;
    EXPECT_EQ(summary.out + summary.failed, summary.in) << run.err;
    return summary;
}

TEST(SinkOpenErrors, AGraphRefusedWhileItsSinksAreMadeLeavesTheOtherFilesAsTheyWere) {
    // Sink `b` cannot open its path (a directory): the run stops with exit 2 before any job,
    // and the file of sink `a`, made before it, keeps what it held. A run then overwrites it.
    const std::string kept = temp_file("kept.txt", "precious\n");
    const std::string graph = temp_file("refused.yaml",
                                        "graph: refused\nversion: 1\nnodes:\n"
                                        "  jobs: { kind: source, op: range, count: 3 }\n"
                                        "  a: { kind: sink, op: file, path: '" +
                                            kept +
                                            "', format: '{id}' }\n"
                                            "  b: { kind: sink, op: jsonl, path: /tmp }\n"
                                            "edges: [ 'jobs -> a', 'jobs -> b' ]\n");
    const auto refused = run_cli("run '" + graph + "'");
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find(graph + ":6:37: error: node 'b': cannot open '/tmp' for writing"),
              std::string::npos)
        << refused.err;
    EXPECT_EQ(flowpool::test::slurp(kept), "precious\n");

    const std::string fine = temp_file("overwrites.yaml",
                                       "graph: overwrites\nversion: 1\nnodes:\n"
                                       "  jobs: { kind: source, op: range, count: 2 }\n"
                                       "  a: { kind: sink, op: file, path: '" +
                                           kept +
                                           "', format: '{id}', ordered: true }\n"
                                           "edges: [ 'jobs -> a' ]\n");
    EXPECT_EQ(run_cli("run -q '" + fine + "'").exit_code, 0);
    EXPECT_EQ(flowpool::test::slurp(kept), "0\n1\n");  // nothing of the longer text left
}

TEST(SinkOpenErrors, ASinkWritingAFileTheGraphReadsOrAnotherSinkWritesIsAGraphError) {
    // The run would read its own lines back, on and on (a 3 GB file in 8 s from 3,000 lines),
    // or two sinks write over each other's lines: validate says so, at the sink's path.
    const std::string data = temp_file("own.txt", "1\n2\n");
    const std::string graph =
        temp_file("own.yaml",
                  "graph: own\nversion: 1\nnodes:\n"
                  "  src: { kind: source, op: lines, path: '" +
                      data +
                      "' }\n"
                      "  a: { kind: sink, op: file, path: '" +
                      data +
                      "' }\n"
                      "  b: { kind: sink, op: file, path: '" +
                      data + ".out' }\n  c: { kind: sink, op: jsonl, path: '" + data +
                      ".out' }\n"
                      "edges: [ 'src -> a', 'src -> b', 'src -> c' ]\n");
    const auto refused = run_cli("validate '" + graph + "'");
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_NE(refused.err.find(graph + ":5:36: error: node 'a' writes '" + data +
                               "', which node 'src' reads: the run would read its own lines back"),
              std::string::npos)
        << refused.err;
    EXPECT_NE(refused.err.find(":7:37: error: node 'c' writes '" + data + ".out', as node 'b' " +
                               "does: each would write over the other's lines"),
              std::string::npos)
        << refused.err;
    EXPECT_EQ(flowpool::test::slurp(data), "1\n2\n");
}

TEST(SinkWriteErrors, FileOnAFullDeviceFailsEveryJobNamingThePath) {
    const auto run = run_cli("run " + graph_file("file_full", "op: file, path: /dev/full"));
    EXPECT_EQ(expect_write_failure(run, "'/dev/full'", "No space left on device").out, 0u);
}

TEST(SinkWriteErrors, JsonlOnAFullDeviceFailsEveryJobNamingThePath) {
    const auto run = run_cli("run " + graph_file("jsonl_full", "op: jsonl, path: /dev/full"));
    EXPECT_EQ(expect_write_failure(run, "'/dev/full'", "No space left on device").out, 0u);
}

TEST(SinkWriteErrors, PrintToAFullStdoutFailsEveryJob) {
    const auto run = run_cli("run " + graph_file("print_full", "op: print"), "", "/dev/full");
    EXPECT_EQ(expect_write_failure(run, "standard output", "No space left on device").out, 0u);
}

TEST(SinkWriteErrors, SummaryThatCannotWriteItsLineCountsNoResult) {
    // summary writes once, in finish(): every job it took is lost with that line.
    const auto run = run_cli("run " + graph_file("summary_full", "op: summary"), "", "/dev/full");
    const Summary summary = expect_write_failure(run, "standard output", "No space left on device");
    EXPECT_EQ(summary.in, 1000u);
    EXPECT_EQ(summary.out, 0u);
    EXPECT_NE(run.err.find("(1000 jobs failed)"), std::string::npos) << run.err;
}

TEST(SinkWriteErrors, ANodesLogLinesThatCannotBeWrittenLeaveTheErrorToTheSink) {
    // Node `workers` writes a `log:` line per job to standard output before sink `results` does:
    // that write failed its jobs, and the error named `workers`, a function, not the sink.
    const auto run = run_cli("run graphs/worker_pool.yaml", "", "/dev/full");
    EXPECT_EQ(run.exit_code, 1) << run.err;
    const RE2 error_line(
        "error: node 'results' job \\d+: cannot write to standard output: No space left on "
        "device( \\(\\d+ jobs failed\\))?\n");
    EXPECT_TRUE(RE2::PartialMatch(run.err, error_line)) << run.err;
    EXPECT_EQ(run.err.find("error: node 'workers'"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("node 'workers': its log: lines are lost: cannot write to standard "
                           "output: No space left on device"),
              std::string::npos)
        << run.err;
}

/// Runs `flowpool ARGS` with stdout into a pipe, reads the first line and closes the pipe, as
/// `| head -1` does. The run gets 20 s to stop (`timeout`: status 124 if it does not).
CliResult run_cli_into_head(const std::string& args) {
    const std::string err = temp_file("head.err", "");
    const std::string command = std::string("cd '") + FLOWPOOL_SOURCE_DIR +
                                "' && exec timeout 20 '" + FLOWPOOL_CLI + "' " + args +
                                " </dev/null 2>'" + err + "'";
    FILE* pipe = ::popen(command.c_str(), "r");
    CliResult result;
    if (pipe == nullptr) return result;
    char line[256] = {};
    if (std::fgets(line, sizeof line, pipe) != nullptr) result.out = line;
    result.exit_code = flowpool::test::shell_status(::pclose(pipe));
    result.err = flowpool::test::slurp(err);
    return result;
}

TEST(SinkWriteErrors, PrintIntoAClosedPipeDiesOfSigpipeSilentlyLikeShellTools) {
    const auto run =
        run_cli_into_head("run " + graph_file("print_head", "op: print", "100000000000"));
    EXPECT_TRUE(RE2::FullMatch(run.out, "Result: Job \\d+ Value \\d+\n")) << run.out;
    EXPECT_EQ(run.exit_code, 128 + SIGPIPE) << run.err;
    EXPECT_EQ(run.err, "");
}

TEST(SinkWriteErrors, PrintThatSkipsFailuresStillStopsWhenThePipeCloses) {
    // on_error: skip keeps the sink's failures from stopping the run: the CLI stops it.
    const auto run = run_cli_into_head(
        "run " + graph_file("print_head_skip", "op: print, on_error: skip", "100000000000"));
    EXPECT_EQ(run.exit_code, 128 + SIGPIPE) << run.err;
    EXPECT_EQ(run.err, "");
}

TEST(SinkWriteErrors, FileIntoAFifoWhoseReaderLeftFailsWithBrokenPipe) {
    const std::string fifo = temp_file("sink.fifo", "");
    ASSERT_EQ(::unlink(fifo.c_str()), 0);
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
    // Open before the run (so that its open does not wait), not inherited by it (O_CLOEXEC):
    // once this reader leaves, nobody reads the FIFO.
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ASSERT_GE(reader, 0) << std::strerror(errno);
    std::thread read_once([reader] {
        pollfd wanted{reader, POLLIN, 0};
        char bytes[100];
        if (::poll(&wanted, 1, 20'000) > 0) {
            [[maybe_unused]] const ssize_t n = ::read(reader, bytes, sizeof bytes);
        }
        ::close(reader);
    });
    const auto run =
        run_cli("run " + graph_file("fifo", "op: jsonl, path: '" + fifo + "'", "100000000000"));
    read_once.join();
    ::unlink(fifo.c_str());
    expect_write_failure(run, "'" + fifo + "'", "Broken pipe");
}

/// A tmpfs of @p size mounted on a directory of its own while this lives, if this process may
/// mount one; else why() says why not.
class SmallTmpfs {
public:
    explicit SmallTmpfs(const std::string& size) {
        if (::geteuid() != 0) {
            why_ = "mounting a tmpfs needs root";
            return;
        }
        std::string dir = std::string(::testing::TempDir()) + "flowpool_tmpfs_XXXXXX";
        if (::mkdtemp(dir.data()) == nullptr) {
            why_ = std::string("mkdtemp: ") + std::strerror(errno);
            return;
        }
        dir_ = dir;
        if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) != 0) {
            why_ = std::string("cannot mount a tmpfs: ") + std::strerror(errno);
            return;
        }
        mounted_ = true;
    }
    ~SmallTmpfs() {
        if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
        if (!dir_.empty()) ::rmdir(dir_.c_str());
    }
    SmallTmpfs(const SmallTmpfs&) = delete;
    SmallTmpfs& operator=(const SmallTmpfs&) = delete;

    [[nodiscard]] const std::string& dir() const noexcept { return dir_; }
    [[nodiscard]] const std::string& why() const noexcept { return why_; }

private:
    std::string dir_;
    std::string why_;
    bool mounted_ = false;
};

TEST(SinkWriteErrors, FileOnAFullTmpfsCountsExactlyTheLinesThatGotOut) {
    const SmallTmpfs tmpfs("64k");  // about 2400 lines of the 100000 fit
    if (!tmpfs.why().empty()) GTEST_SKIP() << tmpfs.why();
    const std::string path = tmpfs.dir() + "/out.txt";
    const auto run =
        run_cli("run " + graph_file("tmpfs", "op: file, path: '" + path + "'", "100000"));
    const Summary summary = expect_write_failure(run, "'" + path + "'", "No space left on device");
    const std::string text = flowpool::test::slurp(path);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n') << "a line cut short by the full disk is cut off the file";
    std::uint64_t lines = 0;
    // `Result: Job N Value N`, the same N twice (RE2 has no back-reference for that).
    const RE2 line(R"(Result: Job (\d+) Value (\d+))");
    std::istringstream in(text);
    for (std::string l, job, value; std::getline(in, l); ++lines) {
        ASSERT_TRUE(RE2::FullMatch(l, line, &job, &value) && job == value)
            << "line " << lines << ": " << l;
    }
    EXPECT_GT(lines, 1000u);
    EXPECT_EQ(summary.out, lines) << "results out must be the lines in the file";
}

}  // namespace
