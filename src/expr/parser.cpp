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

#include <re2/re2.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "common/suggest.hpp"
#include "expression.hpp"
#include "functions.hpp"
#include "lexer.hpp"
#include "parser.hpp"
#include "tree.hpp"

namespace flowpool::expr {
namespace {

constexpr int max_depth = 64;  // nesting of brackets and operators: a stack, not a heap, limit

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
    const std::uint32_t operand = parse_unary();
    Node& inner = at(operand);
    // A negative literal is a constant, so that -9223372036854775807 - 1 and -1.5 cost nothing.
    if (inner.op == Op::constant && inner.begin == begin + 1) {
        if (auto* n = std::get_if<std::int64_t>(&inner.constant)) {
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

std::uint32_t Parser::parse_postfix() {
    std::uint32_t base = parse_primary();
    for (;;) {
        if (peek().kind == Tok::field) {
            const Token& field = take();
            Node& node = at(base);
            if (node.op != Op::path) {
                Node path;
                path.op = Op::path;
                path.a = base;
                path.begin = node.begin;
                base = add(std::move(path));
            }
            at(base).steps.push_back(Step{field.text, 0, false});
            at(base).end = field.end;
        } else if (peek().kind == Tok::lbracket) {
            take();
            const std::uint32_t index = parse_or();
            const std::uint32_t end = expect(Tok::rbracket, "']'").end;
            base = subscript(base, index, end);
        } else {
            return base;
        }
    }
}

// base[index]: a step of the path when the index is a literal, else an index computed per job.
std::uint32_t Parser::subscript(std::uint32_t base, std::uint32_t index, std::uint32_t end) {
    const Node& key = at(index);
    if (key.op == Op::constant && (std::holds_alternative<std::int64_t>(key.constant) ||
                                   std::holds_alternative<std::string>(key.constant))) {
        Step step;
        if (const auto* n = std::get_if<std::int64_t>(&key.constant)) {
            step.index = *n;
            step.is_index = true;
        } else {
            step.name = std::get<std::string>(key.constant);
        }
        if (at(base).op != Op::path) {
            Node path;
            path.op = Op::path;
            path.a = base;
            path.begin = at(base).begin;
            base = add(std::move(path));
        }
        at(base).steps.push_back(std::move(step));
        at(base).end = end;
        return base;
    }
    require(index, int_type | string_type | null_type, "an index");
    Node node;
    node.op = Op::index;
    node.a = base;
    node.b = index;
    node.begin = at(base).begin;
    node.end = end;
    return add(std::move(node));
}

std::uint32_t Parser::constant(const Token& token, Value value) {
    Node node;
    node.op = Op::constant;
    node.gives = type_of(value);
    node.constant = std::move(value);
    node.begin = token.begin;
    node.end = token.end;
    return add(std::move(node));
}

std::uint32_t Parser::parse_primary() {
    const Token& token = take();
    switch (token.kind) {
        case Tok::integer:
            return constant(token, Value(token.integer));
        case Tok::floating:
            return constant(token, Value(token.number));
        case Tok::string:
            return constant(token, Value(token.text));
        case Tok::field: {
            Node node;
            node.op = Op::path;
            node.steps.push_back(Step{token.text, 0, false});
            node.begin = token.begin;
            node.end = token.end;
            return add(std::move(node));
        }
        case Tok::dot: {
            Node node;
            node.op = Op::path;
            node.begin = token.begin;
            node.end = token.end;
            return add(std::move(node));
        }
        case Tok::lparen: {
            const std::uint32_t inner = parse_or();
            const Token& close = expect(Tok::rparen, "')'");
            at(inner).begin = token.begin;
            at(inner).end = close.end;
            return inner;
        }
        case Tok::lbracket:
            return parse_list();
        case Tok::name:
            break;
        default:
            throw ParseError(token.begin, "expected a value, found " + describe(token));
    }
    if (token.text == "true") return constant(token, Value(true));
    if (token.text == "false") return constant(token, Value(false));
    if (token.text == "null") return constant(token, Value(nullptr));
    if (token.text == "and" || token.text == "or" || token.text == "in" || token.text == "not") {
        throw ParseError(token.begin, "expected a value, found '" + token.text + "'");
    }
    if (peek().kind != Tok::lparen) {
        throw ParseError(token.begin, "unknown name '" + token.text + "': fields are written '." +
                                          token.text + "', functions are called '" + token.text +
                                          "(...)'");
    }
    if (token.text == "if") return parse_if(token);
    return parse_call_of(token);
}

std::uint32_t Parser::parse_list() {
    const Depth depth(*this);
    Node node;
    node.op = Op::list;
    node.gives = list_type;
    node.begin = tokens_[pos_ - 1].begin;
    if (peek().kind != Tok::rbracket) {
        do {
            node.args.push_back(parse_or());
        } while (accept(Tok::comma));
    }
    node.end = expect(Tok::rbracket, "',' or ']'").end;
    return add(std::move(node));
}

std::vector<std::uint32_t> Parser::parse_args() {
    const Depth depth(*this);
    expect(Tok::lparen, "'('");
    std::vector<std::uint32_t> args;
    if (peek().kind != Tok::rparen) {
        do {
            args.push_back(parse_or());
        } while (accept(Tok::comma));
    }
    expect(Tok::rparen, "',' or ')'");
    return args;
}

std::uint32_t Parser::parse_if(const Token& name) {
    std::vector<std::uint32_t> args = parse_args();
    if (args.size() != 3) {
        throw ParseError(name.begin, "if() takes 3 arguments (condition, then, else), not " +
                                         std::to_string(args.size()));
    }
    require(args[0], bool_type | null_type, "if()'s condition");
    Node node;
    node.op = Op::if_else;
    node.a = args[0];
    node.b = args[1];
    node.c = args[2];
    node.gives = at(args[1]).gives | at(args[2]).gives;
    node.begin = name.begin;
    node.end = tokens_[pos_ - 1].end;
    return add(std::move(node));
}

std::string function_names_hint(std::string_view name) {
    std::vector<std::string> names;
    for (const Function& f : all_functions()) names.emplace_back(f.name);
    names.emplace_back("if");
    return detail::did_you_mean(name, names);
}

std::uint32_t Parser::parse_call_of(const Token& name) {
    const Function* function = find_function(name.text);
    if (function == nullptr) {
        throw ParseError(name.begin,
                         "unknown function '" + name.text + "'" + function_names_hint(name.text));
    }
    Node node;
    node.op = Op::call;
    node.function = function;
    node.gives = function->gives;
    node.begin = name.begin;
    node.args = parse_args();
    node.end = tokens_[pos_ - 1].end;
    const std::uint32_t n = add(std::move(node));
    check_call(n);
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

}  // namespace

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
