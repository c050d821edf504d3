// The Validator reading one node: its kind, its op and the keys every node of its kind takes.

#include <flowpool/graph.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "common/parse.hpp"
#include "common/suggest.hpp"
#include "op_params.hpp"
#include "ops/builtin.hpp"
#include "ops/format.hpp"
#include "resolve.hpp"
#include "validator.hpp"

namespace flowpool::detail {
namespace {

const std::vector<std::string> kind_names = {"source", "function", "filter", "sink"};

/// What to say after "unknown parameter": a parameter named as a path into one of @p params
/// that takes a map (`window.seconds`, as `--set by_host.window.seconds=10` writes it) is told to
/// give the map whole; another, the known name nearest to it.
std::string whole_map_hint(const ParamSpec& p, const std::string& node,
                           const std::vector<ParamInfo>& params,
                           const std::vector<std::string>& known) {
    const std::size_t dot = p.name.find('.');
    const std::string head = p.name.substr(0, dot);
    const bool takes_map = std::any_of(params.begin(), params.end(), [&head](const ParamInfo& i) {
        return i.name == head && i.type == ParamType::map;
    });
    if (dot == std::string::npos || !takes_map || p.shape != ParamSpec::Shape::scalar) {
        return did_you_mean(p.name, known);
    }
    // The value as YAML reads it back in a flow map: plain if it can be, else double-quoted.
    const bool plain = !p.value.empty() && std::all_of(p.value.begin(), p.value.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
               c == '-' || c == '/';
    });
    std::string value;
    if (plain) {
        value = p.value;
    } else {
        value.push_back('"');
        for (const char c : p.value) {
            if (c == '"' || c == '\\') value.push_back('\\');
            value.push_back(c);
        }
        value.push_back('"');
    }
    const std::string map = "{ " + p.name.substr(dot + 1) + ": " + value + " }";
    return "; '" + head + "' is given whole, as a map: " + head + ": " + map + " (with --set: '" +
           node + "." + head + "=" + map + "')";
}

}  // namespace

std::optional<NodeKind> parse_kind(const std::string& text) {
    if (text == "source") return NodeKind::source;
    if (text == "function") return NodeKind::function;
    if (text == "filter") return NodeKind::filter;
    if (text == "sink") return NodeKind::sink;
    return std::nullopt;
}

std::vector<std::string> node_keys(NodeKind kind) {
    switch (kind) {
        case NodeKind::source:
            return {"batch"};
        case NodeKind::function:
        case NodeKind::filter:
            return {"concurrency",      "log",        "on_error", "dead_letter", "retries",
                    "retry_backoff_ms", "timeout_ms", "key"};
        case NodeKind::sink:
            return {"on_error",         "dead_letter", "retries",
                    "retry_backoff_ms", "ordered",     "reorder_window"};
    }
    return {};
}

ResolvedNode Validator::read_node(const NodeSpec& spec) {
    ResolvedNode node;
    node.spec = &spec;
    const std::string who = "node '" + spec.name + "'";
    const std::optional<NodeKind> kind = parse_kind(spec.kind);
    if (spec.kind.empty()) {
        problem(spec.where, who + " has no 'kind' (" + "source, function, filter or sink)");
    } else if (!kind) {
        problem(spec.kind_where,
                "unknown kind '" + spec.kind + "'" + did_you_mean(spec.kind, kind_names));
    }
    if (kind) node.kind = *kind;

    if (spec.op.empty()) {
        problem(spec.where, who + " has no 'op'");
        return node;
    }
    node.op = kind ? ops_.find(spec.op, *kind) : nullptr;
    if (!node.op) node.op = ops_.find(spec.op);
    if (!node.op) {
        std::vector<std::string> names;
        for (const OpInfo* op : ops_.list()) names.push_back(op->name);
        std::string hint = did_you_mean(spec.op, names);
        if (hint.empty())
            hint =
                "; `flowpool ops` lists the ops (a plugin's op needs its plugin under "
                "'plugins:')";
        problem(spec.op_where, "unknown op '" + spec.op + "'" + hint);
        return node;
    }
    if (kind && node.op->kind != *kind) {
        problem(spec.op_where, "op '" + spec.op + "' is a " +
                                   std::string(to_string(node.op->kind)) + " op; " + who +
                                   " is a " + spec.kind);
        return node;
    }
    if (!kind) return node;
    read_params(spec, node);
    return node;
}

