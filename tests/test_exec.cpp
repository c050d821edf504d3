// The `exec` op: one program per job. What a program is given (argv byte for byte, standard
// input, environment, directory), what becomes of its output (text, lines, JSON), how it fails
// (exit code with its stderr, a signal's name, a timeout that kills its whole process group, too
// much output, a program that cannot start), that N workers run N programs at once on any number
// of cores, and that no child is ever left unreaped.
//
//   jobs (range or lines) ─► run (exec, 1/2/4/8 workers) ─► collect

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>
#include <flowpool/flowpool.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "ops/program.hpp"
#include "ops_fixture.hpp"

namespace fs = std::filesystem;
using flowpool::detail::ProgramResult;
using flowpool::detail::ProgramSpec;
using flowpool::detail::run_program;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double slowdown = FLOWPOOL_TEST_SLOWDOWN;

using flowpool::test::ops_fixture::Collected;
using flowpool::test::ops_fixture::CollectSink;

struct GraphRun {
    flowpool::RunResult result;
    std::shared_ptr<Collected> out = std::make_shared<Collected>();
    double seconds = 0;
};

/// Runs graph-file text whose sink is `collect`.
GraphRun run_text(const std::string& text) {
    GraphRun run;
    flowpool::OpRegistry ops;
    ops.add({.name = "collect",
             .kind = flowpool::NodeKind::sink,
             .description = "keeps every job for the test",
             .takes = flowpool::ValueType::any,
             .make_sink =
                 [into = run.out](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
                 return std::make_unique<CollectSink>(into);
             }});
    const auto start = Clock::now();
    run.result = flowpool::run_graph(flowpool::parse_graph(text, "exec.yaml"), ops);
    run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return run;
}

/// A graph: `count` integers ─► exec (the node keys given) ─► collect.
std::string range_graph(int count, const std::string& exec_keys) {
    return "graph: t\nversion: 1\nnodes:\n"
           "  jobs: { kind: source, op: range, count: " +
           std::to_string(count) +
           " }\n"
           "  run: { kind: function, op: exec, " +
           exec_keys +
           " }\n"
           "  out: { kind: sink, op: collect }\n"
           "edges: [jobs -> run, run -> out]\n";
}

/// A graph: the lines of @p path ─► exec ─► collect.
std::string lines_graph(const std::string& path, const std::string& exec_keys) {
    return "graph: t\nversion: 1\nnodes:\n"
           "  jobs: { kind: source, op: lines, path: '" +
           path +
           "' }\n"
           "  run: { kind: function, op: exec, " +
           exec_keys +
           " }\n"
           "  out: { kind: sink, op: collect }\n"
           "edges: [jobs -> run, run -> out]\n";
}

std::string text_of(const flowpool::Value& value) { return std::get<std::string>(value); }

/// The state letter of process @p pid (R, S, Z, ...), or 0 if there is none.
char process_state(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return 0;
    const std::size_t close = line.rfind(')');
    return close + 2 < line.size() ? line[close + 2] : 0;
}

/// True if @p pid is a process that still runs (not gone, not a zombie).
bool running(pid_t pid) {
    const char state = process_state(pid);
    return state != 0 && state != 'Z';
}

/// This process's children, and how many of them are zombies.
struct Children {
    int all = 0;
    int zombies = 0;
};

Children count_children() {
    Children children;
    const std::string me = std::to_string(::getpid());
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        if (!std::getline(stat, line)) continue;
        std::istringstream rest(line.substr(line.rfind(')') + 2));
        std::string state;
        std::string ppid;
        rest >> state >> ppid;
        if (ppid != me) continue;
        ++children.all;
        if (state == "Z") ++children.zombies;
    }
    return children;
}

ProgramSpec program(std::vector<std::string> argv) {
    ProgramSpec spec;
    spec.argv = std::move(argv);
    return spec;
}

// --- one program ---------------------------------------------------------------------------

