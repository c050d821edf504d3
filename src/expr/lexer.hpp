#pragma once
// Cuts an expression's text into tokens, each knowing where it is.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
    double number = 0;
};

/// The tokens of @p text, ending with Tok::end. Throws ParseError at a character that starts no
/// token, an unclosed string, a bad escape or a number out of range.
std::vector<Token> tokenize(std::string_view text);

/// As it would be written: `'+'`, `a name`, `the end`: for "expected ..." messages.
std::string describe(const Token& token);

}  // namespace flowpool::expr
