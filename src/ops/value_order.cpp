#include "ops/value_order.hpp"

#include <cmath>
#include <string>

namespace flowpool::detail {

namespace {

/// "max: cannot compare a string with an integer".
[[noreturn]] void throw_mixed(const Value& a, const Value& b, std::string_view what) {
    throw AggregateError(std::string(what) + ": cannot compare " + std::string(a.type_name()) +
                         " with " + std::string(b.type_name()));
}

}  // namespace

void check_orderable(const Value& value, std::string_view what) {
    if (std::holds_alternative<std::int64_t>(value) || std::holds_alternative<std::string>(value)) {
        return;
    }
    if (const auto* x = std::get_if<double>(&value)) {
        if (std::isnan(*x)) throw AggregateError(std::string(what) + ": NaN has no order");
        return;
    }
    throw AggregateError(std::string(what) + ": expected a number or a string, got " +
                         std::string(value.type_name()));
}

std::weak_ordering compare_numbers(std::int64_t a, double b) noexcept {
    // 2^63 is a double; every double in [-2^63, 2^63) truncates to an int64 exactly.
    constexpr double two_63 = 9223372036854775808.0;
    if (b >= two_63) return std::weak_ordering::less;
    if (b < -two_63) return std::weak_ordering::greater;
    const double whole = std::trunc(b);
    const auto whole_int = static_cast<std::int64_t>(whole);
    if (a != whole_int) return a <=> whole_int;
    // a is b's whole part: b's fraction decides.
    const double fraction = b - whole;
    if (fraction > 0) return std::weak_ordering::less;
    if (fraction < 0) return std::weak_ordering::greater;
    return std::weak_ordering::equivalent;
}

std::weak_ordering compare_ordered(const Value& a, const Value& b, std::string_view what) {
    const auto* ai = std::get_if<std::int64_t>(&a);
    const auto* bi = std::get_if<std::int64_t>(&b);
    const auto* af = std::get_if<double>(&a);
    const auto* bf = std::get_if<double>(&b);
    if (ai && bi) return *ai <=> *bi;
    if (ai && bf) return compare_numbers(*ai, *bf);
    if (af && bi) return 0 <=> compare_numbers(*bi, *af);
    if (af && bf) return std::weak_order(*af, *bf);
    const auto* as = std::get_if<std::string>(&a);
    const auto* bs = std::get_if<std::string>(&b);
    if (as && bs) return *as <=> *bs;
    throw_mixed(a, b, what);
}

}  // namespace flowpool::detail
