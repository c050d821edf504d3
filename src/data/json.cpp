#include "json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/utf8.hpp"
#include "json_build.hpp"

namespace flowpool::detail {
namespace {

/// Which bytes a JSON string holds as they are: not a control character, quote, backslash or
/// part of a multi-byte sequence (which is checked).
constexpr std::array<bool, 256> plain_bytes = [] {
    std::array<bool, 256> plain{};
    for (int c = 0x20; c < 0x80; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return plain;
}();

/// Writes JSON text through a buffer on the stack into a string: a value's many small pieces
/// (quotes, commas, short strings) cost a store each instead of a call into std::string each.
class JsonWriter {
public:
    explicit JsonWriter(std::string& out) noexcept : out_(out) {}
    ~JsonWriter() { flush(); }
    JsonWriter(const JsonWriter&) = delete;
    JsonWriter& operator=(const JsonWriter&) = delete;

    [[gnu::always_inline]] void put(char c) {
        if (used_ == buffer_.size()) flush();
        buffer_[used_++] = c;
    }
    void put(std::string_view text) {
        if (text.size() > buffer_.size() - used_) {
            flush();
            if (text.size() > buffer_.size()) {
                out_.append(text);
                return;
            }
        }
        std::memcpy(buffer_.data() + used_, text.data(), text.size());
        used_ += text.size();
    }

    /// @p text as a JSON string (see append_json_string).
    void string(std::string_view text) {
        // Most strings are short and need nothing done: stored as they are checked.
        if (text.size() + 2 > buffer_.size() - used_) flush();
        if (text.size() + 2 <= buffer_.size() - used_) {
            char* const quoted = buffer_.data() + used_;
            quoted[0] = '"';
            std::size_t plain = 0;
            for (; plain < text.size(); ++plain) {
                const auto c = static_cast<unsigned char>(text[plain]);
                if (!plain_bytes[c]) break;
                quoted[plain + 1] = static_cast<char>(c);
            }
            used_ += plain + 1;
            if (plain == text.size()) {
                put('"');
                return;
            }
            text.remove_prefix(plain);
        } else {
            put('"');
        }
        std::size_t at = 0;
        while (at < text.size()) {
            // The bytes that need nothing done, copied as they are checked.
            const auto c = static_cast<unsigned char>(text[at]);
            if (plain_bytes[c]) {
                put(static_cast<char>(c));
                ++at;
            } else {
                at += special(text.substr(at));
            }
        }
        put('"');
    }

    /// @p value as JSON (see append_json_value).
    void value(const Value& value) {
        switch (value.index()) {
            case 0:
                return integer(std::get<std::int64_t>(value));
            case 1:
                return string(std::get<std::string>(value));
            default:
                return std::visit([this](const auto& v) { other(v); },
                                  static_cast<const ValueVariant&>(value));
        }
    }

    void flush() {
        out_.append(buffer_.data(), used_);
        used_ = 0;
    }

private:
    void integer(std::int64_t n) {
        if (buffer_.size() - used_ < 24) flush();
        char* const at = buffer_.data() + used_;
        used_ += static_cast<std::size_t>(std::to_chars(at, at + 24, n).ptr - at);
    }

    /// Writes the escape or the UTF-8 sequence @p text starts with; returns the bytes used.
    std::size_t special(std::string_view text) {
        const auto c = static_cast<unsigned char>(text[0]);
        if (c == '"' || c == '\\') {
            put('\\');
            put(static_cast<char>(c));
            return 1;
        }
        if (c < 0x20) {
            control(c);
            return 1;
        }
        bool valid = false;
        const std::size_t used = utf8_sequence_at(text, valid);
        put(valid ? text.substr(0, used) : utf8_replacement);
        return used;
    }

    void control(unsigned char c) {
        switch (c) {
            case '\n':
                return put("\\n");
            case '\r':
                return put("\\r");
            case '\t':
                return put("\\t");
            default:
                break;
        }
        constexpr char hex[] = "0123456789abcdef";
        put("\\u00");
        put(hex[c >> 4]);
        put(hex[c & 0xF]);
    }

    void other(std::int64_t n) { integer(n); }
    void other(const std::string& text) { string(text); }
    void other(std::nullptr_t) { put("null"); }
    void other(bool b) { put(b ? "true" : "false"); }
    void other(double d) {
        flush();
        append_json_double(out_, d);
    }
    void other(const List& items) {
        put('[');
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i != 0) put(',');
            value(items[i]);
        }
        put(']');
    }
    void other(const Record& fields) {
        put('{');
        bool first = true;
        for (const Field& field : fields) {
            if (!first) put(',');
            first = false;
            string(field.name);
            put(':');
            value(field.value);
        }
        put('}');
    }
    void other(const Opaque& opaque) {
        if (const auto shown = opaque.to_value()) {
            value(*shown);
        } else {
            string("<" + opaque.type_name() + ">");
        }
    }

    std::string& out_;
    std::array<char, 256> buffer_;
    std::size_t used_ = 0;
};

}  // namespace

void append_json_string(std::string& out, std::string_view text) { JsonWriter(out).string(text); }

