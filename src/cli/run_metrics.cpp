#include "run_metrics.hpp"

#include <chrono>
#include <iostream>
#include <thread>

#include "command.hpp"
#include "common/log.hpp"
#include "output/metrics_endpoint.hpp"
#include "signals.hpp"

namespace flowpool::cli {

void add_metrics_flags(CLI::App& run, MetricsFlags& flags) {
    run.add_option("--metrics", flags.address,
                   "Serve /metrics (Prometheus), /health and /ready on HOST:PORT while the run "
                   "lasts (host default 127.0.0.1; port 0: any free one)");
    run.add_option("--metrics-linger", flags.linger,
                   "Seconds to keep serving the final figures after the run ends (default 0)")
        ->check(seconds_zero_or_more());
}

RunMetrics::RunMetrics(const MetricsFlags& flags, bool quiet) : linger_(flags.linger) {
    if (flags.address.empty()) return;
    endpoint_ = std::make_unique<detail::MetricsEndpoint>(flags.address, default_workers());
    detail::log().info("metrics endpoint listening on {}", endpoint_->address());
    // One write: std::cerr is unbuffered, and a reader polling for the line must not see half.
    if (!quiet) std::cerr << ("metrics: http://" + endpoint_->address() + "/metrics\n");
}

RunMetrics::~RunMetrics() = default;

void RunMetrics::observe(const RunStats& now) {
    if (!endpoint_) return;
    using detail::RunPhase;
    const RunPhase phase = now.failed != 0        ? RunPhase::failed
                           : cancel_flag().load() ? RunPhase::draining
                                                  : RunPhase::running;
    endpoint_->publish(now, phase);
}

void RunMetrics::finish(const RunResult& result) {
    if (!endpoint_) return;
    using detail::RunPhase;
    endpoint_->publish(result.stats, result.error ? RunPhase::failed : RunPhase::finished);
    if (linger_ <= 0) return;
    detail::log().info("metrics endpoint: serving the final figures for {} s", linger_);
    // A signal during the run set the flag already; then only a second one (which ends the
    // process) cuts the linger short.
    const bool interrupted = cancel_flag().load();
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(linger_);
    while (std::chrono::steady_clock::now() < until && cancel_flag().load() == interrupted) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace flowpool::cli
