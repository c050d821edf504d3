#pragma once
/// @file detail/thread_number.hpp
/// A small number for the calling thread, the same wherever it is asked for.

#include <atomic>

namespace flowpool::detail {

/// A small number naming the calling thread: 0, 1, 2, ... in the order threads first ask.
inline unsigned thread_number() noexcept {
    static std::atomic<unsigned> next{0};
    thread_local const unsigned number = next.fetch_add(1, std::memory_order_relaxed);
    return number;
}

}  // namespace flowpool::detail
