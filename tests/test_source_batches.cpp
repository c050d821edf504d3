// The text sources (`lines`, `jsonl`, `csv`) give the same jobs, with the same ids and values,
// and the same dead letters at the same FILE:LINE places (`jsonl`, `csv`: a `lines` source cannot
// dead-letter), whatever the batch size and however many workers run. A batch can end at any
// line: a blank one, the last of a file, a line too long, or inside a quoted CSV record; and a
// batch of uncut lines (a run, most batches) meets these at other places at each size. So each
// source reads files with all of them, at the fixed sizes 1 to 7 (every boundary moved one line
// on) and 64, and at the automatic size (picked from timings: paths no fixed size takes), at 1, 2,
// 4 and 8 threads. A bug of this kind, a blank line counted twice (9ecd594), hid for a day: only
// the automatic size at two workers met it, about one run in ten. Expectations come from the
// generator, which knows each line's id, value and place, never from flowpool's own output.

#include <gtest/gtest.h>
#include <flowpool/value.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "cli_runner.hpp"
#include "records_fixture.hpp"

namespace fs = std::filesystem;

using flowpool::test::fresh_dir;
using flowpool::test::run_cli;
using flowpool::test::write;
using namespace flowpool::test::records_fixture;  // NOLINT(google-build-using-namespace)

namespace {

constexpr std::size_t max_line = 1000;  // the sources' max_line_bytes
const std::string bom = "\xEF\xBB\xBF";

/// What the runs over a directory of input files must write: "ID VALUE" lines for the jobs that
/// reach the sink, "ID FILE:LINE WHY" (WHY: bad or long) for the dead letters.
struct Expected {
    std::string dir;  ///< the files are DIR/in/*
    Lines out;
    Lines letters;
};

/// @p text, quoted as a JSON string (it holds no backslash, control character but CR and LF, or
/// non-ASCII byte).
std::string json_string(const std::string& text) {
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '"') {
            quoted += "\\\"";
        } else if (c == '\n') {
            quoted += "\\n";
        } else if (c == '\r') {
            quoted += "\\r";
        } else {
            quoted += c;
        }
    }
    return quoted + "\"";
}

/// Gzips @p path to PATH.gz, the name FILE:LINE places then use.
void gzip(const std::string& path) {
    EXPECT_EQ(std::system(("gzip -n -f '" + path + "'").c_str()), 0);
}

