// The one integer parser (src/common/parse.hpp): whole text only, and why a text is not one.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>

#include "common/parse.hpp"

namespace {

using flowpool::detail::IntegerError;
using flowpool::detail::parse_integer;
using flowpool::detail::parse_unsigned;

TEST(ParseInteger, ReadsTheWholeTextAsADecimalInteger) {
    EXPECT_EQ(parse_integer("0"), 0);
    EXPECT_EQ(parse_integer("42"), 42);
    EXPECT_EQ(parse_integer("-7"), -7);
    EXPECT_EQ(parse_integer("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(parse_integer("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(parse_unsigned("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
}

TEST(ParseInteger, RefusesAnythingElseAndSaysWhy) {
    for (const char* text : {"", " 1", "1 ", "+1", "12x", "-", "0x10", "1.5"}) {
        IntegerError why = IntegerError::out_of_range;
        EXPECT_EQ(parse_integer(text, &why), std::nullopt) << text;
        EXPECT_EQ(why, IntegerError::malformed) << text;
    }
    IntegerError why = IntegerError::malformed;
    EXPECT_EQ(parse_integer("9223372036854775808", &why), std::nullopt);
    EXPECT_EQ(why, IntegerError::out_of_range);
    why = IntegerError::malformed;
    EXPECT_EQ(parse_unsigned("18446744073709551616", &why), std::nullopt);
    EXPECT_EQ(why, IntegerError::out_of_range);
    why = IntegerError::out_of_range;
    EXPECT_EQ(parse_unsigned("-1", &why), std::nullopt);
    EXPECT_EQ(why, IntegerError::malformed);
}

}  // namespace
