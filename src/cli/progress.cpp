#include "progress.hpp"

#include <unistd.h>

#include "report.hpp"

namespace flowpool::cli {

void write_stderr(const std::string& text) {
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
}

void RunWatch::observe(const RunStats& now) {
    const std::lock_guard lock(mutex_);
    latest_ = now;
    if (!progress_) return;
    std::string line;  // by jobs if the sources know how many; else by bytes if they know
    if (const std::uint64_t jobs = expected_total(now); jobs != 0) {
        line = progress_line(now, jobs);
    } else if (const std::uint64_t bytes = expected_bytes(now); bytes != 0) {
        line = bytes_progress_line(now, bytes);
    } else {
        return;
    }
    write_stderr("\r\033[K" + line);
    drawn_ = true;
}

void RunWatch::stop_progress() {
    const std::lock_guard lock(mutex_);
    if (drawn_) write_stderr("\r\033[K");
    progress_ = drawn_ = false;
}

RunStats RunWatch::latest() {
    const std::lock_guard lock(mutex_);
    return latest_;
}

}  // namespace flowpool::cli
