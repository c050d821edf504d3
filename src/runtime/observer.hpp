#pragma once
// The observer of a run (RunOptions::observer), called while the run goes on.

#include <flowpool/stats.hpp>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace flowpool::detail {

/// Calls RunOptions::observer with fresh figures every observe_every, from a thread of its own,
/// until stopped (by stop() or the destructor). Does nothing if there is no observer.
class Observer {
public:
    /// @p snapshot makes the figures to pass; called on the observer's thread.
    Observer(const RunOptions& options, std::function<RunStats()> snapshot);
    ~Observer() { stop(); }
    Observer(const Observer&) = delete;
    Observer& operator=(const Observer&) = delete;

    /// Stops the calls and waits for the one under way, if any. Idempotent.
    void stop();

private:
    void loop();

    const RunOptions& options_;
    std::function<RunStats()> snapshot_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace flowpool::detail