/// JSON lines in four files, for the `jsonl` source (@p jsonl) or the `lines` source (on_error:
/// skip): a.txt, ending in blank lines; b.txt, empty; c.txt gzipped, a byte order mark and a blank
/// line first; d.txt, its last line without a line end. Lines of objects `{"n":ID,"s":"..."}` of
/// random lengths, some exactly max_line bytes; among them blank lines (empty, a space or a space
/// and a tab; often several in a row), lines one byte or many too long, malformed objects, and
/// CRLF line ends.
Expected json_lines(const std::string& name, bool jsonl) {
    Expected want{fresh_dir(name), {}, {}};
    fs::create_directories(want.dir + "/in");
    std::minstd_rand random(2026);
    std::uint64_t id = 0;
    for (const std::string file : {"a", "b", "c", "d"}) {
        const std::string path = want.dir + "/in/" + file + ".txt";
        const std::string place = path + (file == "c" ? ".gz" : "") + ":";
        const std::uint64_t count = file == "b" ? 0 : 3000 + random() % 400;
        std::string text = file == "c" ? bom : "";
        for (std::uint64_t line = 1; line <= count; ++line, ++id) {
            const std::string at = std::to_string(id) + " ";
            const bool last = line == count;
            const unsigned kind = last        ? 99
                                  : line == 1 ? (file == "c" ? 0 : 99)
                                              : static_cast<unsigned>(random() % 100);
            // Lines of max_line bytes or more end in "\n": whether a CR counts is not tested here.
            const std::string end = file == "d" && last       ? ""
                                    : kind >= 15 && kind < 21 ? "\n"
                                    : random() % 5 == 0       ? "\r\n"
                                                              : "\n";
            if (kind < 15) {  // blank, and one in three of those followed by more (not the last)
                const std::uint64_t room = count - line - 1;
                for (std::uint64_t more =
                         kind % 3 == 0 ? std::min<std::uint64_t>(1 + random() % 4, room) : 0;
                     ; --more) {
                    const std::string blank = kind % 2 == 0 ? "" : kind % 4 == 1 ? " " : " \t";
                    text += blank + (more == 0 ? end : "\n");
                    if (!jsonl) want.out.push_back(std::to_string(id) + " " + blank);
                    if (more == 0) break;
                    ++line;
                    ++id;
                }
                continue;
            }
            std::string record = "{\"n\":" + std::to_string(id) + ",\"s\":\"\"}";
            std::size_t length = record.size() + random() % 600;  // the line's, without its end
            std::string why;
            if (kind < 19) {
                length = max_line;
            } else if (kind < 21) {
                length = max_line + (kind == 19 ? 1 : 1 + random() % 2000);
                why = "long";
            }
            record.insert(record.size() - 2, length - record.size(),
                          static_cast<char>('a' + id % 26));
            if (kind >= 21 && kind < 23) {
                record.erase(record.size() - 1);  // no closing brace
                why = "bad";
            } else if (kind == 23) {
                record.insert(record.find(','), ",");  // two commas
                why = "bad";
            }
            text += record + end;
            if (!jsonl) {
                if (why != "long") want.out.push_back(at + record);
            } else if (why.empty()) {
                want.out.push_back(at + record);
            } else {
                want.letters.push_back(at + place + std::to_string(line) + " " + why);
            }
        }
        if (file == "a") {  // blank lines up to the next file
            for (const std::string blank : {"", " \t\r", ""}) {
                text += blank + "\n";
                if (!jsonl) want.out.push_back(std::to_string(id) + " " + blank.substr(0, 2));
                ++id;
            }
        }
        write(path, text);
        if (file == "c") gzip(path);
    }
    return want;
}

/// CSV files x.csv, y.csv (gzipped, with a byte order mark) and z.csv (its last record without a
/// line end), each with the header `n,s`, for the `csv` source: records `ID,TEXT`, TEXT plain or
/// quoted, a quoted one holding a comma, a doubled quote, or a line end (LF or CRLF, so that the
/// record takes two lines), some with CRLF line ends; and rows of three fields, which fail.
Expected csv_records(const std::string& name) {
    Expected want{fresh_dir(name), {}, {}};
    fs::create_directories(want.dir + "/in");
    std::minstd_rand random(4180);
    std::uint64_t id = 0;
    for (const std::string file : {"x", "y", "z"}) {
        const std::string path = want.dir + "/in/" + file + ".csv";
        const std::string place = path + (file == "y" ? ".gz" : "") + ":";
        const std::uint64_t count = 900 + random() % 300;
        std::string text = (file == "y" ? bom : "") + "n,s\n";
        std::uint64_t line = 2;  // the record's first line
        for (std::uint64_t i = 0; i < count; ++i, ++id) {
            const std::string end = file == "z" && i + 1 == count ? ""
                                    : random() % 4 == 0           ? "\r\n"
                                                                  : "\n";
            std::string value(1 + random() % 60, static_cast<char>('a' + id % 26));
            std::string field = value;
            const unsigned kind = random() % 20;
            if (kind == 0) {
                value.insert(1, ",");
                field = "\"" + value + "\"";
            } else if (kind == 1) {
                value.insert(1, "\"");
                field = "\"" + value.substr(0, 1) + "\"\"" + value.substr(2) + "\"";
            } else if (kind == 2 || kind == 3) {
                value.insert(1, kind == 2 ? "\n" : "\r\n");
                field = "\"" + value + "\"";
            }
            const std::string row = std::to_string(id) + "," + field;
            if (kind == 4) {
                text += row + ",extra" + end;
                want.letters.push_back(std::to_string(id) + " " + place + std::to_string(line) +
                                       " bad");
            } else {
                text += row + end;
                want.out.push_back(std::to_string(id) + " {\"n\":" + std::to_string(id) +
                                   ",\"s\":" + json_string(value) + "}");
            }
            line += kind == 2 || kind == 3 ? 2 : 1;
        }
        write(path, text);
        if (file == "y") gzip(path);
    }
    return want;
}

