// The built-in string ops: case, regex filter and replace, length, hash and integer parsing.
// Each runs per job on a string value; validation keeps integers away from them.

#include <flowpool/detail/job_loop.hpp>
#include <flowpool/ops.hpp>
#include <flowpool/pipeline.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "builtin.hpp"
#include "common/parse.hpp"

namespace flowpool::detail {
namespace {

/// A function or filter op from a per-job lambda `Value(Value&&)` or
/// `std::optional<Value>(Value&&)` (empty: the job is filtered out).
template <class F>
std::unique_ptr<StageBody> value_stage(F f) {
    return std::make_unique<FunctionStage<Value, F>>(std::move(f));
}

/// The text of a job's value. A validated graph sends only strings to string ops.
std::string& text_of(Value& value) {
    if (auto* text = std::get_if<std::string>(&value)) return *text;
    throw std::invalid_argument("expected a string value, got the integer " +
                                std::to_string(std::get<std::int64_t>(value)));
}

/// @p text in double quotes for an error message: at most 60 bytes, unprintable bytes as \xNN.
std::string quoted(std::string_view text) {
    constexpr std::size_t most = 60;
    constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (const char c : text.substr(0, most)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F || c == '"' || c == '\\') {
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xF];
        } else {
            out += c;
        }
    }
    out += '"';
    if (text.size() > most) out += " (" + std::to_string(text.size()) + " bytes)";
    return out;
}

