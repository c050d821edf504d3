#pragma once
// Sources that can test the condition of the filter after them before they build a record.

#include "expr/expression.hpp"

namespace flowpool::detail {

/// A source body that builds records field by field (`jsonl` with a projection) and can test a
/// filter's condition (OpInfo::keeps_if) on the fields the condition reads before it reads the
/// others: a line the condition is false for makes no job in the batch passed on, only a count
/// in Batch::prefiltered, which the filter (the source's only out-edge) counts as jobs it took
/// and dropped. A `where .status >= 500` after a `jsonl` source reads `status` of every line and
/// the other fields of the lines it keeps.
class TestsConditionFirst {
public:
    TestsConditionFirst() = default;
    virtual ~TestsConditionFirst() = default;
    TestsConditionFirst(const TestsConditionFirst&) = delete;
    TestsConditionFirst& operator=(const TestsConditionFirst&) = delete;

    /// Tests @p condition first from now on, if it depends on the value alone
    /// (Expression::reads_value_only) and it saves reading a field. False if it will not.
    virtual bool test_condition_first(const expr::Expression& condition) = 0;
};

}  // namespace flowpool::detail
