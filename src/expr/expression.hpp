#pragma once
// The expression language of graph files (`expr: ".status >= 500"`): parsed once, when the graph
// is validated, into a tree that knows each sub-expression's place in the text; evaluated per job
// without allocating in the common cases (a field, a comparison of a field with a literal).
// The grammar, types and null rules are in README.md ("Expressions").
//
//   Expression keep = Expression::compile(".status >= 500 and .host != \"web-01\"");
//   bool yes = keep.test(event, job_id);

#include <flowpool/value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "types.hpp"

namespace flowpool::expr {

/// Why a text is not a valid expression, and where: bytes from the start of the text.
class ParseError : public std::invalid_argument {
public:
    ParseError(std::size_t offset, const std::string& message)
        : std::invalid_argument(message), offset_(offset) {}
    /// Where the problem is, in bytes from the start of the expression's text.
    [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

private:
    std::size_t offset_;
};

/// Why evaluating an expression for one job failed: the sub-expression, quoted, and the reason
/// (`.status + "x": cannot add integer and string`).
class EvalError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// What an expression sees of its job.
struct Env {
    const Value& value;    ///< the job's value: `.`
    std::uint64_t id = 0;  ///< the job's id: `id()`
};

struct Tree;  // the parsed form (tree.hpp)

/// A parsed expression. Cheap to copy (the tree is shared and never changes); evaluating is
/// thread-safe.
class Expression {
public:
    /// Parses and checks @p text. Throws ParseError at the first problem: syntax, an unknown
    /// function (with a suggestion), a wrong number of arguments, a type known to be wrong.
    [[nodiscard]] static Expression compile(std::string_view text);

    /// The value of the expression for a job. Throws EvalError.
    [[nodiscard]] Value eval(const Env& env) const;
    /// The expression as a condition: true, or false for false and null. Throws EvalError if
    /// the value is neither a bool nor null.
    [[nodiscard]] bool test(const Env& env) const;
    /// The expression's value where it lies when it is a path to a field of the job's value
    /// (or a constant); else computed into @p scratch. Throws EvalError.
    [[nodiscard]] const Value& eval_ref(const Env& env, Value& scratch) const;
    /// The field a condition of the commonest shape, `.field OP number`, compares (`status` of
    /// `.status >= 500`); nullptr for any other expression.
    [[nodiscard]] const std::string* compared_field() const noexcept;
    /// test() of a record whose field compared_field() holds @p field, decided from @p field
    /// alone when it is a number of the literal's type (two integers, or two floats neither of
    /// them NaN); else nullopt: test() the record.
    [[nodiscard]] std::optional<bool> test_compared(const Value& field) const noexcept;
    /// What test() gives for a record whose compared_field() holds an integer below, equal to
    /// and above the literal, when the literal is an integer (`.status >= 500`: 500; false,
    /// true, true).
    struct IntegerOutcomes {
        std::int64_t number = 0;
        bool below = false;
        bool equal = false;
        bool above = false;
    };
    /// The IntegerOutcomes of a condition of compared_field()'s shape with an integer literal;
    /// nullopt for any other expression.
    [[nodiscard]] std::optional<IntegerOutcomes> integer_outcomes() const noexcept;

    /// Throws ParseError at the expression's start if it can give no value of @p allowed but
    /// null, as known when it was parsed: `WHAT must be ALLOWED, not GIVES` (`the condition must
    /// be a bool, not an integer`). A field may hold anything, so `.status` passes any @p allowed;
    /// `.status + 1` gives a number or null, and passes only where a number may be. The literal
    /// `null` passes wherever @p allowed holds null.
    void require_gives(TypeSet allowed, std::string_view what) const;

    /// As written.
    [[nodiscard]] const std::string& text() const noexcept;
    /// True if it is a path into the job's value (`.user.country`, `.`) and nothing else.
    [[nodiscard]] bool is_path() const noexcept;
    /// Adds to @p names the fields of the job's value it reads (`.user.country` reads `user`),
    /// each once, in the order first read. False if it reads the value whole (`.`, `.[0]`).
    [[nodiscard]] bool add_fields_read(std::vector<std::string>& names) const;

    /// True if its value depends on the job's value alone: it calls neither now() nor id(), so
    /// two evaluations on values equal in the fields it reads give the same result.
    [[nodiscard]] bool reads_value_only() const noexcept;

private:
    explicit Expression(std::shared_ptr<const Tree> tree) noexcept : tree_(std::move(tree)) {}
    std::shared_ptr<const Tree> tree_;
};

/// A call `NAME(ARG, ...)` whose name is not a function but one of the caller's (an aggregate:
/// `p99(.latency_ms)`), its arguments parsed as expressions.
struct Call {
    std::string name;              ///< as written
    std::vector<Expression> args;  ///< in order
};

/// What the caller of parse_call() accepts: a name and how many arguments it takes.
struct CallShape {
    std::string name;  ///< `count`, `p99`
    int args = 0;      ///< exactly this many
};

/// Parses @p text as one call of a name in @p shapes. Throws ParseError (an unknown name gets a
/// suggestion among @p shapes; a wrong number of arguments says how many).
[[nodiscard]] Call parse_call(std::string_view text, const std::vector<CallShape>& shapes);

/// A built-in function, as `flowpool ops` and the README list it.
struct FunctionDoc {
    std::string_view signature;    ///< `lower(s: string) -> string`
    std::string_view description;  ///< one line
};

/// Every built-in function, by name.
[[nodiscard]] std::vector<FunctionDoc> function_docs();

}  // namespace flowpool::expr
