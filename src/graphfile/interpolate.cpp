#include "interpolate.hpp"

#include <cstdlib>

namespace flowpool::detail {
namespace {

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

bool is_name(std::string_view text) {
    if (text.empty() || !is_name_start(text.front())) return false;
    for (const char c : text) {
        if (!is_name_char(c)) return false;
    }
    return true;
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

std::variant<std::string, InterpolationError> interpolate(std::string_view text,
                                                          const EnvLookup& lookup) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        if (text.compare(i, 3, "$${") == 0) {
            out += "${";
            i += 3;
            continue;
        }
        if (text.compare(i, 2, "${") != 0) {
            out += text[i++];
            continue;
        }
        const std::size_t close = text.find('}', i + 2);
        if (close == std::string_view::npos) {
            return InterpolationError{
                i, std::string(text.substr(i)),
                "'${' without a closing '}' (write '$${' for a literal '${')"};
        }
        const std::string reference(text.substr(i, close + 1 - i));
        const std::string_view inside = text.substr(i + 2, close - i - 2);
        const std::size_t dash = inside.find(":-");
        const std::string name(inside.substr(0, dash));
        if (!is_name(name)) {
            return InterpolationError{
                i, reference,
                "'" + reference +
                    "' does not name a variable: a name is letters, digits "
                    "and '_', not starting with a digit (write '$${' for a literal '${')"};
        }
        const std::optional<std::string> value = lookup(name);
        if (dash != std::string_view::npos && (!value || value->empty())) {
            out += inside.substr(dash + 2);
        } else if (value) {
            out += *value;
        } else {
            return InterpolationError{i, reference,
                                      "environment variable '" + name + "' is not set (write '${" +
                                          name + ":-DEFAULT}' to give a default)"};
        }
        i = close + 1;
    }
    return out;
}

}  // namespace flowpool::detail
