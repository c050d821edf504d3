// The `aggregate` op: groups jobs by `key`, folds each group's jobs into the functions of
// `fields` (aggregates.hpp), and makes one record per group when its window closes:
//   - the end of the run (the default): each worker keeps its own groups, merged at the end, so
//     aggregating scales with the workers;
//   - `window: {count: N}` after every N jobs taken in, `window: {every_ms: N}` when a batch comes
//     in after the period ended (and at the end): one batch at a time;
//   - `window: {time: EXPR, seconds: N, lateness_seconds: M}`: tumbling windows of event time,
//     closed once a job M seconds past their end came in; a job for a window already closed is
//     late and fails as the node's on_error says (dead_letter or skip keep the run going).
// The groups of a window are made in the order of their first job's id.

#include <flowpool/body.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "aggregates.hpp"
#include "builtin.hpp"
#include "data/json.hpp"
#include "expr/expression.hpp"
#include "expr/values.hpp"
#include "per_worker.hpp"

namespace flowpool::detail {
namespace {

/// One field of the records made: its name, the function, and the expression it is given.
struct FieldPlan {
    std::string name;
    Accumulator fresh;                    // copied to start a group
    std::optional<expr::Expression> arg;  // none for count()
};

/// One group: its key, its first job (groups are made in that order), its functions' states.
struct Group {
    Value key;
    std::uint64_t first_id = 0;
    std::vector<Accumulator> fields;
    std::string failure;  ///< why its workers' shares could not be merged; it then fails alone
};

/// The groups of one window (or of one worker's share of it).
class Groups {
public:
    /// The group of @p key, or null.
    Group* find(const Value& key) {
        const auto it = groups_.find(key);
        return it == groups_.end() ? nullptr : &it->second;
    }

    Group& find_or_add(const Value& key, std::uint64_t id, const std::vector<FieldPlan>& plan) {
        auto it = groups_.find(key);
        if (it == groups_.end()) {
            Group group{key, id, {}, {}};
            group.fields.reserve(plan.size());
            for (const FieldPlan& field : plan) group.fields.push_back(field.fresh);
            it = groups_.emplace(key, std::move(group)).first;
        }
        it->second.first_id = std::min(it->second.first_id, id);
        return it->second;
    }

    /// Folds @p other's groups into these.
    void merge(const Groups& other, const std::vector<FieldPlan>& plan) {
        for (const auto& [key, theirs] : other.groups_) {
            Group& mine = find_or_add(key, theirs.first_id, plan);
            if (theirs.first_id < mine.first_id) {  // the group's first job, and its key as it was
                mine.first_id = theirs.first_id;
                mine.key = theirs.key;
            }
            if (!mine.failure.empty()) continue;
            if (!theirs.failure.empty()) {
                mine.failure = theirs.failure;
                continue;
            }
            // min and max of strings in one share and numbers in another: that group fails,
            // not the window.
            for (std::size_t i = 0; i < mine.fields.size(); ++i) {
                try {
                    mine.fields[i].merge(theirs.fields[i]);
                } catch (const std::exception& error) {
                    mine.failure = "field '" + plan[i].name + "': " + error.what();
                    break;
                }
            }
        }
    }

    /// The groups by first job, then forgotten.
    std::vector<Group> take() {
        std::vector<Group> all;
        all.reserve(groups_.size());
        for (auto& [key, group] : groups_) all.push_back(std::move(group));
        groups_.clear();
        std::sort(all.begin(), all.end(),
                  [](const Group& a, const Group& b) { return a.first_id < b.first_id; });
        return all;
    }

    [[nodiscard]] bool empty() const noexcept { return groups_.empty(); }

private:
    std::unordered_map<Value, Group, std::hash<Value>, expr::KeyEqual> groups_;
};

/// When a window closes.
struct Window {
    std::int64_t count = 0;                // jobs per window; 0: not by count
    std::int64_t every_ms = 0;             // milliseconds per window; 0: not by time
    std::optional<expr::Expression> time;  // event time, in seconds
    double seconds = 0;
    double lateness = 0;

