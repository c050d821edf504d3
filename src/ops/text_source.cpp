#include "text_source.hpp"

#include <algorithm>
#include <utility>

namespace flowpool::detail {

namespace {
constexpr std::size_t padding = 64;  // readable bytes after a text, for simdjson
}  // namespace

BatchPtr TextSource::next(std::size_t max_jobs, BatchContext& ctx) {
    auto batch = std::make_shared<TextBatch>();
    const std::size_t most = std::max<std::size_t>(max_jobs, 1);
    batch->ids.reserve(most);
    batch->slices.reserve(most);
    std::uint32_t file = 0;
    while (batch->size() < most) {
        // From a pipe, pass on the texts that came rather than wait to fill the batch.
        if (batch->size() != 0 && reader_.may_block() && !reader_.line_ready()) break;
        if (!held_) {
            const Cut got = cut(reader_, text_, at_, error_, ctx);
            if (got == Cut::end) break;
            if (got == Cut::nothing) continue;
            ++next_id_;
            if (got == Cut::blank) continue;
            failed_ = got == Cut::failed;
            if (failed_) text_.clear();
        }
        // A batch holds the texts of one file: they share its context (a CSV header).
        if (batch->size() == 0) {
            file = at_.file;
            batch->file_context = file_context(file);
            batch->file = file_names_[file];
        } else if (at_.file != file) {
            held_ = true;
            break;
        }
        held_ = false;
        batch->ids.push_back(next_id_ - 1);  // the id the text got when it was cut
        batch->slices.push_back({batch->text.size(), text_.size(), at_});
        batch->text += text_;
        // Reported on a worker, where the node's policy (a dead letter too) applies.
        if (failed_) batch->failures.emplace_back(batch->slices.size() - 1, std::move(error_));
    }
    bytes_done_.store(reader_.taken(), std::memory_order_relaxed);
    if (batch->size() == 0) return nullptr;
    batch->text.reserve(batch->text.size() + padding);
    return batch;
}

BatchPtr TextSource::decode(const BatchPtr& batch, BatchContext& ctx) {
    auto& in = static_cast<TextBatch&>(*batch);
    auto out = std::make_shared<Items<Value>>();
    out->derive_from(in);
    out->reserve(in.size());
    ParseError error;
    auto failure = in.failures.begin();
    for (std::size_t i = 0; i < in.size(); ++i) {
        const TextBatch::Slice& slice = in.slices[i];
        const std::string_view text(in.text.data() + slice.begin, slice.size);
        std::string message;
        if (failure != in.failures.end() && failure->first == i) {
            message = std::move(failure->second);
            ++failure;
        } else {
            Value value;
            if (parse(text, in.file_context.get(), value, error)) {
                out->ids.push_back(in.ids[i]);
                out->values.push_back(std::move(value));
                continue;
            }
            message = reader_.files()[slice.at.file] + ":" +
                      std::to_string(slice.at.line + error.line) + ":" +
                      std::to_string(error.column) + ": " + error.reason;
        }
        if (ctx.keeps_dead_letters()) {
            ctx.dead_letter(in.ids[i], Value(std::string(text)), std::move(message));
        } else {
            ctx.job_failed(in.ids[i], message);
        }
    }
    return out;
}

std::string TextSource::where(const LinePosition& at) const {
    return reader_.files()[at.file] + ":" + std::to_string(at.line);
}

}  // namespace flowpool::detail
