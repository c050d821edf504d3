#include "values.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

namespace flowpool::expr {
namespace {

bool is_number(const Value& v) {
    return std::holds_alternative<std::int64_t>(v) || std::holds_alternative<double>(v);
}

double as_double(const Value& v) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) return static_cast<double>(*n);
    return std::get<double>(v);
}

[[noreturn]] void refuse(std::string_view verb, const Value& a, std::string_view joiner,
                         const Value& b) {
    throw std::invalid_argument("cannot " + std::string(verb) + " " + std::string(article(a)) +
                                " " + std::string(joiner) + " " + std::string(article(b)));
}

// -1, 0, 1 for a < b, a == b, a > b; numbers with numbers, strings with strings.
int order(const Value& a, const Value& b) {
    const auto* x = std::get_if<std::int64_t>(&a);
    const auto* y = std::get_if<std::int64_t>(&b);
    if (x && y) return (*x > *y) - (*x < *y);
    if (is_number(a) && is_number(b)) {
        // A long double holds every int64 and every double exactly: an integer and a float
        // compare exactly, as `==` compares them.
        const auto wide = [](const Value& v, const std::int64_t* n) {
            return n ? static_cast<long double>(*n) : static_cast<long double>(std::get<double>(v));
        };
        const long double p = wide(a, x);
        const long double q = wide(b, y);
        return (p > q) - (p < q);
    }
    const auto* s = std::get_if<std::string>(&a);
    const auto* t = std::get_if<std::string>(&b);
    if (s && t) {
        const int c = s->compare(*t);
        return (c > 0) - (c < 0);
    }
    refuse("compare", a, "with", b);
}

/// @p r, the result of float arithmetic on finite numbers: an infinity is an overflow, which
/// fails the job as an integer's does (JSON has no infinity: it would be written as null).
double finite(double r) {
    if (!std::isfinite(r)) throw std::invalid_argument("float overflow");
    return r;
}

void add(const Value& a, const Value& b, Value& out) {
    const auto* x = std::get_if<std::int64_t>(&a);
    const auto* y = std::get_if<std::int64_t>(&b);
    if (x && y) {
        std::int64_t sum = 0;
        if (__builtin_add_overflow(*x, *y, &sum)) throw std::invalid_argument("integer overflow");
        out = sum;
    } else if (is_number(a) && is_number(b)) {
        out = finite(as_double(a) + as_double(b));
    } else if (const auto* s = std::get_if<std::string>(&a)) {
        const auto* t = std::get_if<std::string>(&b);
        if (t == nullptr) refuse("add", a, "and", b);
        std::string joined;
        joined.reserve(s->size() + t->size());
        joined.append(*s).append(*t);
        out = std::move(joined);
    } else if (const List* p = a.list()) {
        const List* q = b.list();
        if (q == nullptr) refuse("add", a, "and", b);
        List joined(*p);
        joined.insert(joined.end(), q->begin(), q->end());
        out = std::move(joined);
    } else {
        refuse("add", a, "and", b);
    }
}

void integer_or_double(Op op, const Value& a, const Value& b, Value& out) {
    if (!is_number(a) || !is_number(b)) {
        const char* verb = op == Op::subtract   ? "subtract"
                           : op == Op::multiply ? "multiply"
                           : op == Op::divide   ? "divide"
                                                : "take the remainder of";
        refuse(verb, a, op == Op::subtract ? "and" : op == Op::remainder ? "by" : "and", b);
    }
    const auto* x = std::get_if<std::int64_t>(&a);
    const auto* y = std::get_if<std::int64_t>(&b);
    if (op == Op::divide || op == Op::remainder) {
        if (as_double(b) == 0) throw std::invalid_argument("division by zero");
    }
    if (op == Op::divide) {
        out = finite(as_double(a) / as_double(b));
        return;
    }
    if (x && y) {
        std::int64_t r = 0;
        if (op == Op::remainder) {
            r = *y == -1 ? 0 : *x % *y;
        } else if (op == Op::subtract ? __builtin_sub_overflow(*x, *y, &r)
                                      : __builtin_mul_overflow(*x, *y, &r)) {
            throw std::invalid_argument("integer overflow");
        }
        out = r;
        return;
    }
    const double p = as_double(a);
    const double q = as_double(b);
    out = finite(op == Op::subtract ? p - q : op == Op::multiply ? p * q : std::fmod(p, q));
}

}  // namespace

