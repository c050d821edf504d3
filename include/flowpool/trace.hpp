#pragma once
/// @file trace.hpp
/// What a run did, batch by batch: spans a TraceSink receives while the run goes on, and
/// ChromeTrace, which writes them as Chrome Trace Event JSON (open it in Perfetto or
/// chrome://tracing).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace flowpool {

/// One batch run by one node on one thread.
struct Span {
    std::string_view node;                        ///< the node that ran it
    std::uint64_t first_id = 0;                   ///< its first job's id
    std::size_t jobs = 0;                         ///< jobs in it
    int worker = 0;                               ///< the node's worker slot
    unsigned thread = 0;                          ///< a small number naming the thread, from 0
    std::chrono::steady_clock::time_point start;  ///< when the body started
    std::chrono::steady_clock::time_point end;    ///< when it returned
    std::size_t in_flight = 0;                    ///< batches in flight in the whole run at the end
};

/// Receives spans from worker threads, concurrently: implementations synchronise themselves
/// and must not throw.
class TraceSink {
public:
    virtual ~TraceSink() = default;
    /// Called after a node ran a batch (one batch in RunOptions::trace_sample).
    virtual void span(const Span& span) noexcept = 0;
};

/// Writes spans to a file as Chrome Trace Event JSON: a complete event ("X") per span on its
/// thread's track, named after the node and the job ids, and a counter track of batches in
/// flight. The file is written whole by close() (or the destructor).
class ChromeTrace final : public TraceSink {
public:
    /// Opens @p path for writing; throws flowpool::UsageError if it cannot.
    explicit ChromeTrace(const std::string& path);
    ~ChromeTrace() override;
    ChromeTrace(const ChromeTrace&) = delete;
    ChromeTrace& operator=(const ChromeTrace&) = delete;

    void span(const Span& span) noexcept override;
    /// Finishes the JSON and closes the file; throws flowpool::UsageError if writing failed.
    void close();
    /// Spans written so far.
    [[nodiscard]] std::uint64_t spans() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowpool
