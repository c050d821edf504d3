#pragma once
// What a sink received against what a test case expects of it, and the diff that says how they
// differ.

#include <string>
#include <vector>

#include "test_file.hpp"

namespace flowpool::detail {

/// Compares @p received, the lines sink `expect.sink` wrote, with @p expect; appends to
/// @p report a line saying what differs, then the diff: `- LINE` expected but not received,
/// `+ LINE` received but not expected (`  LINE` received as expected, for an ordered list).
/// Appends nothing if they agree.
void compare_lines(const TestExpectation& expect, const std::vector<std::string>& received,
                   std::vector<std::string>& report);

}  // namespace flowpool::detail
