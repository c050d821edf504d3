#pragma once
// The metrics endpoint of `flowpool run --metrics HOST:PORT`: an HTTP server (civetweb, on
// threads of its own) serving /metrics (Prometheus text), /health and /ready from the latest
// figures the run's observer published. Workers never wait for it: they only bump atomics,
// which the observer thread reads; a scrape copies the observer's latest snapshot.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <flowpool/stats.hpp>
#include <mutex>
#include <string>

#include "prometheus.hpp"

struct mg_context;
struct mg_connection;

namespace flowpool::detail {

/// An HTTP server for one run's figures, serving until destroyed.
class MetricsEndpoint {
public:
    /// Listens on @p address: `HOST:PORT`, `:PORT` or `PORT` (host 127.0.0.1; port 0: one the
    /// system picks). @p threads: the workers the run can use (for utilisation). Throws
    /// UsageError if the address is malformed or cannot be listened on.
    MetricsEndpoint(const std::string& address, std::size_t threads);
    ~MetricsEndpoint();
    MetricsEndpoint(const MetricsEndpoint&) = delete;
    MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

    /// Replaces the figures served with @p stats, in @p phase. Called by the observer thread.
    void publish(const RunStats& stats, RunPhase phase);
    /// The phase last published.
    [[nodiscard]] RunPhase phase() const;
    /// `HOST:PORT` as listened on (with the port the system picked, if asked for 0).
    [[nodiscard]] const std::string& address() const noexcept { return address_; }

private:
    class Answer;
    static int serve_metrics(mg_connection* connection, void* self);
    static int serve_health(mg_connection* connection, void* self);
    static int serve_ready(mg_connection* connection, void* self);

    mutable std::mutex mutex_;  // guards latest_, phase_, answering_ and closing_
    mutable std::condition_variable answered_;
    RunStats latest_;
    RunPhase phase_ = RunPhase::starting;
    mutable std::size_t answering_ = 0;  ///< requests being answered now
    bool closing_ = false;               ///< the destructor has begun: no request is answered
    const std::size_t threads_;
    const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::string host_;  ///< as listened on: an address, IPv6 without brackets
    std::string port_;  ///< as listened on (the one the system picked, if asked for 0)
    std::string address_;
    mg_context* context_ = nullptr;
};

}  // namespace flowpool::detail
