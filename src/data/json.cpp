#include "json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

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
        // The bytes that need nothing done, appended in one go: most text is all of them.
        std::size_t plain = 0;
        while (plain < text.size()) {
            const auto c = static_cast<unsigned char>(text[plain]);
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
            ++plain;
        }
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

namespace {

namespace ondemand = simdjson::ondemand;

// Deeper nesting is an error, so that building a value never runs a worker's stack out: one
// level is two calls here, and under AddressSanitizer 1,024 levels overflowed oneTBB's 4 MiB.
constexpr int max_depth = 256;

/// Builds Values from simdjson's on-demand iterator; the first error stops it.
class Builder {
public:
    explicit Builder(const char* begin) : begin_(begin) {}

    /// Reads @p node into @p out; false with error() set if it cannot.
    bool read(ondemand::value node, Value& out, int depth) {
        if (depth > max_depth) return fail("nesting deeper than 256 levels", node);
        ondemand::json_type type;
        if (const auto e = node.type().get(type)) return fail(e, node);
        switch (type) {
            case ondemand::json_type::object:
                return read_object(node, out, depth);
            case ondemand::json_type::array:
                return read_array(node, out, depth);
            default:
                return read_scalar(node, out);
        }
    }

    /// Reads a string, number, bool or null at @p node (a value, or a document that is one).
    template <class Node>
    bool read_scalar(Node& node, Value& out) {
        ondemand::json_type type;
        if (const auto e = node.type().get(type)) return fail(e, node);
        switch (type) {
            case ondemand::json_type::string: {
                std::string_view text;
                if (const auto e = node.get_string().get(text)) return fail(e, node);
                out = std::string(text);
                return true;
            }
            case ondemand::json_type::number:
                return read_number(node, out);
            case ondemand::json_type::boolean: {
                bool b = false;
                if (const auto e = node.get_bool().get(b)) return fail(e, node);
                out = b;
                return true;
            }
            case ondemand::json_type::null: {
                bool null = false;
                if (node.is_null().get(null) || !null) return fail(simdjson::INCORRECT_TYPE, node);
                out = nullptr;
                return true;
            }
            default:
                return fail(simdjson::INCORRECT_TYPE, node);
        }
    }

    JsonError& error() noexcept { return error_; }

    /// Records @p reason at the iterator's place in @p at.
    template <class At>
    bool fail(std::string reason, At& at) {
        error_.reason = std::move(reason);
        const char* where = nullptr;
        if (!at.current_location().get(where) && where >= begin_)
            error_.offset = static_cast<std::size_t>(where - begin_);
        return false;
    }
    template <class At>
    bool fail(simdjson::error_code code, At& at) {
        return fail(simdjson::error_message(code), at);
    }

private:
    bool read_object(ondemand::value node, Value& out, int depth) {
        ondemand::object object;
        if (const auto e = node.get_object().get(object)) return fail(e, node);
        Record fields;
        std::unordered_map<std::string, std::size_t> index;  // only for large objects
        for (auto member : object) {
            ondemand::field field;
            if (const auto e = std::move(member).get(field)) return fail(e, node);
            std::string_view name;
            if (const auto e = field.unescaped_key().get(name)) return fail(e, node);
            Value item;
            if (!read(field.value(), item, depth + 1)) return false;
            set_field(fields, index, name, std::move(item));
        }
        out = std::move(fields);
        return true;
    }

    /// Sets a field, the last value of a repeated name winning at its first place. Objects of
    /// more than 32 fields look names up in @p index, so that a huge object stays linear.
    static void set_field(Record& fields, std::unordered_map<std::string, std::size_t>& index,
                          std::string_view name, Value item) {
        constexpr std::size_t scan_up_to = 32;
        if (fields.size() < scan_up_to) {
            fields.set(std::string(name), std::move(item));
            return;
        }
        if (index.empty()) {
            std::size_t i = 0;
            for (const Field& f : fields) index.emplace(f.name, i++);
        }
        const auto [at, added] = index.emplace(std::string(name), fields.size());
        if (added) {
            fields.append(std::string(name), std::move(item));
        } else {
            (fields.begin() + static_cast<std::ptrdiff_t>(at->second))->value = std::move(item);
        }
    }

    bool read_array(ondemand::value node, Value& out, int depth) {
        ondemand::array array;
        if (const auto e = node.get_array().get(array)) return fail(e, node);
        List items;
        for (auto element : array) {
            ondemand::value item;
            if (const auto e = std::move(element).get(item)) return fail(e, node);
            if (!read(item, items.emplace_back(), depth + 1)) return false;
        }
        out = std::move(items);
        return true;
    }

    template <class Node>
    bool read_number(Node& node, Value& out) {
        // The type first, then the number read as that type: simdjson 3.0's get_number() reads
        // floats of more than 19 digits as 0.
        ondemand::number_type type;
        if (const auto e = node.get_number_type().get(type)) return fail(e, node);
        switch (type) {
            case ondemand::number_type::signed_integer:
                return read_as<std::int64_t>(node, out, &Node::get_int64);
            case ondemand::number_type::unsigned_integer:  // above int64: a float
            case ondemand::number_type::floating_point_number:
                return read_as<double>(node, out, &Node::get_double);
        }
        return fail(simdjson::NUMBER_ERROR, node);
    }

    template <class T, class Node, class Get>
    bool read_as(Node& node, Value& out, Get get) {
        T number{};
        if (const auto e = (node.*get)().get(number)) return fail(e, node);
        out = number;
        return true;
    }

    const char* begin_;
    JsonError error_;
};

}  // namespace

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
    Builder builder(begin);
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
static bool fail_with(Builder& builder, simdjson::error_code code, ondemand::document& doc,
                      JsonError& error) {
    builder.fail(code, doc);
    error = std::move(builder.error());
    return false;
}

bool parse_json_fields(std::string_view text, const std::vector<std::string>& names, Value& out,
                       JsonError& error, bool padded) {
    ondemand::document doc;
    const char* begin = ThreadParser::mine().start(text, padded, doc, error);
    if (begin == nullptr) return false;
    Builder builder(begin);
    ondemand::object object;
    if (const auto e = doc.get_object().get(object)) {
        builder.fail(
            e == simdjson::INCORRECT_TYPE ? "not a JSON object" : simdjson::error_message(e), doc);
        error = std::move(builder.error());
        return false;
    }
    // One pass over the object, so that a repeated name gives its last value, as parse_json.
    std::vector<std::optional<Value>> found(names.size());
    for (auto member : object) {
        ondemand::field field;
        std::string_view key;
        if (const auto e = std::move(member).get(field)) return fail_with(builder, e, doc, error);
        if (const auto e = field.unescaped_key().get(key)) return fail_with(builder, e, doc, error);
        const auto wanted = std::find(names.begin(), names.end(), key);
        if (wanted == names.end()) continue;
        Value read;
        if (!builder.read(field.value(), read, 2)) {
            error = std::move(builder.error());
            return false;
        }
        found[static_cast<std::size_t>(wanted - names.begin())] = std::move(read);
    }
    Record fields;
    fields.reserve(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (found[i]) fields.append(names[i], std::move(*found[i]));
    }
    out = std::move(fields);
    return true;
}

}  // namespace flowpool::detail
