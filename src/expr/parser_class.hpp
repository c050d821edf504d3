#pragma once
// The Parser of parser.cpp (precedence climbing) and parser_primary.cpp (primary expressions).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expression.hpp"
#include "lexer.hpp"
#include "parser.hpp"
#include "tree.hpp"
#include "types.hpp"

namespace flowpool::expr {

constexpr int max_depth = 64;  // nesting of brackets and operators: a stack, not a heap, limit

/// Reads an expression's tokens into a Tree's nodes, checking each node as it is made.
class Parser {
public:
    Parser(std::string_view text, Tree& tree) : tokens_(tokenize(text)), tree_(tree) {}

    std::uint32_t parse_all() {
        const std::uint32_t root = parse_or();
        if (peek().kind != Tok::end) {
            throw ParseError(peek().begin,
                             "expected an operator or the end, found " + describe(peek()));
        }
        return root;
    }

    /// `NAME(ARGS)` at the top, NAME one of @p shapes.
    Call parse_call(const std::vector<CallShape>& shapes);

private:
    const Token& peek() const { return tokens_[pos_]; }
    const Token& take() { return tokens_[pos_++]; }
    /// True at a '.' written right before a '[' (`.a.["b"]`).
    bool dot_before_bracket() const {
        if (peek().kind != Tok::dot) return false;
        const Token& next = tokens_[pos_ + 1];  // a dot is never last: Tok::end is
        return next.kind == Tok::lbracket && next.begin == peek().end;
    }
    bool accept(Tok kind) {
        if (peek().kind != kind) return false;
        ++pos_;
        return true;
    }
    bool accept_word(std::string_view word) {
        if (peek().kind != Tok::name || peek().text != word) return false;
        ++pos_;
        return true;
    }
    const Token& expect(Tok kind, std::string_view what) {
        if (peek().kind != kind) {
            throw ParseError(peek().begin,
                             "expected " + std::string(what) + ", found " + describe(peek()));
        }
        return take();
    }

    std::uint32_t add(Node node) {
        tree_.nodes.push_back(std::move(node));
        return static_cast<std::uint32_t>(tree_.nodes.size() - 1);
    }
    Node& at(std::uint32_t n) { return tree_.nodes[n]; }

    std::uint32_t binary(Op op, std::uint32_t a, std::uint32_t b) {
        Node node;
        node.op = op;
        node.a = a;
        node.b = b;
        node.begin = at(a).begin;
        node.end = at(b).end;
        const std::uint32_t n = add(std::move(node));
        check_operator(n);
        return n;
    }

    struct Depth {
        explicit Depth(Parser& p) : parser(p) {
            if (++parser.depth_ > max_depth) {
                throw ParseError(parser.peek().begin, "expression nested deeper than " +
                                                          std::to_string(max_depth) + " levels");
            }
        }
        ~Depth() { --parser.depth_; }
        Depth(const Depth&) = delete;
        Depth& operator=(const Depth&) = delete;
        Parser& parser;
    };

    std::uint32_t parse_or();
    std::uint32_t parse_and();
    std::uint32_t parse_not();
    std::uint32_t parse_compare();
    std::uint32_t parse_default();
    std::uint32_t parse_sum();
    std::uint32_t parse_product();
    std::uint32_t parse_unary();
    std::uint32_t parse_postfix();
    std::uint32_t parse_primary();
    std::uint32_t parse_path();
    std::uint32_t parse_call_of(const Token& name);
    std::uint32_t parse_if(const Token& name);
    std::uint32_t parse_list();
    std::vector<std::uint32_t> parse_args();
    std::uint32_t subscript(std::uint32_t base, std::uint32_t index, std::uint32_t end);
    std::uint32_t constant(const Token& token, Value value);
    void check_operator(std::uint32_t n) { expr::check_operator(tree_, n); }
    void check_call(std::uint32_t n) { expr::check_call(tree_, n); }
    void require(std::uint32_t n, TypeSet allowed, std::string_view what) {
        expr::require(tree_, n, allowed, what);
    }

    std::vector<Token> tokens_;
    std::size_t pos_ = 0;
    int depth_ = 0;
    Tree& tree_;
};

}  // namespace flowpool::expr
