#include "read_text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <flowpool/graph.hpp>
#include <optional>

#include "common/utf8.hpp"

namespace flowpool::detail {
namespace {

/// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

[[noreturn]] void fail(const std::string& path, const std::string& message) {
    throw ConfigError(SourceLocation{path}, message);
}

/// The error for a file of @p bytes (a regular file), or for a stream that went past the limit.
std::string too_big(std::optional<std::size_t> bytes) {
    std::string what = "more than 1 MiB of input";
    if (bytes) {
        char size[32];
        std::snprintf(size, sizeof size, "%.1f MB", static_cast<double>(*bytes) / 1e6);
        what = std::string("the file is ") + size;
    }
    return what + "; a graph file may be at most 1 MiB";
}

}  // namespace

std::string read_graph_text(const std::string& path) {
    // O_NONBLOCK: opening a FIFO that has no writer must not wait for one.
    const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0)
        fail(path, std::string("cannot open: ") + std::strerror(errno));
    if (S_ISDIR(info.st_mode)) fail(path, "is a directory, not a graph file");
    if (S_ISREG(info.st_mode) && static_cast<std::size_t>(info.st_size) > max_graph_file_bytes) {
        fail(path, too_big(static_cast<std::size_t>(info.st_size)));
    }
    // Reads block again, so a pipe (`<(command)`) is read to its end.
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);

    std::string text;
    char buffer[65536];
    for (;;) {
        const ::ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(path, std::string("cannot read: ") + std::strerror(errno));
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        // A device or pipe that never ends (/dev/zero) stops here too.
        if (text.size() > max_graph_file_bytes) fail(path, too_big(std::nullopt));
    }
    return text;
}

void check_utf8_text(std::string_view text, const std::string& file) {
    int line = 1;
    int column = 1;
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead == 0) {
            throw ConfigError(SourceLocation{file, line, column},
                              "a NUL byte: this is a binary file, not a graph file (YAML text)");
        }
        bool valid = false;
        const std::size_t n = utf8_sequence_at(text.substr(i), valid);
        if (!valid) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(lead));
            throw ConfigError(
                SourceLocation{file, line, column},
                std::string("invalid UTF-8 (byte ") + hex + "): a graph file is UTF-8 text");
        }
        // Columns count bytes, as the YAML parser's positions do.
        if (lead == '\n') {
            ++line;
            column = 1;
        } else {
            column += static_cast<int>(n);
        }
        i += n;
    }
}

}  // namespace flowpool::detail
