#include "stream_source.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "common/log.hpp"

namespace flowpool::detail::redis {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Most XAUTOCLAIM calls in one round (each scans about 10 x COUNT pending entries).
constexpr int max_claim_calls = 100;

/// Deletes the entries of KEYS[1] that every group has acknowledged: below the smallest pending
/// id of each group, and not above what each group was delivered. Atomic, so never below a
/// pending entry (XTRIM MAXLEN could drop pending entries).
constexpr const char* trim_script = R"lua(
local function before(a, b)
  local am, as = string.match(a, '(%d+)%-(%d+)')
  local bm, bs = string.match(b, '(%d+)%-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
local keep = nil
for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local name, low
  for i = 1, #group, 2 do
    if group[i] == 'name' then name = group[i + 1] end
    if group[i] == 'last-delivered-id' then low = group[i + 1] end
  end
  local pending = redis.call('XPENDING', KEYS[1], name)
  if pending[1] > 0 then low = pending[2] end
  if keep == nil or before(low, keep) then keep = low end
end
if keep == nil then return 0 end
return redis.call('XTRIM', KEYS[1], 'MINID', keep)
)lua";

/// Removes the consumers of group ARGV[1] on stream KEYS[1] idle longer than ARGV[2] ms with
/// nothing pending, except ARGV[3] (the caller). Atomic: a consumer cannot be given an entry
/// between the check and the removal (XGROUP DELCONSUMER drops a consumer's pending entries).
constexpr const char* forget_script = R"lua(
local removed = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local name, pending, idle
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1] end
    if c[i] == 'pending' then pending = c[i + 1] end
    if c[i] == 'idle' then idle = c[i + 1] end
  end
  if name ~= ARGV[3] and pending == 0 and idle > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    removed = removed + 1
  end
end
return removed
)lua";

/// How a failed job's error is noted for its dead letter: "NODE\nMESSAGE" (node names hold no
/// line break).
std::string note_failure(const FailedJob& job) { return job.node + '\n' + job.message; }

milliseconds forget_interval(milliseconds forget_after) {
    return std::clamp(forget_after / 4, milliseconds{1000}, milliseconds{60000});
}

std::int64_t now_ms() noexcept {
    return std::chrono::duration_cast<milliseconds>(Clock::now().time_since_epoch()).count();
}

milliseconds claim_interval(milliseconds claim_idle) {
    return std::clamp(claim_idle / 4, milliseconds{10}, milliseconds{1000});
}

/// True if @p reply says the source is set up wrong (its login, or its stream key holds no
/// stream), not that the server is busy or unwell: waiting will not make it work.
bool refuses_setup(const redisReply& reply) noexcept {
    constexpr std::array<std::string_view, 4> codes = {"NOAUTH", "WRONGPASS", "NOPERM",
                                                       "WRONGTYPE"};
    return std::any_of(codes.begin(), codes.end(),
                       [&](std::string_view code) { return is_error(reply, code); });
}

}  // namespace

std::string default_consumer_name() {
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) != 0) host = {'?'};
    const auto now = std::chrono::duration_cast<milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    return std::string(host.data()) + ':' + std::to_string(getpid()) + ':' +
           std::to_string(now.count());
}

StreamSource::StreamSource(SourceOptions options)
    : options_(std::move(options)),
      errors_key_(options_.stream + ':' + options_.group + ":errors"),
      claim_lease_key_(options_.stream + ':' + options_.group + ":claiming"),
      reader_(options_.address, "source on stream '" + options_.stream + "'",
              options_.block + milliseconds{5000}),
      acker_(options_.address, "acknowledgements on stream '" + options_.stream + "'",
             milliseconds{5000}),
      last_activity_(Clock::now()) {
    if (options_.consumer.empty()) options_.consumer = default_consumer_name();
    if (options_.dead_letter.empty()) options_.dead_letter = options_.stream + ":dead";
}

void StreamSource::start() {
    const auto refused = [this](std::string_view reply) {
        return std::invalid_argument(options_.address.to_url() + ", stream '" + options_.stream +
                                     "': " + std::string(reply));
    };
    try {
        const Reply reply = reader_.run(create_group_command(), [] { return false; });
        if (refuses_setup(*reply)) throw refused(text(*reply));
        group_ready_ = !is_error(*reply) || is_error(*reply, "BUSYGROUP");
    } catch (const LoginRefused& e) {
        throw refused(e.reply());
    } catch (const ConnectionLost&) {
        // Down, restarting or loading: next() waits for it.
    }
}

