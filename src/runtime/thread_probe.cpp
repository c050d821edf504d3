// check_threads_start(): start the threads a run will need and a few more, hold them until all
// are up, let them go, and say which nodes asked for them if they could not all be started.

#include "thread_probe.hpp"

#include <oneapi/tbb/global_control.h>
#include <pthread.h>
#include <flowpool/error.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

namespace flowpool::detail {
namespace {

/// Where the probe's threads wait until every one started, or one could not be.
struct Gate {
    std::mutex mutex;
    std::condition_variable opened;
    bool open = false;
};

void* wait_at(void* gate_ptr) {
    auto& gate = *static_cast<Gate*>(gate_ptr);
    // A thread's first allocation gives it a malloc arena of its own (glibc reserves 64 MiB of
    // address space for each, up to 8 per core), as a worker's will: a memory limit counts it.
    void* volatile memory = std::malloc(64);
    std::free(memory);
    std::unique_lock lock(gate.mutex);
    gate.opened.wait(lock, [&gate] { return gate.open; });
    return nullptr;
}

/// How many threads can be started, up to @p sized with @p stack bytes of stack each, then
/// @p plain more with the default attributes, all running at once; the error that stopped the
/// count, or 0.
int start_threads(std::size_t sized, std::size_t stack, std::size_t plain, std::size_t& started) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack);
    Gate gate;
    std::vector<pthread_t> threads;
    threads.reserve(sized + plain);
    int error = 0;
    while (threads.size() < sized + plain) {
        pthread_t thread{};
        error = pthread_create(&thread, threads.size() < sized ? &attr : nullptr, wait_at, &gate);
        if (error != 0) break;
        threads.push_back(thread);
    }
    pthread_attr_destroy(&attr);
    {
        const std::lock_guard lock(gate.mutex);
        gate.open = true;
    }
    gate.opened.notify_all();
    for (const pthread_t thread : threads) pthread_join(thread, nullptr);
    started = threads.size();
    return error;
}

/// " for node 'a' (concurrency 300)", " for nodes 'a' (concurrency 200), 'b' (concurrency
/// 100)", or "" when no node's jobs wait; @p count is how many were named. A node of concurrency
/// 1 is named only if every one is: lowering it would not help.
std::string waiting_nodes(const PlanNodes& nodes, std::size_t& count) {
    const auto waits = [](const PlanNode& node) { return node.stage && node.stage->waits(); };
    const bool any_wide = std::any_of(nodes.begin(), nodes.end(), [&](const PlanNode& node) {
        return waits(node) && node.concurrency > 1;
    });
    std::string named;
    count = 0;
    for (const PlanNode& node : nodes) {
        if (!waits(node) || (any_wide && node.concurrency == 1)) continue;
        named += (count++ == 0 ? "" : ", ") + ("'" + node.name + "' (concurrency ") +
                 std::to_string(node.concurrency) + ")";
    }
    if (count == 0) return named;
    return (count == 1 ? " for node " : " for nodes ") + named;
}

}  // namespace

std::size_t timeout_threads(const PlanNodes& nodes, std::size_t threads) {
    std::size_t timed = 0;
    for (const PlanNode& node : nodes) {
        if (node.stage && node.timeout.count() > 0) timed += std::min(node.concurrency, threads);
    }
    return std::min(timed, threads);
}

void check_threads_start(const PlanNodes& nodes, std::size_t threads) {
    const std::size_t timed = timeout_threads(nodes, threads);
    if (threads + timed <= 1) return;
    // Room to spare for what the run takes beside its threads' stacks and malloc arenas (the
    // jobs' own memory, the observer's thread): under `ulimit -v`, a run whose threads just fit
    // was seen to fail starting its last few percent.
    const std::size_t spare = (threads + timed) / 16 + 4;
    const std::size_t stack =
        oneapi::tbb::global_control::active_value(oneapi::tbb::global_control::thread_stack_size);
    std::size_t started = 0;
    const int error = start_threads(threads - 1 + spare, stack, timed, started);
    if (error == 0) return;
    std::size_t count = 0;
    const std::string named = waiting_nodes(nodes, count);
    const std::string advice = count == 0   ? "ask for fewer"
                               : count == 1 ? "lower its concurrency"
                                            : "lower their concurrency";
    // The calling thread is one of the run's threads: it and `started` others were running.
    const std::string timers =
        timed == 0 ? "" : " and " + std::to_string(timed) + " for their jobs' timeouts";
    throw UsageError("cannot start " + std::to_string(threads) + " threads" + timers + " (and " +
                     std::to_string(spare) + " spare)" + named + ": " +
                     std::generic_category().message(error) + " after " +
                     std::to_string(started + 1) + "; " + advice);
}

}  // namespace flowpool::detail
