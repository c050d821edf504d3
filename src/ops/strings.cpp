// The built-in string ops: case, regular-expression filter and replace (RE2), length, hash and
// integer parsing. Each runs per job on a string value; validation keeps integers away from them.

#include <flowpool/detail/job_loop.hpp>
#include <flowpool/ops.hpp>
#include <flowpool/pipeline.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <re2/re2.h>

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

/// An RE2 regular expression: linear in the length of the line, with no recursion per character,
/// so lines of any length are safe. RE2 compiles no back-references or lookaround: a pattern
/// with either is rejected when the graph file is checked. A pattern without special characters
/// is searched for as plain text: grepping 200 MB of log lines for `ERROR` takes 1.8x the CPU
/// through RE2 (bench/README.md).
class Pattern {
public:
    /// Compiles @p text; throws std::invalid_argument with the reason if RE2 cannot.
    explicit Pattern(const std::string& text) : regex_(text, options()) {
        if (!regex_.ok()) throw std::invalid_argument(compile_error(text));
        if (text.find_first_of("^$\\.*+?()[]{}|") == std::string::npos) literal_ = text;
    }

    /// True if the pattern matches somewhere in @p line.
    [[nodiscard]] bool found_in(const std::string& line) const {
        if (literal_) return line.find(*literal_) != std::string::npos;
        return RE2::PartialMatch(line, regex_);
    }

    /// RE2's rewrite string for the replacement @p with, in the syntax graph files use (that of
    /// ECMAScript's String.replace): `$&` (or `$0`) is the match, `$1` to `$9` a group (one
    /// digit), `$$` a `$`; any other `$` is itself. Throws std::invalid_argument for a group the
    /// pattern does not have, and for `` $` `` and `$'`, which RE2 cannot rewrite.
    [[nodiscard]] std::string rewrite_for(std::string_view with) const {
        std::string rewrite;
        for (std::size_t i = 0; i < with.size(); ++i) {
            const char c = with[i];
            const char next = i + 1 < with.size() ? with[i + 1] : '\0';
            if (c == '\\') {
                rewrite += "\\\\";
            } else if (c != '$' || i + 1 == with.size()) {
                rewrite += c;
            } else if (next == '$' || next == '&') {
                rewrite += next == '$' ? "$" : "\\0";
                ++i;
            } else if (next >= '0' && next <= '9') {
                check_group(next - '0');
                rewrite += {'\\', next};
                ++i;
            } else if (next == '`' || next == '\'') {
                throw std::invalid_argument(std::string("$") + next +
                                            " (the text before or after the match) is not "
                                            "supported: only $&, $1 to $9 and $$");
            } else {
                rewrite += c;
            }
        }
        return rewrite;
    }

    /// Replaces every match in @p line by @p rewrite (from rewrite_for()).
    void replace_in(std::string& line, const std::string& rewrite) const {
        RE2::GlobalReplace(&line, regex_, rewrite);
    }

private:
    /// Latin-1, so that every byte is one character: any bytes, invalid UTF-8 included, are
    /// matched byte by byte, as std::regex on char did (`.` is one byte, not one UTF-8
    /// character). A bad pattern is reported by the graph-file check, not logged by RE2.
    static RE2::Options options() {
        RE2::Options options;
        options.set_encoding(RE2::Options::EncodingLatin1);
        options.set_log_errors(false);
        return options;
    }

    /// RE2's reason, and what RE2 lacks when that is the cause.
    [[nodiscard]] std::string compile_error(std::string_view text) const {
        std::string message = "not an RE2 regular expression: " + regex_.error();
        const std::string& piece = regex_.error_arg();
        const auto has = [text](std::string_view part) { return text.find(part) != text.npos; };
        if (regex_.error_code() == RE2::ErrorBadEscape && piece.size() == 2 && piece[1] >= '1' &&
            piece[1] <= '9') {
            message += " (RE2 has no back-references)";
        } else if (regex_.error_code() == RE2::ErrorBadPerlOp &&
                   (has("(?=") || has("(?!") || has("(?<=") || has("(?<!"))) {
            message += " (RE2 has no lookahead or lookbehind)";
        }
        return message;
    }

    void check_group(int group) const {
        const int groups = regex_.NumberOfCapturingGroups();
        if (group <= groups) return;
        throw std::invalid_argument(
            "the replacement uses $" + std::to_string(group) + ", but the pattern has " +
            (groups == 0 ? std::string("no groups")
                         : std::to_string(groups) + (groups == 1 ? " group" : " groups")));
    }

    RE2 regex_;
    std::optional<std::string> literal_;  // set if the pattern matches only itself
};

void check_pattern(const std::string& text) { Pattern{text}; }

/// The `with` of a replace node against its pattern. A bad pattern is reported at the pattern.
void check_replacement(const std::string& with, const Params& params) {
    (void)Pattern(params.string("pattern")).rewrite_for(with);
}

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
        for (char& c : string_value(v)) c = transform(c);
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
             .params = {{"pattern", ParamType::string, std::nullopt, "an RE2 regular expression",
                         check_pattern},
                        {"invert", ParamType::boolean, "false", "keep the strings it misses", {}}},
             .takes = ValueType::string,
             .gives = ValueType::string,
             .make_stage = [](const Params& p) {
                 auto pattern = std::make_shared<const Pattern>(p.string("pattern"));
                 const bool invert = p.boolean("invert");
                 return value_stage([pattern, invert](Value&& v) -> std::optional<Value> {
                     if (pattern->found_in(string_value(v)) != invert) return std::move(v);
                     return std::nullopt;
                 });
             }});
    ops.add({.name = "replace",
             .kind = NodeKind::function,
             .description = "the string with every match of `pattern` replaced by `with`",
             .params = {{"pattern", ParamType::string, std::nullopt, "an RE2 regular expression",
                         check_pattern},
                        {"with",
                         ParamType::string,
                         std::nullopt,
                         "the replacement: $& is the match, $1 the first group, $$ a $",
                         {},
                         check_replacement}},
             .takes = ValueType::string,
             .gives = ValueType::string,
             .make_stage = [](const Params& p) {
                 auto pattern = std::make_shared<const Pattern>(p.string("pattern"));
                 std::string rewrite = pattern->rewrite_for(p.string("with"));
                 return value_stage([pattern, rewrite = std::move(rewrite)](Value&& v) -> Value {
                     pattern->replace_in(string_value(v), rewrite);
                     return std::move(v);
                 });
             }});
    ops.add({.name = "length",
             .kind = NodeKind::function,
             .description = "the string's length in bytes",
             .takes = ValueType::string,
             .gives = ValueType::integer,
             .make_stage = [](const Params&) {
                 return value_stage([](Value&& v) -> Value {
                     return static_cast<std::int64_t>(string_value(v).size());
                 });
             }});
    ops.add({.name = "hash",
             .kind = NodeKind::function,
             .description = "the string's 64-bit FNV-1a hash as 16 lowercase hex digits",
             .takes = ValueType::string,
             .gives = ValueType::string,
             .make_stage = [](const Params&) {
                 return value_stage(
                     [](Value&& v) -> Value { return hex16(fnv1a_64(string_value(v))); });
             }});
    ops.add({.name = "parse_int",
             .kind = NodeKind::function,
             .description = "the string as a 64-bit decimal integer (spaces around allowed); "
                            "any other string fails its job",
             .takes = ValueType::string,
             .gives = ValueType::integer,
             .make_stage = [](const Params&) {
                 return value_stage(
                     [](Value&& v) -> Value { return integer_of_text(string_value(v)); });
             }});
}

}  // namespace flowpool::detail
