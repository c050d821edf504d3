#pragma once
// Paths into a value, as formats write them after `value`: `.user.country`, `.tags[0]`.
// Parsed once; followed per job without allocating.

#include <flowpool/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace flowpool::detail {

/// A path of field names and list indexes.
class ValuePath {
public:
    ValuePath() = default;
    /// Parses @p text: steps `.name` (letters, digits, `_`, `-`) and `[N]`. Throws
    /// std::invalid_argument saying what is wrong.
    explicit ValuePath(std::string_view text);

    /// The value at the end of the path from @p root, or nullptr if a step is missing.
    [[nodiscard]] const Value* find(const Value& root) const noexcept;
    /// The value at the end of the path from @p root. Throws std::invalid_argument("no
    /// .user.country in the value") if a step is missing.
    [[nodiscard]] const Value& at(const Value& root) const;
    /// As written: `.user.country`.
    [[nodiscard]] const std::string& text() const noexcept { return text_; }
    [[nodiscard]] bool empty() const noexcept { return steps_.empty(); }

private:
    struct Step {
        std::string name;       // a field, if not an index
        std::size_t index = 0;  // a list index
        bool is_index = false;
    };
    std::vector<Step> steps_;
    std::string text_;
};

}  // namespace flowpool::detail
