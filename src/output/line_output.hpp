#pragma once
// Whole lines to a file descriptor, whatever the concurrency: each write() call hands over
// complete lines under one lock and the kernel gets them in one write(2) loop.

#include <mutex>
#include <string_view>

namespace flowpool::detail {

class LineOutput {
public:
    explicit LineOutput(int fd) noexcept : fd_(fd) {}

    /// Writes @p lines (complete lines, each ending in '\n') so that no other write splits them.
    /// Throws std::system_error if the descriptor fails (a closed pipe, a full disk).
    void write(std::string_view lines);

    /// The process's standard output.
    static LineOutput& stdout_lines();

private:
    std::mutex mutex_;
    int fd_;
};

}  // namespace flowpool::detail