BatchPtr StreamSource::next(std::size_t max_jobs, BatchContext& ctx) {
    // The entries it sends to the dead-letter stream came in and ended there: they count in
    // this call's figures, however it ends.
    BatchPtr batch;
    try {
        batch = take_batch(max_jobs, ctx);
    } catch (...) {
        count_dead_letters(ctx);
        throw;
    }
    count_dead_letters(ctx);
    return batch;
}

void StreamSource::count_dead_letters(BatchContext& ctx) {
    // Only counted: the runtime sends a source's dead letters to no dead-letter sink.
    for (DeadLetter& letter : dead_letters_) {
        ctx.dead_letter(letter.job_id, std::move(letter.value), std::move(letter.error));
    }
    dead_letters_.clear();
}

BatchPtr StreamSource::take_batch(std::size_t max_jobs, BatchContext& ctx) {
    const KeepTrying keep_trying = [&ctx] { return !ctx.stop_requested(); };
    max_jobs = std::max<std::size_t>(max_jobs, 1);
    try {
        while (!ctx.stop_requested()) {
            if (!group_ready_) create_group(keep_trying);
            if (options_.forget_consumers.count() > 0 &&
                Clock::now() - last_forget_ >= forget_interval(options_.forget_consumers)) {
                forget_idle_consumers(keep_trying);
            }
            if (claimed_.empty() &&
                Clock::now() - last_claim_ >= claim_interval(options_.claim_idle)) {
                claim(max_jobs, keep_trying);
            }
            if (!claimed_.empty()) {
                // Acknowledged job by job: a claimed job that fails again fails alone.
                std::vector<Entry> taken;
                while (!claimed_.empty() && taken.size() < max_jobs) {
                    taken.push_back(std::move(claimed_.front()));
                    claimed_.pop_front();
                }
                return make_batch(std::move(taken));
            }
            std::vector<Entry> fresh = read(max_jobs, keep_trying);
            if (!fresh.empty()) return make_batch(std::move(fresh));
            if (options_.trim && trim_due()) {
                const Reply trimmed =
                    reader_.run({"EVAL", trim_script, "1", options_.stream}, keep_trying);
                if (is_error(*trimmed)) {
                    log().warn("stream '{}': trimming: {}", options_.stream, text(*trimmed));
                }
            }
            if (options_.idle_exit.count() > 0 &&
                Clock::now() - last_activity_ >= options_.idle_exit && drained(keep_trying)) {
                log().info("stream '{}': drained, consumer {} stops", options_.stream,
                           options_.consumer);
                stop();
                return nullptr;
            }
        }
    } catch (const ConnectionLost& e) {
        log().warn("{}; the source stops", e.what());
    }
    stop();
    release_claimed();
    return nullptr;
}

Command StreamSource::create_group_command() const {
    // From id 0: jobs enqueued before the first worker started are read too.
    return {"XGROUP", "CREATE", options_.stream, options_.group, "0", "MKSTREAM"};
}

void StreamSource::create_group(const KeepTrying& keep_trying) {
    const Reply reply = reader_.run(create_group_command(), keep_trying);
    if (!is_error(*reply, "BUSYGROUP")) {
        check(*reply, "XGROUP CREATE " + options_.stream + ' ' + options_.group);
    }
    group_ready_ = true;
}

bool StreamSource::handle_missing_group(const redisReply& reply) {
    if (!is_error(reply, "NOGROUP")) return false;
    log().warn(
        "stream '{}': group '{}' is gone (stream deleted, or a server without "
        "persistence restarted); creating it again",
        options_.stream, options_.group);
    group_ready_ = false;
    return true;
}

