#include "quoted_scalar.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>

#include "common/utf8.hpp"

namespace flowpool::detail {
namespace {

/// What `\C` stands for in a double-quoted scalar, for a C that starts no hex escape, as
/// yaml-cpp reads it (`\N` and `\_` are one byte there, not UTF-8); nothing if `\C` is no escape.
std::optional<std::string_view> named_escape(char c) {
    switch (c) {
        case '0':
            return std::string_view("\0", 1);
        case 'a':
            return "\a";
        case 'b':
            return "\b";
        case 't':
        case '\t':
            return "\t";
        case 'n':
            return "\n";
        case 'v':
            return "\v";
        case 'f':
            return "\f";
        case 'r':
            return "\r";
        case 'e':
            return "\x1B";
        case ' ':
            return " ";
        case '"':
            return "\"";
        case '\'':
            return "'";
        case '\\':
            return "\\";
        case '/':
            return "/";
        case 'N':
            return "\x85";
        case '_':
            return "\xA0";
        case 'L':
            return "\xE2\x80\xA8";
        case 'P':
            return "\xE2\x80\xA9";
        default:
            return std::nullopt;
    }
}

/// How many hex digits follow `\C`: 2 for `\x`, 4 for `\u`, 8 for `\U`; 0 for other escapes.
std::size_t hex_digits(char c) {
    switch (c) {
        case 'x':
            return 2;
        case 'u':
            return 4;
        case 'U':
            return 8;
        default:
            return 0;
    }
}

/// A quoted scalar read from its opening quote, each byte of its value kept with the place it
/// comes from. It reads as yaml-cpp's scanner does (ScanScalar, folding as in flow style).
class QuotedScalar {
public:
    QuotedScalar(std::string_view source, std::size_t quote, TextPlace quote_place)
        : source_(source), at_(quote), place_(quote_place), quote_(source[quote]) {
        advance(1);
    }

    /// Reads to the closing quote, whose place is the last; false if the source ends first or
    /// holds an escape that is none.
    bool read() {
        bool empty_line = false;
        for (;;) {
            const std::optional<bool> escaped_break = read_line();
            if (!escaped_break) return false;
            if (at_closing_quote()) {
                places_.push_back(place_);
                return true;
            }
            fold(*escaped_break, empty_line);
        }
    }

    [[nodiscard]] const std::string& text() const { return text_; }
    [[nodiscard]] std::vector<TextPlace>& places() { return places_; }

private:
    /// Reads a line's text up to its line break or the closing quote; true if a `\` escapes
    /// that break, nothing if the line cannot be read. Blanks before an unescaped break are
    /// not part of the value.
    std::optional<bool> read_line() {
        std::size_t kept = text_.size();  // the text up to the line's last byte that is no blank
        while (!at_closing_quote() && !at_break(at_)) {
            if (at_ >= source_.size()) return std::nullopt;
            const char c = source_[at_];
            if (quote_ == '"' && c == '\\' && at_break(at_ + 1)) {
                advance(1);
                return true;
            }
            if (c == (quote_ == '"' ? '\\' : '\'')) {
                if (!read_escape()) return std::nullopt;
                kept = text_.size();
                continue;
            }
            add(source_.substr(at_, 1), place_);
            advance(1);
            if (c != ' ' && c != '\t') kept = text_.size();
        }
        if (at_break(at_)) {
            text_.resize(kept);
            places_.resize(kept);
        }
        return false;
    }

    /// Reads an escape: `''` in a single-quoted scalar, `\C` or `\xNN`, `\uNNNN`, `\UNNNNNNNN`
    /// in a double-quoted one. False if it is none.
    bool read_escape() {
        const TextPlace start = place_;
        if (quote_ == '\'') {
            add("'", start);
            advance(2);
            return true;
        }
        if (at_ + 1 >= source_.size()) return false;
        const char kind = source_[at_ + 1];
        advance(2);
        const std::size_t digits = hex_digits(kind);
        if (digits == 0) {
            const std::optional<std::string_view> bytes = named_escape(kind);
            if (bytes) add(*bytes, start);
            return bytes.has_value();
        }
        if (source_.size() - at_ < digits) return false;
        std::uint32_t code = 0;
        const char* first = source_.data() + at_;
        const auto [end, error] = std::from_chars(first, first + digits, code, 16);
        if (error != std::errc{} || end != first + digits) return false;
        std::string bytes;
        append_utf8(bytes, code);
        add(bytes, start);
        advance(digits);
        return true;
    }

    /// Goes past a line break and the next line's leading blanks, adding what the break stands
    /// for, at the place of the break: a line break if the next line is empty; else a space,
    /// unless this line was empty (its break stood for it) or a `\` escaped the break.
    void fold(bool escaped_break, bool& empty_line) {
        const TextPlace line_end = place_;
        advance(source_[at_] == '\r' ? 2 : 1);
        while (at_ < source_.size() && (source_[at_] == ' ' || source_[at_] == '\t')) advance(1);
        const bool next_empty = at_break(at_);
        if (next_empty) {
            add("\n", line_end);
        } else if (!empty_line && !escaped_break) {
            add(" ", line_end);
        }
        empty_line = next_empty;
    }

    [[nodiscard]] bool at_break(std::size_t i) const {
        return i < source_.size() &&
               (source_[i] == '\n' || source_.substr(i, 2) == std::string_view("\r\n"));
    }

    /// At the closing quote: in a single-quoted scalar, a `'` not doubled.
    [[nodiscard]] bool at_closing_quote() const {
        return at_ < source_.size() && source_[at_] == quote_ &&
               (quote_ == '"' || at_ + 1 >= source_.size() || source_[at_ + 1] != '\'');
    }

    void add(std::string_view bytes, TextPlace place) {
        text_ += bytes;
        places_.insert(places_.end(), bytes.size(), place);
    }

    /// Moves @p n bytes on; columns count bytes, as yaml-cpp's marks do.
    void advance(std::size_t n) {
        for (; n > 0 && at_ < source_.size(); --n, ++at_) {
            if (source_[at_] == '\n') {
                ++place_.line;
                place_.column = 1;
            } else {
                ++place_.column;
            }
        }
    }

    std::string_view source_;
    std::size_t at_;    // the next byte to read
    TextPlace place_;   // where that byte is
    char quote_;        // `"` or `'`
    std::string text_;  // the value so far
    std::vector<TextPlace> places_;
};

}  // namespace

std::vector<TextPlace> quoted_scalar_places(std::string_view source, std::size_t quote,
                                            TextPlace quote_place, std::string_view value) {
    if (quote >= source.size() || (source[quote] != '"' && source[quote] != '\'')) return {};
    QuotedScalar scalar(source, quote, quote_place);
    if (!scalar.read()) return {};
    // yaml-cpp keeps one line break of those that empty lines at a value's end fold to.
    const std::string& text = scalar.text();
    if (text.size() < value.size() || text.compare(0, value.size(), value) != 0 ||
        text.find_first_not_of('\n', value.size()) != std::string::npos) {
        return {};
    }
    std::vector<TextPlace>& places = scalar.places();
    places.erase(places.begin() + static_cast<std::ptrdiff_t>(value.size()), places.end() - 1);
    return std::move(places);
}

}  // namespace flowpool::detail
