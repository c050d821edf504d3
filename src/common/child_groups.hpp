#pragma once
// The process groups of the programs flowpool is running (the `exec` op's), so that whoever
// handles a signal can pass it on to them: the CLI forwards SIGTERM after SIGINT/SIGTERM and
// sends SIGKILL when the drain timeout runs out, so that no program outlives flowpool.

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_set>

namespace flowpool::detail {

class ChildGroups {
public:
    /// The groups of this process's running programs.
    static ChildGroups& running();

    /// Starts a program with @p spawn, which returns its pid (the leader of a group of its own)
    /// or -1, and adds its group; returns what @p spawn returned. Once stop() was called, returns
    /// nothing without calling @p spawn. stop() waits for the starts under way: a program is
    /// either refused or gets stop()'s signal, never neither.
    template <class Spawn>
    std::optional<pid_t> start(Spawn&& spawn) {
        const std::shared_lock starting(starting_);
        if (stopping_.load()) return std::nullopt;
        const pid_t pid = spawn();
        if (pid > 0) {
            const std::lock_guard lock(mutex_);
            groups_.insert(pid);
        }
        return pid;
    }
    /// Removes @p group; call it before reaping the group's leader, so that a signal never
    /// reaches a group whose number the kernel may have given to another.
    void remove(pid_t group);
    /// Sends @p signal to every group, and refuses groups added from now on (add() is false).
    void stop(int signal);
    /// Sends @p signal to every group.
    void signal_all(int signal);

private:
    std::shared_mutex starting_;  // shared by starts, exclusive for stop()
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;  // guards groups_
    std::unordered_set<pid_t> groups_;
};

}  // namespace flowpool::detail
