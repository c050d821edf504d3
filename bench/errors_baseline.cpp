// The program a user would write instead of graphs/errors_by_host.yaml: one thread, simdjson's
// On-Demand API over chunks of whole lines, as bench/json_baseline.cpp reads. It is the baseline
// of the errors-by-host benchmark (bench/README.md, "Expressions and aggregates").
//
//   errors_baseline EVENTS.jsonl            # host count mean, one line per host
//   errors_baseline EVENTS.jsonl --p99      # host count mean p99
//
//   file ─► 4 MiB chunks of whole lines ─► simdjson iterate_many ─► status >= 500?
//        ─► per host: count, sum and every latency_ms ─► one line per host at the end
//
// Each event's `host` (a string), `status` (an integer) and, for a server error (status 500 or
// more), `latency_ms` (a number) are read. Per host it keeps the count, the sum of the latencies
// and the latencies themselves, for an exact p99: the element of 0-based rank floor(0.99·(n-1))
// of the sorted latencies, the one flowpool's sketch approximates (src/ops/quantile_sketch.hpp).
// The p99 is computed whether or not --p99 prints it, so the baseline does the graph's work.
// Hosts are printed in the order of their first error, the mean as std::to_chars writes a double
// (the shortest text that reads back the same), as flowpool writes one. A line that is not JSON,
// or lacks a field, or has one of the wrong type, stops the run with exit code 1.
// Prints `events=N errors=E hosts=H seconds=S MB_per_s=M simdjson=KERNEL` on stderr.

#include "line_chunks.hpp"

#include <simdjson.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

namespace od = simdjson::ondemand;
using flowpool::bench::LineChunks;
using flowpool::bench::open_file;

/// One host's server errors.
struct HostErrors {
    std::string host;
    std::uint64_t count = 0;
    double latency_sum = 0;
    std::vector<double> latencies;

    /// The exact p99: the element of rank floor(0.99·(count-1)) of the sorted latencies.
    double p99() {
        const auto rank = static_cast<std::size_t>(0.99 * static_cast<double>(count - 1));
        std::nth_element(latencies.begin(), latencies.begin() + static_cast<std::ptrdiff_t>(rank),
                         latencies.end());
        return latencies[rank];
    }
};

/// The hosts in the order of their first error, found by name.
class ErrorsByHost {
public:
    void add(std::string_view host, double latency_ms) {
        auto it = index_.find(host);
        if (it == index_.end()) {
            hosts_.push_back(HostErrors{std::string(host), 0, 0, {}});
            it = index_.emplace(hosts_.back().host, hosts_.size() - 1).first;
        }
        HostErrors& errors = hosts_[it->second];
        ++errors.count;
        errors.latency_sum += latency_ms;
        errors.latencies.push_back(latency_ms);
    }

    std::vector<HostErrors>& hosts() { return hosts_; }

private:
    // Transparent: a string_view finds a std::string key without making a string.
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> index_;
    std::vector<HostErrors> hosts_;
};

/// Reads one event; adds it to @p errors if its status is 500 or more.
template <typename Document>
void take(Document&& doc, ErrorsByHost& errors, std::uint64_t event) {
    std::string_view host;
    std::int64_t status = 0;
    double latency_ms = 0;
    auto error = doc["host"].get_string().get(host);
    if (!error) error = doc["status"].get_int64().get(status);
    if (!error && status >= 500) error = doc["latency_ms"].get_double().get(latency_ms);
    if (error) {
        throw std::runtime_error("event " + std::to_string(event) + ": " +
                                 simdjson::error_message(error));
    }
    if (status >= 500) errors.add(host, latency_ms);
}

std::uint64_t run_stream(LineChunks& chunks, ErrorsByHost& errors) {
    od::parser parser;
#ifdef SIMDJSON_THREADS_ENABLED
    parser.threaded = false;  // one thread: no stage 1 running ahead on another
#endif
    std::uint64_t events = 0;
    for (auto chunk = chunks.next(); !chunk.empty(); chunk = chunks.next()) {
        od::document_stream stream;
        if (auto error = parser.iterate_many(chunk.data(), chunk.size(), od::DEFAULT_BATCH_SIZE)
                             .get(stream)) {
            throw std::runtime_error(simdjson::error_message(error));
        }
        for (auto doc : stream) take(doc, errors, events++);
        if (stream.truncated_bytes() != 0) throw std::runtime_error("truncated last document");
    }
    return events;
}

void append_double(std::string& out, double number) {
    char digits[32];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, number).ptr);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Server errors per host in JSON lines: count, mean and p99 latency, one thread."};
    std::string input;
    bool print_p99 = false;
    app.add_option("input", input, "JSON lines to read")->required();
    app.add_flag("--p99", print_p99, "print each host's exact p99 latency as a fourth column");
    CLI11_PARSE(app, argc, argv);

    try {
        const auto start = std::chrono::steady_clock::now();
        auto in = open_file(input, "rb");
        LineChunks chunks(in.get(), 4 << 20);
        ErrorsByHost errors;
        const auto events = run_stream(chunks, errors);
        chunks.check();
        std::string out;
        std::uint64_t error_count = 0;
        for (HostErrors& host : errors.hosts()) {
            error_count += host.count;
            const double p99 = host.p99();
            out += host.host;
            out += ' ';
            out += std::to_string(host.count);
            out += ' ';
            append_double(out, host.latency_sum / static_cast<double>(host.count));
            if (print_p99) {
                out += ' ';
                append_double(out, p99);
            }
            out += '\n';
        }
        if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout)) {
            throw std::runtime_error(std::string("write error: ") + std::strerror(errno));
        }
        const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
        std::fprintf(stderr,
                     "events=%llu errors=%llu hosts=%zu seconds=%.3f MB_per_s=%.1f simdjson=%s\n",
                     static_cast<unsigned long long>(events),
                     static_cast<unsigned long long>(error_count), errors.hosts().size(),
                     seconds.count(), static_cast<double>(chunks.bytes()) / 1e6 / seconds.count(),
                     simdjson::get_active_implementation()->name().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "errors_baseline: %s\n", e.what());
        return 1;
    }
    return 0;
}
