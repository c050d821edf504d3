#pragma once
// A graph file's unit tests (`flowpool test`), as a test file (`NAME.test.yaml`) writes them: the
// graph under test, and cases that give sources values and say what sinks must receive.
//
//   graph: ../grep_log.yaml
//   tests:
//     - name: keeps only errors
//       inputs: { log: ["2024 ERROR disk full", "2024 INFO started"] }
//       expect: { found: ["#0 2024 ERROR disk full"] }

#include <flowpool/error.hpp>
#include <flowpool/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace flowpool::detail {

/// One value given to a source, as written: its text (a scalar's) and its YAML reading (an
/// integer, a float, a bool, null or a string; a map a record, a list a list).
struct TestValue {
    std::string text;      ///< a scalar's text as written; empty for a map or list
    Value value;           ///< what YAML reads
    bool scalar = true;    ///< false for a map or list
    SourceLocation where;  ///< where it is written
};

/// What a source gives instead of what it would read: values, or the lines of a file.
struct TestInput {
    std::string node;               ///< the source
    SourceLocation where;           ///< where its name is written
    std::vector<TestValue> values;  ///< the values, in order (unless `file` is set)
    std::string file;               ///< a file whose lines are the values, relative to the test
                                    ///< file's directory; empty: `values`
    SourceLocation file_where;      ///< where the file is written
};

/// What one sink must receive: its lines (each without '\n') exactly, how many, or some lines
/// among others.
struct TestExpectation {
    std::string sink;                               ///< the sink
    SourceLocation where;                           ///< where its name is written
    std::optional<std::vector<std::string>> lines;  ///< every line, and only these
    bool ordered = false;                           ///< `lines` in this order (else in any)
    std::optional<std::size_t> count;               ///< how many lines
    std::vector<std::string> contains;              ///< lines that must be among those received
};

/// A parameter override, `NODE.PARAM: VALUE`, as `--set` takes it.
struct TestSet {
    std::string assignment;  ///< `NODE.PARAM=VALUE`
    SourceLocation where;    ///< where it is written
};

/// One case.
struct TestCase {
    std::string name;                      ///< as written
    SourceLocation where;                  ///< where the case starts
    std::vector<TestInput> inputs;         ///< in file order
    std::vector<TestSet> sets;             ///< in file order
    std::vector<TestExpectation> expects;  ///< in file order
};

/// A test file.
struct TestFile {
    std::string file;             ///< the path it was read from
    std::string graph;            ///< the graph under test, as found from the working directory
    SourceLocation graph_where;   ///< where `graph:` is written
    std::vector<TestCase> cases;  ///< in file order
};

/// Reads a test file. Throws ConfigError listing every problem (FILE:LINE:COL): bad YAML, an
/// unknown or missing key, a value of the wrong shape.
TestFile load_test_file(const std::string& path);

/// @p text (a line of an input file) read as a test file's values are: `7` an integer, `{"a": 1}`
/// (JSON is YAML) a record; nothing if it is not one YAML value.
std::optional<Value> read_value(const std::string& text);

}  // namespace flowpool::detail