TEST(Program, OutputAndExitCode) {
    const ProgramResult ok = run_program(program({"echo", "hello"}));
    EXPECT_TRUE(ok.ok());
    EXPECT_EQ(ok.out, "hello\n");

    const ProgramSpec failing = program({"sh", "-c", "echo out; echo why >&2; exit 3"});
    const ProgramResult bad = run_program(failing);
    EXPECT_EQ(bad.end, ProgramResult::End::exited);
    EXPECT_EQ(bad.code, 3);
    EXPECT_EQ(flowpool::detail::failure_message(bad, failing),
              "sh exited with code 3; stderr: why");
}

TEST(Program, StderrKeepsItsLast4KiB) {
    // 10,000 lines of stderr: the message quotes the end, marked as cut.
    const ProgramSpec spec =
        program({"sh", "-c",
                 "i=0; while [ $i -lt 10000 ]; do echo line$i >&2; i=$((i+1)); done; "
                 "exit 1"});
    const std::string message = flowpool::detail::failure_message(run_program(spec), spec);
    EXPECT_NE(message.find("; stderr: ..."), std::string::npos);
    EXPECT_TRUE(message.ends_with("line9999")) << message.substr(message.size() - 40);
    EXPECT_LT(message.size(), 4096 + 100);
}

TEST(Program, DeathBySignalIsNamed) {
    const ProgramSpec spec = program({"sh", "-c", "kill -SEGV $$"});
    const ProgramResult result = run_program(spec);
    EXPECT_EQ(result.end, ProgramResult::End::signalled);
    EXPECT_EQ(flowpool::detail::failure_message(result, spec), "sh was killed by SIGSEGV");
}

TEST(Program, CannotStart) {
    const ProgramSpec missing = program({"no-such-program-flowpool"});
    const ProgramResult result = run_program(missing);
    EXPECT_EQ(result.end, ProgramResult::End::not_started);
    EXPECT_EQ(flowpool::detail::failure_message(result, missing),
              "cannot start no-such-program-flowpool: No such file or directory");

    const std::string path = flowpool::test::temp_file("not_executable", "#!/bin/sh\n");
    const ProgramSpec not_executable = program({path});
    EXPECT_EQ(flowpool::detail::failure_message(run_program(not_executable), not_executable),
              "cannot start " + path + ": Permission denied");
}

TEST(Program, StdinOfAnySizeIsFedWhileOutputIsRead) {
    // 4 MiB through cat: more than a pipe holds both ways, so feeding and reading must overlap.
    ProgramSpec spec = program({"cat"});
    spec.input = std::string(4 << 20, 'x');
    for (std::size_t i = 0; i < spec.input->size(); i += 1000) (*spec.input)[i] = '\n';
    const ProgramResult result = run_program(spec);
    EXPECT_TRUE(result.ok());
    EXPECT_EQ(result.out, *spec.input);
}

TEST(Program, ProgramThatIgnoresItsInput) {
    ProgramSpec spec = program({"true"});
    spec.input = std::string(1 << 20, 'x');  // more than the pipe holds: EPIPE, not SIGPIPE
    EXPECT_TRUE(run_program(spec).ok());
}

