#pragma once
/// @file stats.hpp
/// What a run did: counts per run and per node, and wall time.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <flowpool/error.hpp>
#include <flowpool/trace.hpp>

namespace flowpool {

class RunJournal;  // flowpool/journal.hpp

/// How many buckets NodeStats::job_time_below has.
inline constexpr std::size_t job_time_buckets = 14;

/// The upper bound of job-time bucket @p i (i < job_time_buckets) as a power of two:
/// 2^(10 + 2i) ns.
[[nodiscard]] constexpr std::size_t job_time_bucket_octaves(std::size_t i) noexcept {
    return 10 + 2 * i;
}
/// The upper bound of job-time bucket @p i (i < job_time_buckets): 4^(i + 5) ns, from about
/// 1 microsecond to about 69 seconds.
[[nodiscard]] constexpr std::chrono::nanoseconds job_time_bucket_bound(std::size_t i) noexcept {
    return std::chrono::nanoseconds(std::int64_t{1} << job_time_bucket_octaves(i));
}

/// The role of a node in a pipeline.
enum class NodeKind { source, function, filter, sink };

/// The name graph files use for a kind: `source`, `function`, `filter` or `sink`.
[[nodiscard]] std::string_view to_string(NodeKind kind) noexcept;

/// Figures for one node over one run.
struct NodeStats {
    std::string name;                    ///< the node's name
    NodeKind kind = NodeKind::function;  ///< its role
    std::size_t concurrency = 1;         ///< its worker count; `unlimited` for no bound
    /// The most of its bodies the run could run at once: its concurrency (a source or a sink:
    /// 1; a source whose jobs' values are made on the workers, SourceBody::decodes: no bound),
    /// at most the run's threads, among which a node whose jobs wait has one per worker. 0 in
    /// figures not made by a run.
    std::size_t workers = 0;
    std::uint64_t messages_in = 0;   ///< jobs that reached it (a source: jobs it made or failed to)
    std::uint64_t messages_out = 0;  ///< jobs it passed on (for a sink: jobs it consumed)
    std::uint64_t filtered = 0;      ///< jobs it dropped on purpose
    std::uint64_t failed = 0;        ///< jobs that failed here and failed the run
    std::uint64_t skipped = 0;       ///< jobs that failed here and were dropped (OnError::skip)
    std::uint64_t dead_lettered = 0;  ///< jobs that failed here and went to a dead-letter sink
    std::uint64_t retries = 0;        ///< tries repeated after a failure (OnError::attempts)
    /// jobs that failed here and went back to their source to be delivered again
    /// (OnError::redeliver)
    std::uint64_t redelivered = 0;
    std::uint64_t merged = 0;  ///< jobs it folded into jobs it made (an aggregate's input)
    std::uint64_t made = 0;    ///< jobs it made that it was not given (an aggregate's results)
    std::chrono::nanoseconds busy{0};  ///< time spent in its body, summed over workers
    std::uint64_t batches = 0;         ///< batches (messages) it ran
    std::size_t queue_high_water = 0;  ///< most batches waiting for it at once
    /// Time per job, from each batch's time over its jobs, weighted by jobs (quarter-octave
    /// buckets: within about 10%): median, 90th and 99th percentile, and the largest.
    std::chrono::nanoseconds job_time_p50{0};
    std::chrono::nanoseconds job_time_p90{0};  ///< see job_time_p50
    std::chrono::nanoseconds job_time_p99{0};  ///< see job_time_p50
    std::chrono::nanoseconds job_time_max{0};  ///< see job_time_p50
    /// Jobs whose time (as for job_time_p50) was below job_time_bucket_bound(i), for each i:
    /// cumulative, exact (the bounds fall on the histogram's own bucket edges).
    std::array<std::uint64_t, job_time_buckets> job_time_below{};
    std::uint64_t job_time_count = 0;          ///< jobs timed: the histogram's total
    std::chrono::nanoseconds job_time_sum{0};  ///< the times of the jobs timed, summed
    std::size_t queued = 0;                    ///< batches waiting for it now
    std::size_t running = 0;                   ///< batches its workers are running now
    /// Sources: the jobs it will make, if it knows (a range does); else 0.
    std::uint64_t expected_jobs = 0;
    /// Sources reading input of known size (a `lines` file): its size in bytes; else 0.
    std::uint64_t input_bytes = 0;
    /// Sources with input_bytes: the bytes of it made into jobs so far.
    std::uint64_t input_bytes_done = 0;

