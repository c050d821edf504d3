#include "child_groups.hpp"

#include <csignal>

namespace flowpool::detail {

ChildGroups& ChildGroups::running() {
    static ChildGroups groups;
    return groups;
}

bool ChildGroups::add(pid_t group) {
    const std::lock_guard lock(mutex_);
    if (stopping_) return false;
    groups_.insert(group);
    return true;
}

void ChildGroups::remove(pid_t group) {
    const std::lock_guard lock(mutex_);
    groups_.erase(group);
}

void ChildGroups::stop(int signal) {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const pid_t group : groups_) ::kill(-group, signal);
}

void ChildGroups::signal_all(int signal) {
    const std::lock_guard lock(mutex_);
    for (const pid_t group : groups_) ::kill(-group, signal);
}

std::size_t ChildGroups::size() {
    const std::lock_guard lock(mutex_);
    return groups_.size();
}

}  // namespace flowpool::detail
