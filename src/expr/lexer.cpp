#include "lexer.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/utf8.hpp"
#include "expression.hpp"

namespace flowpool::expr {
namespace {

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
public:
    explicit Lexer(std::string_view text) : text_(text) {}

    std::vector<Token> run() {
        std::vector<Token> tokens;
        for (;;) {
            while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                           text_[pos_] == '\n' || text_[pos_] == '\r')) {
                ++pos_;
            }
            Token token;
            token.begin = static_cast<std::uint32_t>(pos_);
            if (pos_ == text_.size()) {
                token.end = token.begin;
                tokens.push_back(std::move(token));
                return tokens;
            }
            next(token);
            token.end = static_cast<std::uint32_t>(pos_);
            tokens.push_back(std::move(token));
        }
    }

private:
    void next(Token& token) {
        const char c = text_[pos_];
        if (is_digit(c)) return number(token);
        if (c == '"' || c == '\'') return string(token, c);
        if (is_name_start(c)) {
            token.kind = Tok::name;
            token.text = name();
            return;
        }
        if (c == '.') {
            ++pos_;
            if (pos_ < text_.size() && is_name_start(text_[pos_])) {
                token.kind = Tok::field;
                token.text = name();
            } else if (pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\'')) {
                string(token, text_[pos_]);  // ."odd key", as jq and VRL write a field
                token.kind = Tok::field;
            } else {
                token.kind = Tok::dot;
            }
            return;
        }
        symbol(token);
    }

    std::string name() {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
        return std::string(text_.substr(start, pos_ - start));
    }

    void symbol(Token& token) {
        static constexpr struct {
            std::string_view text;
            Tok kind;
        } symbols[] = {{"==", Tok::eq},    {"!=", Tok::ne},      {"<=", Tok::le},
                       {">=", Tok::ge},    {"=~", Tok::match},   {"??", Tok::coalesce},
                       {"<", Tok::lt},     {">", Tok::gt},       {"(", Tok::lparen},
                       {")", Tok::rparen}, {"[", Tok::lbracket}, {"]", Tok::rbracket},
                       {",", Tok::comma},  {"+", Tok::plus},     {"-", Tok::minus},
                       {"*", Tok::star},   {"/", Tok::slash},    {"%", Tok::percent}};
        for (const auto& symbol : symbols) {
            if (text_.substr(pos_, symbol.text.size()) == symbol.text) {
                token.kind = symbol.kind;
                pos_ += symbol.text.size();
                return;
            }
        }
        const char c = text_[pos_];
        std::string what = c == '='   ? "'=' is not an operator; did you mean '=='?"
                           : c == '!' ? "'!' is not an operator; did you mean 'not' or '!='?"
                           : c == '&' ? "'&' is not an operator; did you mean 'and'?"
                           : c == '|' ? "'|' is not an operator; did you mean 'or'?"
                                      : "unexpected character '" + std::string(1, c) + "'";
        if (static_cast<unsigned char>(c) >= 0x80 || static_cast<unsigned char>(c) < 0x20) {
            what = "unexpected byte 0x" + hex(static_cast<unsigned char>(c));
        }
        throw ParseError(pos_, what);
    }

    static std::string hex(unsigned value) {
        static constexpr char digits[] = "0123456789abcdef";
        return {digits[value >> 4], digits[value & 15]};
    }

    void number(Token& token) {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
        bool is_float = false;
        if (pos_ + 1 < text_.size() && text_[pos_] == '.' && is_digit(text_[pos_ + 1])) {
            is_float = true;
            ++pos_;
            while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            std::size_t at = pos_ + 1;
            if (at < text_.size() && (text_[at] == '+' || text_[at] == '-')) ++at;
            if (at < text_.size() && is_digit(text_[at])) {
                is_float = true;
                pos_ = at;
                while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
            }
        }
        if (pos_ < text_.size() && is_name_char(text_[pos_])) {
            throw ParseError(pos_,
                             "unexpected '" + std::string(1, text_[pos_]) + "' after a number");
        }
        const std::string digits(text_.substr(start, pos_ - start));
        if (is_float) {
            token.kind = Tok::floating;
            errno = 0;
            token.number = std::strtod(digits.c_str(), nullptr);
            if (errno == ERANGE && std::isinf(token.number)) {
                throw ParseError(start, "number " + digits + " is out of range");
            }
            return;
        }
        token.kind = Tok::integer;
        const auto [end, error] =
            std::from_chars(digits.data(), digits.data() + digits.size(), token.integer);
        if (error != std::errc{}) {
            if (digits != "9223372036854775808") throw integer_out_of_range(start, digits);
            token.integer = std::numeric_limits<std::int64_t>::min();
            token.past_largest = true;  // the parser takes it after a minus only
        }
    }

    void string(Token& token, char quote) {
        const std::size_t start = pos_++;
        token.kind = Tok::string;
        for (;;) {
            if (pos_ >= text_.size()) throw ParseError(start, "unclosed string");
            const char c = text_[pos_++];
            if (c == quote) return;
            if (c != '\\') {
                token.text += c;
                continue;
            }
            if (pos_ >= text_.size()) throw ParseError(start, "unclosed string");
            escape(token.text);
        }
    }

    void escape(std::string& out) {
        const std::size_t at = pos_ - 1;
        const char c = text_[pos_++];
        switch (c) {
            case 'n':
                out += '\n';
                return;
            case 't':
                out += '\t';
                return;
            case 'r':
                out += '\r';
                return;
            case '0':
                out += '\0';
                return;
            case '\\':
            case '"':
            case '\'':
            case '/':
                out += c;
                return;
            case 'u': {
                std::uint32_t code = hex4(at);
                // As JSON writes a character past U+FFFF: a high surrogate, then a low one.
                std::uint32_t low = 0;
                if (code >= 0xd800 && code < 0xdc00 && text_.substr(pos_, 2) == "\\u") {
                    pos_ += 2;
                    low = hex4(at);
                }
                if (low >= 0xdc00 && low < 0xe000) {
                    code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                } else if ((code >= 0xd800 && code < 0xe000) || low != 0) {
                    throw ParseError(at,
                                     "\\u escape of a lone surrogate: a character past U+FFFF "
                                     "is a high surrogate then a low one (\\ud83d\\ude00)");
                }
                detail::append_utf8(out, code);
                return;
            }
            default:
                throw ParseError(at, std::string("unknown escape '\\") + c +
                                         "' (known: \\n \\t \\r \\0 \\\\ \\\" \\' \\uXXXX)");
        }
    }

    /// The four hex digits of a `\\u` escape (the one at @p at), read.
    std::uint32_t hex4(std::size_t at) {
        std::uint32_t code = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = pos_ < text_.size() ? text_[pos_] : '\0';
            const int digit = is_digit(h)              ? h - '0'
                              : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                              : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                                       : -1;
            if (digit < 0) throw ParseError(at, "\\u takes four hex digits");
            code = code * 16 + static_cast<std::uint32_t>(digit);
            ++pos_;
        }
        return code;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

