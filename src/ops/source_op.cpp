// The registry's source ops for the typed API (flowpool/source_op.hpp): parameters checked as
// graph-file validation checks them, then the op's own factory.

#include <flowpool/source_op.hpp>

#include <algorithm>
#include <stdexcept>

#include "common/parse.hpp"

namespace flowpool {
namespace {

using ParamMap = std::map<std::string, std::string, std::less<>>;

/// Checks @p value against @p info's type and own check; throws std::invalid_argument.
void check_value(const ParamInfo& info, const std::string& value) {
    if (info.type == ParamType::integer && !detail::parse_integer(value)) {
        throw std::invalid_argument("not an integer: '" + value + "'");
    }
    if (info.type == ParamType::boolean && value != "true" && value != "false") {
        throw std::invalid_argument("not true or false: '" + value + "'");
    }
    if (info.check) info.check(value);
}

/// Throws the exception being handled as a UsageError, @p about first, unless it is one of
/// flowpool's own: an op's own code (a plugin's) may throw anything, `throw 42` included.
[[noreturn]] void rethrow_as_usage_error(const std::string& about) {
    try {
        throw;
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw UsageError(about + e.what());
    } catch (...) {
        throw UsageError(about + "unknown exception");
    }
}

/// @p given with @p op's defaults filled in, each value checked.
ParamMap complete_params(const OpInfo& op, const ParamMap& given) {
    for (const auto& entry : given) {
        const std::string& name = entry.first;  // not a structured binding: lambdas capture it
        const bool known = std::any_of(op.params.begin(), op.params.end(),
                                       [&](const ParamInfo& p) { return p.name == name; });
        if (!known) throw UsageError("op '" + op.name + "' has no parameter '" + name + "'");
    }
    ParamMap all;
    for (const ParamInfo& info : op.params) {
        const auto found = given.find(info.name);
        if (info.type == ParamType::list || info.type == ParamType::map) {
            // Text cannot say a list; such a parameter is left empty, or must be.
            if (found == given.end() && info.default_value) continue;
            throw UsageError("op '" + op.name + "', parameter '" + info.name + "' is a " +
                             std::string(to_string(info.type)) + "; only a graph file gives one");
        }
        if (found == given.end() && !info.default_value) {
            throw UsageError("op '" + op.name + "' needs parameter '" + info.name + "'");
        }
        all.emplace(info.name, found == given.end() ? *info.default_value : found->second);
    }
    const Params params(all);
    for (const ParamInfo& info : op.params) {
        if (all.count(info.name) == 0) continue;  // an empty list or map
        const std::string& value = all.at(info.name);
        try {
            check_value(info, value);
            if (info.check_with_others) info.check_with_others(value, params);
        } catch (...) {
            rethrow_as_usage_error("op '" + op.name + "', parameter '" + info.name + "': ");
        }
    }
    return all;
}

std::string join(const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& name : names) text += (text.empty() ? "" : ",") + name;
    return text;
}

}  // namespace

SourceOp source_op(const OpRegistry& ops, std::string_view name, const ParamMap& params) {
    const OpInfo* op = ops.find(name, NodeKind::source);
    if (op == nullptr) throw UsageError("no source op '" + std::string(name) + "'");
    std::map<std::string, std::vector<ParamItem>, std::less<>> empty_lists;
    for (const ParamInfo& info : op->params) {
        if (info.type == ParamType::list || info.type == ParamType::map) empty_lists[info.name];
    }
    const Params all(complete_params(*op, params), std::move(empty_lists));
    std::unique_ptr<SourceBody> body;
    try {
        body = op->make_source(all);
    } catch (...) {
        rethrow_as_usage_error("op '" + op->name + "': ");
    }
    if (!body) throw UsageError("op '" + op->name + "' made no body");
    return SourceOp(std::move(body));
}

SourceOp jsonl(std::string path, JsonlOptions options) {
    ParamMap params{{"path", std::move(path)}};
    if (!options.fields.empty()) params.emplace("fields", join(options.fields));
    if (options.max_line_bytes) {
        params.emplace("max_line_bytes", std::to_string(*options.max_line_bytes));
    }
    return source_op(OpRegistry{}, "jsonl", params);
}

}  // namespace flowpool
