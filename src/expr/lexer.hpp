#pragma once
// Cuts an expression's text into tokens, each knowing where it is.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "expression.hpp"

namespace flowpool::expr {

/// What a token is.
enum class Tok : std::uint8_t {
    end,
    integer,   // 12
    floating,  // 1.5, 1e3
    string,    // "text" or 'text', `text` holds it unescaped
    name,      // lower, and, true, ...
    field,     // .status: `text` holds the name
    dot,       // a `.` not followed by a name: the whole value, or `.[`
    lparen,
    rparen,
    lbracket,
    rbracket,
    comma,
    plus,
    minus,
    star,
    slash,
    percent,
    eq,
    ne,
    lt,
    le,
    gt,
    ge,
    match,
    coalesce,
};

/// One token: its kind, its place in the text, and what it holds.
struct Token {
    Tok kind = Tok::end;
    std::uint32_t begin = 0;  // bytes from the start of the text
    std::uint32_t end = 0;
    std::string text;  // names, fields, strings (unescaped)
    std::int64_t integer = 0;
    /// The integer 2^63, one past the largest: only as `-9223372036854775808`, the smallest, is it
    /// a number (`integer` then holds that smallest); anywhere else it is out of range.
    bool past_largest = false;
    double number = 0;
};

/// The tokens of @p text, ending with Tok::end. Throws ParseError at a character that starts no
/// token, an unclosed string, a bad escape or a number out of range.
std::vector<Token> tokenize(std::string_view text);

/// The error for an integer literal @p digits, at @p begin, that no int64 holds.
ParseError integer_out_of_range(std::size_t begin, std::string_view digits);

/// As it would be written: `'+'`, `a name`, `the end`: for "expected ..." messages.
std::string describe(const Token& token);

}  // namespace flowpool::expr
