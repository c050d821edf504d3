// Ops written in the expression language (README.md, "Expressions"): `where` keeps the jobs its
// condition holds for; `map` computes a new value, or sets, removes and keeps fields. Each
// expression is parsed when the graph is validated, and once more for the body, which shares
// nothing between workers but the parsed tree (read only).

#include <flowpool/custom_op.hpp>
#include <flowpool/detail/batch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <typeindex>
#include <utility>
#include <vector>

#include "builtin.hpp"
#include "expr/expression.hpp"
#include "expr/values.hpp"
#include "piece_ids.hpp"

namespace flowpool::detail {

namespace {

/// Parses @p text, and checks that it can give one of @p gives (named @p what in the message).
void check_expression(const std::string& text, expr::TypeSet gives, const std::string& what) {
    try {
        const expr::Expression expression = expr::Expression::compile(text);
        if (gives != expr::any_type) expression.require_gives(gives, what);
    } catch (const expr::ParseError& error) {
        throw ParamTextError(error.offset(), error.what());
    }
}
void check_any_expression(const std::string& text) { check_expression(text, expr::any_type, ""); }
/// What a condition (`where`'s expr, a `route` case's when) may give, and its name in messages.
constexpr expr::TypeSet condition_types = expr::bool_type | expr::null_type;
constexpr const char* condition_name = "the condition";
void check_condition(const std::string& text) {
    check_expression(text, condition_types, condition_name);
}

/// The `where` filter. On a batch it owns, under the simple policy (one try, no dead letters),
/// it tests each job where it lies and moves the kept ones forward; in a batch from a pool that
/// refills payloads (Items::recycled) the jobs it drops become spent payloads, so that the
/// record a `jsonl` source built for a line it drops is filled again by a later line instead of
/// being freed here and allocated there (a filter that keeps 3 % of the events spent a fifth of
/// graphs/errors_by_host.yaml's time in malloc and free). Shared batches and the other policies
/// take map_jobs(), as any function does.
class WhereStage final : public StageBody {
public:
    explicit WhereStage(expr::Expression keep) : test_{std::move(keep)} {}

    BatchPtr process(const BatchPtr& in_ptr, BatchContext& ctx) override {
        auto& in = static_cast<Items<Value>&>(*in_ptr);
        if (in.shared || !JobPolicy(ctx).simple()) return map_jobs<Value>(in_ptr, ctx, test_);
        const expr::Expression& keep = test_.keep;
        const std::size_t n = in.size();
        std::size_t kept = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t id = in.ids[i];
            bool yes = false;
            try {
                yes = keep.test({in.values[i], id});
            } catch (...) {
                report_current_exception(ctx, id);
                continue;
            }
            if (!yes) {
                ctx.jobs_filtered(1);
                continue;
            }
            if (kept != i) {
                std::swap(in.values[kept], in.values[i]);  // the dropped one keeps its storage
                in.ids[kept] = id;
            }
            ++kept;
        }
        const auto dropped = in.values.begin() + static_cast<std::ptrdiff_t>(kept);
        if (in.recycled) {
            in.spent.insert(in.spent.end(), std::make_move_iterator(dropped),
                            std::make_move_iterator(in.values.end()));
        }
        in.values.erase(dropped, in.values.end());
        in.ids.resize(kept);
        return in_ptr;
    }
    [[nodiscard]] std::type_index takes() const noexcept override { return typeid(Value); }

private:
    struct Test {
        expr::Expression keep;
        std::optional<Value> operator()(Value v, const JobContext& job) const {
            if (keep.test({v, job.id()})) return v;
            return std::nullopt;
        }
    };
    Test test_;
};

/// What `map` does to a job's value, in this order: `expr` replaces it, `set` sets fields
/// (every expression sees the value as it came), `remove` removes fields, `keep` keeps only
/// the fields it names.
class MapPlan {
public:
    explicit MapPlan(const Params& p) {
        if (!p.string("expr").empty()) whole_ = expr::Expression::compile(p.string("expr"));
        for (const ParamItem& item : p.items("set")) {
            set_.emplace_back(item.key, expr::Expression::compile(item.text));
        }
        remove_ = p.list("remove");
        keep_ = p.list("keep");
    }

