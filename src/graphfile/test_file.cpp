// Reads a test file into a TestFile: which keys, which shapes, each remembering its
// FILE:LINE:COL, as the graph-file loader does. What the names mean (a source, a sink) is
// checked against the graph when a case runs (graph_test.cpp).

#include "test_file.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "common/parse.hpp"
#include "common/suggest.hpp"
#include "problems.hpp"
#include "read_text.hpp"
#include "yaml_document.hpp"

namespace flowpool::detail {
namespace {

const std::vector<std::string> top_keys = {"graph", "tests"};
const std::vector<std::string> case_keys = {"name", "inputs", "set", "expect", "ordered"};
const std::vector<std::string> expect_keys = {"lines", "ordered", "count", "contains"};

std::string shape(const YAML::Node& node) {
    if (node.IsMap()) return "map";
    if (node.IsSequence()) return "list";
    if (node.IsNull()) return "missing value";
    return "value";
}

/// A plain scalar as YAML 1.2's core schema reads it; a quoted one is a string.
Value scalar_value(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    if (node.Tag() == "!") return text;  // quoted
    if (text == "null" || text == "~" || text.empty()) return nullptr;
    if (text == "true") return true;
    if (text == "false") return false;
    if (const auto n = parse_integer(text)) return *n;
    char* end = nullptr;
    const double number = std::strtod(text.c_str(), &end);
    if (end == text.c_str() + text.size() && text.find_first_of("0123456789") == 0) return number;
    return text;
}

/// A map as a record (a key repeated: its last value), a list as a list, recursively.
Value structured(const YAML::Node& node) {
    if (node.IsScalar()) return scalar_value(node);
    if (node.IsSequence()) {
        List list;
        for (const auto& item : node) list.push_back(structured(item));
        return list;
    }
    if (node.IsMap()) {
        Record record;
        for (const auto& entry : node) {
            if (entry.first.IsScalar()) record.set(entry.first.Scalar(), structured(entry.second));
        }
        return record;
    }
    return nullptr;
}

/// True if every key of every map in @p node is a scalar.
bool has_names_only(const YAML::Node& node) {
    if (node.IsSequence()) {
        for (const auto& item : node) {
            if (!has_names_only(item)) return false;
        }
    } else if (node.IsMap()) {
        for (const auto& entry : node) {
            if (!entry.first.IsScalar() || !has_names_only(entry.second)) return false;
        }
    }
    return true;
}

class TestLoader {
public:
    TestLoader(std::string file, std::string text)
        : file_(std::move(file)), text_(std::move(text)) {}

    TestFile load() {
        check_utf8_text(text_, file_);
        YAML::Node root;
        try {
            root = only_document(text_, file_);
        } catch (const YAML::DeepRecursion& e) {
            throw ConfigError(at(e.mark), "YAML nested too deeply");
        } catch (const YAML::Exception& e) {
            throw ConfigError(at(e.mark), "invalid YAML: " + e.msg);
        }
        if (root.IsNull()) throw ConfigError(SourceLocation{file_, 1, 1}, "the file is empty");
        if (!root.IsMap())
            throw ConfigError(at(root.Mark()),
                              "a test file is a map with keys "
                              "graph and tests");
        TestFile tests;
        tests.file = file_;
        bool has_graph = false;
        for (const auto& [key, value] : entries(root, top_keys, "")) {
            if (key == "graph") {
                has_graph = true;
                tests.graph_where = at(value.Mark());
                if (auto path = scalar(value, "graph")) tests.graph = relative_to_file(*path);
            } else if (value.IsSequence()) {
                for (const auto& item : value) tests.cases.push_back(read_case(item));
            } else {
                problem(value.Mark(), "'tests' must be a list of cases, not a " + shape(value));
            }
        }
        if (!has_graph) problem(root.Mark(), "the file has no 'graph'");
        if (tests.cases.empty() && problems_.empty()) {
            problem(root.Mark(), "the file has no cases under 'tests'");
        }
        throw_problems(problems_);
        return tests;
    }

private:
    SourceLocation at(const YAML::Mark& mark) const { return location(file_, mark); }
    void problem(const YAML::Mark& mark, std::string message) {
        problems_.push_back({at(mark), std::move(message)});
    }

