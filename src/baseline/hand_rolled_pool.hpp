#pragma once
/// @file baseline/hand_rolled_pool.hpp
/// The baseline flowpool is measured against: the Go worker-pool seed written plainly in C++,
/// one job per queue item. bench/ runs it on integer jobs; `flowpool bench GRAPH` runs a graph
/// file's function chain on it. Both use this one implementation.
///
///   submitter ─► job queue ─► worker 0..W-1 ─► results queue ─► results thread
///
/// Each queue is a mutex, a condition variable and a std::deque, closed by its producer side,
/// like a buffered Go channel of capacity N (so the submitter never blocks).

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace flowpool::baseline {

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

/// Runs the seed's pattern once, over jobs of type @p Job giving results of type @p Result,
/// and returns when every result was consumed:
/// - `submit(push)` runs on the submitter thread and calls `push(Job)` once per job;
/// - `make_worker(w)` runs on worker thread w (0 <= w < @p workers) and returns the function
///   that thread calls on each job it takes, `work(Job&&, emit)`, which calls `emit(Result)`
///   once per result the job gives (none: e.g. it was filtered out; several: it was cut into
///   pieces), each result a queue item of its own;
/// - `consume(Result&&)` runs on the results thread, once per result, in arrival order.
template <class Job, class Result, class Submit, class MakeWorker, class Consume>
void run_pool(std::size_t workers, Submit submit, MakeWorker make_worker, Consume consume) {
    ClosableQueue<Job> job_queue;
    ClosableQueue<Result> result_queue;

    std::thread results_thread([&] {
        while (std::optional<Result> result = result_queue.pop()) consume(std::move(*result));
    });

    std::vector<std::thread> worker_threads;
    worker_threads.reserve(workers);
    for (std::size_t w = 0; w < workers; ++w) {
        worker_threads.emplace_back([&, w] {
            auto work = make_worker(w);
            const auto emit = [&result_queue](Result result) {
                result_queue.push(std::move(result));
            };
            while (std::optional<Job> job = job_queue.pop()) work(std::move(*job), emit);
        });
    }

    std::thread submitter([&] {
        submit([&job_queue](Job job) { job_queue.push(std::move(job)); });
        job_queue.close();
    });

    submitter.join();
    for (std::thread& worker : worker_threads) worker.join();
    result_queue.close();  // every worker is done: no result can arrive any more
    results_thread.join();
}

/// One unit of work of the Go seed.
struct Job {
    std::int64_t id;     ///< 0, 1, 2, ...
    std::int64_t value;  ///< the job's input (the seed: its id)
};

/// The outcome of one job of the Go seed.
struct Result {
    std::int64_t job_id;  ///< the job it came from
    std::int64_t value;   ///< what the work made of the job's value
};

/// The results thread's default extra work per result: none.
struct NoSinkWork {
    /// Does nothing with @p result.
    void operator()(std::int64_t /*result*/) const noexcept {}
};

/// The Go seed itself: runs jobs 0..jobs-1 (value = id) through @p work on @p workers threads
/// and returns the sum of the results, summed by the results thread, which also calls
/// @p sink_work on each.
template <class Work, class SinkWork = NoSinkWork>
std::int64_t run_hand_rolled_pool(std::int64_t jobs, int workers, Work work,
                                  SinkWork sink_work = {}) {
    std::int64_t sum = 0;
    run_pool<Job, Result>(
        static_cast<std::size_t>(workers),
        [jobs](auto&& push) {
            for (std::int64_t i = 0; i < jobs; ++i) push(Job{i, i});
        },
        [&work](std::size_t /*worker*/) {
            return [&work](Job&& job, const auto& emit) { emit(Result{job.id, work(job.value)}); };
        },
        [&sum, &sink_work](Result&& result) {
            sum += result.value;
            sink_work(result.value);
        });
    return sum;
}

}  // namespace flowpool::baseline
