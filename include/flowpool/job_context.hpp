#pragma once
/// @file job_context.hpp
/// What a user function may know about the job it is running.

#include <cstdint>
#include <string_view>

namespace flowpool {

/// The job a body is running: its id, the worker slot running it, and the node's name.
class JobContext {
public:
    /// Made by the runtime; applications only read it.
    constexpr JobContext(std::uint64_t id, int worker, std::string_view node) noexcept
        : id_(id), worker_(worker), node_(node) {}

    /// The job's id: its sequence number at its source, from 0.
    [[nodiscard]] constexpr std::uint64_t id() const noexcept { return id_; }
    /// The worker slot in [0, concurrency) running the job; two jobs running at once on one
    /// node never share a slot.
    [[nodiscard]] constexpr int worker() const noexcept { return worker_; }
    /// The name of the node running the job.
    [[nodiscard]] constexpr std::string_view node() const noexcept { return node_; }

private:
    std::uint64_t id_;
    int worker_;
    std::string_view node_;
};

}  // namespace flowpool
