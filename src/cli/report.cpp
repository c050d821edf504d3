// Formatting of a run's figures for people (summary, table, progress) and for programs (JSON).

#include "report.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace flowpool::cli {
namespace {

/// printf into a std::string; every format here is short.
template <class... Args>
std::string format(const char* pattern, Args... args) {
    char buffer[128];
    const int n = std::snprintf(buffer, sizeof buffer, pattern, args...);
    return n < 0 ? std::string() : std::string(buffer, std::min<std::size_t>(n, sizeof buffer - 1));
}

/// A duration in the unit that keeps it readable: `850ns`, `12.5us`, `3.20ms`, `1.50s`.
std::string duration_text(std::chrono::nanoseconds d) {
    const double ns = static_cast<double>(d.count());
    if (ns < 1e3) return format("%.0fns", ns);
    if (ns < 1e6) return format("%.1fus", ns / 1e3);
    if (ns < 1e9) return format("%.2fms", ns / 1e6);
    return format("%.2fs", ns / 1e9);
}

/// Seconds as `m:ss` (or `h:mm:ss` past an hour).
std::string clock_text(double seconds) {
    const auto s = static_cast<long long>(std::max(0.0, seconds) + 0.5);
    if (s >= 3600) return format("%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    return format("%lld:%02lld", s / 60, s % 60);
}

/// A byte count in binary units: `512 B`, `10.0 KiB`, `3.25 MiB`, `1.50 GiB`.
std::string bytes_text(double bytes) {
    if (bytes < 1024) return format("%.0f B", bytes);
    if (bytes < 1024.0 * 1024) return format("%.1f KiB", bytes / 1024);
    if (bytes < 1024.0 * 1024 * 1024) return format("%.2f MiB", bytes / (1024.0 * 1024));
    return format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
}

/// `  ETA m:ss` for @p left units at @p rate units a second; `  ETA --:--` before any rate.
std::string eta_text(double left, double rate) {
    return rate > 0 ? "  ETA " + clock_text(left / rate) : std::string("  ETA --:--");
}

std::string rate_text(double per_second) {
    return per_second >= 100 ? format("%.0f", per_second) : format("%.1f", per_second);
}

std::string concurrency_text(std::size_t concurrency) {
    return concurrency == unlimited ? "unlimited" : std::to_string(concurrency);
}

/// A number JSON can hold: finite, short.
std::string json_number(double value) { return std::isfinite(value) ? format("%.6g", value) : "0"; }

/// Rows of cells, each column as wide as its widest cell; the first column left-aligned.
std::string aligned(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    std::string text;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            const std::string pad(widths[i] - row[i].size(), ' ');
            line += i == 0 ? row[i] + pad : "  " + pad + row[i];
        }
        text += line + '\n';
    }
    return text;
}

}  // namespace

std::string summary_line(const RunStats& stats) {
    std::string line = std::to_string(stats.jobs_in) + " jobs in, " +
                       std::to_string(stats.results_out) + " results out, " +
                       std::to_string(stats.filtered) + " filtered, " +
                       std::to_string(stats.skipped) + " skipped, " + std::to_string(stats.failed) +
                       " failed, " + std::to_string(stats.dead_lettered) + " dead-lettered";
    if (stats.merged != 0 || stats.made != 0) {
        line += ", " + std::to_string(stats.merged) + " merged into " + std::to_string(stats.made) +
                " made";
    }
    if (stats.redelivered != 0) {
        line += ", " + std::to_string(stats.redelivered) + " handed back to be delivered again";
    }
    if (stats.abandoned != 0) line += ", " + std::to_string(stats.abandoned) + " abandoned";
    return line + format(" in %.3f s (%s jobs/s)", stats.wall_seconds(),
                         rate_text(stats.jobs_per_second()).c_str());
}

const NodeStats* bottleneck(const RunStats& stats, std::size_t threads) {
    const NodeStats* busiest = nullptr;
    for (const NodeStats& node : stats.nodes) {
        if (busiest == nullptr ||
            node.utilisation(stats.wall, threads) > busiest->utilisation(stats.wall, threads)) {
            busiest = &node;
        }
    }
    return busiest;
}

std::string stats_table(const RunStats& stats, std::size_t threads) {
    std::vector<std::vector<std::string>> rows{{"node", "kind", "workers", "in", "out",
                                                "filt/fail/skip/dl", "busy", "util", "p50", "p90",
                                                "p99", "max", "queue-hw", "batch"}};
    for (const NodeStats& node : stats.nodes) {
        rows.push_back({node.name, std::string(to_string(node.kind)),
                        concurrency_text(node.concurrency), std::to_string(node.messages_in),
                        std::to_string(node.messages_out),
                        std::to_string(node.filtered) + "/" + std::to_string(node.failed) + "/" +
                            std::to_string(node.skipped) + "/" + std::to_string(node.dead_lettered),
                        duration_text(node.busy),
                        format("%.0f%%", 100 * node.utilisation(stats.wall, threads)),
                        duration_text(node.job_time_p50), duration_text(node.job_time_p90),
                        duration_text(node.job_time_p99), duration_text(node.job_time_max),
                        std::to_string(node.queue_high_water), format("%.1f", node.mean_batch())});
    }
    std::string text = aligned(rows);
    if (const NodeStats* busiest = bottleneck(stats, threads)) {
        text += format("bottleneck: %s (%.0f%% busy)\n", busiest->name.c_str(),
                       100 * busiest->utilisation(stats.wall, threads));
    }
    return text;
}

