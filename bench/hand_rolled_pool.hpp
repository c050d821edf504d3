#pragma once
/// @file hand_rolled_pool.hpp
/// The baseline: the Go worker-pool seed written plainly in C++, one job per queue item.
///
///   submitter ─► jobs queue ─► worker 0..W-1 ─► results queue ─► results thread (sums)
///
/// Each queue is a mutex, a condition variable and a std::deque, closed by its producer side,
/// like a buffered Go channel of capacity N (so the submitter never blocks).

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace flowpool::bench {

/// A FIFO closed by its producers; pop() blocks until an item arrives or the queue is closed.
template <class T>
class ClosableQueue {
  public:
    /// Appends @p item and wakes one waiting consumer.
    void push(T item) {
        {
            const std::lock_guard lock(mutex_);
            items_.push_back(std::move(item));
        }
        ready_.notify_one();
    }

    /// No more items will be pushed; consumers drain what is left, then pop() returns nullopt.
    void close() {
        {
            const std::lock_guard lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
    }

    /// The next item, or std::nullopt once the queue is closed and empty.
    std::optional<T> pop() {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return !items_.empty() || closed_; });
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        return item;
    }

  private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<T> items_;
    bool closed_ = false;
};

/// One unit of work, as in the Go seed.
struct Job {
    std::int64_t id;
    std::int64_t value;
};

/// The outcome of one job.
struct Result {
    std::int64_t job_id;
    std::int64_t value;
};

/// The results thread's default extra work per result: none.
struct NoSinkWork {
    void operator()(std::int64_t /*result*/) const noexcept {}
};

/// Runs jobs 0..jobs-1 (value = id) through @p work on @p workers threads and returns the sum
/// of the results, summed by a single results thread that also calls @p sink_work on each.
template <class Work, class SinkWork = NoSinkWork>
std::int64_t run_hand_rolled_pool(std::int64_t jobs, int workers, Work work,
                                  SinkWork sink_work = {}) {
    ClosableQueue<Job> job_queue;
    ClosableQueue<Result> result_queue;

    std::int64_t sum = 0;
    std::thread results_thread([&] {
        while (std::optional<Result> result = result_queue.pop()) {
            sum += result->value;
            sink_work(result->value);
        }
    });

    std::vector<std::thread> worker_threads;
    worker_threads.reserve(static_cast<std::size_t>(workers));
    for (int w = 0; w < workers; ++w) {
        worker_threads.emplace_back([&] {
            while (std::optional<Job> job = job_queue.pop()) {
                result_queue.push(Result{job->id, work(job->value)});
            }
        });
    }

    std::thread submitter([&] {
        for (std::int64_t i = 0; i < jobs; ++i) job_queue.push(Job{i, i});
        job_queue.close();
    });

    submitter.join();
    for (std::thread& worker : worker_threads) worker.join();
    result_queue.close();  // every worker is done: no result can arrive any more
    results_thread.join();
    return sum;
}

}  // namespace flowpool::bench
