#pragma once
// Sources that read records read only the fields the nodes after them use.

#include <flowpool/body.hpp>
#include <flowpool/graph.hpp>

#include <vector>

#include "op_params.hpp"
#include "resolve.hpp"

namespace flowpool::detail {

/// Sets the projection parameter (OpInfo::projection) of each source in @p nodes that leaves it
/// empty to the fields the nodes after it read, when every one of them says which it reads
/// (OpInfo::reads_fields), none passes failed jobs on as dead letters or logs them (both show a
/// job's value whole), and there is at least one: a `jsonl` source feeding `where .status >= 500`
/// then `aggregate` builds records of two or three fields instead of every field of each line.
void project_fields(std::vector<ResolvedNode>& nodes, const GraphSpec& graph);

/// Reports, at its projection parameter, each source whose projection (`fields:` of `jsonl`)
/// leaves out a field the nodes after it read (as project_fields() finds them): that field is
/// missing from every record, so a `where` on it drops every job.
void warn_fields_left_out(const std::vector<ResolvedNode>& nodes, const GraphSpec& graph,
                          const ReportProblem& report);

/// Gives @p body, the body of @p source, the condition of the filter after it
/// (TestsConditionFirst) if the body can test it first: when the filter (an op with
/// OpInfo::keeps_if) is the source's only out-edge and shows no job's value (no `key:`, `log:`,
/// dead letters or timeout), so that nothing sees the records it drops.
void test_condition_first(const ResolvedNode& source, SourceBody& body,
                          const std::vector<ResolvedNode>& nodes, const GraphSpec& graph);

}  // namespace flowpool::detail
