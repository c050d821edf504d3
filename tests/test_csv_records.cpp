// The csv source and sink through the CLI: records named by the header row, numbers, quoting,
// and bad input that fails only its own job with FILE:LINE:COL.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "cli_runner.hpp"

namespace {

using flowpool::test::run_cli;
using flowpool::test::temp_file;

/// A graph reading CSV @p csv_path (with @p source_extra parameters) into a jsonl sink on stdout.
std::string csv_graph(const std::string& name, const std::string& csv_path,
                      const std::string& source_extra = "") {
    return temp_file(name + ".yaml",
                     "graph: " + name +
                         "\nversion: 1\nnodes:\n"
                         "  rows: { kind: source, op: csv, path: '" +
                         csv_path + "'" + source_extra +
                         " }\n"
                         "  out:  { kind: sink, op: jsonl, path: '-', ordered: true }\n"
                         "edges:\n  - rows -> out\n");
}

std::vector<std::string> sorted(std::vector<std::string> lines) {
    std::sort(lines.begin(), lines.end());
    return lines;
}

/// Runs a graph reading CSV @p csv_path (with @p source_extra parameters) whose failed jobs go
/// to a dead-letter jsonl sink: returns the dead letters, in id order (fewer than ten jobs).
std::vector<std::string> dead_letters(const std::string& name, const std::string& csv_path,
                                      const std::string& source_extra = "") {
    const std::string graph =
        temp_file(name + ".yaml", "graph: " + name +
                                      "\nversion: 1\nnodes:\n"
                                      "  rows: { kind: source, op: csv, path: '" +
                                      csv_path + "'" + source_extra +
                                      ", on_error: dead_letter, dead_letter: dead }\n"
                                      "  out:  { kind: sink, op: jsonl, path: '/dev/null' }\n"
                                      "  dead: { kind: sink, op: jsonl, path: '-' }\n"
                                      "edges:\n  - rows -> out\n");
    const auto result = run_cli("run '" + graph + "'");
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return sorted(result.out_lines());
}

/// A dead letter of the csv source `rows`, as the jsonl sink writes it.
std::string letter(int id, const std::string& value_json, const std::string& error) {
    return R"({"id":)" + std::to_string(id) + R"(,"value":)" + value_json +
           R"(,"node":"rows","error":")" + error + "\"}";
}

TEST(CsvSource, NamesFieldsByTheHeaderAndReadsNumbersQuotesAndLineBreaksInFields) {
    const std::string csv = temp_file("orders.csv",
                                      "\xEF\xBB\xBFname,qty,price,note\r\n"
                                      "\"Smith, J\",3,1.5,\"said \"\"hi\"\"\"\r\n"
                                      "Lee,007,-2,\"two\nlines\"\r\n");
    for (const char* workers : {"1", "2", "4", "8"}) {
        SCOPED_TRACE(workers);
        // The records cross a function node of `workers` workers before the ordered sink.
        const std::string graph = temp_file(
            std::string("orders") + workers + ".yaml",
            "graph: orders\nversion: 1\nnodes:\n"
            "  rows: { kind: source, op: csv, path: '" +
                csv + "' }\n  json: { kind: function, op: to_json, concurrency: " + workers +
                " }\n  out:  { kind: sink, op: print, format: '{value}', ordered: true }\n"
                "edges:\n  - rows -> json -> out\n");
        const auto result = run_cli("run '" + graph + "'");
        ASSERT_EQ(result.exit_code, 0) << result.err;
        // Leading zeros keep a field a string (a zip code), as JSON would not write 007.
        EXPECT_EQ(result.out_lines(),
                  (std::vector<std::string>{
                      R"({"name":"Smith, J","qty":3,"price":1.5,"note":"said \"hi\""})",
                      R"({"name":"Lee","qty":"007","price":-2,"note":"two\nlines"})"}));
    }
}

TEST(CsvSource, TypesStringsKeepsEveryFieldText) {
    const std::string csv = temp_file("strings.csv", "a;b\n1;2.5\n");
    const auto result =
        run_cli("run '" + csv_graph("strings", csv, ", delimiter: ';', types: strings") + "'");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "{\"a\":\"1\",\"b\":\"2.5\"}\n");
}

