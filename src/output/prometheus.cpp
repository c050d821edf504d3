#include "prometheus.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace flowpool::detail {
namespace {

/// A per-node figure: its metric name, help text, Prometheus type, and how to read it.
struct NodeFigure {
    const char* name;
    const char* help;
    const char* type;
    double (*read)(const NodeStats&, double wall_seconds, std::size_t threads);
};

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

template <std::uint64_t NodeStats::*Field>
double count(const NodeStats& s, double, std::size_t) {
    return static_cast<double>(s.*Field);
}

constexpr std::array node_figures{
    NodeFigure{"flowpool_node_jobs_in_total", "Jobs that reached the node", "counter",
               count<&NodeStats::messages_in>},
    NodeFigure{"flowpool_node_jobs_out_total", "Jobs the node passed on (a sink: consumed)",
               "counter", count<&NodeStats::messages_out>},
    NodeFigure{"flowpool_node_jobs_filtered_total", "Jobs the node dropped on purpose", "counter",
               count<&NodeStats::filtered>},
    NodeFigure{"flowpool_node_jobs_skipped_total", "Jobs that failed here and were dropped",
               "counter", count<&NodeStats::skipped>},
    NodeFigure{"flowpool_node_jobs_failed_total", "Jobs that failed here and failed the run",
               "counter", count<&NodeStats::failed>},
    NodeFigure{"flowpool_node_jobs_dead_lettered_total",
               "Jobs that failed here and went to a dead-letter sink", "counter",
               count<&NodeStats::dead_lettered>},
    NodeFigure{"flowpool_node_jobs_redelivered_total",
               "Jobs that failed here and went back to their source", "counter",
               count<&NodeStats::redelivered>},
    NodeFigure{"flowpool_node_retries_total", "Tries repeated after a failure", "counter",
               count<&NodeStats::retries>},
    NodeFigure{"flowpool_node_batches_total", "Batches (messages) the node ran", "counter",
               count<&NodeStats::batches>},
    NodeFigure{"flowpool_node_busy_seconds_total", "Time spent in the node's body, all workers",
               "counter", [](const NodeStats& s, double, std::size_t) { return seconds(s.busy); }},
    NodeFigure{"flowpool_node_utilisation",
               "Busy time over wall time times the workers the node can use", "gauge",
               [](const NodeStats& s, double wall, std::size_t threads) {
                   return s.utilisation(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::duration<double>(wall)),
                                        threads);
               }},
    NodeFigure{
        "flowpool_node_queued_batches", "Batches waiting for the node now", "gauge",
        [](const NodeStats& s, double, std::size_t) { return static_cast<double>(s.queued); }},
    NodeFigure{
        "flowpool_node_in_flight_batches", "Batches the node's workers are running now", "gauge",
        [](const NodeStats& s, double, std::size_t) { return static_cast<double>(s.running); }},
    NodeFigure{"flowpool_node_queue_high_water_batches", "Most batches waiting for it at once",
               "gauge",
               [](const NodeStats& s, double, std::size_t) {
                   return static_cast<double>(s.queue_high_water);
               }},
};

std::string number(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.15g", v);
    return text;
}

std::string number(std::uint64_t v) { return std::to_string(v); }

void family(std::string& out, const char* name, const char* help, const char* type) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

/// `{node="NAME",kind="KIND"` without the closing brace, so a caller may add labels.
std::string node_labels(const NodeStats& s) {
    return "{node=\"" + prometheus_label(s.name) + "\",kind=\"" + std::string(to_string(s.kind)) +
           "\"";
}

void job_duration(std::string& out, const RunStats& stats) {
    const char* name = "flowpool_node_job_duration_seconds";
    family(out, name, "Time per job, from each batch's time over its jobs", "histogram");
    for (const NodeStats& s : stats.nodes) {
        const std::string labels = node_labels(s);
        for (std::size_t i = 0; i < job_time_buckets; ++i) {
            out.append(name).append("_bucket").append(labels).append(",le=\"");
            out.append(number(seconds(job_time_bucket_bound(i)))).append("\"} ");
            out.append(number(s.job_time_below[i])).append("\n");
        }
        out.append(name).append("_bucket").append(labels).append(",le=\"+Inf\"} ");
        out.append(number(s.job_time_count)).append("\n");
        out.append(name).append("_sum").append(labels).append("} ");
        out.append(number(seconds(s.job_time_sum))).append("\n");
        out.append(name).append("_count").append(labels).append("} ");
        out.append(number(s.job_time_count)).append("\n");
    }
}

void run_figures(std::string& out, const RunStats& stats, RunPhase phase, double uptime) {
    family(out, "flowpool_run_uptime_seconds", "Seconds since the endpoint started serving",
           "gauge");
    out.append("flowpool_run_uptime_seconds ").append(number(uptime)).append("\n");
    family(out, "flowpool_run_wall_seconds", "Wall time of the run the figures are from", "gauge");
    out.append("flowpool_run_wall_seconds ").append(number(stats.wall_seconds())).append("\n");
    family(out, "flowpool_run_in_flight_batches", "Source batches made and not yet retired",
           "gauge");
    out.append("flowpool_run_in_flight_batches ")
        .append(number(std::uint64_t{stats.batches_in_flight}))
        .append("\n");
    family(out, "flowpool_run_state", "1 for the state the run is in, 0 for the others", "gauge");
    for (const RunPhase p : {RunPhase::starting, RunPhase::running, RunPhase::draining,
                             RunPhase::failed, RunPhase::finished}) {
        out.append("flowpool_run_state{state=\"").append(to_string(p)).append("\"} ");
        out.append(p == phase ? "1\n" : "0\n");
    }
}

}  // namespace

std::string_view to_string(RunPhase phase) noexcept {
    switch (phase) {
        case RunPhase::starting:
            return "starting";
        case RunPhase::running:
            return "running";
        case RunPhase::draining:
            return "draining";
        case RunPhase::failed:
            return "failed";
        case RunPhase::finished:
            return "finished";
    }
    return "unknown";
}

std::string prometheus_label(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string prometheus_text(const RunStats& stats, RunPhase phase, double uptime_seconds,
                            std::size_t threads) {
    std::string out;
    out.reserve(512 + stats.nodes.size() * 3000);
    run_figures(out, stats, phase, uptime_seconds);
    const double wall = stats.wall_seconds();
    for (const NodeFigure& f : node_figures) {
        family(out, f.name, f.help, f.type);
        for (const NodeStats& s : stats.nodes) {
            out.append(f.name).append(node_labels(s)).append("} ");
            out.append(number(f.read(s, wall, threads))).append("\n");
        }
    }
    job_duration(out, stats);
    return out;
}

}  // namespace flowpool::detail
