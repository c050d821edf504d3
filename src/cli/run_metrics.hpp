#pragma once
// `flowpool run --metrics HOST:PORT [--metrics-linger S]`: the run's figures served over HTTP
// (src/output/metrics_endpoint.hpp) while it lasts, and S seconds after.

#include <CLI/CLI.hpp>
#include <flowpool/stats.hpp>
#include <memory>
#include <string>

namespace flowpool::detail {
class MetricsEndpoint;
}

namespace flowpool::cli {

/// What `--metrics` and `--metrics-linger` asked for.
struct MetricsFlags {
    std::string address;  ///< `HOST:PORT` or `PORT`; empty: no endpoint
    double linger = 0;    ///< seconds to keep serving after the run ends
};

/// Adds `--metrics` and `--metrics-linger` to @p run.
void add_metrics_flags(CLI::App& run, MetricsFlags& flags);

/// The metrics endpoint of one run, if `--metrics` asked for one; else it does nothing.
class RunMetrics {
public:
    /// Starts serving, and says where on stderr unless @p quiet. Throws UsageError if it cannot.
    RunMetrics(const MetricsFlags& flags, bool quiet);
    ~RunMetrics();
    RunMetrics(const RunMetrics&) = delete;
    RunMetrics& operator=(const RunMetrics&) = delete;

    /// Serves @p now from here on: the observer's figures while the run goes on.
    void observe(const RunStats& now);
    /// Serves the run's final figures, then keeps serving for `--metrics-linger` seconds or until
    /// SIGINT/SIGTERM.
    void finish(const RunResult& result);

private:
    std::unique_ptr<detail::MetricsEndpoint> endpoint_;
    double linger_;
};

}  // namespace flowpool::cli
