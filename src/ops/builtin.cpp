// The built-in ops: sources, functions and sinks every graph file can name.

#include <flowpool/detail/job_loop.hpp>
#include <flowpool/ops.hpp>
#include <flowpool/pipeline.hpp>
#include "integer_jobs.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "builtin.hpp"
#include "common/line_output.hpp"
#include "common/parse.hpp"
#include "data/json.hpp"
#include "format.hpp"
#include "spin.hpp"

namespace flowpool::detail {
namespace {

/// A function op from a per-job lambda `Value(Value&&)`.
template <class F>
std::unique_ptr<StageBody> value_stage(F f) {
    return std::make_unique<FunctionStage<Value, F>>(std::move(f));
}

/// The graph-file face of the typed API's flowpool::range(): the same generator, batches of Value.
class RangeSource final : public SourceBody {
public:
    RangeSource(std::int64_t count, std::int64_t start)
        : count_(count), generator_(range(count, start)) {}

    BatchPtr next(std::size_t max_jobs, BatchContext&) override {
        const auto [first, n] = generator_.take(max_jobs);
        if (n == 0) return nullptr;
        std::shared_ptr<Items<Value>> batch = pool_.get();
        append_counting(batch->ids, made_, n);
        // The values of the batch's last use, written over: no Value destroyed when the batch
        // retires and built again here (a visit per job, serial on both ends).
        batch->values.swap(batch->spent);
        assign_counting(batch->values, static_cast<std::uint64_t>(first), n);
        made_ += n;
        return batch;
    }

    std::uint64_t expected_jobs() const noexcept override {
        return count_ > 0 ? static_cast<std::uint64_t>(count_) : 0;
    }

    std::size_t job_bytes() const noexcept override {
        return sizeof(std::uint64_t) + sizeof(Value);
    }

    bool waits() const noexcept override { return false; }

private:
    std::int64_t count_;
    RangeGenerator generator_;
    std::uint64_t made_ = 0;
    BatchPool<Value> pool_{64, true};  // a retired batch's values kept, as Items::spent
};

LineOutput& redirected_or_stdout() {
    LineOutput* redirected = LineOutput::redirected();
    return redirected != nullptr ? *redirected : LineOutput::stdout_lines();
}

class SummarySink final : public SinkBody {
public:
    /// Its one line, for all the jobs, is written at the end.
    bool holds_back() const noexcept override { return true; }

