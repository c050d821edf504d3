#include "text_source.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <numeric>
#include <optional>
#include <string_view>
#include <utility>

#include "data/json.hpp"
#include "data/line_scan.hpp"

namespace flowpool::detail {

namespace {

constexpr std::size_t padding = 64;  // readable bytes after a text, for simdjson

/// A line of a text: where it starts, its size without its line end, and where the next starts.
struct Line {
    std::size_t begin = 0;
    std::size_t size = 0;
    std::size_t next = 0;
};

/// The line of @p text that starts at @p begin, if it ends with a '\n' there.
std::optional<Line> line_at(std::string_view text, std::size_t begin) noexcept {
    const void* newline = std::memchr(text.data() + begin, '\n', text.size() - begin);
    if (newline == nullptr) return std::nullopt;
    const auto end = static_cast<std::size_t>(static_cast<const char*>(newline) - text.data());
    std::size_t size = end - begin;
    if (size != 0 && text[end - 1] == '\r') --size;  // a CRLF line's '\r' is not its text's
    return Line{begin, size, end + 1};
}

}  // namespace

/// Spare batches: taken by the source's thread, given back by the worker that decoded them.
class TextSource::Spares {
public:
    /// A spare batch, or nullptr.
    TextBatch* take() { return lanes_.take(); }
    /// Keeps @p batch, emptied, if there is room and its text is not one a long line grew.
    void put(TextBatch* batch) noexcept {
        if (batch->text.capacity() > keep_text_up_to ||
            batch->stale_text.capacity() > keep_text_up_to) {
            delete batch;
            return;
        }
        batch->clear();
        lanes_.put(batch);
    }

private:
    static constexpr std::size_t keep_text_up_to = 16 << 20;
    SpareLanes<TextBatch> lanes_{64};
};

TextSource::TextSource(const std::string& path, std::size_t max_line_bytes)
    : reader_(path, max_line_bytes),
      spares_(std::make_shared<Spares>()),
      file_names_(shared_names(reader_.files())) {}

TextSource::~TextSource() = default;

std::shared_ptr<TextBatch> TextSource::fresh_batch() {
    TextBatch* batch = spares_->take();
    if (batch == nullptr) batch = new TextBatch();
    return {batch, [spares = spares_](TextBatch* done) { spares->put(done); }};
}

BatchPtr TextSource::next(std::size_t max_jobs, BatchContext& ctx) {
    // After a read error, the whole lines read before it first (a run may have taken fewer).
    if (!error_after_.holds() || !reader_.line_ready()) error_after_.throw_kept();
    const std::shared_ptr<TextBatch> batch = fresh_batch();
    std::string& text = batch->text;
    const std::size_t most = std::max<std::size_t>(max_jobs, 1);
    std::uint32_t file = 0;
    while (batch->size() < most) {
        // From a pipe, pass on the texts that came rather than wait to fill the batch.
        if (batch->size() != 0 && reader_.may_block() && !reader_.line_ready()) break;
        const std::size_t begin = text.size();
        if (held_) {
            text += text_;
        } else if (cuts_lines() && text.empty() && read_run(*batch, most, ctx)) {
            break;  // a run of lines, counted: the batch is made
        } else if (cuts_lines() && take_buffered_lines(*batch, most)) {
            continue;
        } else if (error_after_.holds()) {
            break;  // no more reads: the error is the next call's
        } else {
            bool lines = false;  // whole lines read straight into the batch
            Cut got = Cut::end;
            if (!error_after_.read(batch->size(), [&] {
                    lines = cuts_lines() && read_lines(*batch, most, ctx);
                    if (!lines) got = cut(reader_, text, at_, error_, ctx);
                })) {
                text.resize(begin);
                break;
            }
            if (lines) continue;
            if (got != Cut::text && got != Cut::failed) text.resize(begin);
            if (got == Cut::end) break;
            if (got == Cut::nothing) continue;
            ++next_id_;
            if (got == Cut::blank) continue;
            got_ = got;
        }
        // A batch holds the texts of one file: they share its context (a CSV header).
        if (batch->size() == 0) {
            file = at_.file;
            batch->file_context = file_context(file);
            batch->file = file_names_[file];
        } else if (at_.file != file) {
            text_.assign(text, begin);
            text.resize(begin);
            held_ = true;
            break;
        }
        held_ = false;
        add_job(*batch, begin, next_id_ - 1);  // the id the text got when it was cut
    }
    bytes_done_.store(reader_.taken(), std::memory_order_relaxed);
    if (batch->size() == 0) {
        error_after_.throw_kept();  // held for lines that turned out to make no job
        return nullptr;
    }
    text.reserve(text.size() + padding);
    return batch;
}

bool TextSource::take_buffered_lines(TextBatch& batch, std::size_t most) {
    const std::string_view ahead = reader_.buffered();
    const LinePosition first = reader_.buffered_position();
    if (ahead.empty() || (batch.size() != 0 && first.file != at_.file)) return false;
    const std::size_t base = batch.text.size();
    const auto [taken, lines] = add_lines(batch, ahead, base, first, most);
    if (lines == 0) return false;
    batch.text.append(ahead.data(), taken);  // each line's '\n' (or "\r\n") after it
    reader_.skip_buffered(taken, lines);
    at_ = reader_.position();
    return true;
}

std::size_t TextSource::read_size(std::size_t jobs) const noexcept {
    // Enough for the jobs the batch lacks, and a few more: those go back to the reader, for the
    // next batch to take, rather than that a second read fill this one.
    const std::size_t line = std::max<std::size_t>(line_bytes_, 1);
    return std::clamp<std::size_t>((jobs + 4) * line, min_read_bytes, max_read_bytes);
}

bool TextSource::read_run(TextBatch& batch, std::size_t most, const BatchContext& ctx) {
    if (runs_after_ != 0) {  // a run failed lately: not tried again at once
        --runs_after_;
        return false;
    }
    // A line over max_line_bytes is reported on its own (cut() does): none can be if all of them
    // together are no longer.
    const auto runs = [this](const LineRun& run) {
        if (run.plain && run.lines != 0 && run.bytes - run.lines <= reader_.max_line_bytes())
            return true;
        runs_after_ = runs_pause;
        return false;
    };
    const LinePosition first = reader_.buffered_position();
    const std::size_t want = read_size(most);
    std::string& text = batch.text;
    const std::string_view ahead = reader_.buffered();
    // Enough read ahead (by cut(), which reads in chunks): taken without reading. Also when a read
    // fails after whole lines were read ahead: they are this batch, and the error is thrown by
    // the next call (as next() does with lines cut one by one).
    bool buffered = ahead.size() >= want || error_after_.holds();
    if (!buffered) {
        // What the reader holds (the lines the last batch read too many) counts towards `want`.
        const std::size_t held = ahead.size();
        const bool lines_held = held != 0 && std::memchr(ahead.data(), '\n', held) != nullptr;
        bool read = false;
        if (!error_after_.read(lines_held ? 1 : 0, [&] {
                read = reader_.read_into(text, std::max({want - held, held, min_read_bytes}), ctx,
                                         &batch.stale_text);
            })) {
            text.clear();
            buffered = true;
        } else if (!read) {
            return false;
        }
    }
    LineRun run;
    if (buffered) {
        const std::string_view lines = reader_.buffered();
        run = scan_lines(lines, most);
        if (!runs(run)) return false;
        text.assign(lines.data(), run.bytes);
        reader_.skip_buffered(run.bytes, run.lines);
    } else {
        run = scan_lines(text, most);
        if (!runs(run)) {
            reader_.unread(text, 0);  // to be cut one by one
            text.clear();
            return false;
        }
        reader_.unread(std::string_view(text).substr(run.bytes), run.lines);
        text.resize(run.bytes);
    }
    line_bytes_ = run.bytes / run.lines;
    batch.uncut = true;
    batch.first = first;
    batch.file_context = file_context(first.file);
    batch.file = file_names_[first.file];
    batch.ids.resize(run.lines);
    std::iota(batch.ids.begin(), batch.ids.end(), next_id_);
    next_id_ += run.lines;
    at_ = reader_.position();
    return true;
}

bool TextSource::read_lines(TextBatch& batch, std::size_t most, const BatchContext& ctx) {
    const LinePosition first = reader_.buffered_position();
    if (batch.size() != 0 && first.file != at_.file) return false;
    std::string& text = batch.text;
    const std::size_t base = text.size();
    if (!reader_.read_into(text, read_size(most - batch.size()), ctx, &batch.stale_text))
        return false;
    const std::string_view read = std::string_view(text).substr(base);
    const auto [taken, lines] = add_lines(batch, read, base, first, most);
    if (lines != 0) line_bytes_ = taken / lines;
    reader_.unread(read.substr(taken), lines);
    text.resize(base + taken);
    if (lines == 0) return false;
    at_ = reader_.position();
    return true;
}

std::pair<std::size_t, std::uint64_t> TextSource::add_lines(TextBatch& batch,
                                                            std::string_view ahead,
                                                            std::size_t base, LinePosition first,
                                                            std::size_t most) {
    if (batch.size() == 0) {
        batch.file_context = file_context(first.file);
        batch.file = file_names_[first.file];
    }
    std::size_t taken = 0;  // bytes of whole lines
    std::uint64_t lines = 0;
    while (batch.size() < most) {
        const std::optional<Line> line = line_at(ahead, taken);
        if (!line || line->size > reader_.max_line_bytes()) break;  // cut() reports a long one
        if (!json_blank(ahead.substr(taken, line->size))) {
            batch.ids.push_back(next_id_);
            batch.slices.push_back({base + taken, line->size, {first.file, first.line + lines}});
        }
        ++next_id_;
        ++lines;
        taken = line->next;
    }
    return {taken, lines};
}

void TextBatch::cut() {
    if (!uncut) return;
    slices.reserve(ids.size());
    std::size_t begin = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::optional<Line> line = line_at(text, begin);
        assert(line);  // the run holds a line per id
        slices.push_back({begin, line->size, {first.file, first.line + i}});
        begin = line->next;
    }
    uncut = false;
}