TEST(Program, TooMuchOutputFailsAndKills) {
    ProgramSpec spec = program({"cat", "/dev/zero"});
    spec.max_output_bytes = 100000;
    const auto start = Clock::now();
    const ProgramResult result = run_program(spec);
    EXPECT_EQ(result.end, ProgramResult::End::too_much_output);
    EXPECT_EQ(result.out.size(), 100000u);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST(Program, TimeoutKillsTheWholeGroup) {
    // The shell forks a grandchild (sleep) and waits: both are killed with their group.
    ProgramSpec spec = program({"sh", "-c", "sleep 100 & echo $!; wait"});
    spec.timeout = std::chrono::milliseconds(300);
    const auto start = Clock::now();
    const ProgramResult result = run_program(spec);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_EQ(result.end, ProgramResult::End::timed_out);
    EXPECT_GE(seconds, 0.29);
    EXPECT_LT(seconds, 3 * slowdown);
    const pid_t grandchild = std::stoi(result.out);
    // SIGTERM reached it at once; it dies when it next gets a CPU, which a loaded machine may
    // make it wait for: up to 10 s, against the 100 it would sleep.
    for (int i = 0; i < 1000 && running(grandchild); ++i) ::usleep(10000);
    EXPECT_FALSE(running(grandchild)) << "grandchild " << grandchild << " survived its group";
    EXPECT_EQ(flowpool::detail::failure_message(result, spec),
              "sh timed out after 300 ms; its process group was killed");
}

TEST(Program, TermIgnoredThenKilledAfterTheGrace) {
    ProgramSpec spec = program({"sh", "-c", "trap '' TERM; sleep 100 & wait; sleep 100"});
    spec.timeout = std::chrono::milliseconds(200);
    spec.kill_grace = std::chrono::milliseconds(300);
    const auto start = Clock::now();
    const ProgramResult result = run_program(spec);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_EQ(result.end, ProgramResult::End::timed_out);
    EXPECT_GE(seconds, 0.49);
    EXPECT_LT(seconds, 3 * slowdown);
}

TEST(Program, ArgumentsReachTheProgramByteForByte) {
    const std::string pwned = flowpool::test::fresh_dir("pwned") + "/pwned";
    const std::vector<std::string> nasty = {"$(touch " + pwned + "); rm -rf x",
                                            "a\" b",
                                            "`touch " + pwned + "`",
                                            "; touch " + pwned,
                                            "'quoted' \\ back\nslash",
                                            "*",
                                            ""};
    for (const std::string& arg : nasty) {
        const ProgramResult result = run_program(program({"printf", "%s", arg}));
        EXPECT_EQ(result.out, arg);
    }
    EXPECT_FALSE(fs::exists(pwned));
}

TEST(Program, ANulByteInAnArgumentOrTheEnvironmentStartsNothing) {
    using namespace std::string_literals;
    const std::string marker = flowpool::test::fresh_dir("nul") + "/ran";
    const ProgramResult argument = run_program(program({"touch", marker + "\0tail"s}));
    EXPECT_EQ(argument.end, ProgramResult::End::not_started);
    EXPECT_EQ(argument.why,
              "argument 1 holds a NUL byte (a program gets C strings: it would be cut short "
              "there)");
    EXPECT_FALSE(fs::exists(marker)) << "the argument was cut short and run";

    ProgramSpec with_env = program({"true"});
    const std::vector<std::string> env = {"PATH=/usr/bin:/bin", "X=a\0b"s};
    with_env.env = &env;
    const ProgramResult variable = run_program(with_env);
    EXPECT_EQ(variable.end, ProgramResult::End::not_started);
    EXPECT_EQ(variable.why.substr(0, 27), "variable X holds a NUL byte");
}

// --- the op in a graph ------------------------------------------------------------------------

TEST(ExecOp, ValuesFieldsIdsEnvAndCwd) {
    const std::string dir = flowpool::test::fresh_dir("cwd");
    const GraphRun run = run_text(
        range_graph(5,
                    "command: [sh, -c, 'echo \"$0 $1 $FP_X $(pwd)\"', '{value}', 'id{id}'], "
                    "env: { FP_X: 'x{value}' }, cwd: '" +
                        dir + "'"));
    ASSERT_FALSE(run.result.error) << run.result.error->what();
    ASSERT_EQ(run.out->values.size(), 5u);
    for (std::uint64_t i = 0; i < 5; ++i) {
        EXPECT_EQ(text_of(run.out->values.at(i)), std::to_string(i) + " id" + std::to_string(i) +
                                                      " x" + std::to_string(i) + " " + dir);
    }
}

TEST(ExecOp, StdinLinesAndJson) {
    const GraphRun lines =
        run_text(range_graph(3,
                             "command: [sh, -c, 'cat; echo; echo end'], stdin: \"in {value}\\n\", "
                             "output: lines"));
    ASSERT_FALSE(lines.result.error) << lines.result.error->what();
    ASSERT_EQ(lines.out->values.size(), 9u);
    for (std::uint64_t j = 0; j < 3; ++j) {
        EXPECT_EQ(text_of(lines.out->values.at(j << 20)), "in " + std::to_string(j));
        EXPECT_EQ(text_of(lines.out->values.at((j << 20) + 1)), "");  // an empty line is a line
        EXPECT_EQ(text_of(lines.out->values.at((j << 20) + 2)), "end");
    }

    const GraphRun json =
        run_text(range_graph(2,
                             "command: [echo, '{{\"n\": {value}, \"s\": [1, 2]}}'], "
                             "output: json"));
    ASSERT_FALSE(json.result.error) << json.result.error->what();
    const flowpool::Record* record = json.out->values.at(1).record();
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(std::get<std::int64_t>(*record->find("n")), 1);
}

TEST(ExecOp, BlocksAreRunsOfWholeLinesUpTo64KiB) {
    // 20,000 lines of 7 bytes (140,000 bytes): three blocks, 9362 lines each but the last, which
    // end where a line does; an output without a final newline keeps its last line.
    const GraphRun run = run_text(
        range_graph(1, "command: [sh, -c, 'seq 1000001 1020000; printf tail'], output: blocks"));
    ASSERT_FALSE(run.result.error) << run.result.error->what();
    std::string joined;
    std::size_t blocks = 0;
    for (const auto& [id, value] : run.out->values) {
        const std::string block = text_of(value);
        EXPECT_LE(block.size(), 64u * 1024u);
        EXPECT_EQ(id, blocks++) << "block i of job 0 is piece i";
        joined += block + "\n";
    }
    EXPECT_EQ(blocks, 3u);
    std::string expected;
    for (int n = 1000001; n <= 1020000; ++n) expected += std::to_string(n) + "\n";
    EXPECT_EQ(joined, expected + "tail\n");
}

TEST(ExecOp, FailuresNameNodeJobAndReason) {
    const GraphRun failed = run_text(range_graph(4,
                                                 "command: [sh, -c, 'echo bad >&2; exit $0', "
                                                 "'{value}'], stderr: drop, concurrency: 1"));
    ASSERT_TRUE(failed.result.error);
    const std::string what = failed.result.error->what();
    EXPECT_NE(what.find("sh exited with code "), std::string::npos) << what;
    EXPECT_NE(what.find("stderr: bad"), std::string::npos) << what;
    EXPECT_NE(what.find("'run'"), std::string::npos) << what;

    // Under skip the others go on: the odd jobs exit 1 and are skipped, the even ones succeed.
    const GraphRun skipped = run_text(range_graph(
        6, "command: [sh, -c, 'exit $(($0 % 2))', '{value}'], stderr: drop, on_error: skip"));
    EXPECT_FALSE(skipped.result.error);
    EXPECT_EQ(skipped.result.stats.skipped, 3u);
    EXPECT_EQ(skipped.out->values.size(), 3u);

    const GraphRun not_json = run_text(range_graph(1, "command: [echo, 'nope'], output: json"));
    ASSERT_TRUE(not_json.result.error);
    EXPECT_NE(std::string(not_json.result.error->what()).find("its output is not JSON"),
              std::string::npos);
    // Text after a scalar is placed where it starts (it was "at byte 1", the scalar).
    const GraphRun after = run_text(range_graph(1, "command: [echo, '{value} 2'], output: json"));
    ASSERT_TRUE(after.result.error);
    EXPECT_NE(std::string(after.result.error->what())
                  .find("its output is not JSON at byte 3: text after the JSON value"),
              std::string::npos)
        << after.result.error->what();
}

TEST(ExecOp, ACommandWithoutAProgramOrADirectoryIsRefusedOrNamedAsSuch) {
    try {
        static_cast<void>(run_text(range_graph(1, "command: []")));
        ADD_FAILURE() << "command: [] ran";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "exec.yaml:5:45: error: parameter 'command' of op 'exec' needs at least 1 "
                     "element");
    }
    // An environment variable's name cannot be empty or hold '=' (A=B: x would set A to B=x):
    // validation says so at the key (it once passed, and the run refused the node).
    for (const auto& [env, key] : {std::pair{"env: { 'A=B': x }", "A=B"}, {"env: { '': x }", ""}}) {
        try {
            static_cast<void>(run_text(range_graph(1, std::string("command: [env], ") + env)));
            ADD_FAILURE() << env << " ran";
        } catch (const flowpool::ConfigError& e) {
            EXPECT_NE(
                std::string(e.what()).find(std::string("error: parameter 'env': key '") + key +
                                           "': is no variable name (empty, or holding '=')"),
                std::string::npos)
                << e.what();
        }
    }
    // A working directory that is not one is named, not taken for a missing program.
    const GraphRun lost = run_text(range_graph(1, "command: [echo, hi], cwd: /no/such/dir"));
    ASSERT_TRUE(lost.result.error);
    EXPECT_EQ(lost.result.error->reason(),
              "cannot start echo: its working directory '/no/such/dir': No such file or "
              "directory");
    // An empty program (validate warns of it) fails each job saying so.
    const GraphRun empty = run_text(range_graph(1, "command: ['', x]"));
    ASSERT_TRUE(empty.result.error);
    EXPECT_EQ(empty.result.error->reason(), "cannot start the program: the command is empty");
}

