#pragma once
// JSON for job values: writing any Value as JSON (always valid JSON and UTF-8, whatever bytes a
// string holds), and parsing one JSON document into a Value with simdjson.

#include <flowpool/value.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flowpool::detail {

/// Appends @p text as a JSON string, quotes included: `"` and `\` escaped, \n \r \t as such,
/// other control characters as \u00XX, and each maximal invalid UTF-8 subpart as U+FFFD (as
/// Unicode's "substitution of maximal subparts" and Python's `errors="replace"` do).
void append_json_string(std::string& out, std::string_view text);

/// Appends @p value as JSON: null, true/false, numbers (a float in the fewest digits that read
/// back as it, plain digits from 1e-5 to 1e17 and a ".0" on a whole one; NaN and infinities,
/// which JSON lacks, as null), strings by append_json_string,
/// lists as arrays, records as objects in field order. An application value is written as its
/// type's conversion (OpRegistry::add_type) gives it, else as the string "<TYPE>".
void append_json_value(std::string& out, const Value& value);

/// Appends a float as JSON writes it (see append_json_value).
void append_json_double(std::string& out, double number);

/// Why a text is not the JSON of one value: simdjson's reason, and the byte where it was found.
struct JsonError {
    std::string reason;      ///< simdjson's message, or ours for depth and number range
    std::size_t offset = 0;  ///< bytes from the start of the text
};

/// Parses @p text, one JSON value (surrounding whitespace allowed), into @p out; false with
/// @p error if it is not one. Objects become records: a name repeated in one object keeps its
/// first place and its last value (as Python's json and jq do). Integers in the int64 range are
/// integers; larger ones become floats (the nearest double); numbers no double holds (1e400)
/// are errors. Nesting deeper than 256 is an error. Thread-safe: each
/// thread parses with a parser of its own. @p padded: at least 64 readable bytes follow @p text (as
/// simdjson needs), so it is parsed where it lies instead of copied.
bool parse_json(std::string_view text, Value& out, JsonError& error, bool padded = false);