    /// A map's entries whose keys are names among @p known, each once; a problem for the others.
    std::vector<std::pair<std::string, YAML::Node>> entries(const YAML::Node& map,
                                                            const std::vector<std::string>& known,
                                                            const std::string& in) {
        std::vector<std::pair<std::string, YAML::Node>> found;
        std::map<std::string, YAML::Mark> seen;
        for (const auto& entry : map) {
            if (!entry.first.IsScalar()) {
                problem(entry.first.Mark(),
                        "a key" + in + " must be a name, not a " + shape(entry.first));
                continue;
            }
            const std::string& key = entry.first.Scalar();
            if (!seen.emplace(key, entry.first.Mark()).second) {
                problem(entry.first.Mark(), "duplicate key '" + key + "'" + in);
            } else if (!known.empty() &&
                       std::find(known.begin(), known.end(), key) == known.end()) {
                problem(entry.first.Mark(),
                        "unknown key '" + key + "'" + in + did_you_mean(key, known));
            } else {
                found.emplace_back(key, entry.second);
            }
        }
        return found;
    }

    std::optional<std::string> scalar(const YAML::Node& node, const std::string& what) {
        if (node.IsScalar()) return node.Scalar();
        problem(node.Mark(), what + " must be a single value, not a " + shape(node));
        return std::nullopt;
    }

    /// @p path, relative to the test file's directory, as found from the working directory.
    std::string relative_to_file(const std::string& path) const {
        const std::filesystem::path p(path);
        if (p.is_absolute()) return path;
        return (std::filesystem::path(file_).parent_path() / p).lexically_normal().string();
    }

    TestCase read_case(const YAML::Node& node) {
        TestCase test;
        test.where = at(node.Mark());
        if (!node.IsMap()) {
            problem(node.Mark(),
                    "a case is a map with name, inputs and expect, not a " + shape(node));
            return test;
        }
        std::optional<bool> ordered;
        const YAML::Node* expect = nullptr;
        const auto fields = entries(node, case_keys, " in a case");
        for (const auto& [key, value] : fields) {
            if (key == "name") {
                if (auto name = scalar(value, "'name'")) test.name = *name;
            } else if (key == "inputs") {
                read_inputs(value, test);
            } else if (key == "set") {
                read_sets(value, test);
            } else if (key == "ordered") {
                ordered = boolean(value, "'ordered'");
            } else {
                expect = &value;
            }
        }
        if (test.name.empty()) problem(node.Mark(), "the case has no 'name'");
        if (expect == nullptr) {
            problem(node.Mark(), "case '" + test.name + "' has no 'expect'");
        } else {
            read_expects(*expect, ordered.value_or(false), test);
        }
        return test;
    }

    bool boolean(const YAML::Node& node, const std::string& what) {
        const std::optional<std::string> text = scalar(node, what);
        if (text && *text != "true" && *text != "false") {
            problem(node.Mark(), what + " must be true or false, not '" + *text + "'");
        }
        return text && *text == "true";
    }

    void read_inputs(const YAML::Node& node, TestCase& test) {
        if (!node.IsMap()) {
            problem(node.Mark(),
                    "'inputs' must map source nodes to their values, not a " + shape(node));
            return;
        }
        for (const auto& [name, given] : entries(node, {}, " in 'inputs'")) {
            TestInput input;
            input.node = name;
            input.where = key_where(node, name);
            if (given.IsSequence()) {
                for (const auto& item : given) input.values.push_back(test_value(item));
            } else if (given.IsMap()) {
                for (const auto& [key, file] : entries(given, {"file"}, " in an input")) {
                    input.file_where = at(file.Mark());
                    if (auto path = scalar(file, "'file'")) input.file = relative_to_file(*path);
                }
                if (input.file.empty())
                    problem(given.Mark(),
                            "an input is a list of values or "
                            "{file: PATH}");
            } else {
                problem(given.Mark(), "the input of '" + name +
                                          "' must be a list of values or {file: PATH}, not a " +
                                          shape(given));
            }
            test.inputs.push_back(std::move(input));
        }
    }

    /// Where key @p name of @p map is written.
    SourceLocation key_where(const YAML::Node& map, const std::string& name) const {
        for (const auto& entry : map) {
            if (entry.first.IsScalar() && entry.first.Scalar() == name) {
                return at(entry.first.Mark());
            }
        }
        return at(map.Mark());
    }

