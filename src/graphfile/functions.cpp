// What graph files may call: the expression language's functions and the aggregate functions,
// listed for `flowpool ops` (the CLI reaches neither room itself).

#include <flowpool/graph.hpp>

#include <string>
#include <vector>

#include "expr/expression.hpp"
#include "ops/aggregates.hpp"

namespace flowpool {

std::vector<FunctionInfo> expression_functions() {
    std::vector<FunctionInfo> all;
    for (const expr::FunctionDoc& doc : expr::function_docs()) {
        all.push_back({std::string(doc.signature), std::string(doc.description)});
    }
    return all;
}

std::vector<FunctionInfo> aggregate_functions() {
    std::vector<FunctionInfo> all;
    for (const detail::AggregateInfo& info : detail::aggregate_functions()) {
        all.push_back({std::string(info.name) + (info.arity == 0 ? "()" : "(E)"),
                       std::string(info.description)});
    }
    return all;
}

}  // namespace flowpool