void TextBatch::keep(const std::vector<bool>& kept) {
    cut();
    std::string kept_text;
    kept_text.reserve(text.capacity());
    std::vector<Slice> kept_slices;
    std::vector<Failure> kept_failures;
    auto failure = failures.begin();
    for (std::size_t i = 0; i < slices.size(); ++i) {
        const bool failed = failure != failures.end() && failure->slice == i;
        if (kept[i]) {
            if (failed) {
                kept_failures.push_back(
                    {kept_slices.size(), std::move(failure->why), failure->text_kept});
            }
            Slice slice = slices[i];
            const std::size_t from = slice.begin;
            slice.begin = kept_text.size();
            kept_text.append(text, from, slice.size);
            kept_text += '\n';  // as add_job ends each text (a CRLF line's '\r' left out)
            kept_slices.push_back(slice);
        }
        if (failed) ++failure;
    }
    text = std::move(kept_text);
    slices = std::move(kept_slices);
    failures = std::move(kept_failures);
    Batch::keep(kept);
}

void TextSource::add_job(TextBatch& batch, std::size_t begin, std::uint64_t id) {
    batch.ids.push_back(id);
    batch.slices.push_back({begin, batch.text.size() - begin, at_});
    batch.text += '\n';  // so that a parser of many texts at once sees where each ends
    // Reported on a worker, where the node's policy (a dead letter too) applies.
    if (got_ != Cut::text) {
        batch.failures.push_back(
            {batch.slices.size() - 1, std::move(error_), got_ != Cut::failed_skipped});
    }
}

