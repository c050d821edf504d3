// JSON records through the CLI, what goes wrong: one bad line of the `jsonl` source fails only
// its own job, named FILE:LINE:COL with the reason, under the source's on_error (dead letter,
// skip, fail); so does a line longer than max_line_bytes; a malformed member is placed at its
// token with `fields:` as without; a truncated or corrupt gzip (under every on_error) or a glob
// that matches nothing fails the run. Expectations come from the inputs, never from flowpool's
// own output. What good records become is in test_records.cpp.

#include <gtest/gtest.h>
#include <flowpool/value.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cli_runner.hpp"
#include "data/json.hpp"
#include "records_fixture.hpp"

namespace fs = std::filesystem;

using flowpool::test::fresh_dir;
using flowpool::test::write;
using namespace flowpool::test::records_fixture;  // NOLINT(google-build-using-namespace)

namespace {

/// Good records around the bad line: it is line 3 (job 2) of five.
const Lines good_records = {R"({"n":0})", R"({"n":1})", R"({"n":3})", R"({"n":4})"};

std::string around(const std::string& bad_line) {
    return good_records[0] + "\n" + good_records[1] + "\n" + bad_line + "\n" + good_records[2] +
           "\n" + good_records[3] + "\n";
}

/// Checks that @p bad_line, line 3 of a file of good records, fails only its own job with
/// FILE:3:@p col_and_reason under each policy: dead-lettered with its raw text as value
/// (@p letter_value: what that text becomes in JSON, when not itself), skipped, or failing
/// the run with the node and the job id. Every other record comes out.
void expect_only_its_job_fails(const std::string& name, const std::string& bad_line,
                               const std::string& col_and_reason,
                               const std::string* letter_value = nullptr) {
    const std::string dir = fresh_dir(name);
    const std::string in = write(dir + "/in.jsonl", around(bad_line));
    const std::string message = in + ":3:" + col_and_reason;

    // Also all five lines in one batch: the source reads a batch's lines in one simdjson pass,
    // and from the first line that pass cannot read, one line at a time (JsonLineRun).
    Outcome run;
    for (const char* options : {"", "--batch 5"}) {
        run = run_jsonl(dir, in, Policy::dead_letter, "", options);
        EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
        EXPECT_EQ(run.out, good_records) << "every other record comes out " << options;
        ASSERT_EQ(run.rejects.size(), 1u) << options;
        const std::string& letter = run.rejects[0];
        EXPECT_EQ(letter_field(letter, "id"), flowpool::Value(std::int64_t{2})) << letter;
        EXPECT_EQ(letter_field(letter, "node"), flowpool::Value(std::string("src"))) << letter;
        EXPECT_EQ(letter_field(letter, "error"), flowpool::Value(message)) << letter;
        EXPECT_EQ(letter_field(letter, "value"),
                  flowpool::Value(letter_value != nullptr ? *letter_value : bad_line))
            << letter;
    }

    run = run_jsonl(dir, in, Policy::skip);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, good_records);
    EXPECT_TRUE(contains(run.cli.err, "5 jobs in, 4 results out, 0 filtered, 1 skipped"))
        << run.cli.err;

    run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 1) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "error: node 'src' job 2: " + message + "\n")) << run.cli.err;
    // Under fail the sources stop, so which records come out depends on timing: only good ones.
    for (const std::string& line : run.out) {
        EXPECT_TRUE(std::find(good_records.begin(), good_records.end(), line) != good_records.end())
            << line;
    }
}

const std::string improper_structure =
    "The JSON document has an improper structure: missing or superfluous commas, braces, "
    "missing keys, etc.";
const std::string bad_number = "Problem while parsing a number";

}  // namespace

// ------------------------------------------------------------ one bad line fails only its job

TEST(JsonlBadLine, MalformedJson) {
    expect_only_its_job_fails("malformed", R"({"n":2,})", "8: " + improper_structure);
}

TEST(JsonlBadLine, InvalidUtf8IsFoundAtColumnOneAndTheDeadLetterCarriesReplacementCharacters) {
    // simdjson checks UTF-8 before parsing, so the column is 1, not the bad byte's (7).
    const std::string replaced = "{\"s\":\"\xEF\xBF\xBD(\"}";
    expect_only_its_job_fails("utf8", "{\"s\":\"\xC3(\"}", "1: The input is not valid UTF-8",
                              &replaced);
}

TEST(JsonlBadLine, NulByteInAString) {
    expect_only_its_job_fails("nul_string", std::string("{\"s\":\"a\0b\"}", 11),
                              "1: Within strings, some characters must be escaped, we found "
                              "unescaped characters");
}

TEST(JsonlBadLine, NulByteAsAValue) {
    expect_only_its_job_fails("nul_value", std::string("{\"n\":\0}", 7),
                              "6: " + improper_structure);
}

