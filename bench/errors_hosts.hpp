// What the two hand-written programs of the errors-by-host benchmark share (errors_baseline.cpp,
// one thread, and errors_floor.cpp, a range of the file per thread): each host's server errors in
// the order of its first one, the reading of the events of a LineChunks with simdjson On-Demand,
// and the lines both print.
//
// In an unnamed namespace, against the usual rule for headers (Google's: no internal linkage in
// a .h): each program is one file and compiles its own copy, with internal linkage as when the
// code was written in each, so that GCC inlines the per-event code as it did there. It inlines a
// function called once far more readily when its linkage is internal: with external linkage,
// take() became a call per event in errors_baseline.
#pragma once

#include "line_chunks.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace flowpool::bench {
namespace {

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
    /// Counts a server error of @p host that took @p latency_ms.
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

    /// Takes in the errors of the part of the file that follows this one's, as if add()ed here
    /// (errors_floor.cpp's merge of its ranges).
    void append(ErrorsByHost&& later) {
        for (HostErrors& theirs : later.hosts_) {
            const auto it = index_.find(theirs.host);
            if (it == index_.end()) {
                hosts_.push_back(std::move(theirs));
                index_.emplace(hosts_.back().host, hosts_.size() - 1);
                continue;
            }
            HostErrors& ours = hosts_[it->second];
            ours.count += theirs.count;
            // Not ours.latency_sum + theirs.latency_sum: added in file order, as add() would, the
            // sum is the baseline's to the last bit.
            for (const double latency_ms : theirs.latencies) ours.latency_sum += latency_ms;
            ours.latencies.insert(ours.latencies.end(), theirs.latencies.begin(),
                                  theirs.latencies.end());
        }
    }

    std::vector<HostErrors>& hosts() { return hosts_; }
    const std::vector<HostErrors>& hosts() const { return hosts_; }

    /// The server errors of all hosts together.
    std::uint64_t total() const {
        std::uint64_t errors = 0;
        for (const HostErrors& host : hosts_) errors += host.count;
        return errors;
    }

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

/// An event that could not be read: `event N: what simdjson said`, N counted from 0.
class BadEvent : public std::runtime_error {
public:
    BadEvent(std::uint64_t event_number, simdjson::error_code simdjson_error)
        : std::runtime_error("event " + std::to_string(event_number) + ": " +
                             simdjson::error_message(simdjson_error)),
          event(event_number),
          error(simdjson_error) {}
    std::uint64_t event;
    simdjson::error_code error;
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
    if (error) throw BadEvent(event, error);
    if (status >= 500) errors.add(host, latency_ms);
}

/// Reads every event of @p chunks into @p errors, on this thread; returns how many there were.
/// A bad event is thrown as a BadEvent numbered from the first of @p chunks.
std::uint64_t read_events(LineChunks& chunks, ErrorsByHost& errors) {
    simdjson::ondemand::parser parser;
#ifdef SIMDJSON_THREADS_ENABLED
    parser.threaded = false;  // one thread: no stage 1 running ahead on another
#endif
    std::uint64_t events = 0;
    for (auto chunk = chunks.next(); !chunk.empty(); chunk = chunks.next()) {
        simdjson::ondemand::document_stream stream;
        if (auto error = parser
                             .iterate_many(chunk.data(), chunk.size(),
                                           simdjson::ondemand::DEFAULT_BATCH_SIZE)
                             .get(stream)) {
            throw std::runtime_error(simdjson::error_message(error));
        }
        for (auto doc : stream) take(doc, errors, events++);
        if (stream.truncated_bytes() != 0) throw std::runtime_error("truncated last document");
    }
    return events;
}

/// Appends @p number as std::to_chars writes it: the shortest text that reads back the same.
void append_double(std::string& out, double number) {
    char digits[32];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, number).ptr);
}

/// Writes `host count mean` to stdout, one line per host (` p99` added with @p print_p99), all
/// in one write. The p99s are found either way, so that the work does not depend on the flag.
void print_hosts(std::vector<HostErrors>& hosts, bool print_p99) {
    std::string out;
    for (HostErrors& host : hosts) {
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
}

/// What a run did, for stderr: `events=N errors=E hosts=H seconds=S MB_per_s=M simdjson=KERNEL`,
/// without a newline.
std::string summary(std::uint64_t events, const ErrorsByHost& errors, std::uint64_t bytes,
                    std::chrono::duration<double> seconds) {
    char line[256];  // some 150 characters at the most
    const int length = std::snprintf(
        line, sizeof line,
        "events=%llu errors=%llu hosts=%zu seconds=%.3f MB_per_s=%.1f simdjson=%s",
        static_cast<unsigned long long>(events), static_cast<unsigned long long>(errors.total()),
        errors.hosts().size(), seconds.count(), static_cast<double>(bytes) / 1e6 / seconds.count(),
        simdjson::get_active_implementation()->name().c_str());
    return std::string(line, static_cast<std::size_t>(std::clamp(length, 0, int{sizeof line} - 1)));
}

}  // namespace
}  // namespace flowpool::bench