void Validator::read_params(const NodeSpec& spec, ResolvedNode& node) {
    const std::size_t problems_before = problems_.size();
    std::vector<std::string> known = node_keys(node.kind);
    if (node.op->parses || node.op->fails_jobs_as_read) {  // its jobs can fail as read or parsed
        known.insert(known.end(), {"on_error", "dead_letter"});
    }
    for (const ParamInfo& p : node.op->params) known.push_back(p.name);

    node.concurrency = default_workers();
    for (const ParamSpec& p : spec.params) {
        const bool op_param = std::any_of(node.op->params.begin(), node.op->params.end(),
                                          [&](const ParamInfo& i) { return i.name == p.name; });
        if (p.name == "key" && !op_param &&
            (node.kind == NodeKind::source || node.kind == NodeKind::sink)) {
            problem(p.name_where,
                    "'key' keys the jobs of a function or filter (jobs with "
                    "one key run one at a time, in order); node '" +
                        spec.name + "' is a " + spec.kind);
        } else if (std::find(known.begin(), known.end(), p.name) == known.end()) {
            problem(p.name_where, "unknown parameter '" + p.name + "' for op '" + spec.op + "'" +
                                      whole_map_hint(p, spec.name, node.op->params, known));
        } else if (op_param) {
            continue;  // read_op_params()
        } else if (!p.has_text()) {
            problem(p.where, "parameter '" + p.name + "' takes a single value, not a " +
                                 (p.shape == ParamSpec::Shape::list ? "list" : "map"));
        } else if (p.name == "concurrency") {
            read_concurrency(p, node);
        } else if (p.name == "batch") {
            const auto n = parse_integer(p.value);
            if (!n || *n < 1)
                problem(p.where,
                        "batch must be a whole number of at least 1, not '" + p.value + "'");
            else
                node.batch_size = static_cast<std::size_t>(*n);
        } else if (p.name == "log") {
            check_text(p, p.name, check_format, report_);
            node.log = p.value;
        } else if (p.name == "timeout_ms") {
            const auto ms = parse_integer(p.value);
            if (!ms || *ms < 1 || *ms > max_wait_ms)
                problem(p.where, "timeout_ms must be a whole number from 1 to " +
                                     std::to_string(max_wait_ms) + ", not '" + p.value + "'");
            else
                node.timeout = std::chrono::milliseconds(*ms);
        } else if (p.name == "key") {
            read_key(spec, p, node);
        }  // the failure policy and order keys: read_failure_policy() and read_order()
    }
    node.params = read_op_params(spec, *node.op, report_);
    node.params_read = problems_.size() == problems_before;
    if (node.params_read) check_with_others(spec, *node.op, node.params, report_);
    read_failure_policy(spec, node);
    read_order(spec, node);
}

void Validator::read_key(const NodeSpec& spec, const ParamSpec& p, ResolvedNode& node) {
    if (node.op->routes_to) {
        problem(p.name_where, "'key' cannot be set on node '" + spec.name + "': op '" + spec.op +
                                  "' routes jobs, and a keyed node cannot");
    } else if (const ParamSpec* timeout = single(spec, "timeout_ms")) {
        // A job given up on keeps running: it would run beside the next job of its key.
        problem(timeout->name_where,
                "'timeout_ms' cannot be set on keyed node '" + spec.name +
                    "': a job given up on would run beside the next job of its key");
    }
    if (check_text(p, "key", expression_param("key", "").check, report_)) node.key = p.value;
}

const ParamSpec* Validator::single(const NodeSpec& spec, std::string_view name) {
    const ParamSpec* p = spec.param(name);
    return p && p->has_text() ? p : nullptr;
}

