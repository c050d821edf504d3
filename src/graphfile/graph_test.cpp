// A test case on its graph: the case checked against the graph's nodes, stand-ins swapped in for
// the ops of the sources it gives values and of every sink (resolve time: the nodes keep their
// parameters, policies and edges), the graph run in-process, and what each sink received
// compared with what the case expects.

#include "graph_test.hpp"

#include <flowpool/detail/job_loop.hpp>

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>
#include <memory>

#include "common/line_output.hpp"
#include "common/suggest.hpp"
#include "compare_lines.hpp"
#include "ops/format.hpp"
#include "resolve.hpp"

namespace flowpool::detail {
namespace {

/// A source's stand-in: the values a test case gives it, ids from 0.
class ValuesSource final : public SourceBody {
public:
    explicit ValuesSource(std::vector<Value> values) : values_(std::move(values)) {}

    BatchPtr next(std::size_t max_jobs, BatchContext&) override {
        if (next_ == values_.size()) return nullptr;
        auto batch = std::make_shared<Items<Value>>();
        while (next_ < values_.size() && batch->size() < std::max<std::size_t>(max_jobs, 1)) {
            batch->ids.push_back(next_);
            batch->values.push_back(values_[next_++]);
        }
        return batch;
    }
    std::uint64_t expected_jobs() const noexcept override { return values_.size(); }

private:
    std::vector<Value> values_;
    std::size_t next_ = 0;
};

/// A sink that writes no lines of its own (a stream's): its stand-in keeps each value as text,
/// as `{value}` shows it.
class ValueLines final : public SinkBody {
public:
    explicit ValueLines(LineOutput& out) : out_(out) {}