/// Runs source @p source (its op and keys, reading DIR/in/*) into a file sink writing
/// `{id} {value}`, and a jsonl sink for its dead letters if @p dead_letters, at @p threads threads
/// and every batch size below; each run must write @p want.
void expect_every_batch_size(const Expected& want, const std::string& source, bool dead_letters,
                             int threads) {
    const std::string& dir = want.dir;
    std::string graph = "nodes:\n  src: { kind: source, " + source + ", path: '" + dir +
                        "/in/*', max_line_bytes: " + std::to_string(max_line) +
                        (dead_letters ? ", dead_letter: rejects" : ", on_error: skip") +
                        " }\n  out: { kind: sink, op: file, path: '" + dir +
                        "/out.written', format: '{id} {value}' }\n";
    if (dead_letters)
        graph += "  rejects: { kind: sink, op: jsonl, path: '" + dir + "/rejects.written' }\n";
    graph += "edges: [ 'src -> out' ]\n";
    write(dir + "/graph.yaml", graph);
    const Lines out = sorted(want.out);
    const Lines letters = sorted(want.letters);
    for (const std::string batch : {"1", "2", "3", "4", "5", "6", "7", "64", ""}) {
        const std::string options =
            "--threads " + std::to_string(threads) + (batch.empty() ? "" : " --batch " + batch);
        fs::remove(dir + "/out.written");
        fs::remove(dir + "/rejects.written");
        const auto run = run_cli("run " + options + " '" + dir + "/graph.yaml'");
        EXPECT_EQ(run.exit_code, 0) << options << "\n" << run.err;
        EXPECT_EQ(first_difference(sorted_lines(dir + "/out.written"), out), "") << options;
        if (!dead_letters) continue;
        Lines seen;
        for (const std::string& letter : sorted_lines(dir + "/rejects.written")) {
            const std::string error = letter_error(letter);
            const flowpool::Value job = letter_field(letter, "id");
            const std::int64_t* job_id = std::get_if<std::int64_t>(&job);
            ASSERT_NE(job_id, nullptr) << letter;
            // FILE:LINE, then ":COL: why" or, for a line too long, ": line longer than ..."
            const std::size_t line_end = error.find(':', error.find(':') + 1);
            const bool long_line = contains(error, "line longer than max_line_bytes (1000)");
            seen.push_back(std::to_string(*job_id) + " " + error.substr(0, line_end) +
                           (long_line ? " long" : " bad"));
        }
        EXPECT_EQ(first_difference(sorted(seen), letters), "") << options;
    }
}

/// The number of threads.
class SourceBatches : public testing::TestWithParam<int> {};

TEST_P(SourceBatches, JsonlGivesTheSameJobsAtEveryBatchSize) {
    const Expected want = json_lines("batches_jsonl_" + std::to_string(GetParam()), true);
    ASSERT_GT(want.out.size(), 3000u);
    ASSERT_GT(want.letters.size(), 100u);
    expect_every_batch_size(want, "op: jsonl", true, GetParam());
}

TEST_P(SourceBatches, LinesGivesTheSameJobsAtEveryBatchSize) {
    const Expected want = json_lines("batches_lines_" + std::to_string(GetParam()), false);
    ASSERT_GT(want.out.size(), 3000u);
    expect_every_batch_size(want, "op: lines", false, GetParam());
}

TEST_P(SourceBatches, CsvGivesTheSameRecordsAtEveryBatchSize) {
    const Expected want = csv_records("batches_csv_" + std::to_string(GetParam()));
    ASSERT_GT(want.out.size(), 2000u);
    ASSERT_GT(want.letters.size(), 50u);
    expect_every_batch_size(want, "op: csv", true, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Threads, SourceBatches, testing::Values(1, 2, 4, 8));

}  // namespace