TEST(CsvSource, ARaggedRowFailsAloneWithItsLine) {
    const std::string csv = temp_file("ragged.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n");
    const auto failed = run_cli("run '" + csv_graph("ragged", csv) + "'");
    EXPECT_EQ(failed.exit_code, 1);
    EXPECT_NE(failed.err.find(csv + ":3:1: the row has 2 fields, the header 3"), std::string::npos)
        << failed.err;
    EXPECT_NE(failed.err.find("node 'rows' job 1"), std::string::npos) << failed.err;

    const auto skipped = run_cli("run '" + csv_graph("ragged_skip", csv, ", on_error: skip") + "'");
    EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
    EXPECT_EQ(sorted(skipped.out_lines()),
              (std::vector<std::string>{R"({"a":1,"b":2,"c":3})", R"({"a":6,"b":7,"c":8})"}));
}

TEST(CsvSource, AHeaderThatNamesAFieldTwiceFailsTheFilesRowsNotTheirValues) {
    // Read as records, one of the two `a` fields would be lost: the header fails, and with it
    // every row of the file (they have no names), each a job of its own naming the header's
    // failure: which job's failure the run reports first is up to the workers.
    const std::string csv = temp_file("twice.csv", "a,a,b\n1,2,3\n");
    const std::string why = csv +
                            ":1:1: header row: fields 1 and 2 are both named 'a' (name "
                            "them with columns:)";
    const auto failed = run_cli("run '" + csv_graph("twice", csv) + "'");
    EXPECT_EQ(failed.exit_code, 1);
    EXPECT_NE(failed.err.find(why), std::string::npos) << failed.err;
    EXPECT_EQ(failed.out, "");

    EXPECT_EQ(
        dead_letters("twice_dead", csv),
        (std::vector<std::string>{
            letter(0, R"("a,a,b")", why),
            letter(1, R"("1,2,3")", csv + ":2:1: the file's header row failed (" + why + ")")}));

    const auto named = run_cli("run '" + csv_graph("twice_named", csv, ", columns: 'x,y,z'") + "'");
    EXPECT_EQ(named.exit_code, 0) << named.err;
    EXPECT_EQ(named.out_lines(),
              (std::vector<std::string>{R"({"x":"a","y":"a","z":"b"})", R"({"x":1,"y":2,"z":3})"}));
}

TEST(CsvSource, AHeaderThatLeavesAFieldUnnamedFailsAtItsColumnUnlessColumnsNameThem) {
    // It was read as a field named "", which no expression or format can name.
    const std::string csv = temp_file("unnamed.csv", "a,,c\n1,2,3\n");
    const auto failed = run_cli("run '" + csv_graph("unnamed", csv) + "'");
    EXPECT_EQ(failed.exit_code, 1);
    EXPECT_NE(failed.err.find(csv + ":1:3: header row: field 2 has no name (name the fields with "
                                    "columns:, which reads the first row as a record)"),
              std::string::npos)
        << failed.err;
    EXPECT_EQ(failed.out, "");

    // A quoted name may hold a line end: the column is on the line the field starts.
    const std::string quoted = temp_file("unnamed_quoted.csv", "\"x\ny\",\"\"\n1,2\n");
    const auto failed_quoted = run_cli("run '" + csv_graph("unnamed_quoted", quoted) + "'");
    EXPECT_EQ(failed_quoted.exit_code, 1);
    EXPECT_NE(failed_quoted.err.find(quoted + ":2:4: header row: field 2 has no name"),
              std::string::npos)
        << failed_quoted.err;

    // columns: reads no header row: the first row is a record like the others.
    const auto named =
        run_cli("run '" + csv_graph("unnamed_named", csv, ", columns: 'x,y,z'") + "'");
    EXPECT_EQ(named.exit_code, 0) << named.err;
    EXPECT_EQ(named.out_lines(),
              (std::vector<std::string>{R"({"x":"a","y":"","z":"c"})", R"({"x":1,"y":2,"z":3})"}));
}

TEST(CsvSource, AHeaderRowTooLongToReadFailsTheFilesRows) {
    // Skipped as too long, it took the first row with it as the header: {"1":3,"2":4}.
    const std::string csv = temp_file("long_header.csv", "aaaaaaaaaaaaaaaaaaaa,b\n1,2\n3,4\n");
    const auto skipped = run_cli(
        "run '" + csv_graph("long_header", csv, ", max_line_bytes: 10, on_error: skip") + "'");
    EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
    EXPECT_EQ(skipped.out, "");
    EXPECT_NE(skipped.err.find("3 skipped"), std::string::npos) << skipped.err;
}

