#pragma once
// `log:` on a function node: after its op, one line per job passed on, on stdout.

#include <flowpool/detail/plan.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "ops/format.hpp"

namespace flowpool::detail {

/// Runs @p inner, then writes a line in the node's `log:` format for every job it passed on. A
/// line that cannot be written fails no job (logging never throws): a warning says so, once.
class LoggedStage final : public StageBody {
public:
    LoggedStage(std::unique_ptr<StageBody> inner, const std::string& format)
        : inner_(std::move(inner)), format_(format) {}

    BatchPtr process(const BatchPtr& in, BatchContext& ctx) override;

private:
    std::unique_ptr<StageBody> inner_;
    LineFormat format_;
    std::atomic<bool> warned_{false};  // that the log lines are lost
};

}  // namespace flowpool::detail
