// A node's op parameters against the op's declarations. A declaration is read recursively: a
// list's elements and a map's values are declared by element_of() or by the map's `fields`, so
// one function checks a parameter, an element of a list, or a key of a list's map alike.

#include "op_params.hpp"

#include <yaml-cpp/yaml.h>

#include <stdexcept>

#include "common/parse.hpp"
#include "common/suggest.hpp"

namespace flowpool::detail {
namespace {

bool is_single(ParamType type) {
    return type == ParamType::integer || type == ParamType::string || type == ParamType::boolean;
}

/// How a value of @p type is written, for messages.
std::string written_as(ParamType type) {
    if (type == ParamType::list) return "a list";
    if (type == ParamType::map) return "a map";
    return "a single value";
}

/// How @p param is written, for messages.
std::string written_as(const ParamSpec& param) {
    if (param.shape == ParamSpec::Shape::list) return "a list";
    if (param.shape == ParamSpec::Shape::map) return "a map";
    return "a single value";
}

/// Why @p text, a single value written as a flow list or map (`--set 'p=[a, *b]'`), is not one
/// as YAML reads it, for messages: ` ('[a, *b]' is not YAML: REASON)`; empty if it is another.
std::string not_yaml(const std::string& text) {
    if (text.empty() || (text.front() != '[' && text.front() != '{')) return {};
    try {
        static_cast<void>(YAML::Load(text));
    } catch (const YAML::Exception& e) {
        return " ('" + text + "' is not YAML: " + e.msg + ")";
    }
    return {};
}

/// The declaration of a list's elements, or of a map's values when it declares no fields.
ParamInfo element_of(const ParamInfo& info) {
    ParamInfo element = info;
    element.type = info.items;
    element.items = ParamType::string;
    return element;
}

/// The declaration of @p entry of a map declared by @p info, or nullptr if it takes no such key;
/// @p element is element_of(info).
const ParamInfo* declaration_of(const ParamSpec& entry, const ParamInfo& info,
                                const ParamInfo& element) {
    if (info.fields.empty()) return &element;
    for (const ParamInfo& field : info.fields) {
        if (field.name == entry.name) return &field;
    }
    return nullptr;
}

/// Reads parameters as their declarations say, reporting every problem.
class ParamReader {
public:
    ParamReader(const OpInfo& op, const ReportProblem& report) : op_(op), report_(report) {}

    /// Reads @p given, declared by @p info and named @p path in messages (`cases[0].when`), into
    /// @p out. False if it does not fit (problems reported).
    bool read(const ParamSpec& given, const ParamInfo& info, const std::string& path,
              ParamItem& out) {
        const bool single = is_single(info.type);
        const bool list = info.type == ParamType::list;
        const ParamSpec::Shape shape = list ? ParamSpec::Shape::list : ParamSpec::Shape::map;
        if (single ? !given.has_text() : given.shape != shape) {
            report_(given.where, "parameter '" + path + "' of op '" + op_.name + "' takes " +
                                     written_as(info.type) + ", not " + written_as(given) +
                                     (single ? "" : not_yaml(given.value)));
            return false;
        }
        if (single) return read_single(given, info, path, out);
        if (!list) return read_map(given, info, path, out);
        const ParamInfo element = element_of(info);
        bool ok = true;
        if (given.items.size() < info.min_items) {
            report_(given.where, "parameter '" + path + "' of op '" + op_.name +
                                     "' needs at least " + std::to_string(info.min_items) +
                                     (info.min_items == 1 ? " element" : " elements"));
            ok = false;
        }
        for (std::size_t i = 0; i < given.items.size(); ++i) {
            ParamItem item;
            ok = read(given.items[i], element, path + "[" + std::to_string(i) + "]", item) && ok;
            out.fields.push_back(std::move(item));
        }
        return ok;
    }

private:
    bool read_single(const ParamSpec& given, const ParamInfo& info, const std::string& path,
                     ParamItem& out) {
        out.text = given.value;
        if (info.type == ParamType::integer && !parse_integer(given.value)) {
            report_(given.where,
                    "parameter '" + path + "' must be an integer, not '" + given.value + "'");
            return false;
        }
        if (info.type == ParamType::boolean && given.value != "true" && given.value != "false") {
            report_(given.where,
                    "parameter '" + path + "' must be true or false, not '" + given.value + "'");
            return false;
        }
        return !info.check || check_text(given, path, info.check, report_);
    }

