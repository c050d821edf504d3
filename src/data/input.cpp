// Opening inputs, expanding globs, and the gzip and zstd decoders behind ByteInput.

#include "input.hpp"

#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <stdexcept>
#include <system_error>

namespace flowpool::detail {

std::vector<std::string> expand_paths(const std::string& path) {
    if (path == "-" || path.find_first_of("*?[") == std::string::npos) return {path};
    glob_t found{};
    const int status = ::glob(path.c_str(), GLOB_NOSORT, nullptr, &found);
    std::vector<std::string> files;
    if (status == 0) {
        for (std::size_t i = 0; i < found.gl_pathc; ++i) {
            struct stat info {};
            if (::stat(found.gl_pathv[i], &info) != 0 || !S_ISREG(info.st_mode)) continue;
            std::string file = found.gl_pathv[i];
            files.push_back(file == "-" ? "./-" : std::move(file));  // a file named "-" is no stdin
        }
    }
    ::globfree(&found);
    if (status != 0 && status != GLOB_NOMATCH) {
        throw UsageError("cannot list the files matching '" + path + "'");
    }
    if (files.empty()) throw UsageError("no file matches '" + path + "'");
    std::sort(files.begin(), files.end());  // byte order, whatever the locale
    return files;
}

/// Turns compressed bytes into plain ones, a piece at a time.
class ByteInput::Decoder {
public:
    virtual ~Decoder() = default;
    /// Decodes from @p in (@p in_size bytes; @p used of them taken) into @p out (@p got written).
    virtual void decode(const char* in, std::size_t in_size, std::size_t& used, char* out,
                        std::size_t capacity, std::size_t& got) = 0;
    /// True if the data so far ends a whole member or frame: the input may end here.
    [[nodiscard]] virtual bool at_boundary() const noexcept = 0;
    /// `gzip` or `zstd`, for messages.
    [[nodiscard]] virtual const char* format() const noexcept = 0;
};

namespace {

InputError corrupt(const std::string& name, const char* format, const std::string& why) {
    return InputError("'" + name + "': corrupt " + format + " data: " + why);
}

}  // namespace

/// zlib's inflate with a gzip header; after a member's trailer, the next member starts afresh.
class ByteInput::GzipDecoder final : public Decoder {
public:
    explicit GzipDecoder(std::string name) : name_(std::move(name)) {
        if (::inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
    }
    ~GzipDecoder() override { ::inflateEnd(&stream_); }
    GzipDecoder(const GzipDecoder&) = delete;
    GzipDecoder& operator=(const GzipDecoder&) = delete;

    void decode(const char* in, std::size_t in_size, std::size_t& used, char* out,
                std::size_t capacity, std::size_t& got) override {
        if (boundary_ && in_size != 0) {  // bytes after a member: the next member
            ::inflateReset(&stream_);
            boundary_ = false;
        }
        // zlib counts in uInt: a piece of at most 1 GiB at a time is plenty.
        constexpr std::size_t most = std::size_t{1} << 30;
        stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
        stream_.avail_in = static_cast<uInt>(std::min(in_size, most));
        stream_.next_out = reinterpret_cast<Bytef*>(out);
        stream_.avail_out = static_cast<uInt>(std::min(capacity, most));
        const uInt in_before = stream_.avail_in;
        const uInt out_before = stream_.avail_out;
        const int status = ::inflate(&stream_, Z_NO_FLUSH);
        used = in_before - stream_.avail_in;
        got = out_before - stream_.avail_out;
        if (status == Z_STREAM_END) {
            boundary_ = true;
        } else if (status != Z_OK && status != Z_BUF_ERROR) {
            throw corrupt(
                name_, "gzip",
                stream_.msg != nullptr ? stream_.msg : "zlib error " + std::to_string(status));
        }
    }
    [[nodiscard]] bool at_boundary() const noexcept override { return boundary_; }
    [[nodiscard]] const char* format() const noexcept override { return "gzip"; }

private:
    std::string name_;
    z_stream stream_{};
    bool boundary_ = false;
};

/// zstd's streaming decompression; frames one after another are one stream to it.
class ByteInput::ZstdDecoder final : public Decoder {
public:
    explicit ZstdDecoder(std::string name) : name_(std::move(name)), context_(ZSTD_createDCtx()) {
        if (context_ == nullptr) throw std::bad_alloc();
    }
    ~ZstdDecoder() override { ZSTD_freeDCtx(context_); }
    ZstdDecoder(const ZstdDecoder&) = delete;
    ZstdDecoder& operator=(const ZstdDecoder&) = delete;

