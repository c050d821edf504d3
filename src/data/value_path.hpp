#pragma once
// Paths into a value, as formats write them after `value`: `.user.country`, `.tags[0]`,
// `.["odd key"]` (or `."odd key"`, `.a.["b"]`, as jq writes them). Parsed once; followed per job
// without allocating.

#include <flowpool/value.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flowpool::detail {

/// Where the string whose opening quote is at @p open in @p text ends: one past the same quote
/// closing it (a backslash escapes the character after it), or npos if nothing closes it.
std::size_t quoted_end(std::string_view text, std::size_t open) noexcept;

/// A path of field names and list indexes.
class ValuePath {
public:
    /// Reads a quoted field name, `"..."` or `'...'` with its quotes (as quoted_end() finds its
    /// end), as the name; throws std::invalid_argument if it is malformed. The caller's language
    /// says which escapes there are.
    using Unquote = std::string (*)(std::string_view quoted);

    ValuePath() = default;
    /// Parses @p text: steps `.name` (letters, digits, `_`, `-`), `[N]` and `[-N]`
    /// (from the end: `[-1]` is the last), and `["name"]` or `['name']` for any name, read by
    /// @p unquote; a first such step may be written `.["name"]`, as expressions write it.
    /// Throws std::invalid_argument saying what is wrong.
    ValuePath(std::string_view text, Unquote unquote);

    /// The value at the end of the path from @p root, or nullptr if a step is missing. An
    /// application value on the way is read as {value} shows it, through its type's to_value,
    /// into @p shown (which the result may point into); one whose type has none has no steps.
    [[nodiscard]] const Value* find(const Value& root, std::unique_ptr<Value>& shown) const;
    /// The value at the end of the path from @p root, read as find() does. Throws
    /// std::invalid_argument if a step is missing: "no .user.country in the value", saying so
    /// when the step is into an application value whose type has no to_value.
    [[nodiscard]] const Value& at(const Value& root, std::unique_ptr<Value>& shown) const;
    /// As written: `.user.country`.
    [[nodiscard]] const std::string& text() const noexcept { return text_; }
    [[nodiscard]] bool empty() const noexcept { return steps_.empty(); }
    /// The field its first step reads (`user` of `.user.country`), or nullptr if that step is
    /// an index or there is none.
    [[nodiscard]] const std::string* first_field() const noexcept {
        return steps_.empty() || steps_.front().is_index ? nullptr : &steps_.front().name;
    }

private:
    /// Adds the step `["name"]` or `."name"` whose `[` or `.` is at @p open of @p text; returns
    /// where the path goes on.
    std::size_t add_quoted(std::string_view text, std::size_t open, Unquote unquote);
    /// find(), which also sets @p unshown to the application value without to_value it stopped
    /// at, if it did.
    const Value* follow(const Value& root, std::unique_ptr<Value>& shown,
                        const Opaque*& unshown) const;

    struct Step {
        std::string name;       // a field, if not an index
        std::size_t index = 0;  // a list index, or with from_end, how far from the end (1: last)
        bool is_index = false;
        bool from_end = false;
    };
    std::vector<Step> steps_;
    std::string text_;
};

}  // namespace flowpool::detail
