// Functions on any value, on time and on the job: coalesce, hash, id, keys, values, type,
// to_json, parse_json, now, parse_time, format_time. Times are seconds since 1970-01-01 UTC,
// as floats.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <functional>
#include <stdexcept>
#include <string>

#include "data/json.hpp"
#include "functions.hpp"
#include "values.hpp"

namespace flowpool::expr {
namespace {

using Args = std::span<const Value* const>;

void coalesce(Args args, const Env&, Value& out) {
    for (const Value* v : args) {
        if (!v->is_null()) {
            out = *v;
            return;
        }
    }
    out = nullptr;
}

void hash(Args args, const Env&, Value& out) {
    // Stable from run to run, and spread in every bit, so that `hash(.user) % 8` splits evenly.
    out = static_cast<std::int64_t>(stable_hash(*args[0]) >> 1);
}

void id(Args, const Env& env, Value& out) { out = static_cast<std::int64_t>(env.id); }

void type(Args args, const Env&, Value& out) { out = std::string(args[0]->type_name()); }

const Record& record_argument(const Value* v) {
    if (const Record* r = v->record()) return *r;
    throw std::invalid_argument("the argument must be a record, not " + std::string(article(*v)));
}

void keys(Args args, const Env&, Value& out) {
    List names;
    for (const Field& field : record_argument(args[0])) names.emplace_back(field.name);
    out = std::move(names);
}

void values(Args args, const Env&, Value& out) {
    List items;
    for (const Field& field : record_argument(args[0])) items.push_back(field.value);
    out = std::move(items);
}

void to_json(Args args, const Env&, Value& out) {
    std::string json;
    detail::append_json_value(json, *args[0]);
    out = std::move(json);
}

void parse_json(Args args, const Env&, Value& out) {
    const std::string* text = &string_of(*args[0], "the argument");
    detail::JsonError error;
    if (!detail::parse_json(*text, out, error)) {
        throw std::invalid_argument("not JSON: " + error.reason + " at byte " +
                                    std::to_string(error.offset + 1));
    }
}

void now(Args, const Env&, Value& out) {
    const auto since = std::chrono::system_clock::now().time_since_epoch();
    out = std::chrono::duration<double>(since).count();
}

constexpr const char* iso_format = "%Y-%m-%dT%H:%M:%S";  // and rest_of_iso()
constexpr const char* iso_example = "2026-12-01T20:13:51.250+01:00";

bool digits(const char* p, int n) {
    for (int i = 0; i < n; ++i) {
        if (p[i] < '0' || p[i] > '9') return false;
    }
    return true;
}

int two_digits(const char* p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

// Seconds to add for the fraction and zone (Z, +HH, +HH:MM, +HHMM) after what strptime read.
double rest_of_iso(const char* rest, const std::string& text) {
    double seconds = 0;
    if (*rest == '.' && rest[1] >= '0' && rest[1] <= '9') {
        char* end = nullptr;
        seconds = std::strtod(rest, &end);
        rest = end;
    }
    if (*rest == 'Z' || *rest == 'z') {  // RFC 3339 allows either
        ++rest;
    } else if ((*rest == '+' || *rest == '-') && digits(rest + 1, 2)) {
        const int sign = *rest == '-' ? -1 : 1;
        const int hours = two_digits(rest + 1);
        int minutes = 0;
        rest += 3;
        if (*rest == ':' && digits(rest + 1, 2)) {
            minutes = two_digits(rest + 1);
            rest += 3;
        } else if (digits(rest, 2)) {
            minutes = two_digits(rest);
            rest += 2;
        }
        if (hours > 23 || minutes > 59) {  // RFC 3339's time-hour and time-minute
            throw std::invalid_argument("'" + text + "' has a zone offset out of range (hours " +
                                        "00 to 23, minutes 00 to 59)");
        }
        seconds -= sign * (hours * 3600 + minutes * 60);
    }
    if (*rest != '\0') {
        throw std::invalid_argument("unexpected text after the time in '" + text + "'");
    }
    return seconds;
}

void parse_time(Args args, const Env&, Value& out) {
    const std::string* text = &string_of(*args[0], "the time");
    const bool iso = args.size() < 2;
    const std::string format = iso ? iso_format : string_of(*args[1], "the format");
    std::tm tm{};
    tm.tm_mday = 1;  // what a format without the day leaves (tm{} was the day before the 1st)
    const char* rest = ::strptime(text->c_str(), format.c_str(), &tm);
    if (rest == nullptr && iso) {
        throw std::invalid_argument("'" + *text + "' is not an ISO 8601 time such as " +
                                    iso_example + " (fraction and zone optional)");
    }
    if (rest == nullptr) {
        throw std::invalid_argument("'" + *text + "' does not match the format '" + format + "'");
    }
    const long zone = tm.tm_gmtoff;  // set by %z
    const std::tm read = tm;
    double seconds = static_cast<double>(::timegm(&tm)) - static_cast<double>(zone);
    // timegm() carries a day past the month's end into the next (February 30 is March 2); a
    // leap second (23:59:60, at a month's end) is carried too, and is a real time.
    std::tm day = read;
    day.tm_sec = std::min(day.tm_sec, 59);
    static_cast<void>(::timegm(&day));
    if (read.tm_mday >= 1 && (day.tm_mday != read.tm_mday || day.tm_mon != read.tm_mon)) {
        throw std::invalid_argument(
            "'" + *text + "' has no such day: month " + std::to_string(read.tm_mon + 1) + " of " +
            std::to_string(read.tm_year + 1900) + " has no day " + std::to_string(read.tm_mday));
    }
    if (iso) {
        seconds += rest_of_iso(rest, *text);
    } else if (*rest != '\0') {
        throw std::invalid_argument("unexpected text after the time in '" + *text + "'");
    }
    out = seconds;
}

void format_time(Args args, const Env&, Value& out) {
    const double t = to_double(*args[0], "the time");
    if (!(std::fabs(t) < 1e15)) throw std::invalid_argument("the time is out of range");
    const std::string format =
        args.size() < 2 ? "%Y-%m-%dT%H:%M:%SZ" : string_of(*args[1], "the format");
    const auto whole = static_cast<std::time_t>(std::floor(t));
    std::tm tm{};
    ::gmtime_r(&whole, &tm);
    std::string buffer(64 + format.size() * 4, '\0');
    const std::size_t n = std::strftime(buffer.data(), buffer.size(), format.c_str(), &tm);
    if (n == 0 && !format.empty()) throw std::invalid_argument("the formatted time is too long");
    buffer.resize(n);
    out = std::move(buffer);
}

constexpr TypeSet S = string_type;

constexpr Function table[] = {
    {"coalesce",
     1,
     -1,
     {any_type},
     any_type,
     coalesce,
     "coalesce(x, y, ...) -> any",
     "the first argument that is not null (`a ?? b` is coalesce(a, b))",
     false},
    {"format_time",
     1,
     2,
     {number_type, S},
     S,
     format_time,
     "format_time(t: number[, format: string]) -> string",
     "seconds since 1970 (UTC) as strftime's `format` writes them; default ISO 8601 with Z"},
    {"hash",
     1,
     1,
     {any_type},
     int_type,
     hash,
     "hash(x) -> integer",
     "a non-negative 63-bit hash of `x`, the same from run to run; values equal as `==` says "
     "hash alike (1 and 1.0)",
     false},
    {"id", 0, 0, {}, int_type, id, "id() -> integer", "the job's id", true, false, true},
    {"keys",
     1,
     1,
     {record_type},
     list_type,
     keys,
     "keys(r: record) -> list",
     "the field names of `r`, in order"},
    {"now",
     0,
     0,
     {},
     float_type,
     now,
     "now() -> float",
     "the time when it is evaluated, in seconds since 1970 (UTC)",
     true,
     false,
     true},
    {"parse_json",
     1,
     1,
     {S},
     any_type,
     parse_json,
     "parse_json(s: string) -> any",
     "the value the JSON text `s` holds"},
    {"parse_time",
     1,
     2,
     {S, S},
     float_type,
     parse_time,
     "parse_time(s: string[, format: string]) -> float",
     "seconds since 1970 (UTC) of a time written as strptime's `format` reads it (%z for a "
     "zone; parts the format leaves out are those of 1900-01-01 00:00:00, as in Python's "
     "`strptime`); default ISO 8601: 2026-12-01T20:13:51.250+01:00 (fraction and zone optional)"},
    {"to_json", 1, 1, {any_type}, S, to_json, "to_json(x) -> string", "`x` as JSON text", false},
    {"type",
     1,
     1,
     {any_type},
     S,
     type,
     "type(x) -> string",
     "null, bool, integer, float, string, list, record, or an application type's name",
     false},
    {"values",
     1,
     1,
     {record_type},
     list_type,
     values,
     "values(r: record) -> list",
     "the field values of `r`, in order"},
};

}  // namespace

std::span<const Function> other_functions() noexcept { return table; }

namespace {

std::vector<Function> sorted_functions() {
    std::vector<Function> all;
    for (const auto family : {text_functions(), number_functions(), other_functions()}) {
        all.insert(all.end(), family.begin(), family.end());
    }
    std::sort(all.begin(), all.end(),
              [](const Function& a, const Function& b) { return a.name < b.name; });
    return all;
}

const std::vector<Function>& functions() {
    static const std::vector<Function> all = sorted_functions();
    return all;
}

}  // namespace

std::span<const Function> all_functions() noexcept { return functions(); }

const Function* find_function(std::string_view name) noexcept {
    const auto& all = functions();
    const auto it =
        std::lower_bound(all.begin(), all.end(), name,
                         [](const Function& f, std::string_view n) { return f.name < n; });
    return it != all.end() && it->name == name ? &*it : nullptr;
}

std::vector<FunctionDoc> function_docs() {
    std::vector<FunctionDoc> docs;
    for (const Function& f : functions()) docs.push_back({f.signature, f.description});
    docs.push_back(
        {"if(condition: bool, then, else) -> any",
         "`then` if the condition is true, else `else`; evaluates only the one it gives"});
    std::sort(docs.begin(), docs.end(),
              [](const FunctionDoc& a, const FunctionDoc& b) { return a.signature < b.signature; });
    return docs;
}

}  // namespace flowpool::expr
