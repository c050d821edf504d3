#pragma once
// Reading a file, a pipe or standard input as lines, a chunk at a time: memory holds one chunk
// and the longest line, never the whole input. Also the descriptor wrapper and the "cannot open"
// error the file ops share.

#include <flowpool/error.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace flowpool::detail {

/// `cannot open 'PATH' for WHAT: REASON` for the errno of a failed call.
inline UsageError open_error(const std::string& path, const char* what) {
    return UsageError("cannot open '" + path + "' for " + what + ": " + std::strerror(errno));
}

/// A file descriptor closed on destruction; standard input and output are never closed.
class Descriptor {
public:
    explicit Descriptor(int fd) noexcept : fd_(fd) {}
    ~Descriptor() {
        if (fd_ > STDERR_FILENO) ::close(fd_);
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;

    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

/// Splits what a descriptor reads into lines, a chunk at a time: memory holds one chunk and the
/// longest line, never the whole input.
class LineReader {
public:
    /// Opens @p path for reading (`-`: standard input). Throws UsageError if it cannot.
    explicit LineReader(const std::string& path)
        : fd_(path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd_.get() < 0) throw open_error(path, "reading");
        struct stat info {};
        if (::fstat(fd_.get(), &info) != 0) throw open_error(path, "reading");
        if (S_ISDIR(info.st_mode)) {
            throw UsageError("cannot read lines from '" + path + "': it is a directory");
        }
        may_block_ = !S_ISREG(info.st_mode);
        if (!may_block_) {  // a file (or one given as standard input): its bytes from here on
            const off_t at = std::max<off_t>(::lseek(fd_.get(), 0, SEEK_CUR), 0);
            size_ = static_cast<std::uint64_t>(std::max<off_t>(info.st_size - at, 0));
        }
    }

    /// True if a whole line is buffered, or the input ended with one unfinished.
    [[nodiscard]] bool line_ready() const noexcept {
        return std::memchr(buffer_.data() + begin_, '\n', end_ - begin_) != nullptr ||
               (at_end_ && begin_ < end_);
    }
    /// True if reading more could wait for a writer (a pipe or a terminal, not a file).
    [[nodiscard]] bool may_block() const noexcept { return may_block_; }
    /// The bytes a file held from where reading began when it was opened; 0 for a pipe or a
    /// terminal.
    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
    /// The bytes returned as lines so far, line ends included.
    [[nodiscard]] std::uint64_t taken() const noexcept { return taken_; }

    /// Reads the next line into @p line, without its '\n' and a '\r' before it. False at the
    /// end of the input, or if @p ctx asks to stop while a read waits. Throws on a read error.
    bool next(std::string& line, const BatchContext& ctx) {
        for (;;) {
            const char* first = buffer_.data() + begin_;
            if (const auto* newline =
                    static_cast<const char*>(std::memchr(first, '\n', end_ - begin_))) {
                take(line, static_cast<std::size_t>(newline - first), 1);
                return true;
            }
            if (at_end_) {
                if (begin_ == end_) return false;
                take(line, end_ - begin_, 0);  // the last line has no '\n'
                return true;
            }
            if (!fill(ctx)) return false;
        }
    }

private:
    static constexpr std::size_t chunk = 64 * 1024;

    void take(std::string& line, std::size_t length, std::size_t newline) {
        std::size_t kept = length;
        if (kept != 0 && buffer_[begin_ + kept - 1] == '\r') --kept;
        line.assign(buffer_.data() + begin_, kept);
        begin_ += length + newline;
        taken_ += length + newline;
    }

    /// Reads one more chunk behind what is buffered. False if stopped while waiting.
    bool fill(const BatchContext& ctx) {
        if (begin_ != 0) {
            std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (buffer_.size() - end_ < chunk)
            buffer_.resize(std::max(2 * buffer_.size(), end_ + chunk));
        for (;;) {
            if (may_block_ && !wait_readable(ctx)) return false;
            const ssize_t n = ::read(fd_.get(), buffer_.data() + end_, buffer_.size() - end_);
            if (n > 0) {
                end_ += static_cast<std::size_t>(n);
                return true;
            }
            if (n == 0) {
                at_end_ = true;
                return true;
            }
            if (errno != EINTR)
                throw std::system_error(errno, std::generic_category(), "cannot read lines");
            if (ctx.stop_requested()) return false;
        }
    }

    /// Waits until a read would not block, looking every 100 ms whether the run is stopping (a
    /// signal need not interrupt this thread's read). False if it is.
    bool wait_readable(const BatchContext& ctx) const {
        pollfd wanted{fd_.get(), POLLIN, 0};
        for (;;) {
            if (ctx.stop_requested()) return false;
            const int ready = ::poll(&wanted, 1, 100);
            if (ready > 0) return true;
            if (ready < 0 && errno != EINTR) {
                throw std::system_error(errno, std::generic_category(), "cannot wait for lines");
            }
        }
    }

    Descriptor fd_;
    bool may_block_ = false;
    std::uint64_t size_ = 0;
    std::uint64_t taken_ = 0;
    std::string buffer_;
    std::size_t begin_ = 0;  // first byte not yet returned
    std::size_t end_ = 0;    // one past the last byte read
    bool at_end_ = false;
};

}  // namespace flowpool::detail
