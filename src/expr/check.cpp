// The checks made while parsing: an operator or a function given a value it can never take (a
// literal, or what another function gives) is a graph-file error, not a failure of every job.

#include <string>

#include "expression.hpp"
#include "functions.hpp"
#include "parser.hpp"

namespace flowpool::expr {
namespace {

std::string_view spelled(Op op) {
    switch (op) {
        case Op::negate:
            return "'-'";
        case Op::logical_not:
            return "'not'";
        case Op::add:
            return "'+'";
        case Op::subtract:
            return "'-'";
        case Op::multiply:
            return "'*'";
        case Op::divide:
            return "'/'";
        case Op::remainder:
            return "'%'";
        case Op::less:
            return "'<'";
        case Op::less_equal:
            return "'<='";
        case Op::greater:
            return "'>'";
        case Op::greater_equal:
            return "'>='";
        case Op::logical_and:
            return "'and'";
        case Op::logical_or:
            return "'or'";
        case Op::in:
            return "'in'";
        case Op::match:
            return "'=~'";
        default:
            return "the operator";
    }
}

bool one_kind(TypeSet types) { return types != 0 && (types & (types - 1)) == 0; }

// Two values that can never be added or ordered together: a number and a string, say.
bool clash(TypeSet a, TypeSet b) {
    const auto family = [](TypeSet t) -> TypeSet { return (t & number_type) ? number_type : t; };
    return one_kind(a) && one_kind(b) && a != null_type && b != null_type && family(a) != family(b);
}

}  // namespace

void require(const Tree& tree, std::uint32_t n, TypeSet allowed, std::string_view what) {
    const Node& node = tree.nodes[n];
    if ((node.gives & allowed) != 0) return;
    throw ParseError(node.begin, std::string(what) + " must be " + describe(allowed & ~null_type) +
                                     ", not " + describe(node.gives));
}

void check_operator(Tree& tree, std::uint32_t n) {
    Node& node = tree.nodes[n];
    const std::string what = "an operand of " + std::string(spelled(node.op));
    const auto both = [&](TypeSet allowed) {
        require(tree, node.a, allowed | null_type, what);
        require(tree, node.b, allowed | null_type, what);
    };
    const TypeSet a = tree.nodes[node.a].gives;
    const TypeSet b = node.b == no_node ? 0 : tree.nodes[node.b].gives;
    switch (node.op) {
        case Op::negate:
            require(tree, node.a, number_type | null_type, what);
            node.gives = a & (number_type | null_type);
            return;
        case Op::logical_not:
            require(tree, node.a, bool_type | null_type, what);
            node.gives = bool_type;
            return;
        case Op::add:
            both(number_type | string_type | list_type);
            if (clash(a, b)) {
                throw ParseError(node.begin, "cannot add " + describe(a) + " and " + describe(b));
            }
            node.gives = ((a | b) & (number_type | string_type | list_type)) | null_type;
            return;
        case Op::subtract:
        case Op::multiply:
        case Op::remainder:
            both(number_type);
            node.gives = ((a | b) & number_type) | null_type;
            return;
        case Op::divide:
            both(number_type);
            node.gives = float_type | null_type;
            return;
        case Op::less:
        case Op::less_equal:
        case Op::greater:
        case Op::greater_equal:
            both(number_type | string_type);
            if (clash(a, b)) {
                throw ParseError(node.begin,
                                 "cannot compare " + describe(a) + " with " + describe(b));
            }
            node.gives = bool_type | null_type;
            return;
        case Op::logical_and:
        case Op::logical_or:
            both(bool_type);
            node.gives = bool_type;
            return;
        case Op::in:
            require(tree, node.b, list_type | string_type | record_type | null_type,
                    "the right operand of 'in'");
            node.gives = bool_type;
            return;
        case Op::match:
            require(tree, node.a, string_type | null_type, what);
            node.gives = bool_type | null_type;
            return;
        case Op::coalesce:
            node.gives = (a & ~null_type) | b;
            return;
        case Op::equal:
        case Op::not_equal:
            node.gives = bool_type;
            return;
        default:
            return;
    }
}

void check_call(Tree& tree, std::uint32_t n) {
    Node& node = tree.nodes[n];
    const Function& f = *node.function;
    const int given = static_cast<int>(node.args.size());
    if (given < f.min_args || (f.max_args >= 0 && given > f.max_args)) {
        std::string takes = std::to_string(f.min_args);
        if (f.max_args < 0) {
            takes = "at least " + takes;
        } else if (f.max_args != f.min_args) {
            takes += " to " + std::to_string(f.max_args);
        }
        const bool one = f.min_args == 1 && f.max_args == 1;
        throw ParseError(node.begin, std::string(f.name) + "() takes " + takes +
                                         (one ? " argument" : " arguments") + ", not " +
                                         std::to_string(given) + "; " + std::string(f.signature));
    }
    std::size_t last = f.takes.size() - 1;  // the last type given repeats
    while (last > 0 && f.takes[last] == 0) --last;
    for (std::size_t i = 0; i < node.args.size(); ++i) {
        const TypeSet allowed = f.takes[std::min(i, last)];
        const std::string what =
            "argument " + std::to_string(i + 1) + " of " + std::string(f.name) + "()";
        require(tree, node.args[i], allowed | null_type, what);
    }
    if (f.gives_an_item && given == 1 && (tree.nodes[node.args[0]].gives & list_type) != 0) {
        node.gives = any_type;  // max([true]) is true: a list's one item is not ordered
    }
}

}  // namespace flowpool::expr
