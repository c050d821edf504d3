#include "line_output.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace flowpool::detail {

void LineOutput::write(std::string_view lines) {
    const std::lock_guard lock(mutex_);
    while (!lines.empty()) {
        const ssize_t n = ::write(fd_, lines.data(), lines.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "cannot write output");
        }
        lines.remove_prefix(static_cast<std::size_t>(n));
    }
}

LineOutput& LineOutput::stdout_lines() {
    static LineOutput out(STDOUT_FILENO);
    return out;
}

}  // namespace flowpool::detail