TEST(ExecOp, FailedOutputKeepPassesOnTheLastTrysLinesAndFailsTheJob) {
    // Job 1 fails each of its 3 tries (2 retries), writing its count: only the last try's line
    // goes on.
    const std::string dir = flowpool::test::fresh_dir("failed_output");
    const GraphRun run = run_text(range_graph(
        3,
        "command: [sh, -c, 'echo $0 >>\"$1/tries\"; echo out $0 $(wc -l <\"$1/tries\"); "
        "[ $0 != 1 ] || [ -e \"$1/never\" ]', '{value}', '" +
            dir +
            "'], output: lines, failed_output: keep, on_error: skip, retries: 2, "
            "stderr: drop, concurrency: 1"));
    ASSERT_FALSE(run.result.error) << run.result.error->what();
    EXPECT_EQ(run.result.stats.skipped, 1u);
    std::vector<std::string> lines;
    for (const auto& [id, value] : run.out->values) lines.push_back(text_of(value));
    EXPECT_EQ(lines, (std::vector<std::string>{"out 0 1", "out 1 4", "out 2 5"}));
    EXPECT_EQ(run.result.stats.made, 3u) << "the failed job's line is one it made";

    try {
        static_cast<void>(run_text(range_graph(1, "command: [false], failed_output: keep")));
        ADD_FAILURE() << "failed_output: keep with output: text ran";
    } catch (const flowpool::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("keep takes output: lines"), std::string::npos)
            << e.what();
    }
}

