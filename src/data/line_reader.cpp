// LineReader: a '\n' search that never goes over a byte twice, and a cap on the line it buffers.

#include "line_reader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

namespace flowpool::detail {
namespace {

constexpr std::size_t chunk = 128 * 1024;          // the least room a read gets
constexpr std::size_t first_capacity = 2 * chunk;  // and the buffer when lines are short
constexpr std::size_t shrink_above = 16 << 20;     // a buffer grown past this shrinks back

}  // namespace

LineReader::LineReader(const std::string& path, std::size_t max_line_bytes)
    : files_(expand_paths(path)),
      max_line_(max_line_bytes),
      input_(std::make_unique<ByteInput>(files_.front())),
      buffer_(first_capacity) {
    bool sized = !input_->may_block();
    size_ = input_->size();
    for (std::size_t i = 1; i < files_.size(); ++i) {  // the rest of a glob's files
        struct stat info {};
        if (::stat(files_[i].c_str(), &info) != 0) throw open_error(files_[i], "reading");
        if (!S_ISREG(info.st_mode)) sized = false;
        size_ += static_cast<std::uint64_t>(info.st_size);
    }
    if (!sized) size_ = 0;
    may_wait_ = !sized;
}

LineReader::~LineReader() = default;

LineReader::Got LineReader::next(std::string& line, const BatchContext& ctx, bool append) {
    for (;;) {
        if (bom_pending_) skip_byte_order_mark();
        if (!bom_pending_) {
            char* const base = buffer_.data();
            if (const auto* newline =
                    static_cast<const char*>(std::memchr(base + scanned_, '\n', end_ - scanned_))) {
                const auto at = static_cast<std::size_t>(newline - base);
                if (!skipping_) return take(line, at - begin_, 1, append);
                skipping_ = false;  // the too long line ends here
                begin_ = scanned_ = at + 1;
                count_line();
                return Got::too_long;
            }
            scanned_ = end_;
            if (at_end_) {
                if (skipping_) {
                    skipping_ = false;
                    begin_ = scanned_ = end_;
                    count_line();
                    return Got::too_long;
                }
                if (begin_ < end_)
                    return take(line, end_ - begin_, 0, append);  // no '\n' at the end
                if (!open_next_file()) return Got::end;
                continue;
            }
            // More than the cap (and a '\r') without a '\n': drop what is buffered of the line.
            if (skipping_ || end_ - begin_ > max_line_ + 1) {
                skipping_ = true;
                begin_ = scanned_ = end_ = 0;
            }
        }
        if (!fill(ctx)) return Got::stopped;
    }
}

void LineReader::skip_byte_order_mark() noexcept {
    static constexpr char mark[] = "\xEF\xBB\xBF";
    const std::size_t held = end_ - begin_;
    const bool starts =
        std::memcmp(buffer_.data() + begin_, mark, std::min<std::size_t>(held, 3)) == 0;
    if (starts && held < 3 && !at_end_) return;  // a pipe's first bytes may be part of one: wait
    if (starts && held >= 3) begin_ += 3;
    scanned_ = std::max(scanned_, begin_);
    bom_pending_ = false;
}

bool LineReader::line_ready() const noexcept {
    if (at_end_) return true;
    const char* const base = buffer_.data();
    if (const auto* newline =
            static_cast<const char*>(std::memchr(base + scanned_, '\n', end_ - scanned_))) {
        scanned_ = static_cast<std::size_t>(newline - base);  // next() finds it at once
        return true;
    }
    scanned_ = end_;
    return false;
}

std::string_view LineReader::buffered() const noexcept {
    if (bom_pending_ || skipping_) return {};
    return {buffer_.data() + begin_, end_ - begin_};
}

void LineReader::skip_buffered(std::size_t bytes, std::uint64_t lines) noexcept {
    begin_ += bytes;
    scanned_ = std::max(scanned_, begin_);
    lines_in_file_ += lines;
    position_ = LinePosition{current_, lines_in_file_};
}

bool LineReader::read_into(std::string& text, std::size_t bytes, const BatchContext& ctx,
                           std::string* stale) {
    const std::size_t held = end_ - begin_;
    if (bom_pending_ || skipping_ || at_end_ || held > bytes || held > max_line_ ||
        input_->may_block()) {
        return false;
    }
    const std::size_t base = text.size();
    if (base == 0 && stale != nullptr && stale->size() > 0) text.swap(*stale);
    if (text.size() < base + held + bytes) text.resize(base + held + bytes);
    std::memcpy(text.data() + base, buffer_.data() + begin_, held);
    std::size_t got = 0;
    const ByteInput::Status status = input_->read(text.data() + base + held, bytes, got, ctx);
    if (status != ByteInput::Status::data) {
        text.resize(base);
        at_end_ = status == ByteInput::Status::end;
        return false;
    }
    text.resize(base + held + got);
    begin_ = scanned_ = end_ = 0;
    return true;
}

void LineReader::unread(std::string_view rest, std::uint64_t lines) {
    if (rest.size() > buffer_.size()) buffer_.resize(rest.size() + chunk);
    std::memcpy(buffer_.data(), rest.data(), rest.size());
    begin_ = scanned_ = 0;
    end_ = rest.size();
    lines_in_file_ += lines;
    position_ = LinePosition{current_, lines_in_file_};
}

bool LineReader::may_block() const noexcept { return input_->may_block(); }

std::uint64_t LineReader::taken() const noexcept { return taken_before_ + input_->consumed(); }

LineReader::Got LineReader::take(std::string& line, std::size_t length, std::size_t newline,
                                 bool append) {
    const char* const first = buffer_.data() + begin_;
    std::size_t kept = length;
    if (kept != 0 && first[kept - 1] == '\r') --kept;
    crlf_ = newline != 0 && kept != length;
    begin_ += length + newline;
    scanned_ = begin_;
    count_line();
    if (kept > max_line_) return Got::too_long;
    if (append) {
        line.append(first, kept);
    } else {
        line.assign(first, kept);
    }
    return Got::line;
}

void LineReader::count_line() noexcept { position_ = LinePosition{current_, ++lines_in_file_}; }

bool LineReader::fill(const BatchContext& ctx) {
    make_room();
    std::size_t got = 0;
    switch (input_->read(buffer_.data() + end_, buffer_.size() - end_, got, ctx)) {
        case ByteInput::Status::stopped:
            return false;
        case ByteInput::Status::end:
            at_end_ = true;
            break;
        case ByteInput::Status::data:
            end_ += got;
            break;
    }
    return true;
}

void LineReader::make_room() {
    const std::size_t capacity = buffer_.size();
    const std::size_t held = end_ - begin_;
    const bool oversized = capacity > shrink_above && held + chunk <= first_capacity;
    if (!oversized && capacity - end_ >= chunk) return;
    // Once the bytes before begin_ are returned, move the unfinished line to the front: each
    // byte moves at most once, since begin_ stays 0 until the line it belongs to is returned.
    if (begin_ != 0) std::memmove(buffer_.data(), buffer_.data() + begin_, held);
    scanned_ -= begin_;
    begin_ = 0;
    end_ = held;
    if (oversized) {
        buffer_.resize(first_capacity);    // after a long line, give the memory back
    } else if (held + chunk > capacity) {  // double, but not far past what the cap needs
        const std::size_t enough = max_line_ + 2 + chunk;
        buffer_.resize(std::max(std::min(2 * capacity, enough), held + chunk));
    }
}

bool LineReader::open_next_file() {
    if (current_ + 1 >= files_.size()) return false;
    std::unique_ptr<ByteInput> next;
    try {
        next = std::make_unique<ByteInput>(files_[current_ + 1]);
    } catch (const UsageError& gone) {  // there when the run began: the input is cut short
        throw InputError(gone.what());
    }
    taken_before_ += input_->consumed();
    input_ = std::move(next);
    ++current_;
    begin_ = scanned_ = end_ = 0;
    at_end_ = false;
    bom_pending_ = true;
    lines_in_file_ = 0;
    return true;
}

}  // namespace flowpool::detail