/// True if @p text holds nothing but JSON whitespace (space, tab, CR, LF): a blank line of JSON
/// lines, or what may stand between two values.
inline bool json_blank(std::string_view text) noexcept {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

/// The names of the fields a projection reads (parse_json_fields, JsonLineRun::next), with
/// what finding them among an object's keys takes, worked out once: a name of fewer than sixteen
/// bytes is found by two masked compares of a key's first sixteen bytes with its own and a quote.
class FieldNames {
public:
    /// A short name as a key's first sixteen bytes: the name and its closing quote as two
    /// words (byte i in bits 8(i mod 8) to 8(i mod 8) + 7 of words[i / 8]), the masks of those
    /// bytes with the quote (a key's compare) and without it (a record field name's), and its
    /// index in names().
    struct Short {
        std::array<std::uint64_t, 2> words{};
        std::array<std::uint64_t, 2> key_mask{};
        std::array<std::uint64_t, 2> name_mask{};
        std::size_t index = 0;
    };

    FieldNames() = default;
    /// For @p names (implicit: a list of names is the names a projection reads).
    FieldNames(std::vector<std::string> names);  // NOLINT(google-explicit-constructor)

    [[nodiscard]] const std::vector<std::string>& names() const noexcept { return names_; }
    [[nodiscard]] bool empty() const noexcept { return names_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return names_.size(); }
    /// The names of fewer than sixteen bytes without a quote or a backslash.
    [[nodiscard]] const std::vector<Short>& shorts() const noexcept { return shorts_; }
    /// True if shorts() holds every name.
    [[nodiscard]] bool all_short() const noexcept { return shorts_.size() == names_.size(); }
    /// What the first byte of a key's text (after its opening quote) says of it: a byte other
    /// than a backslash stands for itself once the key is unescaped, so it must start a name
    /// (a closing quote: the empty name). Most keys a projection skips are told apart by it.
    enum FirstByte : std::uint8_t {
        starts_none = 0,      ///< no name starts with it
        starts_several = 255  ///< several names may, or a name not in shorts(); else 1 + the
                              ///< index in shorts() of the one name that starts with it
    };
    /// A FirstByte per byte.
    using FirstByteTable = std::array<std::uint8_t, 256>;
    /// The FirstByteTable of every name.
    [[nodiscard]] const FirstByteTable& first_byte_table() const noexcept { return first_bytes_; }
    /// The FirstByteTable of the names flagged in @p only (one flag per name, or
    /// std::invalid_argument), for a reader of those names alone: with it, short_key_index() may
    /// take a key of another name for no name.
    [[nodiscard]] FirstByteTable first_byte_table(const std::vector<char>& only) const;

private:
    std::vector<std::string> names_;
    std::vector<Short> shorts_;
    FirstByteTable first_bytes_{};
};

/// A condition on some fields of a projection, tested before the others are read (the
/// condition of the filter after a source: see OpInfo::keeps_if).
struct EarlyTest {
    /// Sets the names of the projection @p names the condition reads: @p flags, one per name
    /// (1: read), and what follows from them below (std::invalid_argument if the count differs).
    void set_reads(const FieldNames& names, std::vector<char> flags) {
        reads = std::move(flags);
        names_read = static_cast<std::size_t>(std::count(reads.begin(), reads.end(), 1));
        first_bytes = names.first_byte_table(reads);
    }

    /// Per name of the projection, in its order: 1 if the condition reads it, else 0.
    std::vector<char> reads;
    /// How many of `reads` are 1.
    std::size_t names_read = 0;
    /// The projection's FieldNames::first_byte_table(reads): keys of the names the condition does
    /// not read are passed over as quickly as keys of no name.
    FieldNames::FirstByteTable first_bytes{};
    /// Given a record of the projection's fields in its order (without those the line lacks),
    /// whose fields the condition reads are the line's (the others are left as they were), false
    /// if the condition is false for it: the filter will drop the job.
    std::function<bool(const Value&)> may_keep;
    /// The condition, when it compares one field with an integer (`.status >= 500`): the field's
    /// index among the projection's `fields` names, the integer, and whether the condition holds
    /// for a field below, equal to and above it.
    struct IntegerField {
        std::size_t field = 0;
        std::size_t fields = 0;
        std::int64_t number = 0;
        bool below = false;
        bool equal = false;
        bool above = false;
    };
    std::optional<IntegerField> integer;

    /// may_keep(@p record), decided here, without its call, when `integer` applies: the record
    /// holds every field of the projection and an integer in the one compared.
    [[nodiscard]] bool keeps(const Value& record) const {
        if (integer) {
            if (const Record* fields = record.record();
                fields != nullptr && fields->size() == integer->fields) {
                const Value& field =
                    (fields->begin() + static_cast<std::ptrdiff_t>(integer->field))->value;
                if (const auto* x = std::get_if<std::int64_t>(&field)) {
                    if (*x < integer->number) return integer->below;
                    return *x == integer->number ? integer->equal : integer->above;
                }
            }
        }
        return may_keep(record);
    }
};

/// How a line's record is read with a projection (JsonLineRun::next, read_json_fields): what
/// the caller says, and what the read found.
struct FieldsRead {
    /// The condition of the filter after the source, tested on the fields it reads before the
    /// others are read; none: every field is read.
    const EarlyTest* test = nullptr;
    /// The record was filled by the last read of the same names (the record of a line the test
    /// dropped, filled again): it holds those fields in their order, or fewer, so the names of
    /// a record of all of them need no check.
    bool refill = false;
    /// Set by the read: the test dropped the line, and the record holds the fields it read
    /// only.
    bool dropped = false;
};

/// Parses the fields @p names (each once) of @p text, a JSON object, into @p out, a record
/// holding those of them it has, in the order of @p names; a repeated name gives its last value,
/// as in parse_json. Reads nothing else of the object but its structure (simdjson's On-Demand
/// API): a malformed value in a field not asked for may go unnoticed.
/// False with @p error if @p text is not an object or a field asked for is malformed.
/// With @p test, the fields it reads first, and the others only if it may keep the record (as
/// JsonLineRun::next).
bool parse_json_fields(std::string_view text, const FieldNames& names, Value& out, JsonError& error,
                       bool padded = false, const EarlyTest* test = nullptr);

}  // namespace flowpool::detail