TEST(JsonlBadLine, TenThousandDeepNesting) {
    const std::string deep = "{\"a\":" + std::string(10'000, '[') + std::string(10'000, ']') + "}";
    // Depth 1 is the object; the 256th '[' (at column 5 + 256) is level 257.
    expect_only_its_job_fails("deep", deep, "261: nesting deeper than 256 levels");
}

TEST(JsonlBadLine, NumberBeyondAFloat) {
    expect_only_its_job_fails("1e400", R"({"x":1e400})", "6: " + bad_number);
}

TEST(JsonlBadLine, AnIntegerNoDoubleHolds) {
    expect_only_its_job_fails("1e400int", "{\"x\":1" + std::string(400, '0') + "}",
                              "6: " + bad_number);
}

TEST(JsonlBadLine, NotAnObject) {
    expect_only_its_job_fails("list", "[1,2]", "1: not a JSON object but list");
    expect_only_its_job_fails("null", "null", "1: not a JSON object but null");
}

TEST(JsonlBadLine, TextAfterTheObject) {
    expect_only_its_job_fails("after", R"({"n":2} x)", "9: text after the JSON value");
    // A scalar is placed alike: where what follows it starts, not at the scalar.
    expect_only_its_job_fails("after_scalar", "1 2", "3: text after the JSON value");
}

// ------------------------------------------------------------------- lines too long

TEST(JsonlLongLine, UnderSkipOnlyItsJobIsLostAndTheRunSucceeds) {
    const std::string dir = fresh_dir("long_skip");
    const std::string long_line = "{\"s\":\"" + std::string(1000, 'x') + "\"}";
    const std::string in = write(dir + "/in.jsonl", around(long_line));
    const Outcome run = run_jsonl(dir, in, Policy::skip, "max_line_bytes: 100");
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, good_records);
    EXPECT_TRUE(contains(run.cli.err, "5 jobs in, 4 results out, 0 filtered, 1 skipped"))
        << run.cli.err;
}

TEST(JsonlLongLine, UnderFailTheRunFailsNamingFileAndLine) {
    const std::string dir = fresh_dir("long_fail");
    const std::string long_line = "{\"s\":\"" + std::string(1000, 'x') + "\"}";
    const std::string in = write(dir + "/in.jsonl", around(long_line));
    const Outcome run = run_jsonl(dir, in, Policy::fail, "max_line_bytes: 100");
    EXPECT_EQ(run.cli.exit_code, 1) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "error: node 'src' job 2: " + in +
                                          ":3: line longer than max_line_bytes (100)\n"))
        << run.cli.err;
}

// A too long line under dead_letter: once (JsonlSource::next) it was reported with
// ctx.job_failed on the source's thread, which fails the run for a dead-letter node; it is now
// cut as a failed job that goes to the workers with its batch (TextSource), so only its job is
// lost: exit 0 and a dead letter naming FILE:LINE.
TEST(JsonlLongLine, UnderDeadLetterOnlyItsJobIsLost) {
    const std::string dir = fresh_dir("long_dead");
    const std::string long_line = "{\"s\":\"" + std::string(1000, 'x') + "\"}";
    const std::string in = write(dir + "/in.jsonl", around(long_line));
    const Outcome run = run_jsonl(dir, in, Policy::dead_letter, "max_line_bytes: 100");
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, good_records);
    ASSERT_EQ(run.rejects.size(), 1u);
    EXPECT_EQ(letter_field(run.rejects[0], "error"),
              flowpool::Value(in + ":3: line longer than max_line_bytes (100)"));
    // Its bytes were skipped, never kept: its value is null, not the empty string it was.
    EXPECT_EQ(letter_field(run.rejects[0], "value"), flowpool::Value(nullptr));
}

// ------------------------------------------------------- bad files and malformed members

// Lines read ahead are taken in one go (TextSource::take_buffered_lines) rather than cut one by
// one: ids must stay line numbers across blank lines, CRLF endings and files, and a bad line
// must still be named FILE:LINE, whatever the batch size.
TEST(JsonlFiles, IdsAndPlacesStayLineNumbersAcrossBlankLinesCrLfAndFiles) {
    const std::string dir = fresh_dir("ids_places");
    const std::string a =
        write(dir + "/a.jsonl", "{\"n\":0}\r\n\r\n  \t \n{\"n\":bad}\r\n{\"n\":4}\n");
    write(dir + "/b.jsonl", "{\"n\":5}\n\n{oops}\r\n{\"n\":8}");
    for (const char* options : {"", "--batch 1", "--batch 2", "--batch 3"}) {
        const Outcome run = run_jsonl(dir, dir + "/*.jsonl", Policy::dead_letter, "", options);
        EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
        EXPECT_EQ(run.out, sorted({R"({"n":0})", R"({"n":4})", R"({"n":5})", R"({"n":8})"}))
            << options;
        EXPECT_TRUE(contains(run.cli.err,
                             "6 jobs in, 4 results out, 0 filtered, 0 skipped, 0 "
                             "failed, 2 dead-lettered"))
            << options << run.cli.err;
        ASSERT_EQ(run.rejects.size(), 2u) << options;
        std::vector<std::pair<flowpool::Value, std::string>> letters;
        for (const std::string& letter : run.rejects) {
            const flowpool::Value error = letter_field(letter, "error");
            letters.emplace_back(
                letter_field(letter, "id"),
                std::holds_alternative<std::string>(error) ? std::get<std::string>(error) : "");
        }
        std::sort(letters.begin(), letters.end(),
                  [](const auto& x, const auto& y) { return x.second < y.second; });
        EXPECT_EQ(letters[0].first, flowpool::Value(std::int64_t{3})) << options;
        EXPECT_TRUE(letters[0].second.starts_with(a + ":4:")) << letters[0].second;
        EXPECT_EQ(letters[1].first, flowpool::Value(std::int64_t{7})) << options;
        EXPECT_TRUE(letters[1].second.starts_with(dir + "/b.jsonl:3:")) << letters[1].second;
    }
}