    /// Jobs per batch, on average.
    [[nodiscard]] double mean_batch() const noexcept {
        return batches != 0 ? static_cast<double>(messages_in) / static_cast<double>(batches) : 0.0;
    }
    /// Busy time over wall time times the workers it could use, from 0 to 1: `workers`; in
    /// figures without it, min(concurrency, @p threads) (1 for a source or a sink).
    [[nodiscard]] double utilisation(std::chrono::nanoseconds wall,
                                     std::size_t threads) const noexcept {
        std::size_t could = concurrency < threads ? concurrency : threads;
        if (workers != 0) {
            could = workers;
        } else if (kind == NodeKind::source || kind == NodeKind::sink) {
            could = 1;
        }
        const double capacity = static_cast<double>(wall.count()) * static_cast<double>(could);
        return capacity > 0 ? static_cast<double>(busy.count()) / capacity : 0.0;
    }
};

/// Figures for one run. `failed`, `skipped` and `dead_lettered` count a job once however many
/// branches of a fan-out failed it; `nodes` count it at each node that did.
struct RunStats {
    std::uint64_t jobs_in = 0;        ///< jobs made by the sources, failed ones included
    std::uint64_t results_out = 0;    ///< jobs consumed by the sinks (counted once per sink)
    std::uint64_t filtered = 0;       ///< jobs dropped on purpose by a node
    std::uint64_t failed = 0;         ///< jobs that failed under OnError::fail
    std::uint64_t skipped = 0;        ///< jobs that failed and were skipped
    std::uint64_t dead_lettered = 0;  ///< jobs that failed and went to a dead-letter sink
    std::uint64_t redelivered = 0;    ///< jobs that failed and went back to their source
    std::uint64_t merged = 0;         ///< jobs folded into jobs a node made (aggregated)
    std::uint64_t made = 0;           ///< jobs made by nodes other than sources (aggregates)
    /// Jobs made by the sources that ended, and every job made from them too (results out of
    /// each sink, filtered, merged, failed...): what the progress line counts as done. Equals
    /// jobs_in once the run is over, but for jobs abandoned.
    std::uint64_t retired = 0;
    /// Jobs made but never finished: a run always waits for every job it made, so this is 0 in
    /// a RunResult; `flowpool run` fills it in when its drain timeout gives up on jobs in flight.
    std::uint64_t abandoned = 0;
    std::chrono::nanoseconds wall{0};  ///< wall time of the run
    /// Batches made by the sources and not yet retired (each source has at most
    /// RunOptions::max_in_flight of them): 0 once the run is over.
    std::size_t batches_in_flight = 0;
    std::vector<NodeStats> nodes;  ///< per node, in the order the nodes were added

    /// Jobs with a known end: results out, filtered, merged, skipped, dead-lettered,
    /// redelivered, failed, abandoned. Equals jobs() when each job can reach one sink only (no
    /// fan-out to several sinks: a job then goes on in each branch, a result per sink).
    [[nodiscard]] std::uint64_t accounted() const noexcept {
        return results_out + filtered + merged + skipped + dead_lettered + redelivered + failed +
               abandoned;
    }
    /// Every job the run had: made by the sources, and made by other nodes from them.
    [[nodiscard]] std::uint64_t jobs() const noexcept { return jobs_in + made; }
    /// Wall time in seconds.
    [[nodiscard]] double wall_seconds() const noexcept {
        return std::chrono::duration<double>(wall).count();
    }
    /// Jobs made per second of wall time.
    [[nodiscard]] double jobs_per_second() const noexcept {
        const double s = wall_seconds();
        return s > 0 ? static_cast<double>(jobs_in) / s : 0.0;
    }
};

/// Concurrency meaning "no bound": as many bodies at once as the scheduler likes.
inline constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();
/// Concurrency of one: one body at a time.
inline constexpr std::size_t serial = 1;
/// The workers there are to run on: one per CPU this process may use (its affinity mask), as
/// oneTBB's default arena has. A graph-file node without `concurrency` gets this many; the
/// default in-flight limit counts `unlimited` as this many.
[[nodiscard]] std::size_t default_workers();

/// An ordered sink's default bound on jobs held back while an earlier one is on its way.
inline constexpr std::size_t default_reorder_window = 4096;

/// The outcome of a run: its figures, and the first failed job if any failed.
struct RunResult {
    RunStats stats;                 ///< what the run did
    std::optional<JobError> error;  ///< the first failure (with the failure count), if any
    bool cancelled = false;         ///< RunOptions::cancel stopped the sources early
};

/// How a run is tuned; the defaults suit most work.
struct RunOptions {
    /// Jobs per message between nodes; 0 sizes batches from the measured body time.
    std::size_t batch_size = 0;
    /// Messages (batches) in flight per source before the source waits; 0 derives it from the
    /// nodes' concurrency. Bounds memory whatever the number of jobs.
    std::size_t max_in_flight = 0;
    /// Threads in the run's oneTBB arena, the calling thread included; 0: as many as the nodes
    /// can use (a thread per computing worker and per source that waits, at most the cores,
    /// plus one per worker of a node whose jobs wait on programs). Say 2 for a one-worker
    /// pipeline whose source or sink is heavy enough to want a core beside the worker.
    std::size_t threads = 0;
    /// When this becomes true (from any thread, or a signal handler), the sources stop making
    /// jobs; the jobs already made run to the end. Null: the run cannot be cancelled.
    const std::atomic<bool>* cancel = nullptr;
    /// Called with the figures so far every `observe_every` while the run goes on, and once at
    /// its end, from a thread of its own (not a worker). If it throws, that is logged and it is
    /// not called again until the end, where it still gets the final figures. Empty: none.
    std::function<void(const RunStats&)> observer{};
    /// How often the observer is called.
    std::chrono::milliseconds observe_every{100};
    /// Called, from the thread that ran it, after each batch with jobs that did not end well
    /// (failed, skipped or dead-lettered), with the jobs in and such jobs so far: a failure
    /// limit checked here stops the sources (through `cancel`) at once, where the observer's
    /// next call would find many more jobs made (the batches made already still run). Quick
    /// and thread-safe; if it throws, that is logged and it is not called again. Empty: none.
    std::function<void(std::uint64_t jobs_in, std::uint64_t not_ok)> on_failures{};
    /// Receives a span for every `trace_sample`-th batch each node runs; null: no tracing.
    TraceSink* trace = nullptr;
    /// Keep one batch in this many per node (1: all).
    std::uint64_t trace_sample = 1;
    /// Hears of every source job once it finished, and has the sources leave out the jobs it
    /// says an earlier run finished (flowpool/journal.hpp); null: no journal.
    RunJournal* journal = nullptr;
};

}  // namespace flowpool
