#pragma once
// Reading the files a path names (a glob, a file, standard input; gzip and zstd decompressed) as
// lines, one file after another, a chunk at a time: memory holds one chunk and the longest line
// up to a cap, never the whole input, and each byte is looked at a bounded number of times.

#include <flowpool/body.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "input.hpp"
#include "page_buffer.hpp"

namespace flowpool::detail {

/// Where a line came from: the file (an index into LineReader::files()) and its line there,
/// counted from 1.
struct LinePosition {
    std::uint32_t file = 0;  ///< index into LineReader::files()
    std::uint64_t line = 0;  ///< 1-based within that file
};

/// Splits the files a path names into lines.
/// @code
/// LineReader reader("logs/*.log.gz");
/// std::string line;
/// for (LineReader::Got got; (got = reader.next(line, ctx)) != LineReader::Got::end;) { ... }
/// @endcode
class LineReader {
public:
    /// What next() found.
    enum class Got {
        line,      ///< a line, in the string given
        too_long,  ///< a line longer than the cap: skipped, not buffered; position() tells where
        end,       ///< no more lines in any file
        stopped,   ///< the context asked to stop while a read from a pipe waited
    };

    /// Reads the files expand_paths(@p path) names, in that order; a line of more than
    /// @p max_line_bytes bytes (without its line end) is reported as too_long. Opens the first
    /// file now: throws UsageError if it cannot, if a later one does not exist, or if no file
    /// matches a pattern.
    explicit LineReader(const std::string& path, std::size_t max_line_bytes = 64 << 20);
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    /// Reads the next line into @p line, without its '\n' or '\r\n' (and, on a file's first
    /// line, without a UTF-8 byte order mark); with @p append, adds it to what @p line holds.
    /// Throws InputError on a read error, on truncated or corrupt compressed data, and if a later
    /// file cannot be opened (they were all there when the reader was made).
    Got next(std::string& line, const BatchContext& ctx, bool append = false);

    /// Where the line (or too long line) next() returned last is.
    [[nodiscard]] const LinePosition& position() const noexcept { return position_; }
    /// True if the line next() returned last ended with "\r\n" (its '\r' taken off), not '\n':
    /// a reader that joins lines again (a quoted CSV field) puts back what was there.
    [[nodiscard]] bool ended_with_crlf() const noexcept { return crlf_; }
    /// The files read, in order; `-` is standard input.
    [[nodiscard]] const std::vector<std::string>& files() const noexcept { return files_; }
    /// True if the line next() returned last is the first of a file after the first one.
    [[nodiscard]] bool new_file() const noexcept {
        return position_.file != 0 && position_.line == 1;
    }

    /// True if next() would return without waiting for a writer: a whole line is buffered, or
    /// the current file is over. Amortised O(1): a byte is scanned for '\n' once.
    [[nodiscard]] bool line_ready() const noexcept;
    /// The bytes read ahead of the lines returned so far, as next() would hand them out (no
    /// byte order mark left to check, not inside a too long line; else empty): a caller that
    /// takes the whole lines in them itself, with skip_buffered(), saves a call per line.
    /// Valid until the next call of a member that is not const.
    [[nodiscard]] std::string_view buffered() const noexcept;
    /// Consumes the first @p bytes of buffered(): @p lines whole lines, the last ending with
    /// '\n'. position() is then the last of them.
    void skip_buffered(std::size_t bytes, std::uint64_t lines) noexcept;
    /// For a caller that cuts lines itself, to save copying each byte from the reader's buffer to
    /// its own: appends to @p text what is buffered (lines read ahead, then an unfinished one)
    /// and then up to @p bytes read straight behind it, on the caller's thread, so that the bytes
    /// are written once, where the caller keeps them. The caller takes the whole lines, then
    /// gives the rest back with unread(). False, with @p text as it was, when it cannot: a byte
    /// order mark or a too long line is pending, what is buffered is longer than @p bytes or
    /// than max_line_bytes(), the file is over, or reading could wait for a writer (a pipe).
    /// Throws as next() does. With @p stale, a string whose bytes are no longer wanted, an empty
    /// @p text is first swapped with it and its bytes written over: std::string cannot grow
    /// without writing each new byte, and zeroing a batch's text took 2-3 % of a `jsonl` run.
    bool read_into(std::string& text, std::size_t bytes, const BatchContext& ctx,
                   std::string* stale = nullptr);
    /// After read_into(): counts @p lines whole lines taken from what it appended, and puts
    /// @p rest, the bytes after them, back in front of what is buffered.
    void unread(std::string_view rest, std::uint64_t lines);
    /// Where the first line of buffered() is.
    [[nodiscard]] LinePosition buffered_position() const noexcept {
        return {current_, lines_in_file_ + 1};
    }