// Past the first chunk a reader buffers, the source reads whole lines straight into each batch
// (TextSource::read_lines): what one read leaves of a line goes back to the reader, for the next
// batch. 1.5 MB of lines of random lengths, with CRLF endings, blank and too long lines and bad
// JSON among them, in a plain file and a gzip one that starts with a byte order mark: every
// line must become its own job, its id its line number across the files, its text whole, and a
// bad one named at its FILE:LINE, whatever the workers and the batch sizes.
TEST(JsonlFiles, LinesReadStraightIntoBatchesKeepTheirIdsPlacesAndBytes) {
    const std::string dir = fresh_dir("read_into");
    fs::create_directories(dir + "/in");
    const std::string files[] = {dir + "/in/a.jsonl", dir + "/in/b.jsonl"};
    constexpr std::size_t max_line = 2500;
    std::minstd_rand random(7);
    Lines results;                        // "ID RECORD", as the sink below writes them
    std::vector<std::string> long_lines;  // "ID FILE:LINE"
    std::vector<std::string> bad_lines;   // "ID FILE:LINE:"
    std::uint64_t id = 0;
    for (const std::string& file : files) {
        std::string text = file == files[1] ? "\xEF\xBB\xBF" : "";
        for (std::uint64_t line = 1; line <= 4000; ++line, ++id) {
            const std::string place =
                file + (file == files[1] ? ".gz:" : ":") + std::to_string(line);
            const std::string end = line % 7 == 0 ? "\r\n" : "\n";
            if (line % 13 == 0) {
                text += (line % 2 == 0 ? " \t" : "") + end;  // blank: no job, but an id goes by
                continue;
            }
            std::string record = "{\"n\":" + std::to_string(id) + ",\"pad\":\"" +
                                 std::string(random() % 600, static_cast<char>('a' + id % 26)) +
                                 "\"}";
            if (line % 211 == 0) {
                record.replace(1, 3, "oops");  // {oops:...: not JSON
                bad_lines.push_back(std::to_string(id) + " " + place + ":");
            } else if (line % 389 == 0) {
                record.insert(record.size() - 2, std::string(max_line, 'z'));
                long_lines.push_back(std::to_string(id) + " " + place);
            } else {
                results.push_back(std::to_string(id) + " " + record);
            }
            text += record + end;
        }
        write(file, text);
    }
    ASSERT_EQ(std::system(("gzip -n -f '" + files[1] + "'").c_str()), 0);
    ASSERT_GT(fs::file_size(files[0]), 1000000u);  // past the reader's first chunk many times
    const std::string graph =
        write(dir + "/graph.yaml",
              "nodes:\n  src: { kind: source, op: jsonl, path: '" + dir +
                  "/in/*', max_line_bytes: " + std::to_string(max_line) +
                  ", dead_letter: rejects }\n  out: { kind: sink, op: file, "
                  "path: '" +
                  dir +
                  "/out.written', format: '{id} {value}' }\n  rejects: { kind: sink, "
                  "op: jsonl, path: '" +
                  dir +
                  "/rejects.written' }\n"
                  "edges: [ 'src -> out' ]\n");
    // --batch 3 and 5 at one thread take, every time, a batch that starts with a blank line
    // followed by part of a line: the run that read on from there once read the blank line's
    // text back, and counted it twice (from then on each id and line number was one too many).
    // The default batch size met that case only at two workers in about one run in ten.
    for (const std::string options :
         {"--threads 1", "--threads 2", "--threads 1 --batch 3", "--threads 1 --batch 5",
          "--threads 4 --batch 7", "--threads 8 --batch 4096"}) {
        const flowpool::test::CliResult run =
            flowpool::test::run_cli("run " + options + " '" + graph + "'");
        EXPECT_EQ(run.exit_code, 0) << options << run.err;
        EXPECT_EQ(first_difference(sorted_lines(dir + "/out.written"), sorted(results)), "")
            << options;
        Lines long_seen;
        Lines bad_seen;
        for (const std::string& letter : sorted_lines(dir + "/rejects.written")) {
            const std::string error = letter_error(letter);
            const flowpool::Value job = letter_field(letter, "id");
            const std::string by = std::to_string(std::get<std::int64_t>(job)) + " ";
            if (contains(error, ": line longer than max_line_bytes (2500)")) {
                long_seen.push_back(by + error.substr(0, error.find(": line longer")));
            } else {
                bad_seen.push_back(by + error.substr(0, error.find(':', error.find(':') + 1) + 1));
            }
        }
        std::sort(long_seen.begin(), long_seen.end());
        std::sort(bad_seen.begin(), bad_seen.end());
        EXPECT_EQ(first_difference(long_seen, sorted(long_lines)), "") << options;
        EXPECT_EQ(first_difference(bad_seen, sorted(bad_lines)), "") << options;
    }
}

