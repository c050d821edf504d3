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
// What it shares with bench/errors_floor.cpp (the hosts, the reading of the events, the lines
// printed) is in errors_hosts.hpp; its own is the reading of the whole file on one thread.

#include "errors_hosts.hpp"
#include "line_chunks.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

namespace bench = flowpool::bench;

int main(int argc, char** argv) {
    CLI::App app{"Server errors per host in JSON lines: count, mean and p99 latency, one thread."};
    std::string input;
    bool print_p99 = false;
    app.add_option("input", input, "JSON lines to read")->required();
    app.add_flag("--p99", print_p99, "print each host's exact p99 latency as a fourth column");
    CLI11_PARSE(app, argc, argv);

    try {
        const auto start = std::chrono::steady_clock::now();
        auto in = bench::open_file(input, "rb");
        bench::LineChunks chunks(in.get(), 4 << 20);
        bench::ErrorsByHost errors;
        const auto events = bench::read_events(chunks, errors);
        chunks.check();
        bench::print_hosts(errors.hosts(), print_p99);
        const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
        std::fprintf(stderr, "%s\n",
                     bench::summary(events, errors, chunks.bytes(), seconds).c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "errors_baseline: %s\n", e.what());
        return 1;
    }
    return 0;
}
