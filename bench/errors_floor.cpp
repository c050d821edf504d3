// The floor of the errors-by-host benchmark (bench/README.md, "Expressions and aggregates"): the
// best a hand-written program does on N threads (2 by default, the CPUs of the machine measured
// on), against which graphs/errors_by_host.yaml is set. It does the work of errors_baseline.cpp,
// shared among the threads, and prints the same bytes on stdout.
//
//   errors_floor EVENTS.jsonl                  # host count mean, one line per host; 2 threads
//   errors_floor EVENTS.jsonl --p99            # host count mean p99
//   errors_floor EVENTS.jsonl --threads 4
//
//   file ─┬─► range 1 ─► 4 MiB chunks ─► iterate_many ─► status >= 500? ─► per host ─┬─► merge
//         │   ...        N ranges of whole lines, a thread each                      │
//         └─► range N ─► 4 MiB chunks ─► iterate_many ─► status >= 500? ─► per host ─┘
//        ─► per host, ranges in file order: count, sum and latencies ─► one line per host
//
// The file is cut into N contiguous ranges of whole lines: the first starts at byte 0, range i
// after the first newline at or after byte i·size/N. Each thread reads its range as the baseline
// reads the file (LineChunks, stopped at the range's end) with a FILE* of its own, its own
// simdjson parser (stage-1 thread off) and its own hosts: count, latency sum and every latency.
// The calling thread reads the first range. At the end the partials are merged in range order, so
// a host stands where its first error in the file is and its latencies come in file order; the
// latencies of a later range are added to the sum one by one rather than as that range's sum, so
// the sum, and the mean, are the baseline's bit for bit. The p99 is the baseline's: the element
// of 0-based rank floor(0.99·(n-1)) of the sorted latencies, computed with or without --p99. A
// line that is not JSON, or lacks a field, or has one of the wrong type, stops the run with exit
// code 1; the first range that failed is reported, its bad event numbered in the whole file. The
// input must be a file that can be seeked, not a pipe.
// Prints `events=N errors=E hosts=H seconds=S MB_per_s=M simdjson=KERNEL threads=T` on stderr.
// What it shares with bench/errors_baseline.cpp (the hosts, with the taking in of a later range's,
// the reading of the events, the lines printed) is in errors_hosts.hpp; its own are the ranges,
// the threads and their merge, below.

#include "errors_hosts.hpp"
#include "line_chunks.hpp"

#include <sys/types.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace bench = flowpool::bench;

/// Whole lines of the file, bytes [begin, end).
struct ByteRange {
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

void seek(std::FILE* file, std::uint64_t offset, int whence) {
    if (fseeko(file, static_cast<off_t>(offset), whence) != 0) {
        throw std::runtime_error(std::string("cannot seek: ") + std::strerror(errno));
    }
}

/// The offset just past the first newline at or after @p from; the file's size if none.
std::uint64_t after_newline(std::FILE* file, std::uint64_t from) {
    seek(file, from, SEEK_SET);
    int c = 0;
    while ((c = std::getc(file)) != EOF && c != '\n') {
    }
    if (std::ferror(file)) throw std::runtime_error("read error");
    return static_cast<std::uint64_t>(ftello(file));
}

/// Cuts @p file into @p count ranges of whole lines of about equal size.
std::vector<ByteRange> split_at_lines(std::FILE* file, unsigned count) {
    seek(file, 0, SEEK_END);
    const auto size = static_cast<std::uint64_t>(ftello(file));
    std::vector<ByteRange> ranges(count);
    for (unsigned i = 1; i < count; ++i) {
        ranges[i].begin = after_newline(file, size * i / count);
        ranges[i - 1].end = ranges[i].begin;
    }
    ranges[count - 1].end = size;
    return ranges;
}

/// What one thread found in its range.
struct RangeResult {
    bench::ErrorsByHost errors;
    std::uint64_t events = 0;
    std::uint64_t bytes = 0;
    std::exception_ptr failure;
};

/// Reads @p range of the file with a FILE* and a parser of its own; a failure is kept in @p out.
void read_range(const std::string& path, ByteRange range, RangeResult& out) noexcept {
    try {
        auto in = bench::open_file(path, "rb");
        seek(in.get(), range.begin, SEEK_SET);
        bench::LineChunks chunks(in.get(), 4 << 20, range.end - range.begin);
        out.events = bench::read_events(chunks, out.errors);
        chunks.check();
        out.bytes = chunks.bytes();
    } catch (...) {
        out.failure = std::current_exception();
    }
}

/// Throws the failure of the first range that failed, a bad event numbered in the whole file.
void throw_first_failure(const std::vector<RangeResult>& results) {
    std::uint64_t events_before = 0;  // all read: every range before the first failed one is whole
    for (const RangeResult& result : results) {
        if (result.failure) {
            try {
                std::rethrow_exception(result.failure);
            } catch (const bench::BadEvent& bad) {
                throw bench::BadEvent(events_before + bad.event, bad.error);
            }
        }
        events_before += result.events;
    }
}

/// Reads the file's ranges on as many threads, the first on this one.
std::vector<RangeResult> read_ranges(const std::string& path,
                                     const std::vector<ByteRange>& ranges) {
    std::vector<RangeResult> results(ranges.size());
    std::vector<std::jthread> threads;
    threads.reserve(ranges.size() - 1);
    for (std::size_t i = 1; i < ranges.size(); ++i) {
        threads.emplace_back(read_range, std::cref(path), ranges[i], std::ref(results[i]));
    }
    read_range(path, ranges[0], results[0]);
    threads.clear();  // joins
    throw_first_failure(results);
    return results;
}

/// The ranges' results as one, as if the whole file had been read by one thread.
RangeResult merge(std::vector<RangeResult>& results) {
    RangeResult whole = std::move(results[0]);
    for (std::size_t i = 1; i < results.size(); ++i) {
        whole.errors.append(std::move(results[i].errors));
        whole.events += results[i].events;
        whole.bytes += results[i].bytes;
    }
    return whole;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Server errors per host in JSON lines: count, mean and p99 latency, N threads."};
    std::string input;
    bool print_p99 = false;
    unsigned threads = 2;
    app.add_option("input", input, "JSON lines to read (a file: each thread seeks to its range)")
        ->required();
    app.add_flag("--p99", print_p99, "print each host's exact p99 latency as a fourth column");
    app.add_option("--threads", threads, "threads, each reading a range of the file")
        ->check(CLI::Range(1u, 1024u))
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    try {
        const auto start = std::chrono::steady_clock::now();
        auto in = bench::open_file(input, "rb");
        const auto ranges = split_at_lines(in.get(), threads);
        auto results = read_ranges(input, ranges);
        RangeResult whole = merge(results);
        bench::print_hosts(whole.errors.hosts(), print_p99);
        const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
        std::fprintf(stderr, "%s threads=%u\n",
                     bench::summary(whole.events, whole.errors, whole.bytes, seconds).c_str(),
                     threads);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "errors_floor: %s\n", e.what());
        return 1;
    }
    return 0;
}