namespace {

/// A gzip of 20,000 lines `{"n":I}` cut in half, in @p dir: its path, and the whole lines zlib
/// can give back from it (what a run must write before the error).
std::pair<std::string, std::size_t> truncated_gzip(const std::string& dir) {
    const int made =
        std::system(("cd '" + dir +
                     "' && python3 -c \"import gzip, zlib; d = gzip.compress(b''.join("
                     "b'{\\\"n\\\":%d}\\n' % i for i in range(20000))); cut = d[:len(d) // 2]; "
                     "open('cut.jsonl.gz', 'wb').write(cut); open('whole', 'w').write("
                     "str(zlib.decompressobj(31).decompress(cut).count(b'\\n')))\"")
                        .c_str());
    EXPECT_EQ(made, 0);
    return {dir + "/cut.jsonl.gz", std::stoul(flowpool::test::slurp(dir + "/whole"))};
}

}  // namespace

// A truncated gzip fails the run naming the file, after every whole line before the cut: those
// lines' batch is passed on before the error (it was lost with them, up to a batch of lines, as
// many as the batch sizer had chosen). It fails the run under every on_error: the source's
// policy is for jobs that fail, and the rest of the file is lost with no jobs to count it in
// (under `skip` the run once went on and exited 0, the loss counted as one skipped job, with no
// word of what was lost). `lines` reads it as `jsonl` does.
TEST(JsonlFiles, ATruncatedGzipFailsTheRunUnderEveryPolicyAfterEveryWholeLineBeforeTheCut) {
    const std::string dir = fresh_dir("truncated");
    const auto [in, whole] = truncated_gzip(dir);
    ASSERT_GT(whole, 1000u);
    ASSERT_LT(whole, 20000u);
    const std::string error =
        "error: node 'src' job " + std::to_string(whole) + ": '" + in + "': truncated gzip data";
    for (const std::string options :
         {"--threads 1", "--threads 2", "--threads 4 --batch 4096", "--threads 8 --batch 700"}) {
        for (const Policy policy : {Policy::fail, Policy::skip, Policy::dead_letter}) {
            const Outcome run = run_jsonl(dir, in, policy, "", options);
            const std::string label = options + " policy " + std::to_string(int(policy));
            EXPECT_EQ(run.cli.exit_code, 1) << label << run.cli.err;
            EXPECT_TRUE(contains(run.cli.err, error)) << label << run.cli.err;
            EXPECT_TRUE(contains(run.cli.err, " 0 skipped, 1 failed, 0 dead-lettered"))
                << label << run.cli.err;
            EXPECT_EQ(run.out.size(), whole) << label;
            EXPECT_TRUE(run.rejects.empty()) << label;
        }
        for (const std::string policy : {"", ", on_error: skip"}) {
            const std::string graph =
                write(dir + "/lines.yaml", "nodes:\n  src: { kind: source, op: lines, path: '" +
                                               in + "'" + policy +
                                               " }\n  out: { kind: sink, op: file, path: '" + dir +
                                               "/lines.written', format: '{value}' }\n"
                                               "edges: [ 'src -> out' ]\n");
            const flowpool::test::CliResult lines =
                flowpool::test::run_cli("run " + options + " '" + graph + "'");
            EXPECT_EQ(lines.exit_code, 1) << options << policy << lines.err;
            EXPECT_TRUE(contains(lines.err, error)) << options << policy << lines.err;
            EXPECT_EQ(sorted_lines(dir + "/lines.written").size(), whole) << options << policy;
        }
    }
}

// FINDING (src/ops/text_source.cpp, TextSource::read_run): when the gzip data ended early and
// the reader held more whole lines than the batch took (371 at `--batch 1`), a run took a batch's
// worth of them, and the error kept was thrown at the next call: the others were lost, the run
// failing at job 9499 of 9869 whole lines (`--batch 100`: job 9600; at the sized batches of the
// test above, 1 to 3 lines now and then). Now the source passes on every whole line it holds,
// reading no more, before it throws the error.
TEST(JsonlFiles, ATruncatedGzipLosesNoWholeLineBeforeTheCutAtSmallBatches) {
    const std::string dir = fresh_dir("truncated_small");
    const auto [in, whole] = truncated_gzip(dir);
    const std::string error =
        "error: node 'src' job " + std::to_string(whole) + ": '" + in + "': truncated gzip data";
    for (const std::string options : {"--threads 1 --batch 1", "--threads 1 --batch 7",
                                      "--threads 2 --batch 100", "--threads 4 --batch 20"}) {
        const Outcome run = run_jsonl(dir, in, Policy::skip, "", options);
        EXPECT_EQ(run.cli.exit_code, 1) << options << run.cli.err;
        EXPECT_TRUE(contains(run.cli.err, error)) << options << run.cli.err;
        EXPECT_EQ(run.out.size(), whole) << options;
    }
}