// FINDING (src/ops/text_source.cpp, TextSource::next): a job that failed as it was cut had its
// text dropped, so its dead letter's value was "": a header row that failed (its text was read)
// and a line longer than max_line_bytes (its bytes are skipped, never kept) alike. The first
// now carries its text, the second null; rows failing for their header carry their own.
TEST(CsvSource, AFailedHeaderRowsDeadLetterHoldsItsTextAndItsRowsTheirs) {
    const std::string after = temp_file("after_quote_header.csv", "\"a\"x,b\n1,2\n");
    const std::string why = after + ":1:4: header row: text after closing quote";
    EXPECT_EQ(
        dead_letters("after_quote_header", after),
        (std::vector<std::string>{
            letter(0, R"("\"a\"x,b")", why),
            letter(1, R"("1,2")", after + ":2:1: the file's header row failed (" + why + ")")}));

    // The quote opened in the header never closes: the rest of the file is the header.
    const std::string open = temp_file("open_header.csv", "a,\"b\n1,2\n");
    EXPECT_EQ(
        dead_letters("open_header", open),
        (std::vector<std::string>{letter(0, R"("a,\"b\n1,2")",
                                         open + ":1:3: unclosed quote (its record runs on to the "
                                                "end of the file: lines 1 to 2)")}));
}

TEST(CsvSource, ATooLongLinesDeadLetterIsNullItsTextNeverKept) {
    const std::string header = temp_file("long_header_dead.csv", "aaaaaaaaaaaaaaaaaaaa,b\n1,2\n");
    const std::string why = header + ":1: line longer than max_line_bytes (10)";
    EXPECT_EQ(
        dead_letters("long_header_dead", header, ", max_line_bytes: 10"),
        (std::vector<std::string>{
            letter(0, "null", why),
            letter(1, R"("1,2")", header + ":2:1: the file's header row failed (" + why + ")")}));

    const std::string row = temp_file("long_row_dead.csv", "a,b\n1,2\n33333333333333,4\n5,6\n");
    EXPECT_EQ(dead_letters("long_row_dead", row, ", max_line_bytes: 10"),
              (std::vector<std::string>{
                  letter(1, "null", row + ":3: line longer than max_line_bytes (10)")}));

    // A record over the cap whose quote never closes: its lines were only scanned.
    const std::string open = temp_file("long_open_dead.csv", "a,b\n1,\"22222\n22222\n");
    EXPECT_EQ(dead_letters("long_open_dead", open, ", max_line_bytes: 10"),
              (std::vector<std::string>{letter(0, "null",
                                               open + ":2:3: unclosed quote (its record "
                                                      "runs on to the end of the file: "
                                                      "lines 2 to 3)")}));
}

TEST(CsvSource, BlankLinesBeforeTheHeaderAreNotIt) {
    const std::string csv = temp_file("blank_first.csv", "\n\na,b\n1,2\n");
    const auto result = run_cli("run '" + csv_graph("blank_first", csv) + "'");
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "{\"a\":1,\"b\":2}\n");
}

TEST(CsvSource, AnUnclosedQuoteFailsItsRecordAtTheQuote) {
    const std::string csv = temp_file("unclosed.csv", "a,b\n1,2\n3,\"open\n4,5\n");
    const auto result = run_cli("run '" + csv_graph("unclosed", csv) + "'");
    // The quote opened on line 3 never closes: that record fails; the one before it comes.
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find(csv + ":3:3: unclosed quote"), std::string::npos) << result.err;
    EXPECT_EQ(result.out_lines(), (std::vector<std::string>{R"({"a":1,"b":2})"}));
    // Its dead letter holds what was read of it: the rest of the file.
    EXPECT_EQ(
        dead_letters("unclosed_dead", csv),
        (std::vector<std::string>{letter(1, R"("3,\"open\n4,5")",
                                         csv + ":3:3: unclosed quote (its record runs on to the "
                                               "end of the file: lines 3 to 4)")}));
}

TEST(CsvSource, TextAfterAClosingQuoteFailsWithItsColumn) {
    const std::string csv = temp_file("after_quote.csv", "a,b\n\"x\"y,2\n1,2\n");
    const auto result = run_cli("run '" + csv_graph("after_quote", csv) + "'");
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find(csv + ":2:4: text after closing quote"), std::string::npos)
        << result.err;
}

