#pragma once
// Whole lines to a file descriptor, whatever the concurrency: each write() call hands over
// complete lines under one lock and the kernel gets them in one write(2) loop. The first write
// that fails (a full disk, a closed pipe) ends the output: later writes are refused with the same
// error, so what was written stays a prefix of what was asked for. An output may also keep its
// lines in memory, and a SinkRedirect sends the sinks made while it lives there (flowpool test).

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace flowpool::detail {

class LineOutput {
public:
    /// Writes to @p fd, which error messages call @p name (`'out.txt'`, `standard output`).
    /// @p own_file: the descriptor is a file of this writer's alone, so a line that a failed
    /// write cut short can be cut off its end again.
    LineOutput(int fd, std::string name, bool own_file = false)
        : fd_(fd), name_(std::move(name)), own_file_(own_file) {}
    /// Keeps the lines in memory instead of writing them (see SinkRedirect and lines()).
    LineOutput() : fd_(-1), name_("memory") {}

    /// Writes @p lines (complete lines, each ending in '\n') so that no other write splits them.
    /// Throws std::runtime_error with failure() if the descriptor fails.
    void write(std::string_view lines);

    /// Writes as much of @p lines as the descriptor takes, as write() does, and returns the bytes
    /// handed to the kernel: all of them, or fewer once a write failed (failure() says why).
    [[nodiscard]] std::size_t write_some(std::string_view lines) noexcept;

    /// Why the output ended: `cannot write to NAME: REASON` (strerror), or empty if it did not.
    [[nodiscard]] std::string failure() const;
    /// True once a write found that nobody reads the pipe any more (EPIPE).
    [[nodiscard]] bool closed() const noexcept;

    /// The lines kept by an output made in memory, without their '\n', in the order written.
    /// @p quoted_line_ends: the text is CSV (RFC 4180), and a '\n' inside a quoted field (after
    /// an odd number of '"' in its line) belongs to its line rather than ending it.
    [[nodiscard]] std::vector<std::string> lines(bool quoted_line_ends = false) const;

    /// The process's standard output.
    static LineOutput& stdout_lines();
    /// Where a sink being made that writes lines (to a file or standard output) writes them
    /// instead: the output of the SinkRedirect alive on this thread, or nullptr if there is none
    /// (then the sink opens its file or writes to standard output).
    static LineOutput* redirected() noexcept;

private:
    /// After a write that failed part way through a line: cuts that line off a file of our own.
    void cut_torn_line(std::string_view written) const noexcept;

    mutable std::mutex mutex_;
    int fd_;  // -1: in memory, in kept_
    std::string kept_;
    std::string name_;
    bool own_file_;
    std::atomic<int> error_{0};  // errno of the write that failed; 0 while none has
};

/// While one lives, the sinks made on its thread that write lines (to a file or standard output)
/// write them to @p to instead, in memory: `flowpool test` reads what each sink would have
/// written, and nothing is opened. Sinks that write elsewhere (a stream) do not take it.
/// @code
/// LineOutput captured;
/// std::unique_ptr<SinkBody> body;
/// { SinkRedirect redirect(captured); body = op.make_sink(params); }
/// @endcode
class SinkRedirect {
public:
    explicit SinkRedirect(LineOutput& to) noexcept;
    ~SinkRedirect();
    SinkRedirect(const SinkRedirect&) = delete;
    SinkRedirect& operator=(const SinkRedirect&) = delete;

    /// True if a sink made meanwhile took the output (LineOutput::redirected()).
    [[nodiscard]] bool taken() const noexcept { return taken_; }

private:
    friend class LineOutput;
    LineOutput& to_;
    SinkRedirect* outer_;  // the redirect this one hides, restored when it ends
    bool taken_ = false;
};

/// While one lives, the sinks made in the process that write lines to a file append to it
/// instead of truncating it: a resumed run (`--resume`) adds its jobs' lines to the ones the run
/// it resumes wrote. (Process-wide: a run makes its sinks on a thread of its own arena.)
class SinkFilesAppend {
public:
    SinkFilesAppend() noexcept;
    ~SinkFilesAppend();
    SinkFilesAppend(const SinkFilesAppend&) = delete;
    SinkFilesAppend& operator=(const SinkFilesAppend&) = delete;

    /// True while one lives.
    [[nodiscard]] static bool active() noexcept;
};

}  // namespace flowpool::detail
