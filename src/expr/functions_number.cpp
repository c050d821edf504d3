// Functions on numbers: int, float, round, floor, ceil, abs, min, max.

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "common/parse.hpp"
#include "functions.hpp"
#include "values.hpp"

namespace flowpool::expr {
namespace {

using Args = std::span<const Value* const>;

// 2^63 as a double: the first double past the int64 range.
constexpr double int64_end = 9223372036854775808.0;

std::int64_t to_integer(double x, const char* what) {
    if (!(x >= -int64_end && x < int64_end)) {
        throw std::invalid_argument(std::string(what) + " is out of the integer range");
    }
    return static_cast<std::int64_t>(x);
}

void to_int(Args args, const Env&, Value& out) {
    const Value& v = *args[0];
    if (std::holds_alternative<std::int64_t>(v)) {
        out = v;
    } else if (const auto* x = std::get_if<double>(&v)) {
        out = to_integer(std::trunc(*x), "the number");
    } else if (const auto* b = std::get_if<bool>(&v)) {
        out = std::int64_t{*b ? 1 : 0};
    } else if (const auto* s = std::get_if<std::string>(&v)) {
        detail::IntegerError why{};
        const auto n = detail::parse_integer(*s, &why);
        if (!n) {
            throw std::invalid_argument("'" + *s + "' " +
                                        (why == detail::IntegerError::out_of_range
                                             ? "is out of the integer range"
                                             : "is not an integer"));
        }
        out = *n;
    } else {
        throw std::invalid_argument("cannot make an integer of " + std::string(article(v)));
    }
}

void to_float(Args args, const Env&, Value& out) {
    const Value& v = *args[0];
    if (const auto* b = std::get_if<bool>(&v)) {
        out = *b ? 1.0 : 0.0;
    } else if (const auto* s = std::get_if<std::string>(&v)) {
        // Decimal text only, as int() and JSON read it: no spaces, hex, inf or nan.
        double x = 0;
        const char* const last = s->data() + s->size();
        const auto [end, error] = std::from_chars(s->data(), last, x);
        if (s->empty() || error != std::errc() || end != last || !std::isfinite(x)) {
            throw std::invalid_argument("'" + *s + "' is not a number");
        }
        out = x;
    } else {
        out = to_double(v, "the argument");
    }
}

template <double (*Round)(double)>
void rounding(Args args, const Env&, Value& out) {
    const Value& v = *args[0];
    if (args.size() == 2) {
        const auto* digits = std::get_if<std::int64_t>(args[1]);
        if (digits == nullptr || *digits < 0 || *digits > 15) {
            throw std::invalid_argument("the digits must be an integer from 0 to 15");
        }
        const double scale = std::pow(10.0, static_cast<double>(*digits));
        out = Round(to_double(v, "the argument") * scale) / scale;
        return;
    }
    if (std::holds_alternative<std::int64_t>(v)) {
        out = v;
        return;
    }
    out = to_integer(Round(to_double(v, "the argument")), "the result");
}

void absolute(Args args, const Env&, Value& out) {
    const Value& v = *args[0];
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
        if (*n == std::numeric_limits<std::int64_t>::min()) {
            throw std::invalid_argument("integer overflow");
        }
        out = *n < 0 ? -*n : *n;
    } else {
        out = std::fabs(to_double(v, "the argument"));
    }
}

// min and max: of the arguments, or of the one list given; nulls are left out.
template <bool Largest>
void extreme(Args args, const Env&, Value& out) {
    const Value* const* begin = args.data();
    std::size_t n = args.size();
    std::vector<const Value*> items;
    if (n == 1 && args[0]->list()) {
        for (const Value& item : *args[0]->list()) items.push_back(&item);
        begin = items.data();
        n = items.size();
    }
    const Value* best = nullptr;
    Value less;
    for (std::size_t i = 0; i < n; ++i) {
        const Value* v = begin[i];
        if (v->is_null()) continue;
        if (best == nullptr) {
            best = v;
            continue;
        }
        arithmetic(Op::less, Largest ? *best : *v, Largest ? *v : *best, less);
        if (std::get<bool>(less)) best = v;
    }
    out = best ? *best : Value(nullptr);
}

constexpr TypeSet N = number_type;

constexpr Function table[] = {
    {"abs", 1, 1, {N}, N, absolute, "abs(x: number) -> number", "the absolute value of `x`"},
    {"ceil",
     1,
     2,
     {N, int_type},
     N,
     rounding<std::ceil>,
     "ceil(x: number[, digits: integer]) -> number",
     "the least integer not below `x` (with `digits`: a float with that many decimals)"},
    {"float",
     1,
     1,
     {N | string_type | bool_type},
     float_type,
     to_float,
     "float(x: number | string | bool) -> float",
     "`x` as a float (\"1.5\" gives 1.5)"},
    {"floor",
     1,
     2,
     {N, int_type},
     N,
     rounding<std::floor>,
     "floor(x: number[, digits: integer]) -> number",
     "the greatest integer not above `x` (with `digits`: a float with that many decimals)"},
    {"int",
     1,
     1,
     {N | string_type | bool_type},
     int_type,
     to_int,
     "int(x: number | string | bool) -> integer",
     "`x` as an integer: floats truncated toward zero, strings of decimal digits read"},
    {"max",
     1,
     -1,
     {N | string_type | list_type},
     N | string_type,
     extreme<true>,
     "max(x, y, ...) -> number | string, or max(list) -> item",
     "the largest of its arguments (or of a list's items, which may be anything alone), nulls "
     "left out",
     false,
     true},
    {"min",
     1,
     -1,
     {N | string_type | list_type},
     N | string_type,
     extreme<false>,
     "min(x, y, ...) -> number | string, or min(list) -> item",
     "the smallest of its arguments (or of a list's items, which may be anything alone), nulls "
     "left out",
     false,
     true},
    {"round",
     1,
     2,
     {N, int_type},
     N,
     rounding<std::round>,
     "round(x: number[, digits: integer]) -> number",
     "`x` rounded to the nearest integer, halves away from zero (with `digits`: a float)"},
};

}  // namespace

std::span<const Function> number_functions() noexcept { return table; }

}  // namespace flowpool::expr