TEST(ExecOp, LinesOfAJobWhoseIdLeavesNoBitsFailItBeforeItsProgramRuns) {
    // Two explodes number line j's pieces j << 40; `output: lines` numbers the program's lines
    // (j << 40) << 20, which wraps from line 16 on. That job fails without running its program,
    // once, whatever its tries; the others run once each.
    const std::string dir = flowpool::test::fresh_dir("nobits");
    std::string text;
    for (int i = 0; i < 17; ++i) text += "x\n";
    const std::string input = flowpool::test::write(dir + "/in.txt", text);
    const std::string ran = dir + "/ran";
    const GraphRun run = run_text(
        "graph: t\nversion: 1\nnodes:\n"
        "  text: { kind: source, op: lines, path: '" +
        input +
        "' }\n"
        "  one: { kind: function, op: explode, split: ' ' }\n"
        "  two: { kind: function, op: explode, split: ' ' }\n"
        "  run: { kind: function, op: exec, output: lines, on_error: skip, retries: 2,\n"
        "         command: [sh, -c, 'echo {id} >> " +
        ran +
        "; echo a; echo b'] }\n"
        "  out: { kind: sink, op: collect }\n"
        "edges: [text -> one -> two -> run -> out]\n");
    ASSERT_FALSE(run.result.error) << run.result.error->what();
    EXPECT_EQ(run.result.stats.skipped, 1u);
    EXPECT_EQ(run.out->values.size(), 32u);
    std::ifstream ran_file(ran);
    std::set<std::string> ids;
    int runs = 0;
    for (std::string line; std::getline(ran_file, line); ++runs) ids.insert(line);
    EXPECT_EQ(runs, 16);
    EXPECT_EQ(ids.size(), 16u);
    EXPECT_EQ(ids.count(std::to_string(std::uint64_t{16} << 40)), 0u);
}

