#pragma once
// Building Values from simdjson's On-Demand iterator, for json.cpp (one text at a time) and
// json_stream.cpp (many at once). Only files compiled with simdjson's kernel flags include it.

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "json.hpp"
#include "json_keys.hpp"

namespace flowpool::detail {

static_assert(simdjson::SIMDJSON_VERSION_MAJOR == 3,
              "OnDemandAccess reaches simdjson 3's protected iterators: check them first");

/// simdjson keeps the iterator under an On-Demand object protected. A record's fields are read
/// through it directly, as simdjson's own find_field reads them: its range-for instead copies the
/// iterator's state into a field and a value for each member, which cost a projection of two
/// fields a third of its time (bench/README.md, "JSON records"). These reach it the way C++
/// allows a derived class to, naming each protected member through themselves.
struct OnDemandAccess : ondemand::object {
    /// The iterator over @p object's members.
    static ondemand::value_iterator& members(ondemand::object& object) noexcept {
        return object.*(&OnDemandAccess::iter);
    }
};
/// The same for the text of the value an iterator is at, which simdjson reads only as it
/// consumes the value.
struct OnDemandStart : ondemand::value_iterator {
    /// The first byte of the value @p where is at.
    static const char* text(const ondemand::value_iterator& where) noexcept {
        return reinterpret_cast<const char*>((where.*(&OnDemandStart::peek_start))());
    }
};
/// The same for a value: simdjson starts one at an iterator only for its own types.
struct OnDemandValue : ondemand::value {
    /// The value that starts where @p where is.
    static ondemand::value at(const ondemand::value_iterator& where) noexcept {
        return start(where);
    }
};

/// The same for the iterator under them all: where its tokens are, how deep it is, and where the
/// tokens end, for skip_members() to step through the tokens itself.
struct OnDemandTokens : ondemand::json_iterator, ondemand::token_iterator {
    static ondemand::token_iterator& tokens(ondemand::json_iterator& iter) noexcept {
        return iter.*(&OnDemandTokens::token);
    }
    static ondemand::depth_t& depth(ondemand::json_iterator& iter) noexcept {
        return iter.*(&OnDemandTokens::_depth);
    }
    static ondemand::token_position end(const ondemand::json_iterator& iter) noexcept {
        return (iter.*(&OnDemandTokens::end_position))();
    }
    /// The text the tokens are positions in.
    static const std::uint8_t* text(const ondemand::token_iterator& tokens) noexcept {
        return tokens.*(&OnDemandTokens::buf);
    }
};

// Deeper nesting is an error, so that building a value never runs a worker's stack out: one
// level is two calls here, and under AddressSanitizer 1,024 levels overflowed oneTBB's 4 MiB.
inline constexpr int json_max_depth = 256;

/// Builds Values from simdjson's on-demand iterator; the first error stops it.
class JsonBuilder {
public:
    explicit JsonBuilder(const char* begin) : begin_(begin) {}

    /// Reads @p node into @p out; false with error() set if it cannot.
    bool read(ondemand::value node, Value& out, int depth) {
        if (depth > json_max_depth) return fail("nesting deeper than 256 levels", node);
        ondemand::json_type type;
        if (const auto e = node.type().get(type)) return fail(e, node);
        switch (type) {
            case ondemand::json_type::object:
                return read_object(node, out, depth);
            case ondemand::json_type::array:
                return read_array(node, out, depth);
            default:
                return read_scalar(node, type, out);
        }
    }

    /// Reads the value @p node is at (a member's, its key and colon read) into @p out. The
    /// caller then skips the member's value (skip_child()), which passes over a value not read.
    bool read(ondemand::value_iterator node, Value& out, int depth) {
        // Most members read are integers (a status, a count): read as one at once, without
        // asking the type first. Anything else (a float, an integer out of range) reads nothing.
        if (const char first = *OnDemandStart::text(node);
            first == '-' || (first >= '0' && first <= '9')) {
            if (std::int64_t integer = 0; !node.get_int64().get(integer)) {
                out = integer;
                return true;
            }
        }
        ondemand::json_type type;
        if (const auto e = node.type().get(type)) return fail(e, node);
        if (type == ondemand::json_type::object || type == ondemand::json_type::array)
            return read(OnDemandValue::at(node), out, depth);
        // A string without escapes (most) is taken as it lies in the text, and left there for
        // the caller's skip: simdjson's get_string() would copy it into its buffer first.
        if (std::string_view text; type == ondemand::json_type::string &&
                                   plain_string(OnDemandStart::text(node) + 1, text)) {
            set_string(out, text);
            return true;
        }
        return read_scalar(node, type, out);
    }

