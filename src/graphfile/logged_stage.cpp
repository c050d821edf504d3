#include "logged_stage.hpp"

#include <flowpool/detail/job_loop.hpp>

#include <exception>
#include <string>

#include <flowpool/value.hpp>

#include "common/line_output.hpp"
#include "common/log.hpp"

namespace flowpool::detail {

BatchPtr LoggedStage::process(const BatchPtr& in, BatchContext& ctx) {
    BatchPtr out = inner_->process(in, ctx);
    if (!out || out->size() == 0) return out;
    const auto& batch = static_cast<const Items<Value>&>(*out);
    std::string lines;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const std::size_t before = lines.size();
        try {
            format_.render(lines, job_context(batch, i, ctx), batch.values[i]);
        } catch (const std::exception& e) {  // a log line is no reason to fail the job
            lines.resize(before);
            lines += "log of job " + std::to_string(batch.ids[i]) + ": " + e.what() + "\n";
        }
    }
    // Nor is a log line that cannot be written (standard output on a full disk): the sink that
    // writes there next fails its job with the same error, naming itself, as every write after
    // one that failed is refused. Where no sink writes there, the lines are lost, said once.
    LineOutput& stdout_lines = LineOutput::stdout_lines();
    if (stdout_lines.write_some(lines) != lines.size() && !stdout_lines.closed() &&
        !warned_.exchange(true)) {
        log().warn("node '{}': its log: lines are lost: {}", ctx.node(), stdout_lines.failure());
    }
    return out;
}

}  // namespace flowpool::detail
