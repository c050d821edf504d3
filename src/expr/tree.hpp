#pragma once
// The parsed form of an expression: nodes in one vector, children by index, each knowing the
// span of text it was parsed from (for messages) and what it may give (for checks at parse time).

#include <flowpool/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "types.hpp"

namespace re2 {
class RE2;
}

namespace flowpool::expr {

struct Function;

/// What a node does.
enum class Op : std::uint8_t {
    constant,     // a literal: `constant`
    path,         // `steps` from the job's value, or from child `a` if set
    index,        // child a [child b], an index or a field name computed per job
    list,         // `[a, b, ...]`: the values of `args`
    negate,       // -a
    logical_not,  // not a
    add,
    subtract,
    multiply,
    divide,
    remainder,
    equal,
    not_equal,
    less,
    less_equal,
    greater,
    greater_equal,
    logical_and,
    logical_or,
    in,        // a in b
    coalesce,  // a ?? b
    match,     // a =~ `regex`
    call,      // `function` (args)
    if_else,   // if(a, b, c)
};

/// One step of a path: a field, or an index into a list (negative: from the end).
struct Step {
    std::string name;
    std::int64_t index = 0;
    bool is_index = false;
};

inline constexpr std::uint32_t no_node = 0xffffffff;

/// A node of the tree.
struct Node {
    Op op = Op::constant;
    TypeSet gives = any_type;  // what it may evaluate to
    std::uint32_t begin = 0;   // its text: [begin, end) of the expression
    std::uint32_t end = 0;
    std::uint32_t a = no_node;  // children
    std::uint32_t b = no_node;
    std::uint32_t c = no_node;
    std::vector<std::uint32_t> args;  // calls and lists
    std::vector<Step> steps;          // paths
    Value constant;                   // constants
    const Function* function = nullptr;
    std::shared_ptr<const re2::RE2> regex;  // match
};

/// A condition of the commonest shape, `.field OP number` (`.status >= 500`): what test()
/// needs to decide it without the evaluator when the job's value is a record whose field holds a
/// number of the literal's type (two integers, or two floats neither of them NaN).
struct FieldTest {
    std::string name;   ///< the field
    Op op = Op::equal;  ///< a comparison
    Value number;       ///< the literal: an integer or a float
};

/// A parsed expression: its text and nodes.
struct Tree {
    std::string text;
    std::vector<Node> nodes;
    std::uint32_t root = no_node;
    /// Set when the whole expression is a FieldTest's shape.
    std::optional<FieldTest> field_test;
    /// The text of node @p n, for messages.
    [[nodiscard]] std::string_view text_of(const Node& n) const {
        return std::string_view(text).substr(n.begin, n.end - n.begin);
    }
};

}  // namespace flowpool::expr