    [[nodiscard]] bool whole_run() const noexcept { return count == 0 && every_ms == 0 && !time; }
};

class AggregateStage final : public StageBody {
public:
    AggregateStage(std::optional<expr::Expression> key, std::vector<FieldPlan> fields,
                   Window window)
        : key_(std::move(key)), fields_(std::move(fields)), window_(std::move(window)) {
        // Functions of the same expression (`mean(.latency_ms)` and `p99(.latency_ms)`) share
        // one evaluation of it per job.
        for (const FieldPlan& field : fields_) {
            std::size_t slot = no_arg;
            if (field.arg) {
                const auto same = [this, &field](std::size_t other) {
                    return fields_[other].arg->text() == field.arg->text();
                };
                slot = static_cast<std::size_t>(
                    std::find_if(distinct_args_.begin(), distinct_args_.end(), same) -
                    distinct_args_.begin());
                if (slot == distinct_args_.size()) distinct_args_.push_back(slot_of_.size());
            }
            slot_of_.push_back(slot);
        }
    }

    bool holds_back() const noexcept override { return true; }
    /// A window's jobs are the ones that came before it closed: in the source's order, so that
    /// what a count window holds, and which jobs are late, does not depend on which worker
    /// upstream finished first.
    bool in_source_order() const noexcept override { return !window_.whole_run(); }

    BatchPtr process(const BatchPtr& in, BatchContext& ctx) override {
        auto& jobs = static_cast<Items<Value>&>(*in);
        if (window_.whole_run()) {
            Groups& mine = shares_.share(ctx.worker());
            for (std::size_t i = 0; i < jobs.size(); ++i)
                fold(mine, jobs.values[i], jobs.ids[i], ctx);
            return nullptr;
        }
        const std::lock_guard lock(mutex_);
        auto out = std::make_shared<Items<Value>>();
        out->derive_from(*in);
        if (window_.every_ms != 0) close_if_due(*out, ctx);
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            if (window_.time) {
                fold_in_time(jobs.values[i], jobs.ids[i], *out, ctx);
                continue;
            }
            fold(open_, jobs.values[i], jobs.ids[i], ctx);
            if (window_.count != 0 && ++in_window_ == window_.count) {
                emit(open_, *out, ctx, nullptr);
                in_window_ = 0;
            }
        }
        return out;
    }

    BatchPtr flush(BatchContext& ctx) override {
        auto out = std::make_shared<Items<Value>>();
        if (window_.whole_run()) {
            Groups all;
            for (const Groups& share : shares_.all()) all.merge(share, fields_);
            emit(all, *out, ctx, nullptr);
        } else if (window_.time) {
            for (auto& [start, groups] : by_time_) emit(groups, *out, ctx, &start);
            by_time_.clear();
        } else {
            emit(open_, *out, ctx, nullptr);
        }
        return out;
    }

private:
    /// Adds one job to its group in @p groups; a job whose key or fields cannot be computed, or
    /// that a function cannot take, fails alone, leaving its group as it was (true if it was
    /// folded).
    bool fold(Groups& groups, const Value& value, std::uint64_t id, BatchContext& ctx) {
        try {
            const expr::Env env{value, id};
            Value key_scratch;
            const Value& key = key_ ? key_->eval_ref(env, key_scratch) : null_;
            // By reference: a field of the job's record is read where it lies, not copied; only
            // a value an expression computes goes into its scratch Value.
            Args& args = args_;
            args.scratch.resize(distinct_args_.size());
            args.values.resize(distinct_args_.size());
            for (std::size_t j = 0; j < distinct_args_.size(); ++j)
                args.values[j] = &fields_[distinct_args_[j]].arg->eval_ref(env, args.scratch[j]);
            const auto arg = [this, &args](std::size_t i) -> const Value& {
                return slot_of_[i] == no_arg ? null_ : *args.values[slot_of_[i]];
            };
            // Every function takes the job, or none does: a count must not hold a job whose sum
            // failed. A group is made only for a job it takes.
            Group* group = groups.find(key);
            for (std::size_t i = 0; i < fields_.size(); ++i) {
                (group ? group->fields[i] : fields_[i].fresh).check(arg(i));
            }
            if (group == nullptr) {
                group = &groups.find_or_add(key, id, fields_);
            } else {
                group->first_id = std::min(group->first_id, id);
            }
            for (std::size_t i = 0; i < fields_.size(); ++i) group->fields[i].add(arg(i), id);
        } catch (const std::exception& error) {
            fail_job(ctx, id, value, error.what());
            return false;
        }
        ctx.jobs_merged(1);
        return true;
    }

