#pragma once
// The `redis_stream` source: jobs from a Redis stream, read through a consumer group, so that
// worker processes on many machines share one stream and a job whose worker died is taken over.
//
//   start():     XGROUP CREATE once, before the run: a login, database or stream key the server
//                refuses is a fault of the graph file (a server that is down is waited for)
//   each round:  XAUTOCLAIM entries idle > claim_idle_ms  (a dead worker's jobs, a failed job),
//                by one worker of the group at a time      (SET STREAM:GROUP:claiming NX PX)
//                XREADGROUP ... BLOCK block_ms >           (new jobs, up to `batch` per batch)
//   retired():   XACK each entry whose job reached every sink (or was filtered, skipped or
//                dead-lettered); a failed job's entry stays pending, its error noted
//   finish():    entries taken over but never run are given back as they were
//
// An entry is acknowledged only after its results were written, so a worker killed at any point
// loses nothing: its unacknowledged entries are claimed by another worker after claim_idle_ms.
// A job that fails leaves its own entry pending (the rest of its batch is acknowledged): under
// OnError::redeliver the worker goes on and the entry is claimed again after claim_idle_ms.
// An entry delivered more than max_deliveries times goes to the dead-letter stream instead,
// with the error, node and delivery count of its last failure; so does a malformed entry. Both
// count in the source node's figures as jobs in and dead-lettered.

#include <flowpool/body.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "connection.hpp"
#include "entry.hpp"

namespace flowpool::detail::redis {

/// What a `redis_stream` source reads and how.
struct SourceOptions {
    Address address;                              ///< the server
    std::string stream;                           ///< the stream of jobs
    std::string group = "flowpool";               ///< the consumer group shared by all workers
    std::string consumer;                         ///< this worker's name in the group
    std::string dead_letter;                      ///< the stream poison entries go to
    std::chrono::milliseconds block{500};         ///< longest wait in one XREADGROUP
    std::chrono::milliseconds claim_idle{30000};  ///< take over entries idle this long
    std::chrono::milliseconds idle_exit{0};       ///< end when drained this long (0: never)
    std::int64_t max_deliveries = 5;              ///< deliveries before an entry is dead-lettered
    /// Remove consumers of the group idle this long with nothing pending (0: never).
    std::chrono::milliseconds forget_consumers{3600000};
    bool trim = false;                ///< delete entries every group acknowledged
    Expect expect = Expect::integer;  ///< the values it gives
};

/// `host:pid:start-time-ms`: unique per worker process, readable in XINFO CONSUMERS.
[[nodiscard]] std::string default_consumer_name();

/// Jobs from a Redis stream through a consumer group; see the file comment.
class StreamSource final : public SourceBody {
public:
    explicit StreamSource(SourceOptions options);

    /// Connects and creates the group once, without waiting for the server: throws
    /// std::invalid_argument, naming the URL, if the server refuses the login, the database or
    /// the stream key (a string, say), so that the graph file is at fault, not a job. A server
    /// that is down, restarting or loading is waited for by next(), as one lost mid-run is.
    void start();

    BatchPtr next(std::size_t max_jobs, BatchContext& ctx) override;
    void retired(std::uint64_t seq, const std::vector<FailedJob>& failed) noexcept override;
    [[nodiscard]] bool redelivers() const noexcept override { return true; }
    void finish() noexcept override;

private:
    /// An entry read or claimed, on its way into a batch.
    struct Entry {
        std::string entry_id;
        Job job;
        bool claimed = false;      ///< delivered before, to this or another worker
        long long deliveries = 1;  ///< this delivery included
    };
    /// What retired() needs of a batch.
    struct InFlight {
        std::vector<std::uint64_t> job_ids;  ///< parallel to entry_ids
        std::vector<std::string> entry_ids;
        bool any_claimed = false;
    };

    BatchPtr take_batch(std::size_t max_jobs, BatchContext& ctx);
    void count_dead_letters(BatchContext& ctx);
    [[nodiscard]] Command create_group_command() const;
    void create_group(const KeepTrying& keep_trying);
    bool take_claim_turn(const KeepTrying& keep_trying);
    void claim(std::size_t count, const KeepTrying& keep_trying);
    std::vector<Entry> read(std::size_t count, const KeepTrying& keep_trying);
    bool drained(const KeepTrying& keep_trying);
    void take_entries(const redisReply& entries, bool claimed,
                      const std::vector<long long>& deliveries, std::vector<Entry>& out,
                      const KeepTrying& keep_trying);
    /// Why an entry goes to the dead-letter stream.
    struct Why {
        std::string error;
        std::string node;  ///< where its job last failed; empty if it never ran
    };
    void send_to_dead_letter(const std::string& entry_id, const redisReply& fields,
                             const std::optional<Job>& job, const Why& why, long long deliveries,
                             const KeepTrying& keep_trying);
    BatchPtr make_batch(std::vector<Entry> entries);
    bool handle_missing_group(const redisReply& reply);
    void stop() noexcept;
    void release_claimed() noexcept;
    bool trim_due() noexcept;
    void forget_idle_consumers(const KeepTrying& keep_trying);
    std::vector<Command> acknowledge(const InFlight& flight,
                                     const std::vector<FailedJob>& failed) const;

    SourceOptions options_;
    std::string errors_key_;       // hash: entry id -> why its last delivery was not acknowledged
    std::string claim_lease_key_;  // string, short-lived: the worker whose turn it is to claim
    Connection reader_;            // next() only: one thread at a time
    std::mutex ack_mutex_;         // guards acker_: retired() runs on any thread
    Connection acker_;
    std::atomic<std::int64_t> last_trim_ms_{0};  // steady clock; trims run from either thread

    std::mutex in_flight_mutex_;  // guards in_flight_ and unacked_
    std::unordered_map<std::uint64_t, InFlight> in_flight_;
    std::size_t unacked_ = 0;

    /// An entry sent to the dead-letter stream since next() last counted it in its context.
    struct DeadLetter {
        std::uint64_t job_id = 0;  ///< its `id` field, 0 if it has none
        Value value;               ///< its value, if it has one
        std::string error;
    };
    std::vector<DeadLetter> dead_letters_;  // next() only

    bool group_ready_ = false;
    std::deque<Entry> claimed_;  // claimed, not yet in a batch
    std::string claim_cursor_ = "0-0";
    bool took_over_ = false;  // the last claim round took entries over
    std::chrono::steady_clock::time_point last_claim_{};
    std::chrono::steady_clock::time_point last_forget_{};
    std::chrono::steady_clock::time_point last_activity_;
    std::uint64_t next_seq_ = 0;  // the runtime numbers non-empty batches 0, 1, 2, ...
    std::atomic<std::int64_t> stopping_since_ms_{0};  // steady clock ms; 0: not stopping
};

}  // namespace flowpool::detail::redis