    TestValue test_value(const YAML::Node& node) {
        TestValue v;
        v.where = at(node.Mark());
        if (node.IsScalar() || node.IsNull()) {
            v.text = node.IsScalar() ? node.Scalar() : "";
            v.value = node.IsScalar() ? scalar_value(node) : Value(nullptr);
            return v;
        }
        v.scalar = false;
        v.value = structured(node);
        if (!has_names_only(node)) problem(node.Mark(), "a record's field names are names");
        return v;
    }

    void read_sets(const YAML::Node& node, TestCase& test) {
        if (!node.IsMap()) {
            problem(node.Mark(), "'set' must map NODE.PARAM to values, not a " + shape(node));
            return;
        }
        for (const auto& [key, value] : entries(node, {}, " in 'set'")) {
            const SourceLocation where = key_where(node, key);
            if (value.IsScalar()) {
                test.sets.push_back({key + "=" + value.Scalar(), where});
            } else if (value.IsSequence() || value.IsMap()) {
                // A list or map as `--set` takes it: YAML flow text.
                YAML::Emitter flow;
                flow << YAML::Flow << value;
                test.sets.push_back({key + "=" + flow.c_str(), where});
            } else {
                problem(value.Mark(), "'" + key + "' in 'set' has no value");
            }
        }
    }

    void read_expects(const YAML::Node& node, bool ordered, TestCase& test) {
        if (!node.IsMap()) {
            problem(node.Mark(),
                    "'expect' must map sink nodes to what they receive, not a " + shape(node));
            return;
        }
        for (const auto& [name, wanted] : entries(node, {}, " in 'expect'")) {
            TestExpectation expect;
            expect.sink = name;
            expect.where = key_where(node, name);
            expect.ordered = ordered;
            if (wanted.IsSequence()) {
                expect.lines = lines(wanted);
            } else if (wanted.IsMap()) {
                read_expectation(wanted, expect);
            } else {
                problem(wanted.Mark(), "what '" + name +
                                           "' receives is a list of lines or a map with lines, "
                                           "count or contains, not a " +
                                           shape(wanted));
            }
            test.expects.push_back(std::move(expect));
        }
    }

    void read_expectation(const YAML::Node& node, TestExpectation& expect) {
        const auto fields = entries(node, expect_keys, " in an expectation");
        bool checks = false;  // lines, count or contains is given
        for (const auto& [key, value] : fields) {
            checks = checks || key != "ordered";
            if (key == "lines") {
                if (value.IsSequence()) {
                    expect.lines = lines(value);
                } else {
                    problem(value.Mark(), "'lines' must be a list, not a " + shape(value));
                }
            } else if (key == "ordered") {
                expect.ordered = boolean(value, "'ordered'");
            } else if (key == "count") {
                const std::optional<std::string> text = scalar(value, "'count'");
                const auto n = text ? parse_integer(*text) : std::nullopt;
                if (text && (!n || *n < 0)) {
                    problem(value.Mark(), "'count' must be a whole number, not '" + *text + "'");
                } else if (n) {
                    expect.count = static_cast<std::size_t>(*n);
                }
            } else if (value.IsSequence()) {
                expect.contains = lines(value);
            } else if (auto line = scalar(value, "'contains'")) {
                expect.contains.push_back(*line);
            }
        }
        if (!checks) {
            problem(node.Mark(), "an expectation needs lines, count or contains");
        }
    }

    /// A list of lines: single values, as written.
    std::vector<std::string> lines(const YAML::Node& list) {
        std::vector<std::string> all;
        for (const auto& item : list) {
            if (auto line = scalar(item, "an expected line")) all.push_back(*line);
        }
        return all;
    }

    std::string file_;
    std::string text_;
    std::vector<ConfigError::Problem> problems_;
};

}  // namespace

std::optional<Value> read_value(const std::string& text) {
    try {
        const YAML::Node node = YAML::Load(text);
        if (!has_names_only(node)) return std::nullopt;
        return structured(node);
    } catch (const YAML::Exception&) {
        return std::nullopt;
    }
}

TestFile load_test_file(const std::string& path) {
    return TestLoader(path, read_graph_text(path)).load();
}

}  // namespace flowpool::detail