    void consume(const BatchPtr& in, BatchContext& ctx) override {
        std::string text;
        auto line = [&](Value&& v, const JobContext& job) { format_.render(text, job, v); };
        consume_jobs<Value>(in, ctx, line);
        out_.write(text);
    }

private:
    LineOutput& out_;
    LineFormat format_{"{value}"};
};

/// The values @p input gives a source whose op gives @p gives, as that op would give them: text
/// for a source of strings, integers for one of integers, records for one of records (a
/// problem for each value that is not one).
std::vector<Value> input_values(const TestInput& input, const ValueType& gives,
                                std::vector<ConfigError::Problem>& problems) {
    std::vector<TestValue> given = input.values;
    if (!input.file.empty()) {
        std::ifstream in(input.file, std::ios::binary);
        if (!in) {
            problems.push_back({input.file_where, "cannot read input file '" + input.file + "'"});
            return {};
        }
        int number = 0;
        for (std::string line; std::getline(in, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            const SourceLocation where{input.file, ++number, 1};
            const std::optional<Value> value = read_value(line);
            given.push_back({line, value.value_or(Value(line)), true, where});
        }
    }
    std::vector<Value> values;
    for (const TestValue& v : given) {
        const auto wrong = [&](const char* type) {
            problems.push_back({v.where, "source '" + input.node + "' gives " + type + ", not a " +
                                             std::string(v.value.type_name())});
        };
        if (gives == ValueType::string) {
            if (!v.scalar) wrong("strings");
            values.emplace_back(v.text);
        } else if (gives == ValueType::integer) {
            if (!std::holds_alternative<std::int64_t>(v.value)) wrong("integers");
            values.push_back(v.value);
        } else if (gives == ValueType::record) {
            if (v.value.record() == nullptr) wrong("records");
            values.push_back(v.value);
        } else {
            values.push_back(v.value);
        }
    }
    return values;
}

/// The node named @p name, or nullptr (and a problem at @p where).
ResolvedNode* find_node(std::vector<ResolvedNode>& nodes, const std::string& name,
                        const SourceLocation& where, std::vector<ConfigError::Problem>& problems) {
    for (ResolvedNode& node : nodes) {
        if (node.spec->name == name) return &node;
    }
    std::vector<std::string> names;
    for (const ResolvedNode& node : nodes) names.push_back(node.spec->name);
    problems.push_back({where, "the graph has no node '" + name + "'" + did_you_mean(name, names)});
    return nullptr;
}

/// The stand-ins of one run, and the lines each sink wrote.
class StandIns {
public:
    /// Makes @p node (a source) give @p values.
    void give(ResolvedNode& node, std::vector<Value> values) {
        OpInfo& op = ops_.emplace_back(*node.op);
        op.make_source = [values = std::move(values)](const Params&) {
            return std::make_unique<ValuesSource>(values);
        };
        op.parses = false;  // the values are given parsed
        op.fails_jobs_as_read = false;
        op.projection.clear();
        node.op = &op;
    }

    /// Makes @p node (a sink) write its lines to memory: its own lines if it writes lines (its
    /// op's body is made under a SinkRedirect), else its values as text.
    void capture(ResolvedNode& node) {
        LineOutput& out = lines_[node.spec->name];
        if (node.op->quoted_line_ends) quoted_.push_back(node.spec->name);
        OpInfo& op = ops_.emplace_back(*node.op);
        op.make_sink = [real = node.op->make_sink, &out](const Params& params) {
            std::unique_ptr<SinkBody> body;
            {
                const SinkRedirect redirect(out);
                body = real(params);
                if (redirect.taken()) return body;
            }
            return std::unique_ptr<SinkBody>(std::make_unique<ValueLines>(out));
        };
        node.op = &op;
    }

    /// The lines sink @p name wrote; a CSV sink's rows, whose quoted fields may hold line ends.
    [[nodiscard]] std::vector<std::string> lines(const std::string& name) const {
        const bool quoted = std::count(quoted_.begin(), quoted_.end(), name) != 0;
        return lines_.at(name).lines(quoted);
    }

private:
    std::deque<OpInfo> ops_;
    std::map<std::string, LineOutput> lines_;
    std::vector<std::string> quoted_;  // the sinks whose lines are CSV rows
};

}  // namespace

GraphUnderTest::GraphUnderTest(const TestFile& tests) : graph_(load_graph_file(tests.graph)) {
    load_plugins(graph_, ops_);
}

CaseResult GraphUnderTest::run(const TestCase& test) const {
    GraphSpec graph = graph_;
    for (const TestSet& set : test.sets) set_param(graph, set.assignment, set.where);
    std::vector<ResolvedNode> nodes = resolve(graph, ops_);
    std::vector<ConfigError::Problem> problems;
    StandIns stand_ins;
    std::vector<std::string> given;
    for (const TestInput& input : test.inputs) {
        ResolvedNode* node = find_node(nodes, input.node, input.where, problems);
        if (node == nullptr) continue;
        if (node->kind != NodeKind::source) {
            problems.push_back({input.where, "node '" + input.node + "' is a " + node->spec->kind +
                                                 "; only a source takes inputs"});
            continue;
        }
        stand_ins.give(*node, input_values(input, node->op->gives, problems));
        given.push_back(input.node);
    }
    for (const TestExpectation& expect : test.expects) {
        const ResolvedNode* node = find_node(nodes, expect.sink, expect.where, problems);
        if (node != nullptr && node->kind != NodeKind::sink) {
            problems.push_back({expect.where, "node '" + expect.sink + "' is a " +
                                                  node->spec->kind +
                                                  "; only a sink's lines can be expected"});
        }
    }
    for (ResolvedNode& node : nodes) {
        if (node.kind == NodeKind::sink) stand_ins.capture(node);
        const bool replaced = std::count(given.begin(), given.end(), node.spec->name) != 0;
        if (node.kind != NodeKind::source || replaced || !node.op->reads_input_once) continue;
        if (const auto what = node.op->reads_input_once(node.params)) {
            problems.push_back({test.where, "source '" + node.spec->name + "' reads " + *what +
                                                "; give it values under 'inputs'"});
        }
    }
    if (!problems.empty()) throw ConfigError(std::move(problems));

    const RunResult result = run_resolved(std::move(nodes), graph, RunOptions{});
    CaseResult outcome;
    if (result.error)
        outcome.report.push_back("the run failed: " + std::string(result.error->what()));
    for (const TestExpectation& expect : test.expects) {
        compare_lines(expect, stand_ins.lines(expect.sink), outcome.report);
    }
    outcome.passed = outcome.report.empty();
    return outcome;
}

}  // namespace flowpool::detail
