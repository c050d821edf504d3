#pragma once
// The bytes of one input: a file or standard input, decompressed by what it holds (gzip, zstd or
// neither), and the list of files a path names (a glob pattern, or one path).

#include <flowpool/body.hpp>
#include <flowpool/error.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flowpool::detail {

/// `cannot open 'PATH' for WHAT: REASON` for the errno of a failed call.
inline UsageError open_error(const std::string& path, const char* what) {
    return UsageError("cannot open '" + path + "' for " + what + ": " + std::strerror(errno));
}

/// open(2) of @p path with @p flags that never waits: a FIFO is opened at once, whether or not
/// its other end is open (O_NONBLOCK for the open only: the descriptor returned blocks). For
/// writing, a FIFO nobody reads fails with ENXIO; for reading, a FIFO nobody writes yet opens,
/// and poll(2) waits for its first bytes. A blocking open would wait in the kernel where a stop
/// of the run cannot reach it. -1 with errno set if it fails.
int open_without_waiting(const std::string& path, int flags) noexcept;

/// A file descriptor closed on destruction; standard input and output are never closed.
class Descriptor {
public:
    explicit Descriptor(int fd) noexcept : fd_(fd) {}
    ~Descriptor() { reset(-1); }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;

    [[nodiscard]] int get() const noexcept { return fd_; }
    /// Closes the descriptor held, unless it is one of the standard three, and holds @p fd.
    void reset(int fd) noexcept {
        if (fd_ > STDERR_FILENO) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_;
};

/// The files @p path names: `-` (standard input) as is; a pattern with `*`, `?` or `[` as the
/// regular files glob(3) matches, in byte order of their names (UsageError `no file matches
/// 'PATTERN'` if none); any other path as is (whether it opens is found out when it is read).
/// @code
/// for (const std::string& file : expand_paths("logs/*.log.gz")) read(file);
/// @endcode
std::vector<std::string> expand_paths(const std::string& path);

/// One file or standard input as a stream of bytes, decompressed by content: gzip (magic 1f 8b,
/// members one after another are read as one stream), zstd (magic 28 b5 2f fd, frames one after
/// another likewise) or, for anything else, the bytes as they are. A name ending in `.gz` says
/// nothing: a plain text file so named is read as plain text. Truncated or corrupt compressed data
/// throws InputError naming the file.
class ByteInput {
public:
    /// What read() did.
    enum class Status { data, end, stopped };

    /// Opens @p path (`-`: standard input). Throws UsageError if it cannot, or if it is a
    /// directory.
    explicit ByteInput(const std::string& path);
    /// Reads @p bytes as if they were the file @p name (tests and fuzzers).
    ByteInput(std::string name, std::string bytes);
    ~ByteInput();
    ByteInput(const ByteInput&) = delete;
    ByteInput& operator=(const ByteInput&) = delete;

    /// Reads up to @p capacity decompressed bytes into @p out; @p got tells how many. `data`
    /// with got > 0, `end` once the input is over, `stopped` if @p ctx asked to stop while a
    /// read from a pipe or terminal waited (polled every 100 ms). Throws InputError on a read
    /// error and on truncated or corrupt compressed data.
    Status read(char* out, std::size_t capacity, std::size_t& got, const BatchContext& ctx);

    /// True if reading could wait for a writer (a pipe or a terminal, not a file).
    [[nodiscard]] bool may_block() const noexcept { return may_block_; }
    /// The bytes the file held on disk from where reading began (compressed, if it is); 0 for a
    /// pipe or a terminal.
    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
    /// The raw (on disk, so maybe compressed) bytes read so far: progress against size().
    [[nodiscard]] std::uint64_t consumed() const noexcept { return consumed_; }
    /// The path as given (`-` for standard input).
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

private:
    class Decoder;
    class GzipDecoder;
    class ZstdDecoder;

    /// Reads raw bytes into [out, out + capacity): their count, 0 at the end, or `stopped_read`.
    std::size_t read_raw(char* out, std::size_t capacity, const BatchContext& ctx);
    /// Refills raw_ if it is empty. False if stopped while waiting.
    bool refill(const BatchContext& ctx);
    /// Looks at the first bytes and picks the decoder. False if stopped while waiting.
    bool detect(const BatchContext& ctx);
    /// Waits until a read would not block. False if @p ctx asked to stop.
    bool wait_readable(const BatchContext& ctx) const;

    static constexpr std::size_t stopped_read = static_cast<std::size_t>(-1);

    std::string name_;
    Descriptor fd_{-1};
    std::string memory_;  // the bytes, for an input made from memory
    std::size_t memory_at_ = 0;
    bool may_block_ = false;
    std::uint64_t size_ = 0;
    std::uint64_t consumed_ = 0;
    bool detected_ = false;
    bool raw_end_ = false;              // the raw source is exhausted
    std::string raw_;                   // raw bytes read and not yet decoded
    std::size_t raw_begin_ = 0;         // first byte of raw_ not yet decoded
    std::size_t raw_end_at_ = 0;        // one past the last raw byte held
    std::unique_ptr<Decoder> decoder_;  // null: the bytes as they are
};

}  // namespace flowpool::detail
