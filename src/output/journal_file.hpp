#pragma once
// A run's journal in a file (`--journal FILE`): one line per finished source job, written with
// write(2) as its batch retires (so a killed flowpool loses none) and fsynced every 100 ms (so a
// crashed machine loses at most the last 100 ms). A resumed run reads it back and leaves out the
// jobs it lists as finished.
//
//   flowpool-journal 1<TAB>HEADER      what the run was (a graph's digest, exec's command)
//   ok<TAB>SOURCE<TAB>ID
//   failed<TAB>SOURCE<TAB>ID<TAB>NODE: WHY   (tabs, newlines and backslashes escaped)
//
// A later line about a job overrides an earlier one (a failed job retried). A last line without
// its newline (cut short by SIGKILL) is ignored and cut off the file before appending.
//
// The file is read and checked when a JournalFile is made, and changed only from start(), when
// the run really starts: a run refused before (a sink's file that cannot be opened) leaves it as
// it was.

#include <sys/types.h>

#include <flowpool/journal.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace flowpool::detail {

class JournalFile final : public RunJournal {
public:
    /// What a run does with the jobs an earlier run journaled.
    enum class Resume {
        none,         ///< nothing: the file is started again
        skip_done,    ///< leave out the jobs that succeeded and those that failed (`--resume`)
        retry_failed  ///< leave out the jobs that succeeded only (`--resume-failed`)
    };

    /// A journal at @p path for a run described by @p header (one line), not yet written: with
    /// Resume::none, start() creates or truncates it (a file with something else than a journal
    /// in it is refused here); otherwise this reads what an earlier run wrote (a missing file is
    /// an empty journal) and start() appends. Throws UsageError if it cannot be written (its
    /// directory, or the file, is not writable) or read, if its header is not @p header, or if a
    /// complete line is not a journal line.
    JournalFile(std::string path, std::string header, Resume resume);
    ~JournalFile() override;
    JournalFile(const JournalFile&) = delete;
    JournalFile& operator=(const JournalFile&) = delete;

    /// Creates or truncates the file (Resume::none) or cuts off its torn last line, writes the
    /// header if it is empty, and starts the syncer. Throws UsageError if it cannot.
    void start() override;
    [[nodiscard]] bool skips(std::string_view source, std::uint64_t id) const noexcept override;
    void finished(std::string_view source, const std::vector<std::uint64_t>& ids,
                  const std::vector<FailedJob>& failed) noexcept override;

    /// Writes what is left and fsyncs; returns the first write error (`cannot write ...`), or
    /// empty. Called once, after the run (that may not have started it).
    std::string close();

    /// Jobs the earlier run journaled as succeeded, and as failed.
    [[nodiscard]] std::uint64_t earlier_ok() const noexcept { return earlier_ok_; }
    [[nodiscard]] std::uint64_t earlier_failed() const noexcept { return earlier_failed_; }
    /// Jobs the sources left out so far.
    [[nodiscard]] std::uint64_t left_out() const noexcept {
        return left_out_.load(std::memory_order_relaxed);
    }

private:
    /// Throws UsageError if the file holds something other than a journal.
    void refuse_other_file() const;
    void read_earlier(const std::string& header);
    void read_line(std::string_view line, std::size_t number);
    /// Throws UsageError unless start() will be able to open the file for writing.
    void check_writable() const;
    void write(const std::string& text) noexcept;
    void sync_loop();

    std::string path_;
    std::string header_;
    Resume resume_;
    std::optional<off_t> torn_at_;  // where the torn last line read_earlier() found starts
    int fd_ = -1;
    // Per source, per job id: true if it succeeded last time it was journaled.
    std::map<std::string, std::unordered_map<std::uint64_t, bool>, std::less<>> earlier_;
    std::uint64_t earlier_ok_ = 0;
    std::uint64_t earlier_failed_ = 0;
    mutable std::atomic<std::uint64_t> left_out_{0};

    std::mutex mutex_;  // the descriptor's writes, dirty_, error_, closing_
    std::condition_variable wake_;
    bool dirty_ = false;    // written since the last fsync
    bool closing_ = false;  // the syncer should end
    std::string error_;     // the first write or fsync error
    std::thread syncer_;
};

}  // namespace flowpool::detail