BatchPtr TextSource::decode(const BatchPtr& batch, BatchContext& ctx) {
    auto& in = static_cast<TextBatch&>(*batch);
    auto out = values_.get();
    out->derive_from(in);
    out->reserve(in.size());
    if (in.uncut) {
        if (parse_lines(in, *out)) return out;
        in.cut();
    }
    ParseError error;
    auto failure = in.failures.begin();
    const std::size_t clean = in.failures.empty() ? in.size() : in.failures.front().slice;
    for (std::size_t i = parse_run(in, clean, *out); i < in.size(); ++i) {
        const TextBatch::Slice& slice = in.slices[i];
        const std::string_view text(in.text.data() + slice.begin, slice.size);
        std::string message;
        bool text_kept = true;
        if (failure != in.failures.end() && failure->slice == i) {
            message = std::move(failure->why);
            text_kept = failure->text_kept;
            ++failure;
        } else {
            if (parse(text, in.file_context.get(), out->next_value(), error)) {
                out->ids.push_back(in.ids[i]);
                continue;
            }
            out->values.pop_back();
            message = reader_.files()[slice.at.file] + ":" +
                      std::to_string(slice.at.line + error.line) + ":" +
                      std::to_string(error.column) + ": " + error.reason;
        }
        if (ctx.keeps_dead_letters()) {
            // A text skipped for its length was never kept: null, not the empty slice.
            ctx.dead_letter(in.ids[i], text_kept ? Value(std::string(text)) : Value(nullptr),
                            std::move(message));
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
