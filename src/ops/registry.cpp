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
        case ParamType::list:
            return "list";
        case ParamType::map:
            return "map";
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

bool Params::has(std::string_view name) const noexcept {
    return values_.find(name) != values_.end() || lists_.find(name) != lists_.end();
}

const std::vector<ParamItem>& Params::items(std::string_view name) const {
    const auto found = lists_.find(name);
    if (found == lists_.end()) {
        throw UsageError("no list or map parameter '" + std::string(name) + "'");
    }
    return found->second;
}

std::vector<std::string> Params::list(std::string_view name) const {
    std::vector<std::string> texts;
    for (const ParamItem& item : items(name)) texts.push_back(item.text);
    return texts;
}

Params Params::map(std::string_view name) const { return of_fields(items(name)); }

std::vector<Params> Params::maps(std::string_view name) const {
    std::vector<Params> all;
    for (const ParamItem& item : items(name)) all.push_back(of_fields(item.fields));
    return all;
}

Params Params::of_fields(const std::vector<ParamItem>& fields) {
    std::map<std::string, std::string, std::less<>> values;
    std::map<std::string, std::vector<ParamItem>, std::less<>> lists;
    for (const ParamItem& field : fields) {
        // An item does not say whether it is an empty list or an empty text: either reads.
        if (field.fields.empty()) values.emplace(field.key, field.text);
        if (!field.fields.empty() || field.text.empty()) lists.emplace(field.key, field.fields);
    }
    return Params(std::move(values), std::move(lists));
}

namespace {

bool is_single(ParamType type) {
    return type == ParamType::integer || type == ParamType::string || type == ParamType::boolean;
}

/// Throws UsageError if @p param declares what its type cannot have.
/// Throws UsageError unless @p name, of @p what ("op"), can be written in a graph file: not
/// empty, and no space or control character in it.
void check_name(const std::string& what, const std::string& name) {
    const bool usable = !name.empty() && std::none_of(name.begin(), name.end(), [](char c) {
        return static_cast<unsigned char>(c) <= ' ' || c == '\x7f';
    });
    if (!usable) {
        throw UsageError(what + " name '" + name +
                         "' cannot be written in a graph file (empty, or with a space)");
    }
}

void check_declaration(const std::string& op, const ParamInfo& param) {
    const std::string who = "op '" + op + "', parameter '" + param.name + "': ";
    if (param.default_value && param.type == ParamType::integer &&
        !detail::parse_integer(*param.default_value)) {
        throw UsageError(who + "its default '" + *param.default_value + "' is no integer");
    }
    if (param.default_value && param.type == ParamType::boolean && *param.default_value != "true" &&
        *param.default_value != "false") {
        throw UsageError(who + "its default '" + *param.default_value + "' is not true or false");
    }
    const bool takes_fields = param.type == ParamType::map ||
                              (param.type == ParamType::list && param.items == ParamType::map);
    if (!param.fields.empty() && !takes_fields) {
        throw UsageError(who + "only a map or a list of maps declares fields");
    }
    if (param.type == ParamType::list && !is_single(param.items) && param.items != ParamType::map) {
        throw UsageError(who + "a list's items are single values or maps");
    }
    if (param.type == ParamType::map && param.fields.empty() && !is_single(param.items)) {
        throw UsageError(who + "a map's values are single values, or declared in fields");
    }
    if (!is_single(param.type) && param.default_value && !param.default_value->empty()) {
        throw UsageError(who + "a list or map can only default to \"\" (empty)");
    }
    for (const ParamInfo& field : param.fields) check_declaration(op, field);
}

}  // namespace

void OpRegistry::add(OpInfo op) {
    check_name("op", op.name);
    for (const ParamInfo& param : op.params) check_declaration(op.name, param);
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
    check_name("value type", name);
    for (const auto& [known, info] : types_) {
        if (known == name && *info != type)
            throw UsageError("value type '" + name + "' is registered twice");
        if (known != name && *info == type) {
            throw UsageError("value type '" + name + "' is a C++ type registered already, as '" +
                             known + "'");
        }
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