    void fold_in_time(const Value& value, std::uint64_t id, Items<Value>& out, BatchContext& ctx);
    void close_if_due(Items<Value>& out, BatchContext& ctx);
    void emit(Groups& groups, Items<Value>& out, BatchContext& ctx, const double* start);

    /// The values of a job's distinct expressions, as fold() found them.
    struct Args {
        std::vector<const Value*> values;
        std::vector<Value> scratch;
    };
    static constexpr std::size_t no_arg = ~std::size_t{0};

    std::optional<expr::Expression> key_;
    std::vector<FieldPlan> fields_;
    std::vector<std::size_t> distinct_args_;  // the first field of each distinct expression
    std::vector<std::size_t> slot_of_;        // per field: its expression's index there, or no_arg
    Window window_;
    const Value null_{nullptr};
    std::mutex mutex_;
    PerWorker<Groups> shares_{Groups{}};  // whole-run windows
    Groups open_;                         // count and every_ms windows
    std::int64_t in_window_ = 0;
    std::chrono::steady_clock::time_point due_ = std::chrono::steady_clock::now();
    std::map<double, Groups> by_time_;  // event-time windows by start
    double watermark_ = -HUGE_VAL;      // windows ending at or before it are closed
    double latest_ = -HUGE_VAL;         // the latest event time seen
    std::atomic<std::uint64_t> next_id_{0};
    static thread_local Args args_;
};

thread_local AggregateStage::Args AggregateStage::args_;

void AggregateStage::fold_in_time(const Value& value, std::uint64_t id, Items<Value>& out,
                                  BatchContext& ctx) {
    double t = 0;
    try {
        const Value when = window_.time->eval({value, id});
        if (const auto* n = std::get_if<std::int64_t>(&when)) {
            t = static_cast<double>(*n);
        } else if (const auto* x = std::get_if<double>(&when); x && std::isfinite(*x)) {
            t = *x + 0.0;  // -0.0 (JSON `-0.0`) is 0: a row or message must not show `-0.0`
        } else {
            throw std::invalid_argument("the event time '" + window_.time->text() + "' gives " +
                                        std::string(when.type_name()) + ", not seconds");
        }
    } catch (const std::exception& error) {
        fail_job(ctx, id, value, error.what());
        return;
    }
    // + 0.0: a time so close below zero that t / seconds rounds to -0.0 starts no window at -0.0.
    const double start = std::floor(t / window_.seconds) * window_.seconds + 0.0;
    if (start + window_.seconds <= watermark_) {
        std::string message = "late: event time ";
        append_json_double(message, t);
        message += " is in a window that closed (watermark ";
        append_json_double(message, watermark_);
        fail_job(ctx, id, value, message + ")");
        return;
    }
    fold(by_time_[start], value, id, ctx);
    latest_ = std::max(latest_, t);
    watermark_ = std::max(watermark_, latest_ - window_.lateness);
    while (!by_time_.empty() && by_time_.begin()->first + window_.seconds <= watermark_) {
        const double closed = by_time_.begin()->first;
        emit(by_time_.begin()->second, out, ctx, &closed);
        by_time_.erase(by_time_.begin());
    }
}

void AggregateStage::close_if_due(Items<Value>& out, BatchContext& ctx) {
    const auto now = std::chrono::steady_clock::now();
    if (now < due_) return;
    emit(open_, out, ctx, nullptr);
    due_ = now + std::chrono::milliseconds(window_.every_ms);
}

// Appends a record per group of @p groups to @p out: key first (if the node has one), then the
// fields; event-time windows add window_start and window_end (seconds).
void AggregateStage::emit(Groups& groups, Items<Value>& out, BatchContext& ctx,
                          const double* start) {
    for (Group& group : groups.take()) {
        Record row;
        row.reserve(fields_.size() + 3);
        if (key_) row.append("key", std::move(group.key));
        if (start) {
            row.append("window_start", *start);
            row.append("window_end", *start + window_.seconds);
        }
        const std::uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
        ctx.jobs_made(1);
        // A group whose result cannot be told (a sum past the float range) fails alone, as the
        // node's on_error says, its record holding what it has (the key, the window).
        std::string failure = std::move(group.failure);
        for (std::size_t i = 0; i < fields_.size() && failure.empty(); ++i) {
            try {
                row.append(fields_[i].name, group.fields[i].result());
            } catch (const std::exception& error) {
                failure = "field '" + fields_[i].name + "': " + error.what();
            }
        }
        if (!failure.empty()) {
            std::string group_name = "the group";
            if (const Value* key = row.find("key")) {
                group_name += " of key ";
                append_json_value(group_name, *key);
            }
            fail_job(ctx, id, Value(std::move(row)), group_name + ": " + failure);
            continue;
        }
        out.ids.push_back(id);
        out.values.emplace_back(std::move(row));
    }
}

std::vector<expr::CallShape> aggregate_shapes() {
    std::vector<expr::CallShape> shapes;
    for (const AggregateInfo& info : aggregate_functions()) {
        shapes.push_back({std::string(info.name), info.arity});
    }
    return shapes;
}

std::vector<FieldPlan> field_plans(const Params& p) {
    std::vector<FieldPlan> plans;
    for (const ParamItem& item : p.items("fields")) {
        expr::Call call = expr::parse_call(item.text, aggregate_shapes());
        std::optional<expr::Expression> arg;
        if (!call.args.empty()) arg = std::move(call.args.front());
        plans.push_back({item.key, *make_accumulator(call.name), std::move(arg)});
    }
    return plans;
}

constexpr const char* negative_window_size = "a window size must not be negative";

/// What is wrong with a `window:` map as a whole, as told at its key @p at ("" for the map as
/// a whole: every problem), or "" if nothing is. Validation asks once per key given, so that
/// each problem is told once, where it is; window_of() asks for all of them.
std::string window_problem(const Params& w, std::string_view at) {
    const bool by_time = !w.string("time").empty();
    const bool any = at.empty();
    const int kinds = (w.integer("count") != 0) + (w.integer("every_ms") != 0) + (by_time ? 1 : 0);
    if (kinds > 1 && (any || at == (by_time ? "time" : "every_ms"))) {
        return "a window closes by count, every_ms or time: one of them";
    }
    if (by_time && w.integer("seconds") <= 0 && (any || at == "time")) {
        return "an event-time window needs `seconds`, at least 1";
    }
    for (const std::string_view key : {"seconds", "lateness_seconds"}) {
        if (!by_time && w.integer(key) != 0 && (any || at == key)) {
            return "`" + std::string(key) + "` is for an event-time window: give `time` too";
        }
    }
    return {};
}

Window window_of(const Params& p) {
    Window window;
    if (!p.has("window") || p.items("window").empty()) return window;
    const Params w = p.map("window");
    if (std::string problem = window_problem(w, ""); !problem.empty()) throw UsageError(problem);
    window.count = w.integer("count");
    window.every_ms = w.integer("every_ms");
    if (!w.string("time").empty()) window.time = expr::Expression::compile(w.string("time"));
    window.seconds = static_cast<double>(w.integer("seconds"));
    window.lateness = static_cast<double>(w.integer("lateness_seconds"));
    if (window.count < 0 || window.every_ms < 0 || window.lateness < 0) {
        throw UsageError(negative_window_size);
    }
    return window;
}

void check_aggregate_call(const std::string& text) {
    try {
        static_cast<void>(expr::parse_call(text, aggregate_shapes()));
    } catch (const expr::ParseError& error) {
        throw ParamTextError(error.offset(), error.what());
    }
}

/// A key of `window:`: a whole number, 0 or more, that makes sense beside the others given.
ParamInfo window_field(ParamInfo field) {
    field.check_with_others = [key = field.name](const std::string&, const Params& node) {
        if (std::string problem = window_problem(node.map("window"), key); !problem.empty()) {
            throw std::invalid_argument(problem);
        }
    };
    return field;
}

ParamInfo integer_field(std::string name, std::string description) {
    const bool milliseconds = name == "every_ms";
    return window_field({.name = std::move(name),
                         .type = ParamType::integer,
                         .default_value = "0",
                         .description = std::move(description),
                         .check = [milliseconds](const std::string& text) {
                             if (text.starts_with('-')) {
                                 throw std::invalid_argument(negative_window_size);
                             }
                             // Longer, the window's end overflowed the clock: every batch closed
                             // a window.
                             if (milliseconds) check_milliseconds(text);
                         }});
}

/// ParamInfo::check_key of `fields:`: not a name the record of a group has already.
void check_field_name(const std::string& name) {
    if (name == "key" || name == "window_start" || name == "window_end") {
        throw std::invalid_argument("'" + name +
                                    "' is a field every record of aggregate has (the group's key, "
                                    "its window): name the aggregate otherwise");
    }
}

}  // namespace