std::vector<StreamSource::Entry> StreamSource::read(std::size_t count,
                                                    const KeepTrying& keep_trying) {
    std::vector<Entry> entries;
    const Reply reply = reader_.run(
        {"XREADGROUP", "GROUP", options_.group, options_.consumer, "COUNT", std::to_string(count),
         "BLOCK", std::to_string(options_.block.count()), "STREAMS", options_.stream, ">"},
        keep_trying);
    if (handle_missing_group(*reply)) return entries;
    check(*reply, "XREADGROUP on " + options_.stream);
    if (is_nil(*reply) || size(*reply) == 0) return entries;
    // [[stream, [[id, [field, value, ...]], ...]]]
    const redisReply& stream = at(*reply, 0);
    if (size(stream) < 2) return entries;
    last_activity_ = Clock::now();
    take_entries(at(stream, 1), false, {}, entries, keep_trying);
    return entries;
}

bool StreamSource::take_claim_turn(const KeepTrying& keep_trying) {
    // Each round walks the group's whole pending list (Redis keeps no index by idle time): done
    // by every worker, W workers cost the server W x pending entries a round, about W^2 x batch.
    // A key that lives half a round lets one worker of the group scan at a time instead.
    const auto lease =
        std::max<milliseconds::rep>(claim_interval(options_.claim_idle).count() / 2, 1);
    const Reply reply =
        reader_.run({"SET", claim_lease_key_, options_.consumer, "NX", "PX", std::to_string(lease)},
                    keep_trying);
    // Refused (a server out of memory refuses SET, not XAUTOCLAIM): scan, as without the key.
    return is_error(*reply) || !is_nil(*reply);
}

void StreamSource::claim(std::size_t count, const KeepTrying& keep_trying) {
    last_claim_ = Clock::now();
    // A worker that took entries over, or stopped mid-scan, goes on without waiting its turn:
    // more are likely waiting there.
    const bool scanning = took_over_ || claim_cursor_ != "0-0";
    took_over_ = false;
    if (!scanning && !take_claim_turn(keep_trying)) return;
    for (int call = 0; call < max_claim_calls && claimed_.empty(); ++call) {
        const Reply reply =
            reader_.run({"XAUTOCLAIM", options_.stream, options_.group, options_.consumer,
                         std::to_string(options_.claim_idle.count()), claim_cursor_, "COUNT",
                         std::to_string(count)},
                        keep_trying);
        if (handle_missing_group(*reply)) return;
        check(*reply, "XAUTOCLAIM on " + options_.stream);
        if (size(*reply) < 2) return;
        claim_cursor_ = std::string(text(at(*reply, 0)));
        const redisReply& entries = at(*reply, 1);
        if (size(entries) > 0) {
            last_activity_ = Clock::now();
            // XAUTOCLAIM does not say how often an entry was delivered: ask, in one round trip.
            std::vector<Command> queries;
            for (std::size_t i = 0; i < size(entries); ++i) {
                const std::string id(text(at(at(entries, i), 0)));
                queries.push_back({"XPENDING", options_.stream, options_.group, id, id, "1"});
            }
            std::vector<long long> deliveries;
            for (const Reply& answer : reader_.pipeline(queries, keep_trying)) {
                // [[id, consumer, idle ms, deliveries]], or [] if acknowledged meanwhile.
                deliveries.push_back(size(*answer) == 1 && size(at(*answer, 0)) == 4
                                         ? integer(at(at(*answer, 0), 3))
                                         : 0);
            }
            std::vector<Entry> taken;
            take_entries(entries, true, deliveries, taken, keep_trying);
            for (Entry& entry : taken) claimed_.push_back(std::move(entry));
            took_over_ = true;
            log().info("stream '{}': consumer {} took over {} idle entries", options_.stream,
                       options_.consumer, size(entries));
        }
        if (claim_cursor_ == "0-0") return;
    }
}

