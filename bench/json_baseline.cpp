// The program a user would write instead of a flowpool graph to pick two fields out of JSON
// lines: one thread, simdjson's On-Demand API, buffered reads and writes. It is the baseline of
// the JSON-records benchmark (bench/README.md, "JSON records").
//
//   json_baseline EVENTS.jsonl OUT.jsonl                  # --reader stream, the faster one
//   json_baseline EVENTS.jsonl OUT.jsonl --reader lines
//
//   file ─► 4 MiB chunks of whole lines ─► simdjson ─► {"host":...,"status":...} ─► file
//
// Each event's `host` (a string, unescaped by simdjson and escaped again on output as
// src/data/json.cpp escapes it) and `status` (an integer) become the line
// {"host":"web-03","status":503}. A line that is not JSON, or lacks either field, or has one of
// the wrong type, stops the run with exit code 1. Only what was read is checked beyond simdjson's
// first stage (UTF-8 and string structure, for the whole line): On-Demand skips the rest, as a
// user of it would.
//
// Readers:
//   stream  `parser.iterate_many` over each chunk: one stage-1 pass per chunk finds every
//           document; simdjson's background stage-1 thread off (--threaded turns it on)
//   lines   each line cut with memchr and given to `parser.iterate` in place, no copy
// Prints `events=N seconds=S events_per_s=R MB_per_s=M simdjson=KERNEL` on stdout (KERNEL is
// the instruction set simdjson chose at run time, e.g. haswell for AVX2).

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

namespace {

namespace od = simdjson::ondemand;
using flowpool::bench::LineChunks;
using flowpool::bench::open_file;
using namespace std::string_view_literals;

/// Buffered JSON-lines output of {"host":...,"status":...}.
class PickedWriter {
public:
    explicit PickedWriter(std::FILE* file) : file_(file) { buffer_.reserve(kFlushAt + 4096); }

    void write(std::string_view host, std::int64_t status) {
        buffer_ += R"({"host":)"sv;
        append_json_string(host);
        buffer_ += R"(,"status":)"sv;
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, status).ptr;
        buffer_.append(digits, end);
        buffer_ += "}\n"sv;
        if (buffer_.size() >= kFlushAt) flush();
    }

    void flush() {
        if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
            throw std::runtime_error(std::string("write error: ") + std::strerror(errno));
        }
        buffer_.clear();
    }

private:
    static constexpr std::size_t kFlushAt = 1 << 20;

    // As src/data/json.cpp escapes (its input here is valid UTF-8: simdjson checked it); the
    // runs between escapes are copied whole.
    void append_json_string(std::string_view text) {
        buffer_ += '"';
        std::size_t run = 0;
        for (std::size_t i = 0; i < text.size(); ++i) {
            const auto c = static_cast<unsigned char>(text[i]);
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            buffer_.append(text.substr(run, i - run));
            append_escape(c);
            run = i + 1;
        }
        buffer_.append(text.substr(run));
        buffer_ += '"';
    }

    void append_escape(unsigned char c) {
        switch (c) {
            case '"':
                buffer_ += R"(\")"sv;
                break;
            case '\\':
                buffer_ += R"(\\)"sv;
                break;
            case '\n':
                buffer_ += R"(\n)"sv;
                break;
            case '\r':
                buffer_ += R"(\r)"sv;
                break;
            case '\t':
                buffer_ += R"(\t)"sv;
                break;
            default:
                constexpr std::string_view kHex = "0123456789abcdef";
                buffer_ += R"(\u00)"sv;
                buffer_ += kHex[c >> 4];
                buffer_ += kHex[c & 0xf];
        }
    }

    std::FILE* file_;
    std::string buffer_;
};

/// Picks host and status from one document; throws on a missing or mistyped field.
template <typename Document>
void pick(Document&& doc, PickedWriter& out, std::uint64_t event) {
    std::string_view host;
    std::int64_t status = 0;
    auto error = doc["host"].get_string().get(host);
    if (!error) error = doc["status"].get_int64().get(status);
    if (error) {
        throw std::runtime_error("event " + std::to_string(event) + ": " +
                                 simdjson::error_message(error));
    }
    out.write(host, status);
}

std::uint64_t run_stream(LineChunks& chunks, PickedWriter& out, std::size_t batch_size,
                         bool threaded) {
    od::parser parser;
#ifdef SIMDJSON_THREADS_ENABLED
    parser.threaded = threaded;
#else
    (void)threaded;
#endif
    std::uint64_t events = 0;
    for (auto chunk = chunks.next(); !chunk.empty(); chunk = chunks.next()) {
        od::document_stream stream;
        if (auto error = parser.iterate_many(chunk.data(), chunk.size(), batch_size).get(stream)) {
            throw std::runtime_error(simdjson::error_message(error));
        }
        for (auto doc : stream) pick(doc, out, events++);
        if (stream.truncated_bytes() != 0) throw std::runtime_error("truncated last document");
    }
    return events;
}

std::uint64_t run_lines(LineChunks& chunks, PickedWriter& out) {
    od::parser parser;
    std::uint64_t events = 0;
    for (auto chunk = chunks.next(); !chunk.empty(); chunk = chunks.next()) {
        while (!chunk.empty()) {
            const auto* end =
                static_cast<const char*>(std::memchr(chunk.data(), '\n', chunk.size()));
            const auto length = end ? static_cast<std::size_t>(end - chunk.data()) : chunk.size();
            if (length != 0) {
                const simdjson::padded_string_view line(chunk.data(), length,
                                                        chunks.capacity_after(chunk.data()));
                pick(parser.iterate(line), out, events++);
            }
            chunk.remove_prefix(std::min(chunk.size(), length + 1));
        }
    }
    return events;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Picks host and status from JSON lines, on one thread, with simdjson."};
    std::string input;
    std::string output;
    std::string reader = "stream";
    bool threaded = false;
    std::size_t batch_size = simdjson::ondemand::DEFAULT_BATCH_SIZE;
    app.add_option("input", input, "JSON lines to read")->required();
    app.add_option("output", output, "JSON lines to write")->required();
    app.add_option("--reader", reader, "how lines reach simdjson")
        ->check(CLI::IsMember({"stream", "lines"}))
        ->capture_default_str();
    app.add_option("--batch", batch_size, "stream: simdjson's batch size (>= the longest line)")
        ->capture_default_str();
    app.add_flag("--threaded", threaded, "stream: let simdjson run stage 1 on a second thread");
    CLI11_PARSE(app, argc, argv);

    try {
        const auto start = std::chrono::steady_clock::now();
        auto in = open_file(input, "rb");
        auto out_file = open_file(output, "wb");
        LineChunks chunks(in.get(), 4 << 20);
        PickedWriter out(out_file.get());
        const auto events = reader == "stream" ? run_stream(chunks, out, batch_size, threaded)
                                               : run_lines(chunks, out);
        chunks.check();
        out.flush();
        if (std::fclose(out_file.release()) != 0) throw std::runtime_error("close failed");
        const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
        std::printf("events=%llu seconds=%.3f events_per_s=%.0f MB_per_s=%.1f simdjson=%s\n",
                    static_cast<unsigned long long>(events), seconds.count(),
                    static_cast<double>(events) / seconds.count(),
                    static_cast<double>(chunks.bytes()) / 1e6 / seconds.count(),
                    simdjson::get_active_implementation()->name().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "json_baseline: %s\n", e.what());
        return 1;
    }
    return 0;
}