void add_aggregate_op(OpRegistry& ops) {
    ParamInfo time = expression_param("time", "event time in seconds (e.g. parse_time(.ts))", true,
                                      expr::number_type, "the event time");
    ops.add({.name = "aggregate",
             .kind = NodeKind::function,
             .description = "one record per group of `key` (`{key, NAME: AGG, ...}`) when its "
                            "window closes (default: the end of the run)",
             .params = {expression_param("key", "the group of a job; none: one group", true),
                        {.name = "fields",
                         .type = ParamType::map,
                         .description = "NAME: AGG(EXPR), e.g. p99_ms: \"p99(.latency_ms)\"; "
                                        "not key, window_start or window_end",
                         .check = check_aggregate_call,
                         .check_key = check_field_name},
                        {.name = "window",
                         .type = ParamType::map,
                         .default_value = "",
                         .description = "count: N | every_ms: N | time: EXPR, seconds: N, "
                                        "lateness_seconds: M",
                         .fields = {integer_field("count", "jobs per window"),
                                    integer_field("every_ms", "milliseconds per window"),
                                    window_field(std::move(time)),
                                    integer_field("seconds", "event-time window length"),
                                    integer_field("lateness_seconds", "how late a job may come")}}},
             .takes = ValueType::any,
             .gives = ValueType::record,
             .make_stage = [](const Params& p) -> std::unique_ptr<StageBody> {
                 std::optional<expr::Expression> key;
                 if (!p.string("key").empty()) key = expr::Expression::compile(p.string("key"));
                 return std::make_unique<AggregateStage>(std::move(key), field_plans(p),
                                                         window_of(p));
             },
             .reads_fields =
                 [](const Params& p, std::vector<std::string>& names, bool& passes) {
                     passes = false;
                     if (!reads_expressions({"key"}, false)(p, names, passes)) return false;
                     for (const FieldPlan& plan : field_plans(p)) {
                         if (plan.arg && !plan.arg->add_fields_read(names)) return false;
                     }
                     const Window window = window_of(p);
                     return !window.time || window.time->add_fields_read(names);
                 }});
}

}  // namespace flowpool::detail