std::vector<Token> tokenize(std::string_view text) { return Lexer(text).run(); }

ParseError integer_out_of_range(std::size_t begin, std::string_view digits) {
    return ParseError(begin, "integer " + std::string(digits) +
                                 " is out of range (-2^63 to 2^63-1); write it as a float");
}

std::string describe(const Token& token) {
    switch (token.kind) {
        case Tok::end:
            return "the end";
        case Tok::integer:
        case Tok::floating:
            return "a number";
        case Tok::string:
            return "a string";
        case Tok::name:
            return "'" + token.text + "'";
        case Tok::field:
            return "'." + token.text + "'";
        default:
            break;
    }
    static constexpr std::string_view spelled[] = {"",
                                                   "",
                                                   "",
                                                   "",
                                                   "",
                                                   "",
                                                   "'.'",
                                                   "'('",
                                                   "')'",
                                                   "'['",
                                                   "']'",
                                                   "','",
                                                   "'+'",
                                                   "'-'",
                                                   "'*'",
                                                   "'/'",
                                                   "'%'",
                                                   "'=='",
                                                   "'!='",
                                                   "'<'",
                                                   "'<='",
                                                   "'>'",
                                                   "'>='",
                                                   "'=~'",
                                                   "'?"
                                                   "?'"};
    return std::string(spelled[static_cast<int>(token.kind)]);
}

}  // namespace flowpool::expr