std::string json_escape(const std::string& s) {
    std::string out;
    for (const char c : s) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            out += format("\\u%04x", static_cast<unsigned>(byte));
        } else {
            out += c;
        }
    }
    return out;
}

namespace {

/// @p s as a JSON string: in quotes, escaped.
std::string json_string(const std::string& s) {
    std::string out = "\"";
    out += json_escape(s);
    out += '"';
    return out;
}

/// The sum over the sources of @p figure (a NodeStats member), or 0 if any source's is 0
/// (it does not know).
std::uint64_t sources_total(const RunStats& stats, std::uint64_t NodeStats::*figure) {
    std::uint64_t total = 0;
    for (const NodeStats& node : stats.nodes) {
        if (node.kind != NodeKind::source) continue;
        if (node.*figure == 0) return 0;
        total += node.*figure;
    }
    return total;
}

}  // namespace

std::string stats_json(const RunStats& stats, std::size_t threads) {
    const auto field = [](const char* name, const std::string& value) {
        return std::string("\"") + name + "\": " + value;
    };
    const auto count = [&](const char* name, std::uint64_t value) {
        return field(name, std::to_string(value));
    };
    const NodeStats* busiest = bottleneck(stats, threads);
    std::string json =
        "{\n  " + count("jobs_in", stats.jobs_in) + ",\n  " +
        count("results_out", stats.results_out) + ",\n  " + count("filtered", stats.filtered) +
        ",\n  " + count("skipped", stats.skipped) + ",\n  " + count("failed", stats.failed) +
        ",\n  " + count("dead_lettered", stats.dead_lettered) + ",\n  " +
        count("redelivered", stats.redelivered) + ",\n  " + count("merged", stats.merged) +
        ",\n  " + count("made", stats.made) + ",\n  " + count("abandoned", stats.abandoned) +
        ",\n  " + field("wall_seconds", json_number(stats.wall_seconds())) + ",\n  " +
        field("jobs_per_second", json_number(stats.jobs_per_second())) + ",\n  " +
        count("threads", threads) + ",\n  " +
        field("bottleneck", busiest != nullptr ? json_string(busiest->name) : "null") +
        ",\n  \"nodes\": [";
    for (std::size_t i = 0; i < stats.nodes.size(); ++i) {
        const NodeStats& node = stats.nodes[i];
        const auto ns = [&](const char* name, std::chrono::nanoseconds d) {
            return count(name, static_cast<std::uint64_t>(d.count()));
        };
        json +=
            std::string(i == 0 ? "" : ",") + "\n    {" + field("name", json_string(node.name)) +
            ", " + field("kind", json_string(std::string(to_string(node.kind)))) + ", " +
            field("concurrency", node.concurrency == unlimited ? std::string("null")
                                                               : std::to_string(node.concurrency)) +
            ", " + count("workers", node.workers) + ",\n     " +
            count("messages_in", node.messages_in) + ", " +
            count("messages_out", node.messages_out) + ", " + count("filtered", node.filtered) +
            ", " + count("failed", node.failed) + ", " + count("skipped", node.skipped) + ", " +
            count("dead_lettered", node.dead_lettered) + ", " +
            count("redelivered", node.redelivered) + ", " + count("retries", node.retries) +
            ",\n     " + ns("busy_ns", node.busy) + ", " +
            field("utilisation", json_number(node.utilisation(stats.wall, threads))) + ", " +
            count("batches", node.batches) + ", " +
            field("mean_batch", json_number(node.mean_batch())) + ", " +
            count("queue_high_water", node.queue_high_water) + ", " +
            count("expected_jobs", node.expected_jobs) + ",\n     " +
            ns("job_time_p50_ns", node.job_time_p50) + ", " +
            ns("job_time_p90_ns", node.job_time_p90) + ", " +
            ns("job_time_p99_ns", node.job_time_p99) + ", " +
            ns("job_time_max_ns", node.job_time_max) + "}";
    }
    return json + "\n  ]\n}\n";
}

std::uint64_t expected_total(const RunStats& stats) {
    return sources_total(stats, &NodeStats::expected_jobs);
}

std::string progress_line(const RunStats& stats, std::uint64_t total) {
    // The sources' jobs that ended with all made from them: not accounted(), which counts a
    // job once per sink it reaches and counts the pieces a node made of it.
    const std::uint64_t done = std::min(stats.retired, total);
    const double seconds = stats.wall_seconds();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
    const double percent =
        total != 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0.0;
    std::string line = std::to_string(done) + "/" + std::to_string(total) + " jobs" +
                       format(" %5.1f%%  %s jobs/s", percent, rate_text(rate).c_str());
    return line + eta_text(static_cast<double>(total - done), rate);
}

std::uint64_t expected_bytes(const RunStats& stats) {
    return sources_total(stats, &NodeStats::input_bytes);
}

std::string bytes_progress_line(const RunStats& stats, std::uint64_t total) {
    std::uint64_t done = 0;
    for (const NodeStats& node : stats.nodes) {
        if (node.kind != NodeKind::source) continue;
        done += std::min(node.input_bytes_done, node.input_bytes);
    }
    const double seconds = stats.wall_seconds();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
    const double percent =
        total != 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0.0;
    return bytes_text(static_cast<double>(done)) + "/" + bytes_text(static_cast<double>(total)) +
           format(" %5.1f%%  %s/s  %llu jobs", percent, bytes_text(rate).c_str(),
                  static_cast<unsigned long long>(stats.jobs_in)) +
           eta_text(static_cast<double>(total - done), rate);
}

}  // namespace flowpool::cli
