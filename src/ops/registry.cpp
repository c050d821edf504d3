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
    Key key{op.name, op.kind};
    if (ops_.count(key) != 0) {
        throw UsageError("op '" + op.name + "' is registered twice as a " +
                         std::string(to_string(op.kind)) + " op");
    }
    ops_.emplace(std::move(key), std::move(op));
}

const OpInfo* OpRegistry::find(std::string_view name) const noexcept {
    for (auto it = ops_.lower_bound(Key{std::string(name), NodeKind{}});
         it != ops_.end() && it->first.first == name; ++it) {
        return &it->second;
    }
    return nullptr;
}

const OpInfo* OpRegistry::find(std::string_view name, NodeKind kind) const noexcept {
    const auto found = ops_.find(Key{std::string(name), kind});
    return found == ops_.end() ? nullptr : &found->second;
}

void OpRegistry::add_type_name(const std::string& name, const std::type_info& type) {
    for (const auto& [known, info] : types_) {
        if (known == name && *info != type)
            throw UsageError("value type '" + name + "' is registered twice");
    }
    static const std::string built_in[] = {"null", "bool",   "integer", "float", "string",
                                           "list", "record", "any",     "same"};
    for (const std::string& taken : built_in) {
        if (taken == name) throw UsageError("'" + name + "' names a built-in value type");
    }
    types_.emplace_back(name, &type);
}

std::vector<std::string> OpRegistry::types() const {
    std::vector<std::string> names;
    for (const auto& [name, type] : types_) names.push_back(name);
    return names;
}

std::vector<const OpInfo*> OpRegistry::list() const {
    std::vector<const OpInfo*> all;
    for (const auto& [name, op] : ops_) all.push_back(&op);
    std::stable_sort(all.begin(), all.end(), [](const OpInfo* a, const OpInfo* b) {  // by kind
        return static_cast<int>(a->kind) < static_cast<int>(b->kind);
    });
    return all;
}

}  // namespace flowpool