void append_json_double(std::string& out, double number) {
    if (!std::isfinite(number)) {
        out += "null";
        return;
    }
    // The fewest digits that read back as the number; between 1e-5 and 1e17 as plain digits, as
    // people write them (100000.0 and 1700000000.0, where the shortest form is 1e+05 and 1.7e+09).
    char digits[40];
    const double magnitude = std::fabs(number);
    const bool plain = magnitude >= 1e-5 && magnitude < 1e17;
    const char* end =
        plain ? std::to_chars(digits, digits + sizeof digits, number, std::chars_format::fixed).ptr
              : std::to_chars(digits, digits + sizeof digits, number).ptr;
    out.append(digits, static_cast<std::size_t>(end - digits));
    // Keep it a float when read back: "2" would be an integer.
    if (std::string_view(digits, static_cast<std::size_t>(end - digits)).find_first_of(".eE") ==
        std::string_view::npos) {
        out += ".0";
    }
}

void append_json_value(std::string& out, const Value& value) { JsonWriter(out).value(value); }

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

namespace {
/// Where the text after a scalar document's value starts, or 0 if only whitespace follows it
/// (simdjson's raw token of the value runs on over that whitespace, up to the next token).
std::size_t after_scalar(ondemand::document& doc, const char* begin, std::size_t size) {
    std::string_view token;
    if (doc.raw_json_token().get(token)) return 0;
    const auto end = static_cast<std::size_t>(token.data() + token.size() - begin);
    return end < size ? end : 0;
}
}  // namespace

bool parse_json(std::string_view text, Value& out, JsonError& error, bool padded) {
    // Whitespace after the value means nothing, and simdjson 3.0.1 refuses a scalar followed by
    // exactly one byte of it (`null `, `1\t`): it is cut off first. The bytes stay readable, so
    // a text parsed in place keeps its padding.
    while (!text.empty() && json_blank(text.substr(text.size() - 1))) text.remove_suffix(1);
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
        // simdjson reads a scalar document only if it is the text's only token, and else says
        // "trailing content" at the scalar: then the scalar is read alone, where it lies (the
        // rest of the text is its padding), and what follows it is the error, as after any
        // other value.
        if (const std::size_t after = after_scalar(doc, begin, text.size())) {
            if (parse_json(std::string_view(begin, after), out, error, true))
                error = {"text after the JSON value", after};
            return false;
        }
        ok = builder.read_scalar(doc, out);
        // simdjson takes a bare word for a misspelt true, false or null, whose "type" is wrong.
        if (!ok && builder.error().reason == simdjson::error_message(simdjson::INCORRECT_TYPE))
            builder.error().reason = "not a JSON value (a string needs its quotes)";
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

namespace {
/// The masks of the first @p n bytes (at most sixteen) of two words.
std::array<std::uint64_t, 2> first_bytes(std::size_t n) noexcept {
    auto mask = [](std::size_t bytes) {
        return bytes == 0 ? 0 : ~std::uint64_t{0} >> (64 - 8 * std::min<std::size_t>(bytes, 8));
    };
    return {mask(n), mask(n > 8 ? n - 8 : 0)};
}
}  // namespace

FieldNames::FieldNames(std::vector<std::string> names) : names_(std::move(names)) {
    for (std::size_t i = 0; i < names_.size(); ++i) {
        const std::string& name = names_[i];
        if (name.size() >= 16 || name.find_first_of("\"\\") != std::string::npos ||
            shorts_.size() + 1 >= starts_several) {
            continue;
        }
        std::array<char, 16> bytes{};
        std::memcpy(bytes.data(), name.data(), name.size());
        bytes[name.size()] = '"';
        shorts_.push_back({{word_at(bytes.data()), word_at(bytes.data() + 8)},
                           first_bytes(name.size() + 1),
                           first_bytes(name.size()),
                           i});
    }
    first_bytes_ = first_byte_table(std::vector<char>(names_.size(), 1));
}

FieldNames::FirstByteTable FieldNames::first_byte_table(const std::vector<char>& only) const {
    if (only.size() != names_.size())
        throw std::invalid_argument("first_byte_table: a flag per name is needed");
    FirstByteTable table{};
    // @p short_name: 1 + its index in shorts_, or starts_several for a name not among them.
    const auto may_start_with = [&table](char c, std::uint8_t short_name) {
        std::uint8_t& first = table[static_cast<unsigned char>(c)];
        first = first == starts_none ? short_name : std::uint8_t{starts_several};
    };
    may_start_with('\\', starts_several);  // an escape may unescape to any name's first character
    std::size_t next_short = 0;
    for (std::size_t i = 0; i < names_.size(); ++i) {
        const bool is_short = next_short < shorts_.size() && shorts_[next_short].index == i;
        if (is_short) ++next_short;
        if (only[i] == 0) continue;
        const char first = names_[i].empty() ? '"' : names_[i].front();
        may_start_with(
            first, is_short ? static_cast<std::uint8_t>(next_short) : std::uint8_t{starts_several});
    }
    return table;
}

bool parse_json_fields(std::string_view text, const FieldNames& names, Value& out, JsonError& error,
                       bool padded, const EarlyTest* test) {
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
        // A line the test drops is a job here, holding the fields the test read: the filter
        // tests it again and drops it.
        FieldsRead read{test};
        ok = read_json_fields(builder, object, names, out, doc, read);
    }
    // Skipped members are not checked for their brackets, so a broken one can close the object
    // early (`{"x":{"y":1]},"a":1}`): what is left is text after the value, as parse_json says.
    const char* more = nullptr;  // where a token after the object is, if there is one
    if (ok && !doc.current_location().get(more))
        ok = builder.fail("text after the JSON value", doc);
    if (!ok) error = std::move(builder.error());
    return ok;
}

}  // namespace flowpool::detail
