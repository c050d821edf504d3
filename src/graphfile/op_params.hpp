#pragma once
// A node's op parameters checked against what the op declares (ParamInfo): shapes (a single
// value, a list, a map), types, keys and each value's own checks, every problem at its position.

#include <flowpool/graph.hpp>

#include <functional>
#include <string>

namespace flowpool::detail {

/// Takes one problem found, at its position.
using ReportProblem = std::function<void(const SourceLocation& where, std::string message)>;

/// The parameters @p spec gives to the ones @p op declares, checked, defaults filled in (the
/// keys that are not the op's are the caller's business). Reports each problem to @p report.
Params read_op_params(const NodeSpec& spec, const OpInfo& op, const ReportProblem& report);

/// Runs each ParamInfo::check_with_others of @p op on what @p spec gives (on every single value
/// of a list or map), against @p params. Call it only once read_op_params() reported nothing.
void check_with_others(const NodeSpec& spec, const OpInfo& op, const Params& params,
                       const ReportProblem& report);

/// Runs each ParamInfo::warn of @p op on what @p spec gives (a list: its first element), against
/// @p params; reports each warning to @p report as `node 'NAME': MESSAGE`.
void warn_about(const NodeSpec& spec, const OpInfo& op, const Params& params,
                const ReportProblem& report);

/// Runs @p check on @p param's text and reports what it throws as `parameter 'LABEL': REASON`,
/// at @p param's position, or inside its text for a ParamTextError. True if it passed.
bool check_text(const ParamSpec& param, const std::string& label,
                const std::function<void(const std::string&)>& check, const ReportProblem& report);

}  // namespace flowpool::detail