    bool read_map(const ParamSpec& given, const ParamInfo& info, const std::string& path,
                  ParamItem& out) {
        const ParamInfo element = element_of(info);
        bool ok = true;
        for (const ParamSpec& entry : given.items) {
            const ParamInfo* declared = declaration_of(entry, info, element);
            if (!declared) {
                std::vector<std::string> keys;
                for (const ParamInfo& field : info.fields) keys.push_back(field.name);
                report_(entry.name_where, "unknown key '" + entry.name + "' in parameter '" + path +
                                              "' of op '" + op_.name + "'" +
                                              did_you_mean(entry.name, keys));
                ok = false;
                continue;
            }
            if (info.check_key && info.fields.empty()) {
                try {
                    info.check_key(entry.name);
                } catch (const std::exception& error) {
                    report_(entry.name_where,
                            "parameter '" + path + "': key '" + entry.name + "': " + error.what());
                    ok = false;
                    continue;
                } catch (...) {  // a plugin's check may throw anything: still a bad key
                    report_(entry.name_where, "parameter '" + path + "': key '" + entry.name +
                                                  "': unknown exception");
                    ok = false;
                    continue;
                }
            }
            ParamItem item{.key = entry.name};
            ok = read(entry, *declared, path + "." + entry.name, item) && ok;
            out.fields.push_back(std::move(item));
        }
        for (const ParamInfo& field : info.fields) {
            if (given_key(given, field.name)) continue;
            if (field.default_value) {
                out.fields.push_back({.key = field.name, .text = *field.default_value});
            } else {
                report_(given.where, "parameter '" + path + "' of op '" + op_.name +
                                         "' is missing key '" + field.name + "' (" +
                                         std::string(to_string(field.type)) + ")");
                ok = false;
            }
        }
        return ok;
    }

    static bool given_key(const ParamSpec& map, const std::string& key) {
        for (const ParamSpec& entry : map.items) {
            if (entry.name == key) return true;
        }
        return false;
    }

    const OpInfo& op_;
    const ReportProblem& report_;
};

/// check_with_others() for one parameter, or one element of it.
void check_others(const ParamSpec& given, const ParamInfo& info, const std::string& path,
                  const Params& params, const ReportProblem& report) {
    if (is_single(info.type)) {
        if (!info.check_with_others) return;
        check_text(
            given, path, [&](const std::string& text) { info.check_with_others(text, params); },
            report);
        return;
    }
    const ParamInfo element = element_of(info);
    for (std::size_t i = 0; i < given.items.size(); ++i) {
        const ParamSpec& item = given.items[i];
        if (info.type == ParamType::list) {
            check_others(item, element, path + "[" + std::to_string(i) + "]", params, report);
        } else if (const ParamInfo* declared = declaration_of(item, info, element)) {
            check_others(item, *declared, path + "." + item.name, params, report);
        }
    }
}

}  // namespace

Params read_op_params(const NodeSpec& spec, const OpInfo& op, const ReportProblem& report) {
    ParamReader reader(op, report);
    std::map<std::string, std::string, std::less<>> values;
    std::map<std::string, std::vector<ParamItem>, std::less<>> lists;
    for (const ParamInfo& info : op.params) {
        const ParamSpec* given = spec.param(info.name);
        ParamItem item;
        if (given) {
            reader.read(*given, info, info.name, item);
        } else if (info.default_value) {
            item.text = *info.default_value;  // a list or map defaults to empty
        } else {
            report(spec.where, "node '" + spec.name + "' is missing parameter '" + info.name +
                                   "' (" + std::string(to_string(info.type)) + ") of op '" +
                                   op.name + "'");
            continue;
        }
        if (is_single(info.type))
            values[info.name] = std::move(item.text);
        else
            lists[info.name] = std::move(item.fields);
    }
    return Params(std::move(values), std::move(lists));
}

void check_with_others(const NodeSpec& spec, const OpInfo& op, const Params& params,
                       const ReportProblem& report) {
    for (const ParamInfo& info : op.params) {
        if (const ParamSpec* given = spec.param(info.name)) {
            check_others(*given, info, info.name, params, report);
        }
    }
}

void warn_about(const NodeSpec& spec, const OpInfo& op, const Params& params,
                const ReportProblem& report) {
    for (const ParamInfo& info : op.params) {
        const ParamSpec* given = spec.param(info.name);
        if (!info.warn || given == nullptr) continue;
        const bool single = given->shape == ParamSpec::Shape::scalar;
        if (!single && (info.type != ParamType::list || given->items.empty())) continue;
        const ParamSpec& value = single ? *given : given->items.front();
        std::string message;
        try {
            message = info.warn(value.value, params);
        } catch (...) {
            continue;  // a warning that cannot be worked out is not worth one
        }
        if (!message.empty()) report(value.where, "node '" + spec.name + "': " + message);
    }
}

bool check_text(const ParamSpec& param, const std::string& label,
                const std::function<void(const std::string&)>& check, const ReportProblem& report) {
    try {
        check(param.value);
        return true;
    } catch (const ParamTextError& e) {
        report(param.at(e.offset), "parameter '" + label + "': " + e.what());
    } catch (const std::exception& e) {
        report(param.where, "parameter '" + label + "': " + e.what());
    } catch (...) {  // a plugin's check may throw anything (`throw 42`): still a bad value
        report(param.where, "parameter '" + label + "': unknown exception");
    }
    return false;
}

}  // namespace flowpool::detail
