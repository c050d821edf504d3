#pragma once
/// @file job_context.hpp
/// What a user function may know about the job it is running.

#include <cstdint>
#include <string_view>

namespace flowpool {

/// The job a body is running: its id, the worker slot running it, and the node's name; in a
/// dead-letter sink, also why and where the job failed.
class JobContext {
public:
    /// Made by the runtime; applications only read it.
    constexpr JobContext(std::uint64_t id, int worker, std::string_view node,
                         std::string_view file = {}) noexcept
        : id_(id), worker_(worker), node_(node), file_(file) {}
    /// Made by the runtime for a dead letter: the job failed at @p failed_node with @p error.
    constexpr JobContext(std::uint64_t id, int worker, std::string_view node,
                         std::string_view failed_node, std::string_view error,
                         std::string_view file = {}) noexcept
        : id_(id),
          worker_(worker),
          node_(node),
          failed_node_(failed_node),
          error_(error),
          file_(file) {}

    /// The job's id: its sequence number at its source, from 0.
    [[nodiscard]] constexpr std::uint64_t id() const noexcept { return id_; }
    /// The worker slot in [0, concurrency) running the job; two jobs running at once on one
    /// node never share a slot.
    [[nodiscard]] constexpr int worker() const noexcept { return worker_; }
    /// The name of the node running the job.
    [[nodiscard]] constexpr std::string_view node() const noexcept { return node_; }
    /// In a dead-letter sink: the node where the job failed; else empty.
    [[nodiscard]] constexpr std::string_view failed_node() const noexcept { return failed_node_; }
    /// In a dead-letter sink: the job's error message; else empty.
    [[nodiscard]] constexpr std::string_view error() const noexcept { return error_; }
    /// The file the job was read from (a `lines`, `jsonl` or `csv` source's), or empty.
    [[nodiscard]] constexpr std::string_view file() const noexcept { return file_; }

private:
    std::uint64_t id_;
    int worker_;
    std::string_view node_;
    std::string_view failed_node_{};
    std::string_view error_{};
    std::string_view file_{};
};

}  // namespace flowpool
