#include "line_output.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace flowpool::detail {

void LineOutput::write(std::string_view lines) {
    if (write_some(lines) != lines.size()) throw std::runtime_error(failure());
}

std::size_t LineOutput::write_some(std::string_view lines) noexcept {
    const std::lock_guard lock(mutex_);
    if (error_.load() != 0) return 0;
    if (fd_ < 0) {
        try {
            kept_.append(lines);
        } catch (...) {
            error_.store(ENOMEM);
            return 0;
        }
        return lines.size();
    }
    std::size_t written = 0;
    while (written < lines.size()) {
        const ssize_t n = ::write(fd_, lines.data() + written, lines.size() - written);
        if (n >= 0) {
            written += static_cast<std::size_t>(n);
        } else if (errno != EINTR) {
            error_.store(errno);
            cut_torn_line(lines.substr(0, written));
            break;
        }
    }
    return written;
}

void LineOutput::cut_torn_line(std::string_view written) const noexcept {
    const std::size_t whole = written.find_last_of('\n') + 1;  // 0 if no line got out whole
    struct stat info {};
    if (!own_file_ || whole == written.size() || ::fstat(fd_, &info) != 0 ||
        !S_ISREG(info.st_mode)) {
        return;
    }
    // Best effort: if it fails, the file ends in part of a line, as it would without this.
    const off_t end = ::lseek(fd_, 0, SEEK_CUR);
    if (end >= 0) {
        [[maybe_unused]] const int cut =
            ::ftruncate(fd_, end - static_cast<off_t>(written.size() - whole));
    }
}

std::string LineOutput::failure() const {
    const int error = error_.load();
    return error == 0 ? std::string() : "cannot write to " + name_ + ": " + std::strerror(error);
}

bool LineOutput::closed() const noexcept { return error_.load() == EPIPE; }

std::vector<std::string> LineOutput::lines(bool quoted_line_ends) const {
    const std::lock_guard lock(mutex_);
    std::vector<std::string> all;
    std::size_t start = 0;
    while (start < kept_.size()) {
        std::size_t end = kept_.find('\n', start);
        // CSV quotes every field that holds a quote, doubling it: a line end after an odd
        // number of quotes in its row is inside a quoted field.
        std::size_t quotes = 0;
        for (std::size_t counted = start; quoted_line_ends && end != std::string::npos;) {
            quotes += static_cast<std::size_t>(
                std::count(kept_.begin() + static_cast<std::ptrdiff_t>(counted),
                           kept_.begin() + static_cast<std::ptrdiff_t>(end), '"'));
            if (quotes % 2 == 0) break;
            counted = end;
            end = kept_.find('\n', end + 1);
        }
        if (end == std::string::npos) {
            all.push_back(kept_.substr(start));
            break;
        }
        all.push_back(kept_.substr(start, end - start));
        start = end + 1;
    }
    return all;
}

LineOutput& LineOutput::stdout_lines() {
    static LineOutput out(STDOUT_FILENO, "standard output");
    return out;
}

namespace {
thread_local SinkRedirect* active_redirect = nullptr;
}  // namespace

LineOutput* LineOutput::redirected() noexcept {
    if (active_redirect == nullptr) return nullptr;
    active_redirect->taken_ = true;
    return &active_redirect->to_;
}

SinkRedirect::SinkRedirect(LineOutput& to) noexcept : to_(to), outer_(active_redirect) {
    active_redirect = this;
}

SinkRedirect::~SinkRedirect() { active_redirect = outer_; }

namespace {
std::atomic<int> appending{0};  // SinkFilesAppend alive in the process
}  // namespace

SinkFilesAppend::SinkFilesAppend() noexcept { appending.fetch_add(1); }

SinkFilesAppend::~SinkFilesAppend() { appending.fetch_sub(1); }

bool SinkFilesAppend::active() noexcept { return appending.load() != 0; }

}  // namespace flowpool::detail