// A truncated gzip whose last whole lines before the cut are blank: the error kept for the lines
// held when the read failed is thrown though those lines make no job. (Before 05d225c, at
// `--batch 1` the source then made an empty batch, which ends a source: the run exited 0, as if
// the file were whole.)
TEST(JsonlFiles, ATruncatedGzipEndingInBlankLinesStillFailsTheRun) {
    const std::string dir = fresh_dir("truncated_blank");
    // 51 records, then 3,000 blank lines; the cut (the last 10 bytes) falls among the blanks.
    ASSERT_EQ(
        std::system(("cd '" + dir +
                     "' && python3 -c \"import gzip; d = gzip.compress(b'{\\\"n\\\":0}\\n' "
                     "+ b''.join(b'{\\\"n\\\":%d,\\\"pad\\\":\\\"%s\\\"}\\n' % (i, b'p' * 80) "
                     "for i in range(1, 51)) + b'\\n' * 3000); "
                     "open('blank.jsonl.gz', 'wb').write(d[:len(d) - 10])\"")
                        .c_str()),
        0);
    const std::string in = dir + "/blank.jsonl.gz";
    const std::string error = "error: node 'src' job 51: '" + in + "': truncated gzip data";
    for (const std::string options : {"--threads 1 --batch 1", "--threads 1 --batch 3",
                                      "--threads 2 --batch 50", "--threads 4"}) {
        const Outcome run = run_jsonl(dir, in, Policy::skip, "", options);
        EXPECT_EQ(run.cli.exit_code, 1) << options << run.cli.err;
        EXPECT_TRUE(contains(run.cli.err, error)) << options << run.cli.err;
        EXPECT_EQ(run.out.size(), 51U) << options;
    }
}

// Compressed data that is corrupt (a gzip member whose bytes were changed in its middle) fails
// the run as a truncated one does, under on_error: skip too, naming the file and zlib's reason.
TEST(JsonlFiles, CorruptGzipDataFailsTheRunUnderSkip) {
    const std::string dir = fresh_dir("corrupt");
    ASSERT_EQ(std::system(("cd '" + dir +
                           "' && python3 -c \"import gzip; d = bytearray(gzip.compress(b''.join("
                           "b'{\\\"n\\\":%d}\\n' % i for i in range(20000)))); "
                           "d[len(d) // 2:len(d) // 2 + 64] = bytes(64); "
                           "open('bad.jsonl.gz', 'wb').write(d)\"")
                              .c_str()),
              0);
    const std::string in = dir + "/bad.jsonl.gz";
    const Outcome run = run_jsonl(dir, in, Policy::skip);
    EXPECT_EQ(run.cli.exit_code, 1) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "': corrupt gzip data: ")) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "error: node 'src' job ")) << run.cli.err;
    EXPECT_LT(run.out.size(), 20000u);
}

// Values of type `any` (map's, parse_json's) reach ops that take integers or strings unchecked
// at validation: each job of another type fails there, saying what it got (it said `std::get:
// wrong index for variant`), under the node's policy; the others go on.
TEST(AnyValues, AnOpGivenAValueOfTheWrongTypeFailsThatJobSayingWhatItGot) {
    const std::string dir = fresh_dir("wrong_type");
    const std::string in = write(dir + "/in.jsonl",
                                 "{\"v\":1}\n{\"v\":\"x\"}\n{\"v\":2.5}\n{\"v\":null}\n"
                                 "{\"v\":[1,2]}\n{\"v\":\"y\"}\n");
    // The dead letters' errors, sorted, and what the sink wrote, of `in -> map .v -> OP -> SINK`.
    const auto run = [&](const std::string& op, const std::string& sink) {
        const std::string graph = write(
            dir + "/g.yaml",
            "nodes:\n  in: { kind: source, op: jsonl, path: '" + in +
                "' }\n  v: { kind: function, op: map, expr: .v }\n  op: { kind: function, op: " +
                op + ", dead_letter: rejects }\n  out: { kind: sink, op: " + sink +
                " }\n  rejects: { kind: sink, op: jsonl, path: '" + dir +
                "/rejects.written' }\nedges: [ 'in -> v -> op -> out' ]\n");
        const flowpool::test::CliResult cli = flowpool::test::run_cli("run -q '" + graph + "'");
        EXPECT_EQ(cli.exit_code, 0) << op << cli.err;
        Lines errors;
        for (const std::string& letter : sorted_lines(dir + "/rejects.written"))
            errors.push_back(letter_error(letter));
        std::sort(errors.begin(), errors.end());
        return std::make_pair(errors, cli.out);
    };
    const auto [integers, sum] = run("multiply, factor: 2", "summary");
    EXPECT_EQ(integers, Lines({"expected an integer value, got null",
                               "expected an integer value, got the float 2.5",
                               "expected an integer value, got the list [1,2]",
                               "expected an integer value, got the string \"x\"",
                               "expected an integer value, got the string \"y\""}));
    EXPECT_EQ(sum, "count=1 sum=2\n");
    const auto [strings, upper] = run("upper", "print, format: '{value}'");
    EXPECT_EQ(strings, Lines({"expected a string value, got null",
                              "expected a string value, got the float 2.5",
                              "expected a string value, got the integer 1",
                              "expected a string value, got the list [1,2]"}));
    EXPECT_EQ(sorted(flowpool::test::lines_of(upper)), Lines({"X", "Y"}));
    // An integer sink (summary) fails the same way, at its own node.
    const std::string one_float = write(dir + "/float.jsonl", "{\"v\":1}\n{\"v\":2.5}\n");
    const std::string straight =
        write(dir + "/sink.yaml", "nodes:\n  in: { kind: source, op: jsonl, path: '" + one_float +
                                      "' }\n  v: { kind: function, op: map, expr: .v }\n"
                                      "  out: { kind: sink, op: summary }\n"
                                      "edges: [ 'in -> v -> out' ]\n");
    const flowpool::test::CliResult cli = flowpool::test::run_cli("run '" + straight + "'");
    EXPECT_EQ(cli.exit_code, 1) << cli.err;
    EXPECT_TRUE(contains(cli.err,
                         "error: node 'out' job 1: expected an integer value, got the "
                         "float 2.5\n"))
        << cli.err;
}

