// Expected lines against received ones: as multisets (any order) or as sequences (a diff by
// longest common subsequence), with counts and lines that must be among the others.

#include "compare_lines.hpp"

#include <algorithm>
#include <cstddef>
#include <map>

namespace flowpool::detail {
namespace {

/// A diff longer than this is cut, with a line saying how much was left out.
constexpr std::size_t max_diff_lines = 40;
/// Lines in order are diffed by longest common subsequence up to this many pairs of lines.
constexpr std::size_t max_ordered_pairs = 4'000'000;

std::string count_of(std::size_t n) { return std::to_string(n) + (n == 1 ? " line" : " lines"); }

/// @p line as the report shows it, on one line: a line end inside it (a CSV row's quoted
/// field's) as `\n`.
std::string shown(const std::string& line) {
    std::string text;
    for (const char c : line) {
        if (c == '\n') {
            text += "\\n";
        } else {
            text += c;
        }
    }
    return text;
}

/// The lines of @p from that @p in lacks, counted as multisets, in @p from's order.
std::vector<std::string> lacking(const std::vector<std::string>& from,
                                 const std::vector<std::string>& in) {
    std::map<std::string, std::size_t> left;
    for (const std::string& line : in) ++left[line];
    std::vector<std::string> missing;
    for (const std::string& line : from) {
        std::size_t& n = left[line];
        if (n > 0) {
            --n;
        } else {
            missing.push_back(line);
        }
    }
    return missing;
}

/// An in-order diff: the longest common subsequence kept as `  LINE`, the rest as `- LINE`
/// (only expected) and `+ LINE` (only received).
std::vector<std::string> ordered_diff(const std::vector<std::string>& expected,
                                      const std::vector<std::string>& received) {
    const std::size_t n = expected.size();
    const std::size_t m = received.size();
    // common[i][j]: the longest common subsequence of expected[i..] and received[j..].
    std::vector<std::vector<std::size_t>> common(n + 1, std::vector<std::size_t>(m + 1, 0));
    for (std::size_t i = n; i-- > 0;) {
        for (std::size_t j = m; j-- > 0;) {
            common[i][j] = expected[i] == received[j]
                               ? common[i + 1][j + 1] + 1
                               : std::max(common[i + 1][j], common[i][j + 1]);
        }
    }
    std::vector<std::string> diff;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && expected[i] == received[j]) {
            diff.push_back("  " + shown(expected[i++]));
            ++j;
        } else if (i < n && (j == m || common[i + 1][j] >= common[i][j + 1])) {
            diff.push_back("- " + shown(expected[i++]));
        } else {
            diff.push_back("+ " + shown(received[j++]));
        }
    }
    return diff;
}

/// Appends @p lines to @p report, `prefix` before each, at most max_diff_lines of them.
void add(std::vector<std::string>& report, const std::vector<std::string>& lines,
         const std::string& prefix = "") {
    std::size_t added = 0;
    for (const std::string& line : lines) {
        if (added++ == max_diff_lines) {
            report.push_back("... " + count_of(lines.size() - max_diff_lines) + " more");
            return;
        }
        report.push_back(prefix + shown(line));
    }
}

void compare_all(const TestExpectation& expect, const std::vector<std::string>& received,
                 std::vector<std::string>& report) {
    const std::vector<std::string>& expected = *expect.lines;
    const std::string what = expect.sink + ": expected " + count_of(expected.size()) +
                             (expect.ordered ? " in this order" : " (any order)") + ", received " +
                             std::to_string(received.size());
    if (expect.ordered && expected.size() * received.size() <= max_ordered_pairs) {
        if (expected == received) return;
        report.push_back(what);
        add(report, ordered_diff(expected, received));
        return;
    }
    const std::vector<std::string> missing = lacking(expected, received);
    const std::vector<std::string> extra = lacking(received, expected);
    if (missing.empty() && extra.empty() && (!expect.ordered || expected == received)) return;
    report.push_back(what + (missing.empty() && extra.empty() ? ", in another order" : ""));
    add(report, missing, "- ");
    add(report, extra, "+ ");
}

}  // namespace

void compare_lines(const TestExpectation& expect, const std::vector<std::string>& received,
                   std::vector<std::string>& report) {
    if (expect.lines) compare_all(expect, received, report);
    if (expect.count && *expect.count != received.size()) {
        report.push_back(expect.sink + ": expected " + count_of(*expect.count) + ", received " +
                         std::to_string(received.size()));
        add(report, received, "+ ");
    }
    const std::vector<std::string> missing = lacking(expect.contains, received);
    if (!missing.empty()) {
        report.push_back(expect.sink + ": expected among its lines, not received (of " +
                         count_of(received.size()) + " received)");
        add(report, missing, "- ");
    }
}

}  // namespace flowpool::detail
