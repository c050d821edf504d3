// The op registry, which knows no op itself (OpRegistry's constructor, in all_ops.cpp, adds
// every family), and the reading of op parameters.

#include <flowpool/ops.hpp>

#include <algorithm>
#include <memory>
#include <mutex>
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

/// Throws UsageError if @p param declares what its type cannot have.
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
    // A name means one op, whatever kind a node writes beside it: a plugin's filter `multiply`
    // beside the built-in function would be a trap. A source and a sink may share one, as the
    // reading and the writing of one format or service (`jsonl`).
    for (auto it = ops_.lower_bound(Key{op.name, NodeKind{}});
         it != ops_.end() && it->first.first == op.name; ++it) {
        const NodeKind other = it->first.second;
        const bool source_and_sink = (other == NodeKind::source && op.kind == NodeKind::sink) ||
                                     (other == NodeKind::sink && op.kind == NodeKind::source);
        if (!source_and_sink) {
            throw UsageError("op '" + op.name + "' is registered already as a " +
                             std::string(to_string(other)) + " op, and cannot be a " +
                             std::string(to_string(op.kind)) +
                             " op too (only a source and a sink may share a name)");
        }
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

namespace {

/// Guards every application type's tag (detail::OpaqueTag): registries on several threads
/// register and release types at once.
std::mutex& type_tags_lock() {
    static std::mutex lock;
    return lock;
}

/// "its to_value" or "no to_value", for messages.
std::string shown(const detail::OpaqueTag& tag) {
    return tag.to_value_type == nullptr ? "no to_value" : "a to_value";
}

/// True if @p a and @p b show a value the same way, as far as can be told: both have no
/// to_value, or the same function (a lambda's type is where it was written).
bool same_to_value(const detail::OpaqueTag& a, const detail::OpaqueTag& b) {
    if (a.to_value_type == nullptr || b.to_value_type == nullptr)
        return a.to_value_type == b.to_value_type;
    return *a.to_value_type == *b.to_value_type && a.to_value_address == b.to_value_address;
}

/// One registry's hold on a type's tag (under type_tags_lock()): the last hold to go puts the
/// tag back as it was before any registration, so that the next one does not inherit its name
/// or to_value.
class TypeHold {
public:
    explicit TypeHold(detail::OpaqueTag& tag) noexcept : tag_(tag) { ++tag_.holders; }
    TypeHold(const TypeHold&) = delete;
    TypeHold& operator=(const TypeHold&) = delete;
    ~TypeHold() {
        const std::lock_guard lock(type_tags_lock());
        if (--tag_.holders != 0) return;
        tag_.name = tag_.type->name();
        tag_.to_value = nullptr;
        tag_.to_value_type = nullptr;
        tag_.to_value_address = nullptr;
    }

    /// True if the type is shown by a to_value (read under type_tags_lock()).
    [[nodiscard]] bool shown() const noexcept { return tag_.to_value_type != nullptr; }

private:
    detail::OpaqueTag& tag_;
};

/// A hold on @p tag as @p wanted registers it: made so if nobody holds it, else checked against
/// the registration in force. Throws UsageError naming both if they differ.
std::shared_ptr<const void> hold_type(detail::OpaqueTag& tag, detail::OpaqueTag wanted) {
    const std::lock_guard lock(type_tags_lock());
    if (tag.holders != 0 && tag.name != wanted.name) {
        throw UsageError("value type '" + wanted.name + "' is a C++ type registered already, as '" +
                         tag.name +
                         "': an application type has one name in a process, whichever registry "
                         "registers it");
    }
    if (tag.holders != 0 && !same_to_value(tag, wanted)) {
        throw UsageError("value type '" + wanted.name + "' is registered already with " +
                         shown(tag) + ", and now with " +
                         (wanted.to_value_type == nullptr ? "none" : "another") +
                         ": every registry in a process must show an application type the same "
                         "way");
    }
    auto hold = std::make_shared<const TypeHold>(tag);
    if (tag.holders == 1) {
        tag.name = std::move(wanted.name);
        tag.to_value = std::move(wanted.to_value);
        tag.to_value_type = wanted.to_value_type;
        tag.to_value_address = wanted.to_value_address;
    }
    return hold;
}

}  // namespace

void OpRegistry::add_type_tag(detail::OpaqueTag& tag, detail::OpaqueTag wanted) {
    const std::string name = wanted.name;
    check_name("value type", name);
    static const std::string built_in[] = {"null", "bool",   "integer", "float", "string",
                                           "list", "record", "any",     "same"};
    for (const std::string& taken : built_in) {
        if (taken == name) throw UsageError("'" + name + "' names a built-in value type");
    }
    bool held_here = false;
    for (const AppType& known : types_) {
        if (known.name == name && *known.type != *tag.type)
            throw UsageError("value type '" + name + "' is registered twice");
        held_here = held_here || *known.type == *tag.type;
    }
    // Checked even when held here already: a second to_value must not go unnoticed.
    std::shared_ptr<const void> hold = hold_type(tag, std::move(wanted));
    if (!held_here) types_.push_back({name, tag.type, std::move(hold)});
}

std::vector<std::string> OpRegistry::types() const {
    std::vector<std::string> names;
    for (const AppType& type : types_) names.push_back(type.name);
    return names;
}

bool OpRegistry::shows_fields(std::string_view type) const {
    for (const AppType& known : types_) {
        if (known.name != type) continue;
        const std::lock_guard lock(type_tags_lock());
        return static_cast<const TypeHold*>(known.hold.get())->shown();
    }
    return false;
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