/// An ECMAScript regex that is safe on long lines. libstdc++'s default engine backtracks by
/// recursion, several stack frames per character of input, and overflows a worker thread's
/// stack on lines of a few thousand bytes. Its polynomial engine recurses only as deep as the
/// pattern, but is about 3x slower and takes no back-references. Short lines use the first, long
/// lines the second; with a back-reference in the pattern, a long line fails its job instead
/// of crashing the process. A pattern without special characters is searched for as plain text,
/// some 30x faster than either engine.
class Pattern {
public:
    /// Compiles @p text; throws std::invalid_argument with the reason if it is no regex.
    explicit Pattern(const std::string& text) {
        if (text.find_first_of("^$\\.*+?()[]{}|") == std::string::npos) literal_ = text;
        try {
            backtracking_ = std::regex(text, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            throw std::invalid_argument(std::string("not an ECMAScript regex: ") + e.what());
        }
#if defined(__GLIBCXX__)
        try {
            polynomial_.emplace(text, std::regex::ECMAScript | std::regex_constants::__polynomial);
        } catch (const std::regex_error&) {
            // Back-references: only the backtracking engine takes them.
        }
#endif
    }

    /// True if the pattern matches somewhere in @p line.
    [[nodiscard]] bool found_in(const std::string& line) const {
        if (literal_) return line.find(*literal_) != std::string::npos;
        return std::regex_search(line, engine_for(line));
    }

    /// @p line with every match replaced by @p with ($&, $1, ... as in ECMAScript).
    [[nodiscard]] std::string replace(const std::string& line, const std::string& with) const {
        return std::regex_replace(line, engine_for(line), with);
    }

private:
    /// Lines up to this many bytes use the backtracking engine: an eighth of the length at which
    /// a pattern of a few nested groups overflowed a 4 MiB stack on this machine.
    static constexpr std::size_t short_line = 256;

    [[nodiscard]] const std::regex& engine_for(const std::string& line) const {
        if (line.size() <= short_line) return backtracking_;
        if (polynomial_) return *polynomial_;
#if defined(__GLIBCXX__)
        throw std::length_error("a line of " + std::to_string(line.size()) +
                                " bytes is too long for a pattern with back-references (at most " +
                                std::to_string(short_line) + ")");
#else
        return backtracking_;
#endif
    }

    std::optional<std::string> literal_;  // set if the pattern matches only itself
    std::regex backtracking_;
    std::optional<std::regex> polynomial_;
};

void check_pattern(const std::string& text) { Pattern{text}; }

/// FNV-1a, 64 bits: offset basis 0xcbf29ce484222325, prime 0x100000001b3.
std::uint64_t fnv1a_64(std::string_view text) noexcept {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

/// @p n as 16 lowercase hex digits.
std::string hex16(std::uint64_t n) {
    constexpr char digits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, n >>= 4) out[static_cast<std::size_t>(i)] = digits[n & 0xF];
    return out;
}

/// @p text as a 64-bit integer: decimal, an optional sign, whitespace around it allowed.
std::int64_t integer_of_text(const std::string& text) {
    constexpr std::string_view space = " \t\r\n\f\v";
    std::string_view digits = text;
    digits.remove_prefix(std::min(digits.size(), digits.find_first_not_of(space)));
    digits.remove_suffix(digits.size() - (digits.find_last_not_of(space) + 1));
    if (digits.size() > 1 && digits[0] == '+' && digits[1] != '-') digits.remove_prefix(1);
    IntegerError why = IntegerError::malformed;
    if (const std::optional<std::int64_t> value = parse_integer(digits, &why)) return *value;
    if (why == IntegerError::out_of_range) {
        throw std::out_of_range("out of range for a 64-bit integer: " + quoted(text));
    }
    throw std::invalid_argument("not an integer: " + quoted(text));
}

template <class Transform>
std::unique_ptr<StageBody> ascii_case_stage(Transform transform) {
    return value_stage([transform](Value&& v) -> Value {
        for (char& c : text_of(v)) c = transform(c);
        return std::move(v);
    });
}

char ascii_upper(char c) noexcept {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}
char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

void add_string_ops(OpRegistry& ops) {
    ops.add({.name = "upper",
             .kind = NodeKind::function,
             .description = "the string with ASCII letters in upper case (other bytes unchanged)",
             .takes = ValueType::string,
             .gives = ValueType::string,
             .make_stage = [](const Params&) { return ascii_case_stage(ascii_upper); }});
    ops.add({.name = "lower",
             .kind = NodeKind::function,
             .description = "the string with ASCII letters in lower case (other bytes unchanged)",
             .takes = ValueType::string,
             .gives = ValueType::string,
             .make_stage = [](const Params&) { return ascii_case_stage(ascii_lower); }});
    ops.add({.name = "grep",
             .kind = NodeKind::filter,
             .description = "keeps the strings `pattern` matches in (with invert: the others)",
             .params = {{"pattern", ParamType::string, std::nullopt, "an ECMAScript regex",
                         check_pattern},
                        {"invert", ParamType::boolean, "false", "keep the strings it misses", {}}},
             .takes = ValueType::string,
             .gives = ValueType::string,
             .make_stage = [](const Params& p) {
                 auto pattern = std::make_shared<const Pattern>(p.string("pattern"));
                 const bool invert = p.boolean("invert");
                 return value_stage([pattern, invert](Value&& v) -> std::optional<Value> {
                     if (pattern->found_in(text_of(v)) != invert) return std::move(v);
                     return std::nullopt;
                 });
             }});
    ops.add({.name = "replace",
             .kind = NodeKind::function,
             .description = "the string with every match of `pattern` replaced by `with`",
             .params = {{"pattern", ParamType::string, std::nullopt, "an ECMAScript regex",
                         check_pattern},
                        {"with", ParamType::string, std::nullopt,
                         "the replacement: $& is the match, $1 the first group", {}}},
             .takes = ValueType::string,
             .gives = ValueType::string,
             .make_stage = [](const Params& p) {
                 auto pattern = std::make_shared<const Pattern>(p.string("pattern"));
                 return value_stage([pattern, with = p.string("with")](Value&& v) -> Value {
                     return pattern->replace(text_of(v), with);
                 });
             }});
    ops.add({.name = "length",
             .kind = NodeKind::function,
             .description = "the string's length in bytes",
             .takes = ValueType::string,
             .gives = ValueType::integer,
             .make_stage = [](const Params&) {
                 return value_stage([](Value&& v) -> Value {
                     return static_cast<std::int64_t>(text_of(v).size());
                 });
             }});
    ops.add({.name = "hash",
             .kind = NodeKind::function,
             .description = "the string's 64-bit FNV-1a hash as 16 lowercase hex digits",
             .takes = ValueType::string,
             .gives = ValueType::string,
             .make_stage = [](const Params&) {
                 return value_stage([](Value&& v) -> Value { return hex16(fnv1a_64(text_of(v))); });
             }});
    ops.add({.name = "parse_int",
             .kind = NodeKind::function,
             .description = "the string as a 64-bit decimal integer (spaces around allowed); "
                            "any other string fails its job",
             .takes = ValueType::string,
             .gives = ValueType::integer,
             .make_stage = [](const Params&) {
                 return value_stage([](Value&& v) -> Value { return integer_of_text(text_of(v)); });
             }});
}

}  // namespace flowpool::detail
