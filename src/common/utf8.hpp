#pragma once
// UTF-8, checked the same way everywhere: graph files (which must be UTF-8 text), and the JSON
// that values and log lines become (where each ill-formed sequence becomes U+FFFD); and written
// the same way, from the escapes of expressions' strings and of quoted YAML scalars.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace flowpool::detail {

/// U+FFFD REPLACEMENT CHARACTER in UTF-8: what JSON holds in place of an ill-formed sequence.
inline constexpr std::string_view utf8_replacement = "\xEF\xBF\xBD";

/// How many bytes at the start of @p text (not empty) form one well-formed UTF-8 sequence
/// (@p valid true); else the length of its maximal ill-formed subpart (at least 1, @p valid
/// false), which Unicode's "substitution of maximal subparts" and Python's `errors="replace"`
/// each replace by one U+FFFD. Well-formed: Unicode's table 3-7, so no overlong forms, no
/// surrogates, nothing past U+10FFFF, and no sequence cut short by the end of @p text.
inline std::size_t utf8_sequence_at(std::string_view text, bool& valid) noexcept {
    const auto lead = static_cast<unsigned char>(text[0]);
    valid = lead < 0x80;
    if (valid) return 1;
    // The bytes of the sequence @p lead starts, and the range its second byte must be in.
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;   // no overlong forms
        if (lead == 0xED) high = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;   // no overlong forms
        if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
    } else {
        return 1;  // a continuation byte, or a lead byte no well-formed sequence has
    }
    for (std::size_t i = 1; i < length; ++i) {
        if (i >= text.size()) return i;
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < (i == 1 ? low : 0x80) || byte > (i == 1 ? high : 0xBF)) return i;
    }
    valid = true;
    return length;
}

/// Appends code point @p code (at most U+10FFFF, no surrogate) to @p out in UTF-8.
inline void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xc0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xe0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    }
}

}  // namespace flowpool::detail