void StreamSource::take_entries(const redisReply& entries, bool claimed,
                                const std::vector<long long>& deliveries, std::vector<Entry>& out,
                                const KeepTrying& keep_trying) {
    for (std::size_t i = 0; i < size(entries); ++i) {
        const redisReply& entry = at(entries, i);
        if (size(entry) < 2) continue;
        std::string entry_id(text(at(entry, 0)));
        const redisReply& fields = at(entry, 1);
        const long long delivered = claimed ? deliveries.at(i) : 1;
        if (claimed && delivered == 0) continue;  // acknowledged by its old owner meanwhile
        if (size(fields) == 0) {
            // Deleted from the stream while pending (Redis 6.2 reports it so): nothing to run.
            reader_.run({"XACK", options_.stream, options_.group, entry_id}, keep_trying);
            continue;
        }
        std::string malformed;
        std::optional<Job> job = read_job(fields, options_.expect, malformed);
        if (delivered > options_.max_deliveries) {
            const Reply why = reader_.run({"HGET", errors_key_, entry_id}, keep_trying);
            const std::string_view noted = text(*why);
            std::string node;
            std::string error = "delivered " + std::to_string(delivered) +
                                " times and never acknowledged: its worker stopped or was "
                                "killed each time";
            if (const auto cut = noted.find('\n'); cut != std::string_view::npos) {
                node = noted.substr(0, cut);
                error = std::string(noted.substr(cut + 1));
            }
            send_to_dead_letter(entry_id, fields, job, {error, node}, delivered, keep_trying);
            continue;
        }
        if (!job) {
            send_to_dead_letter(entry_id, fields, job, {"malformed entry: " + malformed, ""},
                                delivered, keep_trying);
            continue;
        }
        out.push_back({std::move(entry_id), std::move(*job), claimed, delivered});
    }
}

void StreamSource::send_to_dead_letter(const std::string& entry_id, const redisReply& fields,
                                       const std::optional<Job>& job, const Why& why,
                                       long long deliveries, const KeepTrying& keep_trying) {
    Command add = {"XADD", options_.dead_letter, "*"};
    for (std::size_t i = 0; i + 1 < size(fields); i += 2) {
        const std::string_view name = text(at(fields, i));
        if (name == "error" || name == "node" || name == "deliveries" || name == "entry" ||
            name == "consumer") {
            continue;
        }
        add.emplace_back(name);
        add.emplace_back(text(at(fields, i + 1)));
    }
    add.insert(add.end(), {"error", why.error});
    if (!why.node.empty()) add.insert(add.end(), {"node", why.node});
    add.insert(add.end(), {"deliveries", std::to_string(deliveries), "entry", entry_id, "consumer",
                           options_.consumer});
    // Written before it is acknowledged: a crash in between writes it twice, never loses it.
    const std::vector<Reply> replies = reader_.pipeline(
        {add, {"XACK", options_.stream, options_.group, entry_id}, {"HDEL", errors_key_, entry_id}},
        keep_trying);
    for (const Reply& reply : replies) check(*reply, "dead-lettering " + entry_id);
    dead_letters_.push_back({job ? job->id : 0, job ? job->value : Value{}, why.error});
    log().warn("stream '{}': entry {} went to '{}': {}", options_.stream, entry_id,
               options_.dead_letter, why.error);
}

bool StreamSource::drained(const KeepTrying& keep_trying) {
    const Reply reply = reader_.run({"XPENDING", options_.stream, options_.group}, keep_trying);
    if (handle_missing_group(*reply)) return false;
    check(*reply, "XPENDING on " + options_.stream);
    const auto pending = static_cast<std::size_t>(size(*reply) > 0 ? integer(at(*reply, 0)) : 0);
    const std::lock_guard lock(in_flight_mutex_);
    // Pending entries that are not ours belong to a worker that is busy or dead: wait for them.
    return pending <= unacked_ + claimed_.size();
}

BatchPtr StreamSource::make_batch(std::vector<Entry> entries) {
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.job.id < b.job.id; });
    auto batch = std::make_shared<Items<Value>>();
    batch->reserve(entries.size());
    InFlight flight;
    flight.entry_ids.reserve(entries.size());
    for (Entry& entry : entries) {
        batch->ids.push_back(entry.job.id);
        batch->values.push_back(std::move(entry.job.value));
        flight.job_ids.push_back(entry.job.id);
        flight.entry_ids.push_back(std::move(entry.entry_id));
        flight.any_claimed = flight.any_claimed || entry.claimed;
    }
    const std::lock_guard lock(in_flight_mutex_);
    unacked_ += entries.size();
    in_flight_.emplace(next_seq_++, std::move(flight));
    return batch;
}

