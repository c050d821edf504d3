#include "bench_report.hpp"

#include <cstdio>
#include <string>

namespace flowpool::cli {
namespace {

/// `12.3 M`, `456 k`, `78.9`: a rate to three significant digits, with its SI prefix.
std::string human(double rate) {
    char text[32];
    if (rate >= 1e9) {
        std::snprintf(text, sizeof text, "%.3g G", rate / 1e9);
    } else if (rate >= 1e6) {
        std::snprintf(text, sizeof text, "%.3g M", rate / 1e6);
    } else if (rate >= 1e3) {
        std::snprintf(text, sizeof text, "%.3g k", rate / 1e3);
    } else {
        std::snprintf(text, sizeof text, "%.3g", rate);
    }
    return text;
}

/// One line of the rates: `  NAME  JOBS jobs in SECONDS s: RATE jobs/s  NOTE`.
void print_rate(std::ostream& out, const char* name, const Measured& run, const std::string& note) {
    char line[200];
    std::snprintf(line, sizeof line, "  %-17s %llu jobs in %.4f s: %s jobs/s%s\n", name,
                  static_cast<unsigned long long>(run.jobs),
                  std::chrono::duration<double>(run.wall).count(), human(run.rate()).c_str(),
                  note.c_str());
    out << line;
}

/// Per node of the flowpool run: time in the body per job, and jobs per message (batch size).
void print_nodes(std::ostream& out, const RunStats& stats) {
    out << "  per node (flowpool run): time in the body per job, and jobs per message "
           "(the batch size)\n";
    char line[200];
    for (const NodeStats& node : stats.nodes) {
        const double ns = node.messages_in == 0 ? 0.0
                                                : static_cast<double>(node.busy.count()) /
                                                      static_cast<double>(node.messages_in);
        std::snprintf(line, sizeof line, "    %-16s %-8s %12.1f ns/job %8.1f jobs/message\n",
                      node.name.c_str(), std::string(to_string(node.kind)).c_str(), ns,
                      node.mean_batch());
        out << line;
    }
}

}  // namespace

void print_bench_report(std::ostream& out, const GraphSpec& graph, std::size_t repeat,
                        const Measured& fast, const Measured& slow, std::size_t threads) {
    out << "flowpool bench: graph '" << graph.name << "' (" << graph.file << "), "
        << (repeat == 1 ? std::string("one run") : "median of " + std::to_string(repeat) + " runs")
        << " each\n";
    print_rate(out, "flowpool", fast, "");
    print_rate(out, "hand-rolled pool", slow,
               "  (" + std::to_string(threads) + (threads == 1 ? " thread" : " threads") +
                   ", one job per queue item)");
    if (slow.rate() > 0) {
        char line[80];
        std::snprintf(line, sizeof line, "  flowpool / hand-rolled: %.2fx\n",
                      fast.rate() / slow.rate());
        out << line;
    }
    out << "  sink: " << fast.delivered.jobs << " jobs in the flowpool run, " << slow.delivered.jobs
        << " in the hand-rolled run; ids and values "
        << (fast.delivered.jobs == slow.delivered.jobs &&
                    fast.delivered.checksum == slow.delivered.checksum
                ? "match"
                : "DIFFER (an op that is not deterministic?)")
        << " (its output went to /dev/null)\n";
    print_nodes(out, fast.stats);
}

}  // namespace flowpool::cli