// A file whose lines end in CR alone (classic Mac OS) is one line to the reader: it read as a
// header and no record, exit 0. A CR in an unquoted field fails its record, there; CRLF line ends
// and a CR inside quotes read as before.
TEST(CsvSource, ACarriageReturnInAnUnquotedFieldFailsItsRecord) {
    const std::string mac = temp_file("cr_only.csv", "a,b\r1,2\r3,4\r");
    const auto result = run_cli("run '" + csv_graph("cr_only", mac) + "'");
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find(mac + ":1:4: header row: a carriage return in an unquoted field "
                                    "(lines ending in CR alone?)"),
              std::string::npos)
        << result.err;
    const std::string row = temp_file("cr_row.csv", "a,b\r\n1,x\ry\r\n\"3\r\",4\r\n");
    const auto rows = run_cli("run '" + csv_graph("cr_row", row, ", on_error: skip") + "'");
    EXPECT_EQ(rows.exit_code, 0) << rows.err;
    EXPECT_EQ(rows.out, "{\"a\":\"3\\r\",\"b\":4}\n");
    EXPECT_NE(rows.err.find("1 skipped"), std::string::npos) << rows.err;
}

// `columns:` with an empty name took the first row for the header (`' '`, `',,'`: a row lost) or
// dropped the name (`'a,,c'`: every row failed, 3 fields against 2): refused at validation.
TEST(CsvSource, ColumnsWithAnEmptyNameAreRefusedAtValidation) {
    const std::string csv = temp_file("blank_columns.csv", "a,b,c\n1,2,3\n");
    for (const auto& [columns, which] : std::vector<std::pair<std::string, std::string>>{
             {"' '", "1"}, {"',,'", "1"}, {"'a,,c'", "2"}, {"'a, ,c'", "2"}, {"'a,b,'", "3"}}) {
        SCOPED_TRACE(columns);
        const std::string graph = temp_file("blank_columns.yaml",
                                            "graph: blank\nversion: 1\nnodes:\n"
                                            "  rows: { kind: source, op: csv, columns: " +
                                                columns + ", path: '" + csv +
                                                "' }\n"
                                                "  out:  { kind: sink, op: jsonl, path: '-' }\n"
                                                "edges:\n  - rows -> out\n");
        for (const char* command : {"validate", "run"}) {
            const auto result = run_cli(std::string(command) + " '" + graph + "'");
            EXPECT_EQ(result.exit_code, 2) << command;
            EXPECT_EQ(result.out, "") << command;
            EXPECT_EQ(result.err, graph + ":4:43: error: parameter 'columns': name " + which +
                                      " is empty (names are comma-separated)\n")
                << command;
        }
    }
}

TEST(CsvSource, AGlobThatMatchesNothingIsAGraphError) {
    const auto result = run_cli("run '" + csv_graph("no_match", "/nonexistent-dir/*.csv") + "'");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("no file matches '/nonexistent-dir/*.csv'"), std::string::npos)
        << result.err;
}

TEST(CsvSink, WritesAHeaderAndQuotesWhatNeedsIt) {
    const std::string jsonl =
        temp_file("rows.jsonl",
                  "{\"name\":\"Smith, J\",\"n\":1,\"tags\":[\"a\"],\"none\":null}\n"
                  "{\"name\":\"say \\\"hi\\\"\",\"n\":2.5}\n");
    const std::string graph = temp_file("to_csv.yaml",
                                        "graph: to_csv\nversion: 1\nnodes:\n"
                                        "  rows: { kind: source, op: jsonl, path: '" +
                                            jsonl +
                                            "' }\n"
                                            "  out:  { kind: sink, op: csv, path: '-', ordered: "
                                            "true }\nedges:\n  - rows -> out\n");
    const auto result = run_cli("run '" + graph + "'");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out,
              "name,n,tags,none\n"
              "\"Smith, J\",1,\"[\"\"a\"\"]\",\n"
              "\"say \"\"hi\"\"\",2.5,,\n");
}

// A row of one empty field is written `""`, not as a blank line, which the csv source (as
// Python's csv module) skips: one column of "", null and "x" reads back as three records.
TEST(CsvSink, AOneColumnRowWithNothingInItIsWrittenAsQuotesAndReadsBack) {
    const std::string jsonl =
        temp_file("one_column.jsonl", "{\"a\":\"\"}\n{\"a\":null}\n{\"a\":\"x\"}\n");
    const std::string csv = temp_file("one_column.csv", "");
    const std::string graph =
        temp_file("one_column.yaml", "nodes:\n  rows: { kind: source, op: jsonl, path: '" + jsonl +
                                         "' }\n  out:  { kind: sink, op: csv, path: '" + csv +
                                         "', ordered: true }\nedges: [ 'rows -> out' ]\n");
    const auto written = run_cli("run -q '" + graph + "'");
    ASSERT_EQ(written.exit_code, 0) << written.err;
    EXPECT_EQ(flowpool::test::slurp(csv), "a\n\"\"\n\"\"\nx\n");
    const auto read = run_cli("run -q '" + csv_graph("one_column_back", csv) + "'");
    ASSERT_EQ(read.exit_code, 0) << read.err;
    EXPECT_EQ(read.out, "{\"a\":\"\"}\n{\"a\":\"\"}\n{\"a\":\"x\"}\n");
}