TEST(JsonlFiles, AGlobThatMatchesNothingIsBadUsageBeforeRunning) {
    const std::string dir = fresh_dir("no_match");
    const Outcome run = run_jsonl(dir, dir + "/none*.jsonl", Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 2) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "no file matches '" + dir + "/none*.jsonl'")) << run.cli.err;
    EXPECT_FALSE(contains(run.cli.err, "jobs in")) << "nothing ran";
    EXPECT_FALSE(fs::exists(dir + "/out.written")) << "nothing was written";
}

// A malformed member fails its line at the token it fails on, with `fields:` (which walks the
// object's members itself, src/data/json_build.hpp) as without: each step of that walk has
// consumed the token it failed on, and the place was once reported one token later (or at
// column 1 for a comma before the closing brace).
TEST(JsonlFields, AMalformedMemberIsPlacedAtItsTokenAsWithoutFields) {
    const std::string dir = fresh_dir("fields_malformed");
    const std::string in = write(dir + "/in.jsonl",
                                 "{\"n\":0,\"host\":\"a\"}\n"
                                 "{\"n\":1,\"host\":\"b\",:}\n"       // a colon for a key
                                 "{\"n\":2 \"host\":\"c\"}\n"         // no comma
                                 "{\"n\":3,\"host\":tru}\n"           // not a literal
                                 "{\"n\":4,\"host\":{\"x\":[1,2}}\n"  // unclosed array
                                 "{\"n\":6,\"host\":\"g\",}\n"        // a comma, no member
                                 "{\"n\":7,\"ho\\q\":1}\n");          // a bad escape in a key
    const std::vector<std::string> places = {
        ":2:19: ", ":3:8: ", ":4:15: ", ":5:24: ", ":6:19: ", ":7:15: "};
    for (const std::string fields : {"", "fields: 'host'"}) {
        const Outcome run = run_jsonl(dir, in, Policy::dead_letter, fields);
        EXPECT_EQ(run.cli.exit_code, 0) << fields << ": " << run.cli.err;
        EXPECT_EQ(run.out.size(), 1U) << fields;
        ASSERT_EQ(run.rejects.size(), places.size()) << fields;
        for (std::size_t i = 0; i < places.size(); ++i) {
            const std::string error = letter_error(run.rejects[i]);
            EXPECT_TRUE(contains(error, in + places[i])) << fields << ": " << error;
        }
    }
}

// FINDING (src/data/json_stream.cpp and json.cpp, the `fields:` path): a projection skips the
// members it does not read without checking their brackets, so `]` for `}` in a skipped member
// closed the object early and the line gave `{}`, losing the field asked for; text after the
// object was accepted too. Both now fail their line.
TEST(JsonlFields, AnObjectClosedEarlyByASkippedMemberFailsItsLine) {
    const std::string dir = fresh_dir("fields_closed_early");
    const std::string in =
        write(dir + "/in.jsonl", "{\"x\":{\"y\":1]},\"a\":1}\n{\"a\":2}}\n{\"a\":3}\n");
    const Outcome run = run_jsonl(dir, in, Policy::dead_letter, "fields: 'a'");
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.out, Lines{R"({"a":3})"});
    ASSERT_EQ(run.rejects.size(), 2U);
    const std::vector<std::string> places = {":1:14: text after the JSON value",
                                             ":2:8: text after the JSON value"};
    for (std::size_t i = 0; i < places.size(); ++i) {
        EXPECT_EQ(letter_error(run.rejects[i]), in + places[i]);
    }
}

// ------------------------------- findings (each failed before its fix, in src/ as named)

// FINDING (src/ops/records.cpp split_names + parse_json_fields' fields.append): a name given
// twice in `fields:` is appended twice, so the record holds two fields of one name (Record
// promises unique names) and the sink writes an object with a duplicate key.
// Fixed by refusing it when the graph file is checked.
TEST(JsonlFields, ANameGivenTwiceInFieldsIsAGraphError) {
    const std::string dir = fresh_dir("fields_twice");
    const std::string in = write(dir + "/in.jsonl", "{\"a\":1,\"b\":3}\n");
    const Outcome run = run_jsonl(dir, in, Policy::fail, "fields: 'a,b,a'");
    EXPECT_EQ(run.cli.exit_code, 2) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "error: parameter 'fields': names 'a' twice")) << run.cli.err;
    EXPECT_TRUE(run.out.empty());
}

