// The Parser's primary expressions: literals, paths and subscripts, lists, if() and calls.

#include <string>
#include <utility>
#include <vector>

#include "common/suggest.hpp"
#include "expression.hpp"
#include "functions.hpp"
#include "lexer.hpp"
#include "parser_class.hpp"
#include "tree.hpp"

namespace flowpool::expr {

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
        } else if (peek().kind == Tok::lbracket || dot_before_bracket()) {
            if (peek().kind == Tok::dot) take();  // .a.["b"] is .a["b"], as in jq 1.7
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
            if (token.past_largest) throw integer_out_of_range(token.begin, "9223372036854775808");
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

namespace {

std::string function_names_hint(std::string_view name) {
    std::vector<std::string> names;
    for (const Function& f : all_functions()) names.emplace_back(f.name);
    names.emplace_back("if");
    return detail::did_you_mean(name, names);
}

}  // namespace

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

}  // namespace flowpool::expr
