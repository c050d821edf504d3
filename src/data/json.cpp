#include "json.hpp"

#include <charconv>
#include <cstdint>

namespace flowpool::detail {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

/// The bytes a well-formed sequence starting with @p lead has, and the range its second byte
/// must be in (Unicode, table 3-7); 0 bytes if @p lead can start none.
struct Lead {
    std::size_t length;
    unsigned char low;
    unsigned char high;
};

Lead lead_of(unsigned char lead) {
    if (lead >= 0xC2 && lead <= 0xDF) return {2, 0x80, 0xBF};
    if (lead == 0xE0) return {3, 0xA0, 0xBF};
    if (lead == 0xED) return {3, 0x80, 0x9F};  // no surrogates
    if (lead >= 0xE1 && lead <= 0xEF) return {3, 0x80, 0xBF};
    if (lead == 0xF0) return {4, 0x90, 0xBF};
    if (lead == 0xF4) return {4, 0x80, 0x8F};  // nothing above U+10FFFF
    if (lead >= 0xF1 && lead <= 0xF3) return {4, 0x80, 0xBF};
    return {0, 0, 0};
}

/// How many bytes at the start of @p text form one well-formed multi-byte sequence (returned
/// with @p valid true), or else its maximal invalid subpart (at least 1, @p valid false).
std::size_t sequence_at(std::string_view text, bool& valid) {
    const Lead lead = lead_of(static_cast<unsigned char>(text[0]));
    valid = false;
    if (lead.length == 0) return 1;
    for (std::size_t i = 1; i < lead.length; ++i) {
        if (i >= text.size()) return i;
        const auto byte = static_cast<unsigned char>(text[i]);
        const unsigned char low = i == 1 ? lead.low : 0x80;
        const unsigned char high = i == 1 ? lead.high : 0xBF;
        if (byte < low || byte > high) return i;
    }
    valid = true;
    return lead.length;
}

void append_control(std::string& out, unsigned char c) {
    switch (c) {
        case '\n':
            out += "\\n";
            return;
        case '\r':
            out += "\\r";
            return;
        case '\t':
            out += "\\t";
            return;
        default:
            break;
    }
    constexpr char hex[] = "0123456789abcdef";
    out += "\\u00";
    out += hex[c >> 4];
    out += hex[c & 0xF];
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    while (!text.empty()) {
        const auto c = static_cast<unsigned char>(text[0]);
        std::size_t used = 1;
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            append_control(out, c);
        } else if (c < 0x80) {
            out += static_cast<char>(c);
        } else {
            bool valid = false;
            used = sequence_at(text, valid);
            if (valid)
                out.append(text.substr(0, used));
            else
                out += replacement;
        }
        text.remove_prefix(used);
    }
    out += '"';
}

void append_json_value(std::string& out, const Value& value) {
    if (const auto* n = std::get_if<std::int64_t>(&value)) {
        char digits[24];
        out.append(digits, std::to_chars(digits, digits + sizeof digits, *n).ptr);
    } else {
        append_json_string(out, std::get<std::string>(value));
    }
}

}  // namespace flowpool::detail
