#include "parse.hpp"

#include <charconv>
#include <system_error>

namespace flowpool::detail {
namespace {

/// The one std::from_chars loop: all of @p text as an Int, or nothing and the reason in @p why.
template <class Int>
std::optional<Int> parse_whole(std::string_view text, IntegerError* why) noexcept {
    Int value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (error == std::errc{} && stop == end && !text.empty()) return value;
    if (why != nullptr) {
        *why = error == std::errc::result_out_of_range ? IntegerError::out_of_range
                                                       : IntegerError::malformed;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> parse_integer(std::string_view text, IntegerError* why) noexcept {
    return parse_whole<std::int64_t>(text, why);
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text, IntegerError* why) noexcept {
    return parse_whole<std::uint64_t>(text, why);
}

}  // namespace flowpool::detail
