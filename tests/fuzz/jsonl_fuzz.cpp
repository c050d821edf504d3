// libFuzzer entry point for JSON (FLOWPOOL_FUZZ=ON, Clang only): arbitrary bytes parsed as one
// JSON document by parse_json, and as an object's fields by parse_json_fields (the first byte
// picks which of a few field lists). Whatever parses is written back with append_json_value,
// and that text must parse again to an equal value, and be written the same way again.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "data/json.hpp"

namespace {

using flowpool::Value;

/// True if @p v holds a float that JSON cannot carry (written as null).
bool has_non_finite(const Value& v) {
    if (const auto* d = std::get_if<double>(&v)) return !std::isfinite(*d);
    if (const auto* items = v.list()) {
        for (const Value& item : *items)
            if (has_non_finite(item)) return true;
    }
    if (const auto* fields = v.record()) {
        for (const auto& field : *fields)
            if (has_non_finite(field.value)) return true;
    }
    return false;
}

/// Writes @p value, parses the text back and checks both agree; traps if not.
void round_trip(const Value& value) {
    using namespace flowpool::detail;
    std::string text;
    append_json_value(text, value);
    Value again;
    JsonError error;
    if (!parse_json(text, again, error)) __builtin_trap();  // the writer wrote invalid JSON
    // Strings came from valid UTF-8 (simdjson checks it), so nothing was replaced; a float
    // that is NaN or infinite cannot come from simdjson either, but stay safe.
    if (!has_non_finite(value) && !(again == value)) __builtin_trap();
    std::string text_again;
    append_json_value(text_again, again);
    if (text_again != text) __builtin_trap();
}

}  // namespace

/// Called by libFuzzer with each input it makes up.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowpool::detail;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    Value value;
    JsonError error;
    if (parse_json(bytes, value, error)) {
        round_trip(value);
    } else if (error.offset > bytes.size()) {
        __builtin_trap();  // an error must point inside the text, or just past its end
    }

    if (size == 0) return 0;
    static const std::vector<std::vector<std::string>> field_lists = {
        {"a"}, {"a", "b"}, {"b", "a", "a"}, {""}, {"user", "tags", "id"}};
    const auto& names = field_lists[data[0] % field_lists.size()];
    Value fields;
    if (parse_json_fields(bytes.substr(1), names, fields, error)) {
        if (fields.record() == nullptr || fields.record()->size() > names.size()) __builtin_trap();
        round_trip(fields);
    } else if (error.offset > size) {
        __builtin_trap();
    }
    return 0;
}
