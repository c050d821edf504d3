#pragma once
/// @file journal.hpp
/// What makes a run resumable: a journal hears of every source job once it finished, and tells
/// the sources which jobs an earlier run finished, so that they leave them out.
///
/// @code
/// class Done final : public flowpool::RunJournal {  // remembers, in memory only
///     bool skips(std::string_view, std::uint64_t id) const noexcept override { return id < 10; }
///     void finished(std::string_view, const std::vector<std::uint64_t>& ids,
///                   const std::vector<flowpool::FailedJob>&) noexcept override { ... }
/// };
/// Done done;
/// flowpool::RunOptions options;
/// options.journal = &done;
/// @endcode

#include <flowpool/body.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace flowpool {

/// A run's journal (RunOptions::journal): the unit it records is a source job, finished when it
/// and every job made from it (an `explode`'s pieces, an `exec`'s lines) were consumed by the
/// sinks, filtered, merged, skipped, dead-lettered or failed.
class RunJournal {
public:
    virtual ~RunJournal() = default;
    /// Called once, from the thread that runs the plan, when the run really starts: after its
    /// nodes were made and checked, before a source makes its first job. A journal kept in a file
    /// writes it from here on, so that a run refused before it starts (a sink's file that cannot
    /// be opened, threads the system will not start) leaves the file as it was. If it throws,
    /// the run ends with that exception, no job made.
    virtual void start() {}
    /// True if source @p source should leave job @p id out: an earlier run finished it. Called
    /// from the source's thread; the job is dropped before any node sees it, ids unchanged.
    [[nodiscard]] virtual bool skips(std::string_view source, std::uint64_t id) const noexcept = 0;
    /// Jobs @p ids of source @p source finished, each with every job made from it; @p failed
    /// lists the jobs that failed on the way (under any policy), under their own ids: a job made
    /// from a source job has an id of its own (`explode`: id * 2^20 + piece). Called from any
    /// thread, concurrently.
    virtual void finished(std::string_view source, const std::vector<std::uint64_t>& ids,
                          const std::vector<FailedJob>& failed) noexcept = 0;
};

}  // namespace flowpool
