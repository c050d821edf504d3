// Functions on strings and lists: len, lower, upper, trim, contains, starts_with, ends_with,
// split, join, replace, substr, str. Lengths and positions count characters (UTF-8 code points),
// not bytes; lower and upper change ASCII letters only.

#include <algorithm>
#include <stdexcept>
#include <string>

#include "data/json.hpp"
#include "functions.hpp"
#include "values.hpp"

namespace flowpool::expr {
namespace {

using Args = std::span<const Value* const>;

const std::string& text(const Value* v, const char* what) { return string_of(*v, what); }

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

std::int64_t characters(std::string_view s) {
    return static_cast<std::int64_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return !is_continuation(c); }));
}

// The byte where character @p n starts (the end if there are fewer).
std::size_t byte_of(std::string_view s, std::int64_t n) {
    std::size_t at = 0;
    for (; n > 0 && at < s.size(); --n) {
        ++at;
        while (at < s.size() && is_continuation(s[at])) ++at;
    }
    return at;
}

void len(Args args, const Env&, Value& out) {
    const Value& v = *args[0];
    if (const auto* s = std::get_if<std::string>(&v)) {
        out = characters(*s);
    } else if (const List* l = v.list()) {
        out = static_cast<std::int64_t>(l->size());
    } else if (const Record* r = v.record()) {
        out = static_cast<std::int64_t>(r->size());
    } else {
        throw std::invalid_argument("len() takes a string, a list or a record, not " +
                                    std::string(article(v)));
    }
}

template <char From, char To>
void change_case(Args args, const Env&, Value& out) {
    std::string s = text(args[0], "the argument");
    for (char& c : s) {
        if (c >= From && c <= From + 25) c = static_cast<char>(c - From + To);
    }
    out = std::move(s);
}

void trim(Args args, const Env&, Value& out) {
    const std::string& s = text(args[0], "the argument");
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    std::size_t begin = 0;
    std::size_t end = s.size();
    while (begin < end && space(s[begin])) ++begin;
    while (end > begin && space(s[end - 1])) --end;
    out = s.substr(begin, end - begin);
}

void contains(Args args, const Env&, Value& out) {
    out = text(args[0], "argument 1").find(text(args[1], "argument 2")) != std::string::npos;
}

void starts_with(Args args, const Env&, Value& out) {
    out = text(args[0], "argument 1").starts_with(text(args[1], "argument 2"));
}

void ends_with(Args args, const Env&, Value& out) {
    out = text(args[0], "argument 1").ends_with(text(args[1], "argument 2"));
}

void split(Args args, const Env&, Value& out) {
    const std::string& s = text(args[0], "argument 1");
    const std::string& separator = text(args[1], "the separator");
    if (separator.empty()) throw std::invalid_argument("the separator is empty");
    List pieces;
    std::size_t from = 0;
    for (;;) {
        const std::size_t at = s.find(separator, from);
        pieces.emplace_back(
            s.substr(from, at == std::string::npos ? std::string::npos : at - from));
        if (at == std::string::npos) break;
        from = at + separator.size();
    }
    out = std::move(pieces);
}

void str(Args args, const Env&, Value& out) {
    const Value& v = *args[0];
    if (const auto* s = std::get_if<std::string>(&v)) {
        out = *s;
        return;
    }
    std::string json;
    detail::append_json_value(json, v);
    out = std::move(json);
}

void join(Args args, const Env& env, Value& out) {
    const List* list = args[0]->list();
    if (list == nullptr) {
        throw std::invalid_argument("argument 1 must be a list, not " +
                                    std::string(article(*args[0])));
    }
    const std::string& separator = text(args[1], "the separator");
    std::string joined;
    for (std::size_t i = 0; i < list->size(); ++i) {
        if (i > 0) joined += separator;
        const Value* item = &(*list)[i];
        Value shown;
        str(Args(&item, 1), env, shown);
        joined += std::get<std::string>(shown);
    }
    out = std::move(joined);
}

void replace(Args args, const Env&, Value& out) {
    const std::string& s = text(args[0], "argument 1");
    const std::string& from = text(args[1], "argument 2");
    const std::string& to = text(args[2], "argument 3");
    if (from.empty()) throw std::invalid_argument("the text to replace is empty");
    std::string result;
    std::size_t at = 0;
    for (std::size_t found; (found = s.find(from, at)) != std::string::npos;
         at = found + from.size()) {
        result.append(s, at, found - at).append(to);
    }
    result.append(s, at);
    out = std::move(result);
}

std::int64_t integer_argument(const Value* v, const char* what) {
    if (const auto* n = std::get_if<std::int64_t>(v)) return *n;
    throw std::invalid_argument(std::string(what) + " must be an integer, not " +
                                std::string(article(*v)));
}

void substr(Args args, const Env&, Value& out) {
    const std::string& s = text(args[0], "argument 1");
    std::int64_t start = integer_argument(args[1], "the start");
    if (start < 0) start = std::max<std::int64_t>(0, characters(s) + start);
    const std::size_t begin = byte_of(s, start);
    if (args.size() < 3) {
        out = s.substr(begin);
        return;
    }
    const std::int64_t count = integer_argument(args[2], "the length");
    if (count < 0) throw std::invalid_argument("the length is negative");
    const std::string_view rest = std::string_view(s).substr(begin);
    out = std::string(rest.substr(0, byte_of(rest, count)));
}

constexpr TypeSet S = string_type;
constexpr TypeSet I = int_type;

constexpr Function table[] = {
    {"contains",
     2,
     2,
     {S, S},
     bool_type,
     contains,
     "contains(s: string, part: string) -> bool",
     "true if `part` occurs in `s`"},
    {"ends_with",
     2,
     2,
     {S, S},
     bool_type,
     ends_with,
     "ends_with(s: string, suffix: string) -> bool",
     "true if `s` ends with `suffix`"},
    {"join",
     2,
     2,
     {list_type, S},
     S,
     join,
     "join(items: list, separator: string) -> string",
     "the items as text (str()), with `separator` between them"},
    {"len",
     1,
     1,
     {S | list_type | record_type},
     I,
     len,
     "len(x: string | list | record) -> integer",
     "characters of a string (UTF-8 code points), items of a list, fields of a record"},
    {"lower",
     1,
     1,
     {S},
     S,
     change_case<'A', 'a'>,
     "lower(s: string) -> string",
     "`s` with ASCII letters in lower case"},
    {"replace",
     3,
     3,
     {S, S, S},
     S,
     replace,
     "replace(s: string, from: string, to: string) -> string",
     "`s` with every `from` replaced by `to` (plain text; use =~ for patterns)"},
    {"split",
     2,
     2,
     {S, S},
     list_type,
     split,
     "split(s: string, separator: string) -> list",
     "the pieces of `s` between separators (\"a,,b\" by \",\" gives [\"a\", \"\", \"b\"])"},
    {"starts_with",
     2,
     2,
     {S, S},
     bool_type,
     starts_with,
     "starts_with(s: string, prefix: string) -> bool",
     "true if `s` starts with `prefix`"},
    {"str",
     1,
     1,
     {any_type},
     S,
     str,
     "str(x) -> string",
     "a string as it is; anything else as its JSON text (null gives \"null\")",
     false},
    {"substr",
     2,
     3,
     {S, I, I},
     S,
     substr,
     "substr(s: string, start: integer[, length: integer]) -> string",
     "characters of `s` from `start` (negative: from the end), `length` of them or to the end"},
    {"trim",
     1,
     1,
     {S},
     S,
     trim,
     "trim(s: string) -> string",
     "`s` without leading and trailing spaces, tabs and line ends"},
    {"upper",
     1,
     1,
     {S},
     S,
     change_case<'a', 'A'>,
     "upper(s: string) -> string",
     "`s` with ASCII letters in upper case"},
};

}  // namespace

std::span<const Function> text_functions() noexcept { return table; }

}  // namespace flowpool::expr
