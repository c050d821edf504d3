#include "observer.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "common/log.hpp"

namespace flowpool::detail {

Observer::Observer(const RunOptions& options, std::function<RunStats()> snapshot)
    : options_(options), snapshot_(std::move(snapshot)) {
    if (options_.observer) thread_ = std::thread([this] { loop(); });
}

void Observer::stop() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Observer::loop() {
    std::unique_lock lock(mutex_);
    const auto every = std::max(options_.observe_every, std::chrono::milliseconds(1));
    while (!wake_.wait_for(lock, every, [this] { return stopping_; })) {
        lock.unlock();
        try {
            options_.observer(snapshot_());
        } catch (...) {
            // Not at all would leave it without the run's final figures, which it may still
            // want (a metrics endpoint), and RunOptions::observer promises them.
            log().warn("the run's observer threw; it is not called again until the end of the run");
            return;
        }
        lock.lock();
    }
}

}  // namespace flowpool::detail
