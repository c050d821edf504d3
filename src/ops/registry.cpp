// The op registry, which knows no op itself (OpRegistry's constructor, in all_ops.cpp, adds
// every family), and the reading of op parameters.

#include <flowpool/ops.hpp>

#include <algorithm>
#include <optional>

#include "common/parse.hpp"

namespace flowpool {

std::string_view to_string(ParamType type) noexcept {
    switch (type) {
        case ParamType::integer:
            return "integer";
        case ParamType::string:
            return "string";
        case ParamType::boolean:
            return "boolean";
    }
    return "?";
}

std::string_view to_string(ValueType type) noexcept {
    switch (type) {
        case ValueType::integer:
            return "integer";
        case ValueType::string:
            return "string";
        case ValueType::any:
            return "any";
    }
    return "?";
}

std::int64_t Params::integer(std::string_view name) const {
    const std::string& text = string(name);
    const std::optional<std::int64_t> value = detail::parse_integer(text);
    if (!value) {
        throw UsageError("parameter '" + std::string(name) + "' is not an integer: '" + text + "'");
    }
    return *value;
}

const std::string& Params::string(std::string_view name) const {
    const auto found = values_.find(name);
    if (found == values_.end()) throw UsageError("no parameter '" + std::string(name) + "'");
    return found->second;
}

bool Params::boolean(std::string_view name) const {
    const std::string& text = string(name);
    if (text == "true") return true;
    if (text == "false") return false;
    throw UsageError("parameter '" + std::string(name) + "' is not true or false: '" + text + "'");
}

void OpRegistry::add(OpInfo op) {
    const bool has_factory =
        (op.kind == NodeKind::source && op.make_source) ||
        ((op.kind == NodeKind::function || op.kind == NodeKind::filter) && op.make_stage) ||
        (op.kind == NodeKind::sink && op.make_sink);
    if (!has_factory) {
        throw UsageError("op '" + op.name + "' has no factory for its kind " +
                         std::string(to_string(op.kind)));
    }
    if (ops_.count(op.name) != 0) throw UsageError("op '" + op.name + "' is registered twice");
    std::string name = op.name;
    ops_.emplace(std::move(name), std::move(op));
}

const OpInfo* OpRegistry::find(std::string_view name) const noexcept {
    const auto found = ops_.find(name);
    return found == ops_.end() ? nullptr : &found->second;
}

std::vector<const OpInfo*> OpRegistry::list() const {
    std::vector<const OpInfo*> all;
    for (const auto& [name, op] : ops_) all.push_back(&op);
    std::stable_sort(all.begin(), all.end(), [](const OpInfo* a, const OpInfo* b) {
        return static_cast<int>(a->kind) < static_cast<int>(b->kind);
    });
    return all;
}

}  // namespace flowpool
