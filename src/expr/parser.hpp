#pragma once
// Parsing and the checks made while parsing (parser.cpp, parser_primary.cpp, check.cpp).

#include <cstdint>
#include <string_view>

#include "tree.hpp"
#include "types.hpp"

namespace flowpool::expr {

/// Parses `tree.text` into `tree.nodes` and sets `tree.root`. Throws ParseError.
void parse_into(Tree& tree);

/// Checks the operands of operator node @p n by what they may give, and sets what it gives.
/// Throws ParseError at an operand known to be of a type the operator refuses.
void check_operator(Tree& tree, std::uint32_t n);
/// Checks call node @p n: its number of arguments, and their types where known.
void check_call(Tree& tree, std::uint32_t n);
/// Throws ParseError at node @p n if it can give none of @p allowed (@p what names the place).
void require(const Tree& tree, std::uint32_t n, TypeSet allowed, std::string_view what);

}  // namespace flowpool::expr
