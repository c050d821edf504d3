#pragma once
// The built-in functions of the expression language, by name. Each takes its arguments already
// evaluated (`if` is not a function: it evaluates only the branch it takes) and writes its result;
// it throws std::invalid_argument with the reason when the values are wrong, and the evaluator
// names the call in the job's error.

#include <flowpool/value.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "expression.hpp"
#include "types.hpp"

namespace flowpool::expr {

/// A function's body: @p args evaluated, @p out to fill.
using FunctionBody = void (*)(std::span<const Value* const> args, const Env& env, Value& out);

/// One built-in function.
struct Function {
    std::string_view name;
    int min_args = 0;
    int max_args = 0;                // -1: any number from min_args
    std::array<TypeSet, 3> takes{};  // per argument (the last repeats); null is always allowed
    TypeSet gives = any_type;
    FunctionBody body = nullptr;
    std::string_view signature;  // `lower(s: string) -> string`
    std::string_view description;
    bool null_gives_null = true;  // a null argument makes the result null, uncalled
    bool gives_an_item = false;   // given one list, gives one of its items: anything
    bool reads_job = false;       // depends on more than its arguments: the clock, the job's id
};

/// The function named @p name, or nullptr.
[[nodiscard]] const Function* find_function(std::string_view name) noexcept;
/// Every function, in name order.
[[nodiscard]] std::span<const Function> all_functions() noexcept;

// The tables, one per family (functions_*.cpp).
[[nodiscard]] std::span<const Function> text_functions() noexcept;
[[nodiscard]] std::span<const Function> number_functions() noexcept;
[[nodiscard]] std::span<const Function> other_functions() noexcept;

}  // namespace flowpool::expr
