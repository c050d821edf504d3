#pragma once
// Finding a projection's names among an object's keys where they lie in the text, and among a
// record's field names, a word at a time (FieldNames, src/data/json.hpp). Only files compiled
// with simdjson's kernel flags include it (through json_build.hpp).

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "json.hpp"

namespace flowpool::detail {

namespace ondemand = simdjson::ondemand;

/// The lowest byte of @p word equal to @p byte (0-7), or 8 if none is: the exact first match,
/// as false positives of the zero-byte trick only come after a true one.
inline unsigned first_byte_of(std::uint64_t word, unsigned char byte) noexcept {
    const std::uint64_t x = word ^ (0x0101010101010101ULL * byte);
    const std::uint64_t zero = (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
    return zero == 0 ? 8 : static_cast<unsigned>(std::countr_zero(zero)) / 8;
}

/// The string whose text starts at @p begin (after its opening quote) as it lies in the text, if
/// it has no escape to undo. The text was checked by simdjson's first stage (valid UTF-8, no
/// control character inside a string): the string ends at an unescaped quote, and padding
/// follows the text, so whole words can be read up to it.
inline bool plain_string(const char* begin, std::string_view& text) noexcept {
    for (std::size_t at = 0;; at += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, begin + at, sizeof word);
        if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
        const unsigned quote = first_byte_of(word, '"');
        const unsigned backslash = first_byte_of(word, '\\');
        if (backslash < quote) return false;
        if (quote < 8) {
            text = std::string_view(begin, at + quote);
            return true;
        }
    }
}

/// The key @p raw as it lies in the text, if it has no escape to undo (most keys): the
/// unescaped copy simdjson would make is the largest cost of skipping a field not asked for.
inline bool plain_key(ondemand::raw_json_string raw, std::string_view& key) noexcept {
    return plain_string(raw.raw(), key);
}

/// The first eight bytes at @p text as a word, byte i in bits 8i to 8i + 7, as first_byte_of
/// counts them.
inline std::uint64_t word_at(const char* text) noexcept {
    std::uint64_t word = 0;
    std::memcpy(&word, text, sizeof word);
    if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
    return word;
}

inline constexpr std::size_t no_name = ~std::size_t{0};

/// What short_key_index() returns for a key it cannot tell by its first sixteen bytes.
inline constexpr std::size_t undecided = no_name - 1;

/// The index among @p names of the key whose text starts at @p key (after its opening quote),
/// told by its first byte (looked up in @p first_bytes, a table of FieldNames::first_byte_table())
/// and its first sixteen bytes alone: no_name if it is none of them, undecided if those bytes
/// cannot tell (a long name, or an escape). Reads nothing but the text, so that it can be tried
/// and then left to find_key(). With a table of some of the names, no_name may stand for one of
/// the others.
[[gnu::always_inline]] inline std::size_t short_key_index(
    const FieldNames& names, const char* key,
    const FieldNames::FirstByteTable& first_bytes) noexcept {
    const std::uint8_t first = first_bytes[static_cast<unsigned char>(*key)];
    if (first == FieldNames::starts_none) return no_name;
    // Padding follows the text, so sixteen bytes can be read.
    const std::uint64_t low = word_at(key);
    const std::uint64_t high = word_at(key + 8);
    const auto is = [low, high](const FieldNames::Short& name) {
        return (low & name.key_mask[0]) == name.words[0] &&
               (high & name.key_mask[1]) == name.words[1];
    };
    if (first != FieldNames::starts_several) {  // one name starts so
        if (const FieldNames::Short& name = names.shorts()[first - 1U]; is(name)) return name.index;
    } else {
        for (const FieldNames::Short& name : names.shorts()) {
            if (is(name)) return name.index;
        }
    }
    // None of them, unless it has an escape among its first sixteen bytes: the bytes before a
    // key's first escape are its own, so a key that unescapes to a name shorter than sixteen
    // bytes has its first backslash there.
    if (names.all_short() && first_byte_of(low, '\\') == 8 && first_byte_of(high, '\\') == 8)
        return no_name;
    return undecided;
}

/// short_key_index() with every name's table.
[[gnu::always_inline]] inline std::size_t short_key_index(const FieldNames& names,
                                                          const char* key) noexcept {
    return short_key_index(names, key, names.first_byte_table());
}

/// Sets @p which to the index among @p names of the key @p raw (read by @p members), or to
/// no_name; an error if the key cannot be read. The key is read where it lies in the text (see
/// FieldNames).
inline simdjson::error_code find_key(const FieldNames& names, ondemand::raw_json_string raw,
                                     ondemand::value_iterator& members, std::size_t& which) {
    which = short_key_index(names, raw.raw());
    if (which != undecided) return simdjson::SUCCESS;
    std::string_view name;
    if (!plain_key(raw, name)) {
        if (const auto e = members.json_iter().unescape(raw).get(name)) return e;
    }
    const auto at = std::find(names.names().begin(), names.names().end(), name);
    which =
        at == names.names().end() ? no_name : static_cast<std::size_t>(at - names.names().begin());
    return simdjson::SUCCESS;
}

/// True if @p field is named names()[@p i] of @p names.
inline bool named(const Field& field, const FieldNames& names, std::size_t i) noexcept {
    const std::string& name = names.names()[i];
    if (field.name.size() != name.size()) return false;
#ifdef __GLIBCXX__
    if (!names.all_short()) return field.name == name;
    // Both are shorter than sixteen bytes, and libstdc++'s std::string has a buffer of its own
    // of sixteen bytes (and one on the heap of at least seventeen): two words read from either
    // hold the name. That reads past size() + 1, which this layout allows and the standard
    // does not promise: with another library the names are compared as strings.
    const FieldNames::Short& n = names.shorts()[i];
    const char* const have = field.name.data();
    return (word_at(have) & n.name_mask[0]) == (n.words[0] & n.name_mask[0]) &&
           (word_at(have + 8) & n.name_mask[1]) == (n.words[1] & n.name_mask[1]);
#else
    return field.name == name;
#endif
}

}  // namespace flowpool::detail
