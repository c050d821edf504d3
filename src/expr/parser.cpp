// Parses an expression into a Tree by precedence climbing, checking what can be checked before
// the run: functions and their arguments, types of literals and of what functions give.
//
//   or:       and ("or" and)*
//   and:      not ("and" not)*
//   not:      "not" not | compare
//   compare:  default (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "=~") default)?
//   default:  sum ("??" sum)*
//   sum:      product (("+" | "-") product)*
//   product:  unary (("*" | "/" | "%") unary)*
//   unary:    "-" unary | postfix
//   postfix:  primary (".name" | "[" or "]")*
//   primary:  number | string | true | false | null | "." | ".name" | ".[" or "]"
//           | "(" or ")" | "[" (or ("," or)*)? "]" | if "(" or "," or "," or ")"
//           | name "(" (or ("," or)*)? ")"
//
// This file: `or` down to `unary`, and the entry points; parser_primary.cpp: `postfix`, `primary`.

#include <re2/re2.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "common/suggest.hpp"
#include "expression.hpp"
#include "lexer.hpp"
#include "parser.hpp"
#include "parser_class.hpp"
#include "tree.hpp"

namespace flowpool::expr {

std::uint32_t Parser::parse_or() {
    const Depth depth(*this);
    std::uint32_t left = parse_and();
    while (accept_word("or")) left = binary(Op::logical_or, left, parse_and());
    return left;
}

std::uint32_t Parser::parse_and() {
    std::uint32_t left = parse_not();
    while (accept_word("and")) left = binary(Op::logical_and, left, parse_not());
    return left;
}

std::uint32_t Parser::parse_not() {
    if (peek().kind == Tok::name && peek().text == "not") {
        const Depth depth(*this);
        const std::uint32_t begin = take().begin;
        Node node;
        node.op = Op::logical_not;
        node.a = parse_not();
        node.begin = begin;
        node.end = at(node.a).end;
        const std::uint32_t n = add(std::move(node));
        check_operator(n);
        return n;
    }
    return parse_compare();
}

namespace {

std::optional<Op> comparison(const Token& token) {
    switch (token.kind) {
        case Tok::eq:
            return Op::equal;
        case Tok::ne:
            return Op::not_equal;
        case Tok::lt:
            return Op::less;
        case Tok::le:
            return Op::less_equal;
        case Tok::gt:
            return Op::greater;
        case Tok::ge:
            return Op::greater_equal;
        case Tok::match:
            return Op::match;
        case Tok::name:
            if (token.text == "in") return Op::in;
            return std::nullopt;
        default:
            return std::nullopt;
    }
}

}  // namespace

std::uint32_t Parser::parse_compare() {
    const std::uint32_t left = parse_default();
    const std::optional<Op> op = comparison(peek());
    if (!op) return left;
    take();
    const std::uint32_t right = parse_default();
    if (comparison(peek())) {
        throw ParseError(peek().begin, "comparisons do not chain: write 'a < b and b < c'");
    }
    if (*op == Op::match) {
        const Node& pattern = at(right);
        if (pattern.op != Op::constant || !std::holds_alternative<std::string>(pattern.constant)) {
            throw ParseError(pattern.begin, "'=~' takes a pattern written as a string literal");
        }
        RE2::Options options;
        options.set_log_errors(false);
        auto regex = std::make_shared<const RE2>(std::get<std::string>(pattern.constant), options);
        if (!regex->ok()) {
            throw ParseError(pattern.begin, "bad regular expression: " + regex->error());
        }
        const std::uint32_t n = binary(Op::match, left, right);
        at(n).regex = std::move(regex);
        return n;
    }
    return binary(*op, left, right);
}

std::uint32_t Parser::parse_default() {
    std::uint32_t left = parse_sum();
    while (accept(Tok::coalesce)) left = binary(Op::coalesce, left, parse_sum());
    return left;
}

std::uint32_t Parser::parse_sum() {
    std::uint32_t left = parse_product();
    for (;;) {
        if (accept(Tok::plus)) {
            left = binary(Op::add, left, parse_product());
        } else if (accept(Tok::minus)) {
            left = binary(Op::subtract, left, parse_product());
        } else {
            return left;
        }
    }
}

std::uint32_t Parser::parse_product() {
    std::uint32_t left = parse_unary();
    for (;;) {
        if (accept(Tok::star)) {
            left = binary(Op::multiply, left, parse_unary());
        } else if (accept(Tok::slash)) {
            left = binary(Op::divide, left, parse_unary());
        } else if (accept(Tok::percent)) {
            left = binary(Op::remainder, left, parse_unary());
        } else {
            return left;
        }
    }
}

std::uint32_t Parser::parse_unary() {
    if (peek().kind != Tok::minus) return parse_postfix();
    const Depth depth(*this);
    const std::uint32_t begin = take().begin;
    if (const Token& next = peek(); next.past_largest && next.begin == begin + 1) {
        // -9223372036854775808: the smallest integer, whose digits alone are out of range.
        const std::uint32_t literal = constant(take(), Value(next.integer));
        at(literal).begin = begin;
        return literal;
    }
    const std::uint32_t operand = parse_unary();
    Node& inner = at(operand);
    // A negative literal is a constant, so that -9223372036854775807 - 1 and -1.5 cost nothing.
    if (inner.op == Op::constant && inner.begin == begin + 1) {
        if (auto* n = std::get_if<std::int64_t>(&inner.constant);
            n != nullptr && *n != std::numeric_limits<std::int64_t>::min()) {
            *n = -*n;
            inner.begin = begin;
            return operand;
        }
        if (auto* x = std::get_if<double>(&inner.constant)) {
            *x = -*x;
            inner.begin = begin;
            return operand;
        }
    }
    Node node;
    node.op = Op::negate;
    node.a = operand;
    node.begin = begin;
    node.end = inner.end;
    const std::uint32_t n = add(std::move(node));
    check_operator(n);
    return n;
}

Call Parser::parse_call(const std::vector<CallShape>& shapes) {
    const Token& name = expect(Tok::name, "a call such as 'count()'");
    const auto shape = std::find_if(shapes.begin(), shapes.end(),
                                    [&](const CallShape& s) { return s.name == name.text; });
    if (shape == shapes.end()) {
        std::vector<std::string> names;
        for (const CallShape& s : shapes) names.push_back(s.name);
        std::string known;
        for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
        throw ParseError(name.begin, "unknown aggregate '" + name.text + "'" +
                                         detail::did_you_mean(name.text, names) +
                                         " (known: " + known + ")");
    }
    expect(Tok::lparen, "'(' after '" + name.text + "'");
    std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;  // each argument's text
    if (peek().kind != Tok::rparen) {
        do {
            const std::uint32_t begin = peek().begin;
            parse_or();
            spans.emplace_back(begin, tokens_[pos_ - 1].end);
        } while (accept(Tok::comma));
    }
    expect(Tok::rparen, "',' or ')'");
    if (peek().kind != Tok::end) {
        throw ParseError(peek().begin, "unexpected " + describe(peek()) + " after the call");
    }
    if (static_cast<int>(spans.size()) != shape->args) {
        throw ParseError(name.begin, name.text + "() takes " + std::to_string(shape->args) +
                                         (shape->args == 1 ? " argument" : " arguments") +
                                         ", not " + std::to_string(spans.size()));
    }
    Call call{name.text, {}};
    for (const auto& [begin, end] : spans) {
        call.args.push_back(
            Expression::compile(std::string_view(tree_.text).substr(begin, end - begin)));
    }
    return call;
}

void parse_into(Tree& tree) {
    Parser parser(tree.text, tree);
    tree.root = parser.parse_all();
}

Call parse_call(std::string_view text, const std::vector<CallShape>& shapes) {
    Tree tree;
    tree.text = std::string(text);
    Parser parser(text, tree);
    return parser.parse_call(shapes);
}

}  // namespace flowpool::expr