// FINDING (src/data/json.cpp, Builder::read_number): every number error gets the hint
// "(numbers must fit a float; integers 64 bits)", also when simdjson fails on a number because
// the object around it is not closed: `{"n":3` is blamed on the number 3.
TEST(JsonlBadLine, AnUnclosedObjectIsNotBlamedOnANumbersRange) {
    const std::string dir = fresh_dir("unclosed");
    const std::string in = write(dir + "/in.jsonl", around(R"({"n":3)"));
    const Outcome run = run_jsonl(dir, in, Policy::fail);
    EXPECT_EQ(run.cli.exit_code, 1) << run.cli.err;
    EXPECT_TRUE(contains(run.cli.err, "error: node 'src' job 2: " + in + ":3:")) << run.cli.err;
    EXPECT_FALSE(contains(run.cli.err, "numbers must fit a float")) << run.cli.err;
}

// FINDING (src/data/json_stream.cpp, JsonLineRun::next, from JsonlSource::parse_run): an
// object's head and tail on the last two lines of a batch were read as one object, job 2 giving
// {"a":1} and only line 4 failing; read alone (--batch 1), both lines fail. next() checked that
// the next value starts on the next line, and a batch's last object has none; now the text after
// its line must be blank.
TEST(JsonlBadLine, AnObjectSplitOverTheLastTwoLinesOfABatchFailsBothLines) {
    const std::string dir = fresh_dir("split_at_end");
    const std::string in = write(dir + "/in.jsonl", "{\"n\":0}\n{\"n\":1}\n{\"a\":\n1}\n");
    for (const char* options : {"--batch 1", "--batch 4"}) {
        const Outcome run = run_jsonl(dir, in, Policy::dead_letter, "", options);
        EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
        EXPECT_EQ(run.out, Lines({R"({"n":0})", R"({"n":1})"})) << options;
        ASSERT_EQ(run.rejects.size(), 2U) << options;
        EXPECT_EQ(letter_error(run.rejects[0]), in + ":3:1: " + improper_structure) << options;
        EXPECT_EQ(letter_error(run.rejects[1]), in + ":4:2: text after the JSON value") << options;
    }
}

// ------------------------------------ runs of uncut lines fail a line as it fails read alone

namespace {

/// The `COL: reason` with which the `jsonl` source (with the keys @p extra) fails @p bad_line,
/// line 3 of five good ones (around()): the line read alone, never in a run of uncut lines (those
/// need a few KB).
std::string failure_alone(const std::string& dir, const std::string& bad_line,
                          const std::string& extra) {
    const std::string in = write(dir + "/alone.jsonl", around(bad_line));
    const Outcome run = run_jsonl(dir, in, Policy::dead_letter, extra);
    EXPECT_EQ(run.cli.exit_code, 0) << run.cli.err;
    EXPECT_EQ(run.rejects.size(), 1u) << bad_line;
    if (run.rejects.size() != 1) return "(no single dead letter)";
    const std::string error = letter_error(run.rejects[0]);
    EXPECT_TRUE(error.starts_with(in + ":3:")) << error;
    return error.substr(std::min(error.size(), (in + ":3:").size()));
}

/// A line of the file below, and what it is.
struct BigLine {
    enum Kind { good, bad, blank };
    Kind kind = good;
    std::string text;         ///< a bad or blank line's text; a good line's record (made later)
    std::string before = "";  ///< blanks before a good line's record
    std::string after = "";   ///< blanks after it
    std::string end = "\n";   ///< "\n" or "\r\n"
};

/// The line that starts the summary on stderr ("N jobs in, ..."), or "" if there is none.
std::string summary_of(const std::string& err) {
    for (const std::string& line : flowpool::test::lines_of(err)) {
        if (contains(line, " jobs in, ")) return line;
    }
    return "";
}

}  // namespace