    /// The longest line next() returns; longer ones are too_long.
    [[nodiscard]] std::size_t max_line_bytes() const noexcept { return max_line_; }
    /// Why the line next() returned last as too_long fails its job:
    /// `FILE:LINE: line longer than max_line_bytes (N)`.
    [[nodiscard]] std::string too_long_error() const {
        return files_[position_.file] + ":" + std::to_string(position_.line) +
               ": line longer than max_line_bytes (" + std::to_string(max_line_) + ")";
    }
    /// True if reading more could wait for a writer (a pipe or a terminal, not a file).
    [[nodiscard]] bool may_block() const noexcept;
    /// True if some file it reads is a pipe or a terminal: reading could wait for a writer.
    [[nodiscard]] bool may_wait() const noexcept { return may_wait_; }
    /// The bytes all files hold on disk from where reading began (compressed, if they are); 0
    /// if one is a pipe or a terminal.
    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
    /// The raw (on disk, so maybe compressed) bytes read so far, read-ahead included: progress
    /// against size().
    [[nodiscard]] std::uint64_t taken() const noexcept;

private:
    /// Reads more of the current file behind what is buffered. False if stopped.
    bool fill(const BatchContext& ctx);
    /// Makes room for at least one more chunk behind end_.
    void make_room();
    /// Opens the next file. False if there is none.
    bool open_next_file();
    /// Hands [begin_, begin_ + length) to @p line without a final '\r' (appended if @p append);
    /// skips @p newline more.
    Got take(std::string& line, std::size_t length, std::size_t newline, bool append);
    /// Drops a UTF-8 byte order mark at the start of the file once enough bytes tell.
    void skip_byte_order_mark() noexcept;
    /// Counts the line being returned.
    void count_line() noexcept;

    std::vector<std::string> files_;
    std::size_t max_line_;
    std::unique_ptr<ByteInput> input_;
    std::uint32_t current_ = 0;  // index of input_'s file in files_
    std::uint64_t size_ = 0;
    bool may_wait_ = false;
    std::uint64_t taken_before_ = 0;  // raw bytes of the files already closed
    PageBuffer buffer_;
    std::size_t begin_ = 0;            // first byte not yet returned
    mutable std::size_t scanned_ = 0;  // [begin_, scanned_) holds no '\n'
    std::size_t end_ = 0;              // one past the last byte read
    bool at_end_ = false;              // the current file is over
    bool bom_pending_ = true;          // a byte order mark may still start the current file
    bool skipping_ = false;            // inside a too long line, dropping its bytes
    std::uint64_t lines_in_file_ = 0;
    LinePosition position_;
    bool crlf_ = false;  // the line returned last ended with "\r\n"
};

/// For a source cutting a batch of jobs from a LineReader: an error reading on (a truncated .gz,
/// a failing disk) after some jobs of the batch were cut is kept, so that the batch, whole lines
/// read before the error, is passed on, and thrown by the source's next call.
class ReadErrorAfterJobs {
public:
    /// Throws the error kept, if one is: at the start of the source's next call.
    void throw_kept() {
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    }
    /// True while an error is kept: the source reads no more, and passes on what it read
    /// before the error first.
    [[nodiscard]] bool holds() const noexcept { return error_ != nullptr; }
    /// Calls @p read; if it throws when the batch holds @p jobs (not 0), keeps the error and
    /// returns false: the batch ends there.
    template <class Read>
    bool read(std::size_t jobs, Read&& read) {
        try {
            std::forward<Read>(read)();
            return true;
        } catch (...) {
            if (jobs == 0) throw;
            error_ = std::current_exception();
            return false;
        }
    }

private:
    std::exception_ptr error_;
};

}  // namespace flowpool::detail
