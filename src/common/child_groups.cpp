#include "child_groups.hpp"

#include <csignal>

namespace flowpool::detail {

ChildGroups& ChildGroups::running() {
    static ChildGroups groups;
    return groups;
}

void ChildGroups::remove(pid_t group) {
    const std::lock_guard lock(mutex_);
    groups_.erase(group);
}

void ChildGroups::stop(int signal) {
    const std::unique_lock no_start(starting_);
    stopping_.store(true);
    const std::lock_guard lock(mutex_);
    for (const pid_t group : groups_) ::kill(-group, signal);
}

void ChildGroups::signal_all(int signal) {
    const std::lock_guard lock(mutex_);
    for (const pid_t group : groups_) ::kill(-group, signal);
}

}  // namespace flowpool::detail