    Value operator()(Value value, const JobContext& job) const {
        if (whole_) value = whole_->eval({value, job.id()});
        if (set_.empty() && remove_.empty() && keep_.empty()) return value;
        std::vector<Value> computed;
        computed.reserve(set_.size());
        for (const auto& [name, e] : set_) computed.push_back(e.eval({value, job.id()}));
        auto* record = std::get_if<Record>(&value);
        if (record == nullptr) {
            throw std::invalid_argument("map sets, removes and keeps fields of a record, not " +
                                        std::string(expr::article(value)));
        }
        for (std::size_t i = 0; i < set_.size(); ++i)
            record->set(set_[i].first, std::move(computed[i]));
        for (const std::string& name : remove_) record->erase(name);
        if (!keep_.empty()) {
            Record kept;
            kept.reserve(keep_.size());
            for (Field& field : *record) {
                if (std::find(keep_.begin(), keep_.end(), field.name) != keep_.end()) {
                    kept.append(std::move(field.name), std::move(field.value));
                }
            }
            *record = std::move(kept);
        }
        return value;
    }

private:
    std::optional<expr::Expression> whole_;
    std::vector<std::pair<std::string, expr::Expression>> set_;
    std::vector<std::string> remove_;
    std::vector<std::string> keep_;
};

/// `explode`: one job per element of a list, or per piece of a string cut at `split`. Piece i of
/// job j gets the id j * 2^20 + i, so `{id}` >> 20 is the job it came from and ids stay
/// ascending. The job itself ends here (merged), its pieces are made.
class ExplodeStage final : public StageBody {
public:
    ExplodeStage(expr::Expression what, std::string split)
        : what_(std::move(what)), split_(std::move(split)) {}

    BatchPtr process(const BatchPtr& in, BatchContext& ctx) override {
        auto& jobs = static_cast<Items<Value>&>(*in);
        auto out = pool_.get();
        out->derive_from(*in);
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            const std::size_t before = out->size();
            try {
                explode(jobs.values[i], jobs.ids[i], *out);
            } catch (const std::exception& error) {
                out->ids.resize(before);
                out->values.resize(before);
                fail_job(ctx, jobs.ids[i], jobs.values[i], error.what());
                continue;
            }
            ctx.jobs_merged(1);
            ctx.jobs_made(out->size() - before);
        }
        return out;
    }

private:
    void explode(const Value& job, std::uint64_t id, Items<Value>& out) const {
        Value scratch;
        const Value& whole = what_.eval_ref({job, id}, scratch);
        if (whole.is_null()) return;
        PieceIds pieces(id);
        const auto add = [&](Value value) {
            if (pieces.none_yet()) {  // a job with no pieces has no id problem
                if (std::string why = PieceIds::problem(id); !why.empty()) {
                    throw std::invalid_argument(why);
                }
            }
            if (pieces.full()) throw std::invalid_argument("more than 2^20 pieces from one job");
            out.ids.push_back(pieces.next());
            out.values.push_back(std::move(value));
        };
        if (!split_.empty()) {
            const auto* text = std::get_if<std::string>(&whole);
            if (text == nullptr) {
                throw std::invalid_argument("'" + what_.text() + "' gives " +
                                            std::string(expr::article(whole)) +
                                            ", not a string to split");
            }
            for (std::size_t at = 0; at <= text->size();) {
                const std::size_t end = std::min(text->find(split_, at), text->size());
                if (end > at) add(text->substr(at, end - at));  // empty pieces make no job
                at = end + split_.size();
            }
            return;
        }
        const List* list = whole.list();
        if (list == nullptr) {
            throw std::invalid_argument("'" + what_.text() + "' gives " +
                                        std::string(expr::article(whole)) + ", not a list");
        }
        for (const Value& item : *list) add(item);
    }