// The `jsonl` source reads most batches as runs of uncut lines (TextSource::read_run,
// JsonlSource::parse_lines), and a batch it cannot read so is cut and read line by line. A file
// of 3,000 good lines of random lengths with, at random places, bad lines, an object split over
// two lines, blank lines and good lines written otherwise (CRLF, blanks before or after): at
// every worker count and batch size, with and without `fields:`, every good record comes out
// with its line number - 1 as its id, every bad line is dead-lettered with its id, its text and
// the FILE:LINE:COL and reason it has read alone, and blank lines make no job.
TEST(JsonlRun, EachLineOfABigFileFailsOrComesOutAsItDoesReadAlone) {
    const std::string dir = fresh_dir("run_vs_alone");
    const std::vector<std::string> bad_texts = {
        R"({"n":2,})", "[1,2]",    R"({"n":2} x)", R"({"a":1}{"b":2})", R"({"a":1}})", R"({"s":"a)",
        R"(b"})",      R"({"a":)", "1}",
    };
    std::mt19937 random(20261205);
    std::vector<BigLine> lines(3000);
    // A group of lines goes anywhere, or (`late`) in the file's last fifth.
    const auto insert = [&](const std::vector<BigLine>& group, bool late = false) {
        const std::size_t from = late ? lines.size() * 4 / 5 : 0;
        const auto at = static_cast<std::ptrdiff_t>(from + random() % (lines.size() - from + 1));
        lines.insert(lines.begin() + at, group.begin(), group.end());
    };
    // Lines a run of uncut lines holds, and JsonlSource::parse_lines may not read (then it cuts
    // the batch): often, anywhere.
    for (int times = 0; times < 4; ++times) {
        const std::string end = times % 2 == 0 ? "\n" : "\r\n";  // '\r' not in the text
        for (std::size_t i = 0; i < 5; ++i) insert({{BigLine::bad, bad_texts[i], "", "", end}});
        // Halves of a string, and of an object, each on its own line: two bad lines.
        insert(
            {{BigLine::bad, bad_texts[5], "", "", end}, {BigLine::bad, bad_texts[6], "", "", end}});
        insert(
            {{BigLine::bad, bad_texts[7], "", "", end}, {BigLine::bad, bad_texts[8], "", "", end}});
        insert({{BigLine::good, "", "", "", "\r\n"}});
        insert({{BigLine::good, "", "", "   "}});
        insert({{BigLine::good, "", "", " ", "\r\n"}});
    }
    // Lines no run holds (scan_lines() says so): a batch that meets one, and the next few, are
    // cut line by line (TextSource::runs_pause). Once each, late, so that runs come before them
    // at every batch size.
    for (const char* blank : {"", "   ", " \t ", "\r"}) insert({{BigLine::blank, blank}}, true);
    insert({{BigLine::good, "", "  "}}, true);
    insert({{BigLine::good, "", "\t ", "", "\r\n"}}, true);
    // The good lines' records: each with its line number, and a pad of random length.
    std::string text;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        BigLine& line = lines[i];
        if (line.kind == BigLine::good) {
            line.text = "{\"line\":" + std::to_string(i + 1) + ",\"pad\":\"" +
                        std::string(random() % 160, static_cast<char>('a' + random() % 26)) + "\"}";
        }
        text += line.before + line.text + line.after + line.end;
    }
    const std::string in = write(dir + "/big.jsonl", text);
    ASSERT_GT(text.size(), 100000u);

    for (const std::string extra : {"", "fields: 'line,pad'"}) {
        // What each kind of bad line gives read alone, with the same keys.
        std::map<std::string, std::string> alone;
        for (const std::string& bad : bad_texts) alone[bad] = failure_alone(dir, bad, extra);
        Lines records;
        Lines ids;
        Lines letters;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const std::string id = std::to_string(i);
            if (lines[i].kind == BigLine::good) {
                records.push_back(lines[i].text);
                ids.push_back(id + " " + std::to_string(i + 1));
            } else if (lines[i].kind == BigLine::bad) {
                letters.push_back(id + " " + in + ":" + std::to_string(i + 1) + ":" +
                                  alone[lines[i].text] + " | " + lines[i].text);
            }
        }
        std::sort(records.begin(), records.end());
        std::sort(ids.begin(), ids.end());
        std::sort(letters.begin(), letters.end());
        const std::string summary = std::to_string(records.size() + letters.size()) + " jobs in, " +
                                    std::to_string(records.size()) +
                                    " results out, 0 filtered, 0 skipped, 0 failed, " +
                                    std::to_string(letters.size()) + " dead-lettered";
        // The ids, through a sink that writes them.
        const std::string id_graph =
            write(dir + "/ids.yaml",
                  "nodes:\n  src: { kind: source, op: jsonl, path: '" + in + "'" +
                      (extra.empty() ? "" : ", " + extra) +
                      ", dead_letter: rejects }\n  out: { kind: sink, op: file, path: '" + dir +
                      "/ids.written', format: '{id} {value.line}' }\n  rejects: { kind: sink, op: "
                      "jsonl, path: '" +
                      dir + "/id_rejects.written' }\nedges: [ 'src -> out' ]\n");
        for (const std::string threads : {"1", "2", "4", "8"}) {
            for (const std::string batch : {"", " --batch 7", " --batch 100"}) {
                const std::string options = "--threads " + threads + batch;
                const std::string label = options + (extra.empty() ? "" : ", " + extra);
                const Outcome run = run_jsonl(dir, in, Policy::dead_letter, extra, options);
                EXPECT_EQ(run.cli.exit_code, 0) << label << run.cli.err;
                EXPECT_EQ(first_difference(run.out, records), "") << label;
                Lines got;
                for (const std::string& letter : run.rejects) {
                    const flowpool::Value id = letter_field(letter, "id");
                    const auto* number = std::get_if<std::int64_t>(&id);
                    const flowpool::Value value = letter_field(letter, "value");
                    const auto* line = std::get_if<std::string>(&value);
                    got.push_back((number != nullptr ? std::to_string(*number) : "?") + " " +
                                  letter_error(letter) + " | " + (line != nullptr ? *line : "?"));
                }
                std::sort(got.begin(), got.end());
                EXPECT_EQ(first_difference(got, letters), "") << label;
                EXPECT_TRUE(summary_of(run.cli.err).starts_with(summary + " in "))
                    << label << ": " << run.cli.err;

                const flowpool::test::CliResult by_id =
                    flowpool::test::run_cli("run " + options + " '" + id_graph + "'");
                EXPECT_EQ(by_id.exit_code, 0) << label << by_id.err;
                EXPECT_EQ(first_difference(sorted_lines(dir + "/ids.written"), ids), "") << label;
            }
        }
    }
}