    /// Reads a string, number, bool or null at @p node (a value, or a document that is one).
    template <class Node>
    bool read_scalar(Node& node, Value& out) {
        ondemand::json_type type;
        if (const auto e = node.type().get(type)) return fail(e, node);
        return read_scalar(node, type, out);
    }

    /// Reads the scalar of type @p type at @p node.
    template <class Node>
    bool read_scalar(Node& node, ondemand::json_type type, Value& out) {
        switch (type) {
            case ondemand::json_type::string: {
                std::string_view text;
                if (const auto e = node.get_string().get(text)) return fail(e, node);
                set_string(out, text);
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
        auto location = [&at] {
            if constexpr (std::is_same_v<At, ondemand::value_iterator>) {
                return at.json_iter().current_location();
            } else {
                return at.current_location();
            }
        };
        if (!location().get(where) && where >= begin_)
            error_.offset = static_cast<std::size_t>(where - begin_);
        return false;
    }
    template <class At>
    bool fail(simdjson::error_code code, At& at) {
        return fail(simdjson::error_message(code), at);
    }
    /// Records @p code at @p where, a place in the text.
    bool fail_at(simdjson::error_code code, const std::uint8_t* where) {
        error_.reason = simdjson::error_message(code);
        const auto* at = reinterpret_cast<const char*>(where);
        if (at >= begin_) error_.offset = static_cast<std::size_t>(at - begin_);
        return false;
    }

private:
    /// Reads an object into @p out, refilling in place the record @p out holds if it holds one
    /// (last line's, when values are reused): a field whose name is the one at its place keeps
    /// its storage, so lines of one shape allocate nothing.
    bool read_object(ondemand::value node, Value& out, int depth) {
        ondemand::object object;
        if (const auto e = node.get_object().get(object)) return fail(e, node);
        Record* fields = std::get_if<Record>(&out);
        if (fields == nullptr) fields = &out.emplace<Record>();
        std::size_t filled = 0;
        std::unordered_map<std::string, std::size_t> index;  // only for large objects
        for (auto member : object) {
            ondemand::field field;
            if (const auto e = std::move(member).get(field)) return fail(e, node);
            std::string_view name;
            if (const auto e = field.unescaped_key().get(name)) return fail(e, node);
            if (!read(field.value(), slot_for(*fields, filled, index, name), depth + 1)) {
                fields->truncate(filled);
                return false;
            }
        }
        fields->truncate(filled);
        return true;
    }

    /// The value of field @p name among the @p filled first of @p fields, the last value of a
    /// repeated name winning at its first place; else field number @p filled, named @p name (one
    /// more filled). Objects of more than 32 fields look names up in @p index, so that a huge
    /// object stays linear.
    static Value& slot_for(Record& fields, std::size_t& filled,
                           std::unordered_map<std::string, std::size_t>& index,
                           std::string_view name) {
        constexpr std::size_t scan_up_to = 32;
        const auto first = fields.begin();
        if (filled < scan_up_to) {
            for (auto at = first; at != first + static_cast<std::ptrdiff_t>(filled); ++at) {
                if (at->name == name) return at->value;
            }
        } else {
            if (index.empty()) {
                for (std::size_t i = 0; i < filled; ++i) index.emplace((first + i)->name, i);
            }
            const auto found = index.find(std::string(name));
            if (found != index.end()) return (first + found->second)->value;
        }
        if (filled == fields.size()) {
            fields.append(std::string(name), Value());
        } else if (Field& reused = *(first + static_cast<std::ptrdiff_t>(filled));
                   reused.name != name) {
            reused.name.assign(name);
        }
        Field& field = *(fields.begin() + static_cast<std::ptrdiff_t>(filled++));
        if (!index.empty()) index.emplace(field.name, filled - 1);
        return field.value;
    }

    /// Reads an array into @p out, refilling in place the list @p out holds if it holds one.
    bool read_array(ondemand::value node, Value& out, int depth) {
        ondemand::array array;
        if (const auto e = node.get_array().get(array)) return fail(e, node);
        List* items = std::get_if<List>(&out);
        if (items == nullptr) items = &out.emplace<List>();
        std::size_t filled = 0;
        for (auto element : array) {
            ondemand::value item;
            if (const auto e = std::move(element).get(item)) return fail(e, node);
            if (filled == items->size()) items->emplace_back();
            if (!read(item, (*items)[filled++], depth + 1)) {
                items->resize(filled);
                return false;
            }
        }
        items->resize(filled);
        return true;
    }

    /// Sets @p out to @p text, in the string @p out holds if it holds one small enough to keep.
    static void set_string(Value& out, std::string_view text) {
        constexpr std::size_t keep_up_to =
            4096;  // past it, a fresh string: no slot keeps a huge one
        std::string* string = std::get_if<std::string>(&out);
        if (string != nullptr && string->capacity() <= keep_up_to) {
            string->clear();  // then append: a plain copy, without assign's checks for overlap
            string->append(text);
        } else {
            out = std::string(text);
        }
    }

    template <class Node>
    bool read_number(Node& node, Value& out) {
        // Most numbers are integers: read as one, which fails (reading nothing) for any other.
        if (std::int64_t integer = 0; !node.get_int64().get(integer)) {
            out = integer;
            return true;
        }
        // The type first, then the number read as that type: simdjson 3.0's get_number() reads
        // floats of more than 19 digits as 0.
        ondemand::number_type type;
        if (const auto e = node.get_number_type().get(type)) return fail(e, node);
        switch (type) {
            // An integer get_int64() could not read is out of its range: below -2^63 (simdjson
            // calls it signed) or above 2^63 - 1; it becomes the nearest float either way.
            case ondemand::number_type::signed_integer:
            case ondemand::number_type::unsigned_integer:
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

/// shape_fields() of a record not known to be shaped so.
inline Record& reshape_fields(Value& out, const FieldNames& names) {
    if (Record* fields = std::get_if<Record>(&out);
        fields != nullptr && fields->size() == names.size()) {
        std::size_t i = 0;
        for (const Field& field : *fields) {
            if (!named(field, names, i)) break;
            ++i;
        }
        if (i == names.size()) return *fields;
    }
    Record& fields = out.emplace<Record>();
    fields.reserve(names.size());
    for (const std::string& name : names.names()) fields.append(name, Value());
    return fields;
}

/// Makes @p out a record of the fields @p names, in that order (their values left as they are
/// if it was one already: last line's, to be filled again in place). @p refill: @p out was
/// made so by the last call, and may have lost fields since, but was not renamed.
/// Inlined for the record refilled (most lines); the rest is reshape_fields().
[[gnu::always_inline]] inline Record& shape_fields(Value& out, const FieldNames& names,
                                                   bool refill) {
    if (Record* fields = std::get_if<Record>(&out);
        refill && fields != nullptr && fields->size() == names.size()) {
        return *fields;
    }
    return reshape_fields(out, names);
}

/// What the first byte of a token says of a value that starts with it, as skip_members()
/// passes over one.
enum class TokenKind : std::uint8_t {
    scalar,   ///< a string, number or literal: one token
    opening,  ///< an object or array: to its matching bracket
    none,     ///< a closing bracket, comma or colon: no value starts so
};
/// The TokenKind of each byte.
inline constexpr std::array<TokenKind, 256> token_kinds = [] {
    std::array<TokenKind, 256> kinds{};
    kinds['{'] = kinds['['] = TokenKind::opening;
    kinds['}'] = kinds[']'] = kinds[','] = kinds[':'] = TokenKind::none;
    return kinds;
}();

/// The position after the brackets opened by the token before @p at, their contents passed over
/// as simdjson's skip_child() passes over them (by counting brackets); null if they do not close
/// before @p end.
inline ondemand::token_position past_brackets(const std::uint8_t* text, ondemand::token_position at,
                                              ondemand::token_position end) noexcept {
    // How a token changes the depth: a branch a token, not one a kind of token.
    static constexpr std::array<signed char, 256> nesting = [] {
        std::array<signed char, 256> change{};
        change['{'] = change['['] = 1;
        change['}'] = change[']'] = -1;
        return change;
    }();
    for (int open = 1; at != end; ++at) {
        open += nesting[text[*at]];
        if (open == 0) return at + 1;
    }
    return nullptr;
}

/// Where skip_members() stopped.
enum class MembersSkipped {
    closed,  ///< after the object's closing brace: no member is left
    at_key,  ///< at the key of a member for simdjson's steps to take
};

/// Reads the integer whose text starts at @p text into @p out if it is a plain one, as simdjson
/// would read it: an optional minus, 1 to 18 digits without a leading zero (not -0), then a
/// blank, a comma or a closing brace. False for anything else, for simdjson to read.
inline bool plain_integer(const std::uint8_t* text, std::int64_t& out) noexcept {
    const bool negative = *text == '-';
    text += negative ? 1 : 0;
    const auto digit = [](std::uint8_t c) { return static_cast<unsigned>(c - '0') < 10; };
    if (!digit(text[0]) || (text[0] == '0' && digit(text[1]))) return false;
    std::uint64_t value = 0;  // 19 digits at the most: no overflow
    std::size_t n = 0;
    for (; n < 19 && digit(text[n]); ++n) value = value * 10 + (text[n] - '0');
    switch (text[n]) {
        case ',':
        case '}':
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            break;
        default:
            return false;  // more digits, a fraction, an exponent or a broken number
    }
    if (n > 18 || (negative && value == 0)) return false;
    out = static_cast<std::int64_t>(value);
    if (negative) out = -out;
    return true;
}

/// The record read_listed_fields() fills, for skip_members() to read an integer into.
struct ListedFields {
    Record& fields;
    char* seen;  ///< a flag per name: read
    std::size_t& found;
    const char* only;  ///< see read_listed_fields()
    /// The first bytes of the names to read (all, or those flagged in `only`).
    const FieldNames::FirstByteTable& first_bytes;
};

/// Passes over the members of the object @p members iterates that are not to be read (their
/// names not among @p names, or not flagged in @p read.only), from the key the iterator is at,
/// in a loop of its own over simdjson's tokens, and reads those to be read that hold a plain
/// integer (most: a status, a count) into @p read. Only the regular member is taken here: a
/// string key, a colon, a value (a scalar, or an object or array to its matching bracket), then
/// a comma or the closing brace. The loop stops at the key of any other member, and of one to
/// read that holds anything else, for simdjson's steps (field_key(), field_value(), skip_child(),
/// has_next_field()) to take it as they would have, with their errors.
inline MembersSkipped skip_members(ondemand::value_iterator& members, const FieldNames& names,
                                   const ListedFields& read) {
    ondemand::json_iterator& iter = members.json_iter();
    ondemand::token_iterator& tokens = OnDemandTokens::tokens(iter);
    const std::uint8_t* const text = OnDemandTokens::text(tokens);
    const ondemand::token_position end = OnDemandTokens::end(iter);
    ondemand::token_position at = tokens.position();
    // Four tokens at least: the key, the colon, the value and the comma or brace after it.
    while (end - at >= 4) {
        const std::uint8_t* const key = text + at[0];
        if (key[0] != '"' || text[at[1]] != ':') break;
        const std::size_t i =
            short_key_index(names, reinterpret_cast<const char*>(key + 1), read.first_bytes);
        if (i == undecided) break;
        const ondemand::token_position value = at + 2;
        ondemand::token_position after = at + 3;
        std::int64_t integer = 0;
        const bool wanted = i != no_name && (read.only == nullptr || read.only[i] != 0);
        if (wanted) {
            if (!plain_integer(text + *value, integer)) break;
        } else if (const TokenKind kind = token_kinds[text[*value]]; kind != TokenKind::scalar) {
            if (kind != TokenKind::opening) break;
            after = past_brackets(text, after, end);
            if (after == nullptr || after == end) break;
        }
        const std::uint8_t next = text[*after];
        if (next != '}' && next != ',') break;
        if (wanted) {
            if (read.seen[i] == 0) {
                read.seen[i] = 1;
                ++read.found;
            }
            (read.fields.begin() + static_cast<std::ptrdiff_t>(i))->value = integer;
        }
        if (next == '}') {
            tokens.set_position(after + 1);
            OnDemandTokens::depth(iter) = members.depth() - 1;  // as has_next_field() leaves it
            return MembersSkipped::closed;
        }
        at = after + 1;
    }
    tokens.set_position(at);
    return MembersSkipped::at_key;
}

/// Reads the fields @p names (each once) of @p object into @p out, as parse_json_fields does: one
/// pass over the object, so that a repeated name gives its last value; the record holds them in
/// the order of @p names, those the object lacks left out. False with the builder's error set
/// (placed at @p at) if a member or a field asked for is malformed. With @p test, only the names
/// its condition reads are read; the others keep the values @p out held. @p refill: as for
/// shape_fields().
template <class At>
bool read_listed_fields(JsonBuilder& builder, ondemand::object& object, const FieldNames& names,
                        Value& out, At& at, const EarlyTest* test, bool refill) {
    const char* const only = test != nullptr ? test->reads.data() : nullptr;
    const std::size_t wanted = test != nullptr ? test->names_read : names.size();
    Record& fields = shape_fields(out, names, refill);
    std::array<char, 16> few{};  // which names were found
    std::vector<char> many;
    if (names.size() > few.size()) many.resize(names.size());
    char* const seen = many.empty() ? few.data() : many.data();
    std::size_t found = 0;
    // The steps of simdjson's object iteration: key, colon, value (read or skipped), then a comma
    // or the closing brace.
    ondemand::value_iterator& members = OnDemandAccess::members(object);
    // A step that fails has consumed the token it failed on: the error is placed there.
    const auto failed_step = [&builder, &members](simdjson::error_code e) {
        return builder.fail_at(e, members.json_iter().peek(-1));
    };
    const ListedFields listed{fields, seen, found, only,
                              test != nullptr ? test->first_bytes : names.first_byte_table()};
    for (bool more = members.is_open(); more;) {
        if (skip_members(members, names, listed) == MembersSkipped::closed) break;
        ondemand::raw_json_string key;
        std::size_t i = no_name;
        if (const auto e = members.field_key().get(key)) return failed_step(e);
        if (const auto e = members.field_value()) return failed_step(e);
        if (const auto e = find_key(names, key, members, i)) return builder.fail(e, at);
        if (i != no_name && (only == nullptr || only[i] != 0)) {
            if (seen[i] == 0) {
                seen[i] = 1;
                ++found;
            }
            Value& slot = (fields.begin() + static_cast<std::ptrdiff_t>(i))->value;
            if (!builder.read(members.child(), slot, 2)) return false;
        }
        if (const auto e = members.skip_child()) return builder.fail(e, at);
        if (const auto e = members.has_next_field().get(more)) return failed_step(e);
    }
    if (found < wanted) {
        // Some are missing: keep the others, in order (this record is rebuilt for the next line).
        std::size_t kept = 0;
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (seen[i] == 0 && (only == nullptr || only[i] != 0)) continue;
            const auto first = fields.begin();
            if (kept != i) {
                *(first + static_cast<std::ptrdiff_t>(kept)) =
                    std::move(*(first + static_cast<std::ptrdiff_t>(i)));
            }
            ++kept;
        }
        fields.truncate(kept);
    }
    return true;
}

/// read_listed_fields() of every name, or with @p read.test, first the names it reads: the
/// others only if it may keep the record (else @p read.dropped is set).
template <class At>
bool read_json_fields(JsonBuilder& builder, ondemand::object& object, const FieldNames& names,
                      Value& out, At& at, FieldsRead& read) {
    read.dropped = false;
    bool refill = read.refill;
    if (const EarlyTest* test = read.test) {
        if (!read_listed_fields(builder, object, names, out, at, test, refill)) {
            return false;
        }
        if (!test->keeps(out)) return read.dropped = true;
        if (const auto e = object.reset().error()) return builder.fail(e, at);
        refill = true;  // shaped just now
    }
    return read_listed_fields(builder, object, names, out, at, nullptr, refill);
}

}  // namespace flowpool::detail