std::string_view article(const Value& value) noexcept {
    switch (value.index()) {
        case 0:
            return "an integer";
        case 1:
            return "a string";
        case 2:
            return "null";
        case 3:
            return "a bool";
        case 4:
            return "a float";
        case 5:
            return "a list";
        case 6:
            return "a record";
        default:
            return "an application value";
    }
}

bool equal(const Value& a, const Value& b) noexcept {
    // Lists and records item by item, so that [1] == [1.0] as 1 == 1.0 (and as they hash).
    if (const auto* x = a.list(); x != nullptr && b.list() != nullptr) {
        const List& y = *b.list();
        return x->size() == y.size() && std::equal(x->begin(), x->end(), y.begin(), equal);
    }
    if (const auto* x = a.record(); x != nullptr && b.record() != nullptr) {
        const Record& y = *b.record();
        return x->size() == y.size() &&
               std::equal(x->begin(), x->end(), y.begin(), [](const Field& f, const Field& g) {
                   return f.name == g.name && equal(f.value, g.value);
               });
    }
    if (a.index() == b.index()) return static_cast<const ValueVariant&>(a) == b;
    // An integer and a float: exactly, not through a double (2^53 + 1 is not 2^53 as a float).
    const auto* i = std::get_if<std::int64_t>(&a);
    const auto* d = std::get_if<double>(&b);
    if (i == nullptr) {
        i = std::get_if<std::int64_t>(&b);
        d = std::get_if<double>(&a);
    }
    if (i == nullptr || d == nullptr) return false;
    const std::optional<std::int64_t> n = detail::integral(*d);
    return n && *n == *i;
}

const std::string& string_of(const Value& value, std::string_view what) {
    if (const auto* s = std::get_if<std::string>(&value)) return *s;
    throw std::invalid_argument(std::string(what) + " must be a string, not " +
                                std::string(article(value)));
}

double to_double(const Value& value, std::string_view what) {
    if (is_number(value)) return as_double(value);
    throw std::invalid_argument(std::string(what) + " must be a number, not " +
                                std::string(article(value)));
}

void arithmetic(Op op, const Value& a, const Value& b, Value& out) {
    if (op == Op::equal || op == Op::not_equal) {
        out = equal(a, b) == (op == Op::equal);
        return;
    }
    if (a.is_null() || b.is_null()) {
        out = nullptr;
        return;
    }
    switch (op) {
        case Op::add:
            return add(a, b, out);
        case Op::less:
            out = order(a, b) < 0;
            return;
        case Op::less_equal:
            out = order(a, b) <= 0;
            return;
        case Op::greater:
            out = order(a, b) > 0;
            return;
        case Op::greater_equal:
            out = order(a, b) >= 0;
            return;
        default:
            return integer_or_double(op, a, b, out);
    }
}

void negate(const Value& a, Value& out) {
    if (const auto* n = std::get_if<std::int64_t>(&a)) {
        if (*n == std::numeric_limits<std::int64_t>::min()) {
            throw std::invalid_argument("integer overflow");
        }
        out = -*n;
    } else if (const auto* x = std::get_if<double>(&a)) {
        out = -*x;
    } else if (a.is_null()) {
        out = nullptr;
    } else {
        throw std::invalid_argument("cannot negate " + std::string(article(a)));
    }
}

std::uint64_t stable_hash(const Value& value) noexcept {
    // std::hash mixed by splitmix64's finaliser.
    std::uint64_t h = std::hash<Value>{}(value);
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

}  // namespace flowpool::expr