TEST(CsvSink, AFieldTheFirstRecordLackedFailsItsRecordUnlessColumnsChose) {
    const std::string jsonl = temp_file("extra.jsonl", "{\"a\":1,\"b\":2}\n{\"a\":4,\"c\":6}\n");
    const auto graph = [&](const std::string& name, const std::string& sink_extra) {
        return temp_file(name + ".yaml",
                         "graph: extra\nversion: 1\nnodes:\n"
                         "  rows: { kind: source, op: jsonl, path: '" +
                             jsonl +
                             "' }\n"
                             "  out:  { kind: sink, op: csv, path: '-', "
                             "ordered: true" +
                             sink_extra + " }\nedges:\n  - rows -> out\n");
    };
    const auto lost = run_cli("run '" + graph("extra", "") + "'");
    EXPECT_EQ(lost.exit_code, 1);
    EXPECT_EQ(lost.out, "a,b\n1,2\n");
    EXPECT_NE(lost.err.find("node 'out' job 1: field 'c' is not a column of the header"),
              std::string::npos)
        << lost.err;
    const auto chosen = run_cli("run '" + graph("chosen", ", columns: 'a,b'") + "'");
    EXPECT_EQ(chosen.exit_code, 0) << chosen.err;
    EXPECT_EQ(chosen.out, "a,b\n1,2\n4,\n");
}

// The sink's `columns: 'a,,a'` wrote the header `a,a` (the empty name dropped, the repeat kept),
// which the csv source then refuses: its names are checked as the source's are.
TEST(CsvSink, ColumnsWithAnEmptyOrRepeatedNameAreRefusedAtValidation) {
    const std::string jsonl = temp_file("sink_columns.jsonl", "{\"a\":1}\n");
    for (const auto& [columns, why] : std::vector<std::pair<std::string, std::string>>{
             {"'a,,a'", "name 2 is empty (names are comma-separated)"},
             {"' '", "name 1 is empty (names are comma-separated)"},
             {"'a, b,a'", "names 'a' twice"}}) {
        SCOPED_TRACE(columns);
        const std::string graph = temp_file(
            "sink_columns.yaml",
            "graph: d\nversion: 1\nnodes:\n  n: { kind: source, op: jsonl, path: '" + jsonl +
                "' }\n"
                "  out: { kind: sink, op: csv, path: '-', columns: " +
                columns + " }\nedges:\n  - n -> out\n");
        const auto result = run_cli("run '" + graph + "'");
        EXPECT_EQ(result.exit_code, 2);
        EXPECT_EQ(result.out, "");
        EXPECT_EQ(result.err, graph + ":5:51: error: parameter 'columns': " + why + "\n");
    }
}

TEST(CsvSink, RefusesADelimiterThatIsNotOneCharacterAtValidation) {
    const std::string jsonl = temp_file("delimiter.jsonl", "{\"a\":1}\n");
    for (const char* bad : {"''", "'\"'", "';;'", "\"\\u00e9\""}) {
        const std::string graph =
            temp_file("csv_delimiter.yaml",
                      "graph: d\nversion: 1\nnodes:\n  n: { kind: source, op: jsonl, "
                      "path: '" +
                          jsonl +
                          "' }\n"
                          "  out: { kind: sink, op: csv, path: '-', delimiter: " +
                          std::string(bad) + " }\nedges:\n  - n -> out\n");
        const auto result = run_cli("validate '" + graph + "'");
        EXPECT_EQ(result.exit_code, 2) << bad;
        EXPECT_NE(result.err.find(":5:53: error: parameter 'delimiter': must be one character, not "
                                  "a quote or a line end"),
                  std::string::npos)
            << bad << ": " << result.err;
    }
}

TEST(CsvSink, RefusesAValueThatIsNotARecordAtValidation) {
    const std::string graph = temp_file("csv_ints.yaml",
                                        "graph: csv_ints\nversion: 1\nnodes:\n"
                                        "  n:   { kind: source, op: range, count: 3 }\n"
                                        "  out: { kind: sink, op: csv, path: '-' }\n"
                                        "edges:\n  - n -> out\n");
    const auto result = run_cli("validate '" + graph + "'");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("op 'csv' takes record values, but node 'n' gives integer values"),
              std::string::npos)
        << result.err;
}

}  // namespace
