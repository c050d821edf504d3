#pragma once
// The process groups of the programs flowpool is running (the `exec` op's), so that whoever
// handles a signal can pass it on to them: the CLI forwards SIGTERM after SIGINT/SIGTERM and
// sends SIGKILL when the drain timeout runs out, so that no program outlives flowpool.

#include <sys/types.h>

#include <mutex>
#include <unordered_set>

namespace flowpool::detail {

class ChildGroups {
public:
    /// The groups of this process's running programs.
    static ChildGroups& running();

    /// Adds the group @p group (a program's pid, which leads its own group). Returns false,
    /// adding nothing, once stop() was called: the caller should end the program at once.
    [[nodiscard]] bool add(pid_t group);
    /// Removes @p group; call it before reaping the group's leader, so that a signal never
    /// reaches a group whose number the kernel may have given to another.
    void remove(pid_t group);
    /// Sends @p signal to every group, and refuses groups added from now on (add() is false).
    void stop(int signal);
    /// Sends @p signal to every group.
    void signal_all(int signal);
    /// The number of groups running.
    [[nodiscard]] std::size_t size();

private:
    std::mutex mutex_;
    std::unordered_set<pid_t> groups_;
    bool stopping_ = false;
};

}  // namespace flowpool::detail
