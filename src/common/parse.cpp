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

std::vector<std::string> split_names(const std::string& list) {
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        std::string name = list.substr(start, end - start);
        name.erase(0, name.find_first_not_of(' '));
        name.erase(name.find_last_not_of(' ') + 1);
        if (!name.empty()) names.push_back(std::move(name));
        start = end + 1;
    }
    return names;
}

}  // namespace flowpool::detail
