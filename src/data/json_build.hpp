#pragma once
// Building Values from simdjson's On-Demand iterator, for json.cpp (one text at a time) and
// json_stream.cpp (many at once). Only files compiled with simdjson's kernel flags include it.

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "json.hpp"

namespace flowpool::detail {

namespace ondemand = simdjson::ondemand;

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

/// The lowest byte of @p word equal to @p byte (0-7), or 8 if none is: the exact first match,
/// as false positives of the zero-byte trick only come after a true one.
inline unsigned first_byte_of(std::uint64_t word, unsigned char byte) noexcept {
    const std::uint64_t x = word ^ (0x0101010101010101ULL * byte);
    const std::uint64_t zero = (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
    return zero == 0 ? 8 : static_cast<unsigned>(std::countr_zero(zero)) / 8;
}

/// The key of @p field as it lies in the text, if it has no escape to undo (most keys): the
/// unescaped copy simdjson would make is the largest cost of skipping a field not asked for.
inline bool plain_key(const ondemand::field& field, std::string_view& key) noexcept {
    const char* const begin = field.key().raw();
    // The key was checked by simdjson's first stage: it ends at an unescaped quote, and padding
    // follows the text, so whole words can be read up to it.
    for (std::size_t at = 0;; at += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, begin + at, sizeof word);
        if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
        const unsigned quote = first_byte_of(word, '"');
        const unsigned backslash = first_byte_of(word, '\\');
        if (backslash < quote) return false;
        if (quote < 8) {
            key = std::string_view(begin, at + quote);
            return true;
        }
    }
}

/// Moves the fields of @p fields into the order of @p names, where field `where[i]` of @p fields
/// is named names[i] (`none`: not found).
inline void order_fields(Record& fields, const std::vector<std::string>& names,
                         const std::uint32_t* where, std::uint32_t none) {
    std::uint32_t last = 0;
    bool ordered = true;
    for (std::size_t i = 0; i < names.size() && ordered; ++i) {
        if (where[i] == none) continue;
        ordered = where[i] >= last;
        last = where[i];
    }
    if (ordered) return;
    Record in_order;
    in_order.reserve(fields.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (where[i] == none) continue;
        Field& field = *(fields.begin() + static_cast<std::ptrdiff_t>(where[i]));
        in_order.append(std::move(field.name), std::move(field.value));
    }
    fields = std::move(in_order);
}

/// Reads the fields @p names (each once) of @p object into @p out, as parse_json_fields does: one
/// pass over the object, so that a repeated name gives its last value. False with the builder's
/// error set (placed at @p at) if a member or a field asked for is malformed.
template <class At>
bool read_json_fields(JsonBuilder& builder, ondemand::object& object,
                      const std::vector<std::string>& names, Value& out, At& at) {
    // Where each name's field is in the record, which is built in the object's order.
    constexpr std::uint32_t none = ~std::uint32_t{0};
    std::array<std::uint32_t, 16> few;
    std::vector<std::uint32_t> many;
    std::uint32_t* where = few.data();
    if (names.size() > few.size()) {
        many.resize(names.size());
        where = many.data();
    }
    std::fill_n(where, names.size(), none);
    Record fields;
    fields.reserve(names.size());
    for (auto member : object) {
        ondemand::field field;
        std::string_view key;
        if (const auto e = std::move(member).get(field)) return builder.fail(e, at);
        if (!plain_key(field, key)) {
            if (const auto e = field.unescaped_key().get(key)) return builder.fail(e, at);
        }
        const auto wanted = std::find(names.begin(), names.end(), key);
        if (wanted == names.end()) continue;
        const auto i = static_cast<std::size_t>(wanted - names.begin());
        if (where[i] == none) {
            where[i] = static_cast<std::uint32_t>(fields.size());
            fields.append(names[i], Value());
        }
        Value& slot = (fields.begin() + static_cast<std::ptrdiff_t>(where[i]))->value;
        if (!builder.read(field.value(), slot, 2)) return false;
    }
    order_fields(fields, names, where, none);
    out = std::move(fields);
    return true;
}

}  // namespace flowpool::detail