TEST(ExecOp, ShellInjectionLinesReachTheProgramByteForByte) {
    const std::string dir = flowpool::test::fresh_dir("inject");
    const std::string pwned = dir + "/pwned";
    const std::vector<std::string> lines = {"$(touch " + pwned + "); rm -rf x", "a\" b",
                                            "`touch " + pwned + "`", "x; touch " + pwned,
                                            "{value} {id} $HOME"};
    std::string text;
    for (const std::string& line : lines) text += line + "\n";
    const std::string input = flowpool::test::write(dir + "/in.txt", text);
    const GraphRun run = run_text(lines_graph(input, "command: [printf, '%s', '{value}']"));
    ASSERT_FALSE(run.result.error) << run.result.error->what();
    ASSERT_EQ(run.out->values.size(), lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        EXPECT_EQ(text_of(run.out->values.at(i)), lines[i]);
    }
    EXPECT_FALSE(fs::exists(pwned));
}

TEST(ExecOp, TimeoutMsIsTheOpsAndKillsTheGroup) {
    const GraphRun run = run_text(range_graph(
        2, "command: [sh, -c, 'sleep 100 & wait'], timeout_ms: 200, kill_grace_ms: 100"));
    ASSERT_TRUE(run.result.error);
    EXPECT_NE(std::string(run.result.error->what()).find("timed out after 200 ms"),
              std::string::npos)
        << run.result.error->what();
    EXPECT_LT(run.seconds, 3 * slowdown);
}

TEST(ExecOp, NoZombieAfter10000Jobs) {
    const GraphRun run = run_text(range_graph(10000, "command: [/bin/true], concurrency: 4"));
    ASSERT_FALSE(run.result.error) << run.result.error->what();
    EXPECT_EQ(run.out->values.size(), 10000u);
    const Children children = count_children();
    EXPECT_EQ(children.all, 0);
    EXPECT_EQ(children.zombies, 0);
}

// --- N workers run N programs at once ---------------------------------------------------------

class ExecWorkers : public ::testing::TestWithParam<int> {};

TEST_P(ExecWorkers, RunNProgramsAtOnce) {
    // 2N programs of 0.5 s on N workers: each appends '+' to a log when it starts and '-' when
    // it ends, so the log shows how many ran at once. A worker waiting on its program holds a
    // thread but no core: N must run at once whatever the cores (on 2 cores, without a thread
    // per waiting worker, at most 2 would), and never more than N.
    const int workers = GetParam();
    const std::string log = flowpool::test::fresh_dir("at_once") + "/log";
    const GraphRun run = run_text(range_graph(
        2 * workers,
        "command: [sh, -c, 'echo + >>\"$1\"; sleep 0.5; echo - >>\"$1\"; echo $0', '{value}', '" +
            log + "'], concurrency: " + std::to_string(workers)));
    ASSERT_FALSE(run.result.error) << run.result.error->what();
    ASSERT_EQ(run.out->values.size(), static_cast<std::size_t>(2 * workers));
    for (std::uint64_t i = 0; i < run.out->values.size(); ++i) {
        EXPECT_EQ(text_of(run.out->values.at(i)), std::to_string(i));
    }
    EXPECT_EQ(run.out->repeated, 0);
    int now = 0;
    int most = 0;
    int started = 0;
    std::ifstream in(log);
    for (std::string mark; std::getline(in, mark);) {
        now += mark == "+" ? 1 : -1;
        started += mark == "+" ? 1 : 0;
        most = std::max(most, now);
    }
    EXPECT_EQ(started, 2 * workers);
    EXPECT_EQ(now, 0);
    EXPECT_EQ(most, workers) << "programs at once, at " << workers << " workers";
    EXPECT_GE(run.seconds, 0.99);  // two rounds
    // Its figures: N workers, each busy most of the run, whatever the cores: near 1, never
    // above (not N over the cores, as when the workers it could use were capped at them).
    const flowpool::NodeStats& exec = run.result.stats.nodes[1];
    EXPECT_EQ(exec.workers, static_cast<std::size_t>(workers));
    const double use = exec.utilisation(run.result.stats.wall, flowpool::default_workers());
    EXPECT_GT(use, 0.5 / slowdown);
    EXPECT_LE(use, 1.0);
}

INSTANTIATE_TEST_SUITE_P(Workers, ExecWorkers, ::testing::Values(1, 2, 4, 8));

}  // namespace
