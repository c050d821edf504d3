#pragma once
// The run's latest figures, as the observer hands them over, and the progress line on a
// terminal redrawn from them.

#include <flowpool/stats.hpp>
#include <mutex>
#include <string>

namespace flowpool::cli {

/// Writes @p text to stderr in one write(2), so another thread's line cannot cut into it.
void write_stderr(const std::string& text);

/// Keeps the observer's latest figures and, on a terminal, redraws the progress line from them.
class RunWatch {
public:
    /// @p progress: draw the progress line (stderr is a terminal and the user did not say no).
    explicit RunWatch(bool progress) : progress_(progress) {}

    /// The observer: called from the run's observer thread every RunOptions::observe_every.
    void observe(const RunStats& now);
    /// Clears the progress line, for good: nothing is drawn after this.
    void stop_progress();
    /// The figures of the observer's latest call.
    RunStats latest();

private:
    std::mutex mutex_;
    RunStats latest_;
    bool progress_;
    bool drawn_ = false;
};

}  // namespace flowpool::cli
