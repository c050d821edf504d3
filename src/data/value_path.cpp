#include "value_path.hpp"

#include <charconv>
#include <stdexcept>
#include <utility>

namespace flowpool::detail {
namespace {

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

}  // namespace

std::size_t quoted_end(std::string_view text, std::size_t open) noexcept {
    for (std::size_t i = open + 1; i < text.size(); ++i) {
        if (text[i] == '\\') {
            ++i;
        } else if (text[i] == text[open]) {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

ValuePath::ValuePath(std::string_view text, Unquote unquote) : text_(text) {
    std::size_t i = 0;
    while (i < text.size()) {
        if (text.substr(i, 2) == ".[") {  // .a.["b"] is .a["b"], as in jq 1.7
            ++i;
        } else if (text.substr(i, 2) == ".\"" || text.substr(i, 2) == ".'") {
            i = add_quoted(text, i, unquote);  // ."odd key", as jq and VRL write a field
        } else if (text[i] == '.') {
            std::size_t end = i + 1;
            while (end < text.size() && is_name_char(text[end])) ++end;
            if (end == i + 1)
                throw std::invalid_argument("a field name must follow '.' in '" + text_ + "'");
            steps_.push_back({std::string(text.substr(i + 1, end - i - 1)), 0, false});
            i = end;
        } else if (text.substr(i, 2) == "[\"" || text.substr(i, 2) == "['") {
            i = add_quoted(text, i, unquote);
        } else if (text[i] == '[') {
            const std::size_t close = text.find(']', i);
            Step step{{}, 0, true, false};
            const char* first = text.data() + i + 1;
            const char* last = text.data() + (close == std::string_view::npos ? i + 1 : close);
            if (first < last && *first == '-') {  // [-1]: the last, as in expressions
                step.from_end = true;
                ++first;
            }
            const auto [end, error] = std::from_chars(first, last, step.index);
            if (close == std::string_view::npos || first == last || error != std::errc{} ||
                end != last || (step.from_end && step.index == 0)) {
                throw std::invalid_argument(
                    "a list index is written [N] (N from 0) or [-N] (from the end, -1 the last) "
                    "in '" +
                    text_ + "'");
            }
            steps_.push_back(std::move(step));
            i = close + 1;
        } else {
            throw std::invalid_argument("unexpected '" + std::string(1, text[i]) + "' in '" +
                                        text_ + "': write .field, [N] or [\"field\"]");
        }
    }
}

std::size_t ValuePath::add_quoted(std::string_view text, std::size_t open, Unquote unquote) {
    const std::size_t end = quoted_end(text, open + 1);
    if (end == std::string_view::npos)
        throw std::invalid_argument("unclosed string in '" + text_ + "'");
    const bool bracket = text[open] == '[';  // ["name"], else ."name"
    if (bracket && (end == text.size() || text[end] != ']'))
        throw std::invalid_argument("expected ']' after the quoted field name in '" + text_ + "'");
    std::string name;
    try {
        name = unquote(text.substr(open + 1, end - open - 1));
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string(e.what()) + " in '" + text_ + "'");
    }
    steps_.push_back({std::move(name), 0, false});
    return bracket ? end + 1 : end;
}

const Value* ValuePath::follow(const Value& root, std::unique_ptr<Value>& shown,
                               const Opaque*& unshown) const {
    const Value* here = &root;
    for (const Step& step : steps_) {
        if (const auto* opaque = std::get_if<Opaque>(here)) {
            std::unique_ptr<Value> plain = opaque->to_value();
            if (plain == nullptr) {
                unshown = opaque;
                return nullptr;
            }
            shown = std::move(plain);  // what it replaces, if anything, is behind us
            here = shown.get();
        }
        if (step.is_index) {
            const List* items = here->list();
            if (items == nullptr) return nullptr;
            if (step.from_end) {
                if (step.index > items->size()) return nullptr;
                here = &(*items)[items->size() - step.index];
            } else {
                if (step.index >= items->size()) return nullptr;
                here = &(*items)[step.index];
            }
        } else {
            const Record* fields = here->record();
            if (fields == nullptr) return nullptr;
            here = fields->find(step.name);
            if (here == nullptr) return nullptr;
        }
    }
    return here;
}

const Value* ValuePath::find(const Value& root, std::unique_ptr<Value>& shown) const {
    const Opaque* unshown = nullptr;
    return follow(root, shown, unshown);
}

const Value& ValuePath::at(const Value& root, std::unique_ptr<Value>& shown) const {
    const Opaque* unshown = nullptr;
    if (const Value* found = follow(root, shown, unshown)) return *found;
    if (unshown != nullptr) {
        throw std::invalid_argument("no " + text_ + " in the value: " + unshown->type_name() +
                                    " values show no fields, as their type was registered "
                                    "without to_value");
    }
    throw std::invalid_argument("no " + text_ + " in the value");
}

}  // namespace flowpool::detail