    void decode(const char* in, std::size_t in_size, std::size_t& used, char* out,
                std::size_t capacity, std::size_t& got) override {
        ZSTD_inBuffer input{in, in_size, 0};
        ZSTD_outBuffer output{out, capacity, 0};
        const std::size_t hint = ZSTD_decompressStream(context_, &output, &input);
        if (ZSTD_isError(hint)) throw corrupt(name_, "zstd", ZSTD_getErrorName(hint));
        used = input.pos;
        got = output.pos;
        if (used != 0 || got != 0) boundary_ = hint == 0;  // 0: a frame ended, all flushed
    }
    [[nodiscard]] bool at_boundary() const noexcept override { return boundary_; }
    [[nodiscard]] const char* format() const noexcept override { return "zstd"; }

private:
    std::string name_;
    ZSTD_DCtx* context_;
    bool boundary_ = false;
};

namespace {
constexpr std::size_t raw_chunk = 128 * 1024;
}  // namespace

int open_without_waiting(const std::string& path, int flags) noexcept {
    const int fd = ::open(path.c_str(), flags | O_NONBLOCK, 0666);
    if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

ByteInput::ByteInput(const std::string& path)
    : name_(path),
      fd_(path == "-" ? STDIN_FILENO : open_without_waiting(path, O_RDONLY | O_CLOEXEC)) {
    if (fd_.get() < 0) throw open_error(path, "reading");
    struct stat info {};
    if (::fstat(fd_.get(), &info) != 0) throw open_error(path, "reading");
    if (S_ISDIR(info.st_mode)) throw UsageError("cannot read '" + path + "': it is a directory");
    may_block_ = !S_ISREG(info.st_mode);
    if (!may_block_) {  // a file (or one given as standard input): its bytes from here on
        const off_t at = std::max<off_t>(::lseek(fd_.get(), 0, SEEK_CUR), 0);
        size_ = static_cast<std::uint64_t>(std::max<off_t>(info.st_size - at, 0));
    }
}

ByteInput::ByteInput(std::string name, std::string bytes)
    : name_(std::move(name)), memory_(std::move(bytes)), size_(memory_.size()) {}

ByteInput::~ByteInput() = default;

ByteInput::Status ByteInput::read(char* out, std::size_t capacity, std::size_t& got,
                                  const BatchContext& ctx) {
    got = 0;
    if (!detected_ && !detect(ctx)) return Status::stopped;
    if (capacity == 0) return Status::data;
    if (!decoder_) {  // plain bytes: what detect() buffered, then straight into out
        if (raw_begin_ < raw_end_at_) {
            got = std::min(capacity, raw_end_at_ - raw_begin_);
            std::memcpy(out, raw_.data() + raw_begin_, got);
            raw_begin_ += got;
            return Status::data;
        }
        if (raw_end_) return Status::end;
        const std::size_t n = read_raw(out, capacity, ctx);
        if (n == stopped_read) return Status::stopped;
        if (n == 0) raw_end_ = true;
        got = n;
        return n == 0 ? Status::end : Status::data;
    }
    for (;;) {
        if (raw_begin_ == raw_end_at_ && !raw_end_ && !refill(ctx)) return Status::stopped;
        std::size_t used = 0;
        decoder_->decode(raw_.data() + raw_begin_, raw_end_at_ - raw_begin_, used, out, capacity,
                         got);
        raw_begin_ += used;
        if (got != 0) return Status::data;
        if (raw_begin_ == raw_end_at_) {
            if (!raw_end_) continue;
            if (decoder_->at_boundary()) return Status::end;
            throw InputError("'" + name_ + "': truncated " + decoder_->format() + " data");
        }
        if (used == 0) {  // input and room for output, yet no progress: never for valid data
            throw corrupt(name_, decoder_->format(), "the decoder makes no progress");
        }
    }
}

namespace {

enum class Format { undecided, plain, gzip, zstd };

/// What the first @p size bytes at @p head say. Undecided only while they are a beginning of a
/// magic number, so that a pipe's first short line is not held back waiting for more bytes.
Format format_of(const unsigned char* head, std::size_t size) noexcept {
    static constexpr unsigned char gzip_magic[] = {0x1f, 0x8b};
    static constexpr unsigned char zstd_magic[] = {0x28, 0xb5, 0x2f, 0xfd};
    auto matches = [&](const unsigned char* magic, std::size_t length) {
        return std::memcmp(head, magic, std::min(size, length)) == 0;
    };
    if (size == 0) return Format::undecided;
    if (matches(gzip_magic, sizeof gzip_magic)) {
        return size >= sizeof gzip_magic ? Format::gzip : Format::undecided;
    }
    if (matches(zstd_magic, sizeof zstd_magic)) {
        return size >= sizeof zstd_magic ? Format::zstd : Format::undecided;
    }
    return Format::plain;
}

}  // namespace

bool ByteInput::detect(const BatchContext& ctx) {
    raw_.resize(raw_chunk);
    const auto* head = reinterpret_cast<const unsigned char*>(raw_.data());
    Format format = Format::undecided;
    while ((format = format_of(head, raw_end_at_)) == Format::undecided && !raw_end_) {
        const std::size_t n = read_raw(raw_.data() + raw_end_at_, raw_.size() - raw_end_at_, ctx);
        if (n == stopped_read) return false;
        if (n == 0) raw_end_ = true;
        raw_end_at_ += n;
    }
    if (format == Format::gzip) decoder_ = std::make_unique<GzipDecoder>(name_);
    if (format == Format::zstd) decoder_ = std::make_unique<ZstdDecoder>(name_);
    detected_ = true;
    return true;
}

bool ByteInput::refill(const BatchContext& ctx) {
    raw_begin_ = 0;
    raw_end_at_ = 0;
    const std::size_t n = read_raw(raw_.data(), raw_.size(), ctx);
    if (n == stopped_read) return false;
    if (n == 0) raw_end_ = true;
    raw_end_at_ = n;
    return true;
}

std::size_t ByteInput::read_raw(char* out, std::size_t capacity, const BatchContext& ctx) {
    if (fd_.get() < 0) {  // from memory
        const std::size_t n = std::min(capacity, memory_.size() - memory_at_);
        std::memcpy(out, memory_.data() + memory_at_, n);
        memory_at_ += n;
        consumed_ += n;
        return n;
    }
    for (;;) {
        if (may_block_ && !wait_readable(ctx)) return stopped_read;
        const ssize_t n = ::read(fd_.get(), out, capacity);
        if (n >= 0) {
            consumed_ += static_cast<std::uint64_t>(n);
            return static_cast<std::size_t>(n);
        }
        if (errno != EINTR) {
            throw InputError("cannot read '" + name_ +
                             "': " + std::generic_category().message(errno));
        }
        if (ctx.stop_requested()) return stopped_read;
    }
}

bool ByteInput::wait_readable(const BatchContext& ctx) const {
    // Every 100 ms: is the run stopping? (A signal need not interrupt this thread's read.)
    pollfd wanted{fd_.get(), POLLIN, 0};
    for (;;) {
        if (ctx.stop_requested()) return false;
        const int ready = ::poll(&wanted, 1, 100);
        if (ready > 0) return true;
        if (ready < 0 && errno != EINTR) {
            throw InputError("cannot wait for '" + name_ +
                             "': " + std::generic_category().message(errno));
        }
    }
}

}  // namespace flowpool::detail
