// `flowpool top HOST:PORT`: a live per-node table of a running flowpool, redrawn once a second
// from its metrics endpoint (`flowpool run --metrics HOST:PORT`), here or on another machine.
// `q` or Ctrl-C quits.

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "command.hpp"
#include "output/metrics_client.hpp"
#include "signals.hpp"

namespace flowpool::cli {
namespace {

/// `flowpool top`'s command line.
struct TopArgs {
    std::string address;  ///< HOST:PORT of a run's metrics endpoint
    double interval = 1;  ///< seconds between redraws
    bool once = false;    ///< print one table and leave
};

/// One node's figures, read off a /metrics page.
struct NodeRow {
    std::string kind;
    std::map<std::string, double> figures;  ///< metric name -> value
};

/// A /metrics page, read back: the run's figures and each node's, nodes in page order.
struct Page {
    std::map<std::string, double> run;  ///< flowpool_run_* (state: `state` below)
    std::string state = "?";
    std::vector<std::string> order;
    std::map<std::string, NodeRow> nodes;
};

/// The value of label @p key in @p labels (`a="x",b="y"`), unescaped; empty if absent.
std::string label(const std::string& labels, const std::string& key) {
    const std::string start = key + "=\"";
    std::size_t at = 0;
    while ((at = labels.find(start, at)) != std::string::npos) {
        if (at == 0 || labels[at - 1] == ',') break;
        ++at;
    }
    if (at == std::string::npos) return "";
    std::string value;
    for (std::size_t i = at + start.size(); i < labels.size() && labels[i] != '"'; ++i) {
        if (labels[i] == '\\' && i + 1 < labels.size()) {
            ++i;
            value += labels[i] == 'n' ? '\n' : labels[i];
        } else {
            value += labels[i];
        }
    }
    return value;
}

/// Reads the samples of flowpool's own /metrics page (not a general Prometheus parser: it
/// knows the shape flowpool writes, one sample a line, labels without `}` in them).
Page parse_page(const std::string& text) {
    Page page;
    std::size_t begin = 0;
    while (begin < text.size()) {
        std::size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(begin, end - begin);
        begin = end + 1;
        if (line.empty() || line[0] == '#') continue;
        const std::size_t brace = line.find('{');
        const std::size_t space = line.rfind(' ');
        if (space == std::string::npos) continue;
        const std::string name = line.substr(0, std::min(brace, space));
        const std::string labels =
            brace < space ? line.substr(brace + 1, line.rfind('}', space) - brace - 1) : "";
        const double value = std::strtod(line.c_str() + space + 1, nullptr);
        const std::string node = label(labels, "node");
        if (node.empty()) {
            if (name == "flowpool_run_state" && value == 1) page.state = label(labels, "state");
            page.run[name] = value;
            continue;
        }
        if (!label(labels, "le").empty()) continue;  // histogram buckets: not shown
        if (!page.nodes.count(node)) page.order.push_back(node);
        NodeRow& row = page.nodes[node];
        row.kind = label(labels, "kind");
        row.figures[name] = value;
    }
    return page;
}

/// The figure @p name in @p figures, or 0.
double figure(const std::map<std::string, double>& figures, const std::string& name) {
    const auto it = figures.find(name);
    return it != figures.end() ? it->second : 0.0;
}

std::string format(const char* pattern, auto... values) {
    char text[256];
    std::snprintf(text, sizeof text, pattern, values...);
    return text;
}

/// The node with the highest utilisation, as `--stats` marks its bottleneck.
std::string busiest(const Page& page) {
    std::string name;
    double most = -1;
    for (const std::string& node : page.order) {
        const double util = figure(page.nodes.at(node).figures, "flowpool_node_utilisation");
        if (util > most) {
            most = util;
            name = node;
        }
    }
    return name;
}

/// Jobs in per second at @p node since @p before, or `-` without an earlier page.
std::string rate(const Page& page, const std::optional<Page>& before, const std::string& node) {
    if (!before || !before->nodes.count(node)) return "-";
    const double seconds = figure(page.run, "flowpool_run_uptime_seconds") -
                           figure(before->run, "flowpool_run_uptime_seconds");
    if (seconds <= 0) return "-";
    const std::string in = "flowpool_node_jobs_in_total";
    return format("%.0f", (figure(page.nodes.at(node).figures, in) -
                           figure(before->nodes.at(node).figures, in)) /
                              seconds);
}

/// The table: a header with the run's state, then a row per node; the busiest node marked.
std::string draw(const Page& page, const std::optional<Page>& before, const std::string& address) {
    std::string out =
        format("flowpool top %s: %s, up %.1f s, %.0f batches in flight", address.c_str(),
               page.state.c_str(), figure(page.run, "flowpool_run_uptime_seconds"),
               figure(page.run, "flowpool_run_in_flight_batches")) +
        "    (q quits)\n\n";
    out += format("%-16s %-8s %12s %12s %12s %16s %6s %6s\n", "node", "kind", "rate/s", "in", "out",
                  "fail/skip/dl", "util", "queue");
    const std::string bottleneck = busiest(page);
    for (const std::string& name : page.order) {
        const NodeRow& row = page.nodes.at(name);
        const auto get = [&](const char* metric) { return figure(row.figures, metric); };
        const std::string failures = format(
            "%.0f/%.0f/%.0f", get("flowpool_node_jobs_failed_total"),
            get("flowpool_node_jobs_skipped_total"), get("flowpool_node_jobs_dead_lettered_total"));
        out += format("%-16.16s %-8s %12s %12.0f %12.0f %16s %5.0f%% %6.0f", name.c_str(),
                      row.kind.c_str(), rate(page, before, name).c_str(),
                      get("flowpool_node_jobs_in_total"), get("flowpool_node_jobs_out_total"),
                      failures.c_str(), 100 * get("flowpool_node_utilisation"),
                      get("flowpool_node_queued_batches"));
        out += name == bottleneck ? "  <- bottleneck\n" : "\n";
    }
    return out;
}

/// The terminal in non-canonical mode without echo while `flowpool top` runs, so a `q` is read
/// at once; put back as it was on destruction. Nothing if standard input is not a terminal.
class KeyReader {
public:
    KeyReader()
        : terminal_(::isatty(STDIN_FILENO) == 1 && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
        if (!terminal_) return;
        termios raw = saved_;
        raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    ~KeyReader() {
        if (terminal_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }
    KeyReader(const KeyReader&) = delete;
    KeyReader& operator=(const KeyReader&) = delete;

    /// Waits @p seconds; true if `q` was typed or SIGINT/SIGTERM came meanwhile.
    bool quit_within(double seconds) {
        const auto until =
            std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < until) {
            if (caught_signal() != 0) return true;
            if (!terminal_) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                continue;
            }
            pollfd in{STDIN_FILENO, POLLIN, 0};
            if (::poll(&in, 1, 20) == 1) {
                char key = 0;
                if (::read(STDIN_FILENO, &key, 1) == 1 && (key == 'q' || key == 'Q')) return true;
            }
        }
        return caught_signal() != 0;
    }

private:
    termios saved_{};
    bool terminal_;
};

int top_command(const TopArgs& args) {
    detail::parse_metrics_address(args.address, "address");  // a malformed one: exit 2 at once
    std::string text;
    try {
        text = detail::fetch_metrics(args.address);
    } catch (const UsageError&) {
        throw;
    } catch (const Error& e) {
        throw UsageError(e.what());  // nothing to watch there: the address is wrong
    }
    if (args.once) {
        std::cout << draw(parse_page(text), std::nullopt, args.address);
        return ok;
    }
    install_signal_handlers();
    KeyReader keys;
    std::optional<Page> before;
    while (true) {
        Page page = parse_page(text);
        std::cout << "\033[H\033[2J" << draw(page, before, args.address) << std::flush;
        before = std::move(page);
        if (keys.quit_within(args.interval)) break;
        try {
            text = detail::fetch_metrics(args.address);
        } catch (const Error& e) {
            std::cout << "\n" << e.what() << ": the run is over\n";
            return ok;
        }
    }
    const int signal = caught_signal();
    return signal != 0 ? 128 + signal : ok;
}

}  // namespace

Command add_top_command(CLI::App& app) {
    auto args = std::make_shared<TopArgs>();
    CLI::App* top = app.add_subcommand(
        "top", "A live per-node table of a run serving --metrics, redrawn every second");
    top->add_option("address", args->address, "HOST:PORT of the run's --metrics endpoint")
        ->required();
    top->add_option("--interval", args->interval, "Seconds between redraws (default 1)")
        ->check(seconds_above_zero());
    top->add_flag("--once", args->once, "Print the table once and leave");
    return {top, [args] { return top_command(*args); }};
}

}  // namespace flowpool::cli
