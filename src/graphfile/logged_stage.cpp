#include "logged_stage.hpp"

#include <flowpool/value.hpp>

#include "common/line_output.hpp"

namespace flowpool::detail {

BatchPtr LoggedStage::process(const BatchPtr& in, BatchContext& ctx) {
    BatchPtr out = inner_->process(in, ctx);
    if (!out || out->size() == 0) return out;
    const auto& batch = static_cast<const Items<Value>&>(*out);
    std::string lines;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        format_.render(lines, batch.ids[i], batch.values[i], ctx.worker(), ctx.node());
    }
    LineOutput::stdout_lines().write(lines);
    return out;
}

}  // namespace flowpool::detail