void Validator::read_failure_policy(const NodeSpec& spec, ResolvedNode& node) {
    OnError& policy = node.on_error;
    const ParamSpec* action = single(spec, "on_error");
    const ParamSpec* target = single(spec, "dead_letter");
    if (action) {
        if (action->value == "fail")
            policy.action = OnError::Action::fail;
        else if (action->value == "skip")
            policy.action = OnError::Action::skip;
        else if (action->value == "dead_letter")
            policy.action = OnError::Action::dead_letter;
        else if (action->value == "redeliver")
            policy.action = OnError::Action::redeliver;
        else
            problem(action->where,
                    "on_error must be fail, skip, dead_letter or redeliver, not '" + action->value +
                        "'" +
                        did_you_mean(action->value, {"fail", "skip", "dead_letter", "redeliver"}));
    }
    if (action || target) explicit_policy_.insert(spec.name);
    if (node.op->fails_jobs_as_read && !node.op->parses &&
        (target || policy.action == OnError::Action::dead_letter)) {
        problem(target ? target->name_where : action->where,
                "op '" + node.op->name +
                    "' fails its jobs as it reads them, before a batch could take them to a "
                    "dead-letter sink: on_error may be fail or skip");
        policy.action = OnError::Action::fail;
        if (target) dead_letters_.push_back(target);  // a sink it names is fed, as asked
    } else if (target) {
        if (action && policy.action != OnError::Action::dead_letter) {
            problem(target->name_where,
                    "dead_letter is set but on_error is '" + action->value + "'");
        }
        policy.action = OnError::Action::dead_letter;
        policy.dead_letter = target->value;
        dead_letters_.push_back(target);
    } else if (policy.action == OnError::Action::dead_letter) {
        problem(action->where, "on_error: dead_letter needs a 'dead_letter: SINK' naming the sink");
    }
    if (const ParamSpec* retries = single(spec, "retries")) {
        const auto n = parse_integer(retries->value);
        if (!n || *n < 0 || *n > 1000)
            problem(retries->where,
                    "retries must be a whole number from 0 to 1000, not '" + retries->value + "'");
        else
            policy.attempts = static_cast<int>(*n) + 1;
    }
    if (const ParamSpec* backoff = single(spec, "retry_backoff_ms")) {
        const auto ms = parse_integer(backoff->value);
        if (!ms || *ms < 0 || *ms > max_wait_ms)
            problem(backoff->where, "retry_backoff_ms must be a whole number from 0 to " +
                                        std::to_string(max_wait_ms) + ", not '" + backoff->value +
                                        "'");
        else
            policy.backoff = std::chrono::milliseconds(*ms);
    }
}

void Validator::read_order(const NodeSpec& spec, ResolvedNode& node) {
    const ParamSpec* ordered = single(spec, "ordered");
    const ParamSpec* window = single(spec, "reorder_window");
    if (ordered && ordered->value != "true" && ordered->value != "false") {
        problem(ordered->where, "ordered must be true or false, not '" + ordered->value + "'");
    }
    const bool in_order = ordered && ordered->value == "true";
    node.reorder_window = in_order ? default_reorder_window : 0;
    if (!window) return;
    const auto n = parse_integer(window->value);
    if (!n || *n < 1)
        problem(window->where,
                "reorder_window must be a whole number of at least 1, not '" + window->value + "'");
    else if (!in_order)
        problem(window->name_where, "reorder_window is set but the sink is not 'ordered: true'");
    else
        node.reorder_window = static_cast<std::size_t>(*n);
}

void Validator::read_concurrency(const ParamSpec& p, ResolvedNode& node) {
    if (p.value == "serial") {
        node.concurrency = 1;
    } else if (p.value == "unlimited") {
        node.concurrency = unlimited;
    } else if (const auto n = parse_integer(p.value); n && *n >= 1) {
        node.concurrency = static_cast<std::size_t>(*n);
    } else {
        problem(p.where,
                "concurrency must be a number of at least 1, 'serial' or 'unlimited', not '" +
                    p.value + "'");
    }
}

}  // namespace flowpool::detail