    expr::Expression what_;
    std::string split_;
    // Its batches, kept with their vectors' room when the next node lets go of them: made fresh,
    // each grew its vectors piece by piece, and freeing them on another worker made the
    // allocator give pages back to the system (madvise, a TLB flush on every CPU) and sort its
    // free lists: most of the 8.6 % more CPU a word count took at two workers than at one.
    BatchPool<Value> pool_;
};

/// `route`: each job goes to the first case whose `when` holds for it, else to `default` (or,
/// without one, nowhere: filtered).
class RouteStage final : public StageBody {
public:
    explicit RouteStage(const Params& p) {
        for (const Params& c : p.maps("cases")) {
            cases_.push_back(expr::Expression::compile(c.string("when")));
            case_target_.push_back(target_of(c.string("to")));
        }
        if (!p.string("default").empty()) default_ = target_of(p.string("default"));
    }

    std::vector<std::string> targets() const override { return targets_; }

    /// Never called: the runtime calls route() for a body with targets.
    BatchPtr process(const BatchPtr&, BatchContext&) override {
        throw std::logic_error("route's body runs only through route()");
    }

    std::vector<BatchPtr> route(const BatchPtr& in, BatchContext& ctx) override {
        auto& jobs = static_cast<Items<Value>&>(*in);
        std::vector<std::shared_ptr<Items<Value>>> out(targets_.size());
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            std::optional<std::size_t> to;
            try {
                to = target_for(jobs.values[i], jobs.ids[i]);
            } catch (const std::exception& error) {
                fail_job(ctx, jobs.ids[i], jobs.values[i], error.what());
                continue;
            }
            if (!to) {
                ctx.jobs_filtered(1);
                continue;
            }
            if (!out[*to]) out[*to] = pool_.get();
            out[*to]->ids.push_back(jobs.ids[i]);
            out[*to]->values.push_back(in->shared ? jobs.values[i] : std::move(jobs.values[i]));
        }
        return {out.begin(), out.end()};
    }

private:
    std::size_t target_of(const std::string& name) {
        const auto it = std::find(targets_.begin(), targets_.end(), name);
        if (it != targets_.end()) return static_cast<std::size_t>(it - targets_.begin());
        targets_.push_back(name);
        return targets_.size() - 1;
    }

    std::optional<std::size_t> target_for(const Value& value, std::uint64_t id) const {
        for (std::size_t c = 0; c < cases_.size(); ++c) {
            if (cases_[c].test({value, id})) return case_target_[c];
        }
        return default_;
    }

    std::vector<expr::Expression> cases_;
    std::vector<std::size_t> case_target_;
    std::optional<std::size_t> default_;
    std::vector<std::string> targets_;
    BatchPool<Value> pool_;  // its batches, reused (see ExplodeStage::pool_)
};

/// The nodes a `route` node sends to: every case's `to`, and `default`.
std::vector<std::string> route_targets(const Params& p) {
    std::vector<std::string> names;
    for (const Params& c : p.maps("cases")) names.push_back(c.string("to"));
    if (!p.string("default").empty()) names.push_back(p.string("default"));
    return names;
}

}  // namespace

bool add_fields_read(const std::string& text, std::vector<std::string>& names) {
    return expr::Expression::compile(text).add_fields_read(names);
}

ReadsFields reads_expressions(std::vector<std::string> params, bool passes_on) {
    return [params = std::move(params), passes_on](const Params& p, std::vector<std::string>& names,
                                                   bool& passes) {
        passes = passes_on;
        return std::all_of(params.begin(), params.end(), [&](const std::string& param) {
            const std::string& text = p.string(param);
            return text.empty() || add_fields_read(text, names);
        });
    };
}

void fail_job(BatchContext& ctx, std::uint64_t id, const Value& value, std::string message) {
    if (ctx.keeps_dead_letters()) {
        ctx.dead_letter(id, Value(value), std::move(message));
    } else {
        ctx.job_failed(id, message);
    }
}