    void consume(const BatchPtr& in, BatchContext& ctx) override {
        // Summed in locals, which stay in registers, and added to the members once a batch.
        std::uint64_t sum = 0;
        std::uint64_t count = 0;
        auto add = [&sum, &count](std::int64_t v) noexcept {
            sum += static_cast<std::uint64_t>(v);
            ++count;
        };
        consume_integers(in, ctx, add);
        sum_ += sum;
        count_ += count;
    }
    void finish() override {
        out_.write("count=" + std::to_string(count_) + " sum=" + std::to_string(sum_) + "\n");
    }

private:
    LineOutput& out_ = redirected_or_stdout();
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
};

/// range's count: its last value, start + count - 1, must be an integer too.
void check_range_end(const std::string& count_text, const Params& p) {
    const std::int64_t count = parse_integer(count_text).value_or(0);
    const std::int64_t start = p.integer("start");
    if (count > 0 && start > std::numeric_limits<std::int64_t>::max() - (count - 1)) {
        throw std::invalid_argument("from start " + std::to_string(start) + ", " +
                                    std::to_string(count) +
                                    " values run past the largest integer, " +
                                    std::to_string(std::numeric_limits<std::int64_t>::max()));
    }
}

}  // namespace

void check_positive(const std::string& text) {
    if (parse_integer(text).value_or(0) < 1) {
        throw std::invalid_argument("must be at least 1");
    }
}

void check_non_negative(const std::string& text) {
    if (parse_integer(text).value_or(0) < 0) {
        throw std::invalid_argument("must be 0 or more");
    }
}

void check_milliseconds(const std::string& text) {
    const auto ms = parse_integer(text);
    if (ms.value_or(0) < 0) throw std::invalid_argument("must be 0 or more");
    if (ms && *ms > max_wait_ms) {
        throw std::invalid_argument("must be at most " + std::to_string(max_wait_ms) +
                                    " (about 31 years)");
    }
}

void check_names(const std::string& text) {
    if (text.empty()) return;  // none: the parameter's default
    std::vector<std::string> names;
    for (std::size_t start = 0;;) {
        const std::size_t comma = text.find(',', start);
        // split_names trims a name as the op will read it, and drops it if nothing is left.
        std::vector<std::string> name = split_names(text.substr(start, comma - start));
        if (name.empty())
            throw std::invalid_argument("name " + std::to_string(names.size() + 1) +
                                        " is empty (names are comma-separated)");
        if (std::find(names.begin(), names.end(), name.front()) != names.end())
            throw std::invalid_argument("names '" + name.front() + "' twice");
        names.push_back(std::move(name.front()));
        if (comma == std::string::npos) return;
        start = comma + 1;
    }
}

std::string described(const Value& value) {
    constexpr std::size_t most = 60;
    std::string json;
    append_json_value(json, value);
    if (json.size() > most) json = json.substr(0, most) + "...";
    if (value.is_null()) return json;
    return "the " + std::string(value.type_name()) + " " + json;
}

std::int64_t integer_value(const Value& value) {
    if (const auto* n = std::get_if<std::int64_t>(&value)) return *n;
    throw std::invalid_argument("expected an integer value, got " + described(value));
}

std::string& string_value(Value& value) {
    if (auto* text = std::get_if<std::string>(&value)) return *text;
    throw std::invalid_argument("expected a string value, got " + described(value));
}

void add_builtin_ops(OpRegistry& ops) {
    ops.add({.name = "range",
             .kind = NodeKind::source,
             .description = "the integers start, start+1, ..., start+count-1",
             .params = {{.name = "count",
                         .type = ParamType::integer,
                         .description = "how many jobs",
                         .check = check_non_negative,
                         .check_with_others = check_range_end},
                        {"start", ParamType::integer, "0", "the first value", {}}},
             .gives = ValueType::integer,
             .make_source = [](const Params& p) -> std::unique_ptr<SourceBody> {
                 return std::make_unique<RangeSource>(p.integer("count"), p.integer("start"));
             },
             .stable_ids = true});
    ops.add({.name = "multiply",
             .kind = NodeKind::function,
             .description = "value * factor (wrapping on overflow)",
             .params = {{"factor", ParamType::integer, std::nullopt, "the multiplier", {}}},
             .takes = ValueType::integer,
             .gives = ValueType::integer,
             .make_stage = [](const Params& p) {
                 const auto factor = static_cast<std::uint64_t>(p.integer("factor"));
                 return integer_stage([factor](std::int64_t v) noexcept {
                     return static_cast<std::int64_t>(static_cast<std::uint64_t>(v) * factor);
                 });
             }});
    ops.add(
        {.name = "spin",
         .kind = NodeKind::function,
         .description = "a deterministic CPU load of `iterations` xorshift rounds (for benchmarks)",
         .params = {{"iterations", ParamType::integer, std::nullopt, "rounds per job", {}}},
         .takes = ValueType::integer,
         .gives = ValueType::integer,
         .make_stage = [](const Params& p) {
             return integer_stage(
                 [k = p.integer("iterations")](std::int64_t v) noexcept { return spin(v, k); });
         }});
    ops.add(
        {.name = "fail",
         .kind = NodeKind::function,
         .description =
             "passes values on, but fails the job whose value is `value` (to try error handling)",
         .params = {{"value", ParamType::integer, std::nullopt, "the value whose job fails", {}}},
         .takes = ValueType::integer,
         .gives = ValueType::integer,
         .make_stage = [](const Params& p) {
             return value_stage([bad = p.integer("value")](Value&& v) -> Value {
                 if (integer_value(v) == bad)
                     throw std::runtime_error("value " + std::to_string(bad) + " fails by request");
                 return std::move(v);
             });
         }});
    ops.add(
        {.name = "print",
         .kind = NodeKind::sink,
         .description = "one line per job on standard output",
         .params = {{"format", ParamType::string, "Result: Job {id} Value {value}",
                     "the line: {id}, {value}, {value.FIELD}, {value.LIST[N]}, {worker}, {node}",
                     check_format},
                    {"newlines", ParamType::string, "space",
                     "a string value's newlines: space (one job, one line) or keep (as they "
                     "are: a job's text may be several lines, as flowpool exec prints a "
                     "program's)",
                     [](const std::string& text) {
                         if (text != "space" && text != "keep")
                             throw std::invalid_argument("must be space or keep");
                     }}},
         .takes = ValueType::any,
         .make_sink =
             [](const Params& p) {
                 return format_sink("-", p.string("format"), p.string("newlines") == "keep");
             },
         .reads_fields = format_reads_fields});
    ops.add(
        {.name = "summary",
         .kind = NodeKind::sink,
         .description = "one line at the end: count=<jobs> sum=<sum of values, wrapping at 2^64>",
         .params = {},
         .takes = ValueType::integer,
         .make_sink = [](const Params&) -> std::unique_ptr<SinkBody> {
             return std::make_unique<SummarySink>();
         }});
}

}  // namespace flowpool::detail
