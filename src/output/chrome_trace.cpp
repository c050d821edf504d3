// Chrome Trace Event JSON (the "JSON Array Format" with a traceEvents object): one complete
// event per span, and a counter event for batches in flight.

#include <flowpool/error.hpp>
#include <flowpool/trace.hpp>

#include <cinttypes>
#include <cstdio>
#include <mutex>
#include <string>

namespace flowpool {

struct ChromeTrace::Impl {
    std::mutex mutex;
    std::FILE* file = nullptr;
    std::string path;
    std::chrono::steady_clock::time_point origin = std::chrono::steady_clock::now();
    std::uint64_t spans = 0;
    std::string line;
    bool failed = false;

    double micros(std::chrono::steady_clock::time_point t) const {
        return std::chrono::duration<double, std::micro>(t - origin).count();
    }
    void write(const std::string& text) {
        if (std::fwrite(text.data(), 1, text.size(), file) != text.size()) failed = true;
    }
};

namespace {

/// @p text as a JSON string body: node names are the user's, so quotes and controls are escaped.
void append_json(std::string& out, std::string_view text) {
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
            out += escaped;
        } else {
            out += c;
        }
    }
}

}  // namespace

ChromeTrace::ChromeTrace(const std::string& path) : impl_(std::make_unique<Impl>()) {
    impl_->path = path;
    impl_->file = std::fopen(path.c_str(), "w");
    if (impl_->file == nullptr) throw UsageError("cannot write the trace file '" + path + "'");
    impl_->write("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
}

ChromeTrace::~ChromeTrace() {
    try {
        close();
    } catch (...) {
        // Reported by an explicit close(); a destructor must not throw.
    }
}

void ChromeTrace::span(const Span& span) noexcept {
    try {
        const std::lock_guard lock(impl_->mutex);
        if (impl_->file == nullptr) return;
        std::string& line = impl_->line;
        line.clear();
        line += impl_->spans == 0 ? "" : ",\n";
        line += "{\"ph\":\"X\",\"pid\":1,\"tid\":" + std::to_string(span.thread) + ",\"name\":\"";
        append_json(line, span.node);
        line += span.jobs == 1 ? " job " + std::to_string(span.first_id)
                               : " jobs " + std::to_string(span.first_id) + "-" +
                                     std::to_string(span.first_id + span.jobs - 1);
        char numbers[160];
        std::snprintf(numbers, sizeof numbers,
                      "\",\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"jobs\":%zu,\"worker\":%d}}",
                      impl_->micros(span.start),
                      std::chrono::duration<double, std::micro>(span.end - span.start).count(),
                      span.jobs, span.worker);
        line += numbers;
        std::snprintf(numbers, sizeof numbers,
                      ",\n{\"ph\":\"C\",\"pid\":1,\"name\":\"batches in flight\",\"ts\":%.3f,"
                      "\"args\":{\"batches\":%zu}}",
                      impl_->micros(span.end), span.in_flight);
        line += numbers;
        impl_->write(line);
        ++impl_->spans;
    } catch (...) {
        // Out of memory while tracing: the span is lost, the run goes on.
    }
}

void ChromeTrace::close() {
    const std::lock_guard lock(impl_->mutex);
    if (impl_->file == nullptr) return;
    impl_->write("\n]}\n");
    const bool closed = std::fclose(impl_->file) == 0;
    impl_->file = nullptr;
    if (impl_->failed || !closed)
        throw UsageError("could not write the trace file '" + impl_->path + "'");
}

std::uint64_t ChromeTrace::spans() const noexcept {
    const std::lock_guard lock(impl_->mutex);
    return impl_->spans;
}

}  // namespace flowpool
