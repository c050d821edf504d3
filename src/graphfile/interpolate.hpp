#pragma once
// Environment variables in graph-file values: `${VAR}`, `${VAR:-default}`, and `$${` for a
// literal `${`.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace flowpool::detail {

/// Looks a variable up: its value, or std::nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment, through std::getenv.
std::optional<std::string> process_env(const std::string& name);

/// Why a value could not be expanded, and where in it.
struct InterpolationError {
    std::size_t offset = 0;  ///< of the `$` that starts the bad reference, in the value's text
    std::string reference;   ///< the reference as written (`${NAME}`, or up to the text's end)
    std::string message;     ///< what is wrong, without the position
};

/// Expands every `${NAME}` and `${NAME:-default}` of @p text. `${NAME:-default}` gives the
/// default when NAME is unset or empty; the default is plain text up to the first `}`.
/// `$${` is a literal `${`; any other `$` is itself. Returns the expanded text, or the first
/// error.
std::variant<std::string, InterpolationError> interpolate(std::string_view text,
                                                          const EnvLookup& lookup);

}  // namespace flowpool::detail