ParamInfo expression_param(std::string name, std::string description, bool optional,
                           expr::TypeSet gives, std::string what) {
    ParamInfo info;
    info.name = std::move(name);
    info.type = ParamType::string;
    info.description = std::move(description);
    if (optional) info.default_value = "";
    info.check = [optional, gives, what = std::move(what)](const std::string& text) {
        if (!(optional && text.empty())) check_expression(text, gives, what);
    };
    return info;
}

void add_expression_ops(OpRegistry& ops) {
    ops.add({.name = "where",
             .kind = NodeKind::filter,
             .description = "keeps the jobs for which `expr` is true (false and null drop them)",
             .params = {expression_param("expr", "the condition, e.g. \".status >= 500\"", false,
                                         condition_types, condition_name)},
             .takes = ValueType::any,
             .make_stage = [](const Params& p) -> std::unique_ptr<StageBody> {
                 return std::make_unique<WhereStage>(expr::Expression::compile(p.string("expr")));
             },
             .reads_fields = reads_expressions({"expr"}, true),
             .keeps_if = "expr"});
    ops.add(
        {.name = "map",
         .kind = NodeKind::function,
         .description = "a new value: `expr` replaces it; `set` sets fields (each expression "
                        "sees the value as it came), `remove` and `keep` drop fields",
         .params = {expression_param("expr", "the new value; empty: the value as it came", true),
                    {.name = "set",
                     .type = ParamType::map,
                     .default_value = "",
                     .description = "FIELD: EXPR, ... fields to set (added at the end if new)",
                     .check = check_any_expression},
                    {.name = "remove",
                     .type = ParamType::list,
                     .default_value = "",
                     .description = "fields to remove"},
                    {.name = "keep",
                     .type = ParamType::list,
                     .default_value = "",
                     .description = "the only fields to keep, in the record's order"}},
         .takes = ValueType::any,
         .gives = ValueType::any,
         .make_stage = [](const Params& p) { return stage_body(MapPlan(p)); }});
    ops.add({.name = "route",
             .kind = NodeKind::function,
             .description = "sends each job to the node of the first case whose `when` is true, "
                            "else to `default` (none: the job is filtered)",
             .params = {{.name = "cases",
                         .type = ParamType::list,
                         .description = "[{ when: EXPR, to: NODE }, ...], tried in order",
                         .items = ParamType::map,
                         .fields = {{.name = "when",
                                     .description = condition_name,
                                     .check = check_condition},
                                    {.name = "to", .description = "an out-edge's node"}}},
                        {.name = "default",
                         .type = ParamType::string,
                         .default_value = "",
                         .description = "where jobs no case takes go; empty: nowhere"}},
             .takes = ValueType::any,
             .make_stage = [](const Params& p) -> std::unique_ptr<StageBody> {
                 return std::make_unique<RouteStage>(p);
             },
             .routes_to = route_targets,
             .reads_fields =
                 [](const Params& p, std::vector<std::string>& names, bool& passes) {
                     passes = true;
                     const std::vector<Params> cases = p.maps("cases");
                     return std::all_of(cases.begin(), cases.end(), [&names](const Params& c) {
                         return add_fields_read(c.string("when"), names);
                     });
                 }});
    ops.add({.name = "explode",
             .kind = NodeKind::function,
             .description = "one job per element of the list `expr` gives, or with `split`, per "
                            "non-empty piece of the string; piece i of job j has id j*2^20+i",
             .params = {expression_param("expr",
                                         "the list (or string) to take apart; default: "
                                         "the value itself",
                                         true),
                        {.name = "split",
                         .type = ParamType::string,
                         .default_value = "",
                         .description = "cut a string at each occurrence of this text"}},
             .takes = ValueType::any,
             .gives = ValueType::any,
             .make_stage = [](const Params& p) -> std::unique_ptr<StageBody> {
                 const std::string& text = p.string("expr");
                 return std::make_unique<ExplodeStage>(
                     expr::Expression::compile(text.empty() ? "." : text), p.string("split"));
             }});
}

}  // namespace flowpool::detail
