#pragma once
// While a QuietStdout lives, standard output goes to /dev/null: `flowpool bench` keeps the sinks'
// lines out of its report.

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace flowpool::cli {

/// While alive, standard output (file descriptor 1, std::cout and stdout) goes to /dev/null.
class QuietStdout {
public:
    QuietStdout() {
        std::cout.flush();
        std::fflush(stdout);
        saved_ = ::dup(STDOUT_FILENO);
        const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (saved_ >= 0 && null >= 0) ::dup2(null, STDOUT_FILENO);
        if (null >= 0) ::close(null);
    }
    ~QuietStdout() {
        std::cout.flush();
        std::fflush(stdout);
        if (saved_ < 0) return;
        ::dup2(saved_, STDOUT_FILENO);
        ::close(saved_);
    }
    QuietStdout(const QuietStdout&) = delete;
    QuietStdout& operator=(const QuietStdout&) = delete;

private:
    int saved_ = -1;
};

}  // namespace flowpool::cli
