#include "json.hpp"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "json_build.hpp"

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

/// Which bytes a JSON string holds as they are: not a control character, quote, backslash or
/// part of a multi-byte sequence (which is checked).
constexpr std::array<bool, 256> plain_bytes = [] {
    std::array<bool, 256> plain{};
    for (int c = 0x20; c < 0x80; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return plain;
}();

/// How many bytes at the start of @p text need nothing done.
std::size_t plain_prefix(std::string_view text) noexcept {
    std::size_t plain = 0;
    while (plain < text.size() && plain_bytes[static_cast<unsigned char>(text[plain])]) ++plain;
    return plain;
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
    std::size_t plain = plain_prefix(text);
    // Most strings are short and need nothing done: the quotes and the bytes in one append.
    if (char quoted[64]; plain == text.size() && text.size() + 2 <= sizeof quoted) {
        quoted[0] = '"';
        std::memcpy(quoted + 1, text.data(), text.size());
        quoted[text.size() + 1] = '"';
        out.append(quoted, text.size() + 2);
        return;
    }
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    while (!text.empty()) {
        // The bytes that need nothing done, appended in one go.
        out.append(text.data(), plain);
        text.remove_prefix(plain);
        if (text.empty()) break;
        const auto c = static_cast<unsigned char>(text[0]);
        std::size_t used = 1;
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            append_control(out, c);
        } else {
            bool valid = false;
            used = sequence_at(text, valid);
            if (valid)
                out.append(text.substr(0, used));
            else
                out += replacement;
        }
        text.remove_prefix(used);
        plain = plain_prefix(text);
    }
    out += '"';
}

void append_json_double(std::string& out, double number) {
    if (!std::isfinite(number)) {
        out += "null";
        return;
    }
    char digits[32];
    const char* end = std::to_chars(digits, digits + sizeof digits, number).ptr;
    out.append(digits, static_cast<std::size_t>(end - digits));
    // Keep it a float when read back: "2" would be an integer.
    if (std::string_view(digits, static_cast<std::size_t>(end - digits)).find_first_of(".eE") ==
        std::string_view::npos) {
        out += ".0";
    }
}

void append_json_value(std::string& out, const Value& value) {
    struct Writer {
        std::string& out;
        void operator()(std::int64_t n) const {
            char digits[24];
            out.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
        }
        void operator()(const std::string& text) const { append_json_string(out, text); }
        void operator()(std::nullptr_t) const { out += "null"; }
        void operator()(bool b) const { out += b ? "true" : "false"; }
        void operator()(double d) const { append_json_double(out, d); }
        void operator()(const List& items) const {
            out += '[';
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (i != 0) out += ',';
                append_json_value(out, items[i]);
            }
            out += ']';
        }
        void operator()(const Record& fields) const {
            out += '{';
            bool first = true;
            for (const Field& field : fields) {
                if (!first) out += ',';
                first = false;
                append_json_string(out, field.name);
                out += ':';
                append_json_value(out, field.value);
            }
            out += '}';
        }
        void operator()(const Opaque& opaque) const {
            if (const auto shown = opaque.to_value()) {
                append_json_value(out, *shown);
            } else {
                append_json_string(out, "<" + opaque.type_name() + ">");
            }
        }
    };
    std::visit(Writer{out}, static_cast<const ValueVariant&>(value));
}

/// A thread's parser, and a copy of the text with the padding simdjson reads past its end.
struct ThreadParser {
    ondemand::parser parser;
    std::string padded;

    /// Starts iterating @p text (copied unless @p in_place: padding follows it). Returns where
    /// the iterated text begins, or nullptr with @p error if simdjson cannot start.
    const char* start(std::string_view text, bool in_place, ondemand::document& doc,
                      JsonError& error) {
        if (!in_place) {
            padded.reserve(text.size() + simdjson::SIMDJSON_PADDING);
            padded.assign(text);
            text = padded;
        }
        const std::size_t room = text.size() + simdjson::SIMDJSON_PADDING;
        if (const auto e = parser.iterate(text.data(), text.size(), room).get(doc)) {
            error = {simdjson::error_message(e), 0};
            return nullptr;
        }
        return text.data();
    }

    static ThreadParser& mine() {
        thread_local ThreadParser parser;
        return parser;
    }
};

bool parse_json(std::string_view text, Value& out, JsonError& error, bool padded) {
    ondemand::document doc;
    const char* begin = ThreadParser::mine().start(text, padded, doc, error);
    if (begin == nullptr) return false;
    JsonBuilder builder(begin);
    // A scalar document is read through the document itself, not as a value.
    ondemand::value root;
    bool ok = false;
    bool scalar = false;
    if (const auto e = doc.is_scalar().get(scalar)) {
        builder.fail(e, doc);
    } else if (scalar) {
        ok = builder.read_scalar(doc, out);
    } else if (const auto e2 = doc.get_value().get(root)) {
        builder.fail(e2, doc);
    } else {
        ok = builder.read(root, out, 1);
    }
    const char* more = nullptr;  // where a token after the value is, if there is one
    if (ok && !doc.current_location().get(more))
        ok = builder.fail("text after the JSON value", doc);
    if (!ok) error = std::move(builder.error());
    return ok;
}

/// Records @p code at @p doc's place in @p error; returns false.
bool parse_json_fields(std::string_view text, const std::vector<std::string>& names, Value& out,
                       JsonError& error, bool padded) {
    ondemand::document doc;
    const char* begin = ThreadParser::mine().start(text, padded, doc, error);
    if (begin == nullptr) return false;
    JsonBuilder builder(begin);
    ondemand::object object;
    bool ok = false;
    if (const auto e = doc.get_object().get(object)) {
        builder.fail(
            e == simdjson::INCORRECT_TYPE ? "not a JSON object" : simdjson::error_message(e), doc);
    } else {
        ok = read_json_fields(builder, object, names, out, doc);
    }
    if (!ok) error = std::move(builder.error());
    return ok;
}

}  // namespace flowpool::detail