void StreamSource::retired(std::uint64_t seq, const std::vector<FailedJob>& failed) noexcept {
    try {
        InFlight flight;
        {
            const std::lock_guard lock(in_flight_mutex_);
            const auto found = in_flight_.find(seq);
            if (found == in_flight_.end()) return;
            flight = std::move(found->second);
            in_flight_.erase(found);
            unacked_ -= flight.entry_ids.size();
        }
        std::vector<Command> commands = acknowledge(flight, failed);
        const KeepTrying keep_trying = [this] {
            const std::int64_t since = stopping_since_ms_.load();
            return since == 0 || now_ms() - since < stop_grace.count();
        };
        if (options_.trim && trim_due())
            commands.push_back({"EVAL", trim_script, "1", options_.stream});
        if (commands.empty()) return;
        const std::lock_guard lock(ack_mutex_);
        for (const Reply& reply : acker_.pipeline(commands, keep_trying)) {
            if (is_error(*reply)) {
                log().error("stream '{}': acknowledging batch {}: {}", options_.stream, seq,
                            text(*reply));
            }
        }
    } catch (const std::exception& e) {
        log().error(
            "stream '{}': batch {} not acknowledged ({}); its entries will be "
            "delivered again",
            options_.stream, seq, e.what());
    } catch (...) {
        log().error("stream '{}': batch {} not acknowledged", options_.stream, seq);
    }
}

std::vector<Command> StreamSource::acknowledge(const InFlight& flight,
                                               const std::vector<FailedJob>& failed) const {
    // Acknowledged only now: every sink has written what was made from these entries. A failed
    // job's entry stays pending, to be claimed again; why it failed is noted for its dead letter.
    Command ack = {"XACK", options_.stream, options_.group};
    Command forget = {"HDEL", errors_key_};
    Command note = {"HSET", errors_key_};
    for (std::size_t i = 0; i < flight.entry_ids.size(); ++i) {
        const auto failure = std::find_if(failed.begin(), failed.end(), [&](const FailedJob& f) {
            return f.id == flight.job_ids[i];
        });
        if (failure == failed.end()) {
            ack.push_back(flight.entry_ids[i]);
            if (flight.any_claimed) forget.push_back(flight.entry_ids[i]);
        } else {
            note.insert(note.end(), {flight.entry_ids[i], note_failure(*failure)});
        }
    }
    std::vector<Command> commands;
    if (ack.size() > 3) commands.push_back(std::move(ack));
    if (forget.size() > 2) commands.push_back(std::move(forget));
    if (note.size() > 2) commands.push_back(std::move(note));
    return commands;
}

void StreamSource::forget_idle_consumers(const KeepTrying& keep_trying) {
    last_forget_ = Clock::now();
    const Reply reply =
        reader_.run({"EVAL", forget_script, "1", options_.stream, options_.group,
                     std::to_string(options_.forget_consumers.count()), options_.consumer},
                    keep_trying);
    if (handle_missing_group(*reply)) return;
    if (is_error(*reply)) {
        log().warn("stream '{}': removing idle consumers: {}", options_.stream, text(*reply));
    } else if (integer(*reply) > 0) {
        log().info("stream '{}': removed {} consumers idle over {} ms with nothing pending",
                   options_.stream, integer(*reply), options_.forget_consumers.count());
    }
}

void StreamSource::finish() noexcept {
    // The run may have stopped without calling next() again (a job failed): what was claimed
    // and never run goes back now, or it would count one more delivery for nothing.
    stop();
    release_claimed();
}

void StreamSource::stop() noexcept {
    std::int64_t never = 0;
    stopping_since_ms_.compare_exchange_strong(never, now_ms());
}

bool StreamSource::trim_due() noexcept {
    const std::int64_t now = now_ms();
    std::int64_t last = last_trim_ms_.load();
    return now - last >= 1000 && last_trim_ms_.compare_exchange_strong(last, now);
}

void StreamSource::release_claimed() noexcept {
    // Claimed but never run (the run stopped): give each back as it was, idle, so that another
    // worker takes it at once and it does not count as one more delivery.
    try {
        std::vector<Command> commands;
        for (const Entry& entry : claimed_) {
            commands.push_back({"XCLAIM", options_.stream, options_.group, options_.consumer, "0",
                                entry.entry_id, "IDLE", std::to_string(options_.claim_idle.count()),
                                "RETRYCOUNT", std::to_string(entry.deliveries - 1), "JUSTID"});
        }
        claimed_.clear();
        if (!commands.empty()) reader_.pipeline(commands, [] { return false; });
    } catch (const std::exception& e) {
        log().warn("stream '{}': {}", options_.stream, e.what());
    }
}
}  // namespace flowpool::detail::redis
