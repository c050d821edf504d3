#pragma once
/// @file on_error.hpp
/// What a node does with a job whose body threw: fail the run, skip the job, send it to a
/// dead-letter sink, or hand it back to a source that delivers it again, after retrying it if
/// asked.
///
/// @code
/// .stage("parse", 4, parse).on_error(flowpool::OnError::skip().retried(3, 10ms))
/// @endcode

#include <chrono>
#include <string>
#include <utility>

namespace flowpool {

/// A node's failure policy. The default fails the run: the sources stop, the jobs in flight
/// finish, and the run reports the first failed job.
struct OnError {
    /// What happens to a job once its last try failed.
    enum class Action {
        fail,         ///< count it as failed and stop the sources
        skip,         ///< count it as skipped and go on
        dead_letter,  ///< send it, with its error, to the sink named `dead_letter`, and go on
        /// hand it back to its source and go on: a source that delivers jobs again (a Redis
        /// stream) does so later; from any other source the job fails as under `fail`
        redeliver
    };

    Action action = Action::fail;  ///< after the last try
    int attempts = 1;              ///< tries per job, the first included
    std::chrono::milliseconds backoff{
        0};                     ///< wait before the second try; doubled for each further one
    std::string dead_letter{};  ///< the sink that gets the failed jobs (Action::dead_letter)

    /// Fail the run (the default).
    [[nodiscard]] static OnError fail() { return {}; }
    /// Drop the failed job, count it as skipped, and go on.
    [[nodiscard]] static OnError skip() { return {Action::skip}; }
    /// Send the failed job and its error to the sink named @p sink, and go on.
    [[nodiscard]] static OnError dead_letter_to(std::string sink) {
        return {Action::dead_letter, 1, {}, std::move(sink)};
    }
    /// Hand the failed job back to its source to be delivered again later, and go on.
    [[nodiscard]] static OnError redeliver() { return {Action::redeliver}; }
    /// This policy, after trying each job up to @p tries times, waiting @p first_backoff before the
    /// second try and twice as long before each further one.
    [[nodiscard]] OnError retried(int tries, std::chrono::milliseconds first_backoff = {}) const {
        OnError copy = *this;
        copy.attempts = tries;
        copy.backoff = first_backoff;
        return copy;
    }
};

}  // namespace flowpool
