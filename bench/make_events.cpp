// Writes a deterministic file of JSON web-request events, one per line, for the JSON-records
// benchmark (bench/README.md, "JSON records"):
//
//   make_events --bytes 1G -o /tmp/events.jsonl      # whole lines up to the first past 10^9 bytes
//   make_events --events 1000 --seed 7               # to stdout
//
// A line looks like
//
//   {"ts":"2026-11-30T12:00:00.123Z","host":"web-03","method":"GET","path":"/api/v1/orders/7",
//    "status":503,"latency_ms":12.5,"user":{"id":7,"country":"DE"},"tags":["beta"]}
//
// (on one line). Statuses are mostly 2xx with some 3xx, 4xx and 5xx; 5 % of users are `null`;
// 0-3 tags. Some search terms and tags need unescaping (a quote, a backslash, a tab, "é" as
// \u00e9, a surrogate pair) or hold raw UTF-8 ("é", "ï"): about 1 line in 5 has a backslash
// escape and 1 in 3 an escape or a non-ASCII byte, so a reader must really parse strings.
// Every number comes from a seeded xorshift64, never from the clock: the same arguments give the
// same bytes on every machine. Python wrote 9 MB/s here (bench/make_log.py); this writes 1 GB in
// a few seconds.

#include <CLI/CLI.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace {

/// Marsaglia's xorshift64, seeded as bench/make_log.py seeds it.
class XorShift64 {
public:
    explicit XorShift64(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}

    /// A number in [0, n).
    std::uint64_t below(std::uint64_t n) {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return state_ % n;
    }

    /// One element of @p items, uniformly.
    template <typename T, std::size_t N>
    const T& pick(const std::array<T, N>& items) {
        return items[below(N)];
    }

private:
    std::uint64_t state_;
};

constexpr std::array<std::string_view, 6> kMethods = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
constexpr std::array<std::string_view, 6> kResources = {"orders", "users",    "items",
                                                        "carts",  "payments", "sessions"};
constexpr std::array<std::string_view, 4> kAssets = {"app.js", "app.css", "logo.svg",
                                                     "fonts/inter.woff2"};
// Search terms as they appear inside a JSON string: half of them need unescaping.
constexpr std::array<std::string_view, 10> kSearches = {
    "shoes",          "red socks", "caf\\u00e9",   "caf\xc3\xa9",          "say \\\"hi\\\"",
    "C:\\\\temp\\\\", "a\\tb",     "na\xc3\xafve", "smile \\ud83d\\ude00", "100%"};
constexpr std::array<std::string_view, 12> kCountries = {"DE", "US", "FR", "GB", "JP", "BR",
                                                         "IN", "ES", "IT", "NL", "SE", "PL"};
constexpr std::array<std::string_view, 8> kTags = {
    "beta", "mobile", "cached", "retry", "canary", "internal", "caf\\u00e9", "na\xc3\xafve"};
constexpr std::array<int, 3> kSuccess = {201, 204, 206};
constexpr std::array<int, 3> kRedirects = {301, 302, 304};
constexpr std::array<int, 6> kClientErrors = {400, 401, 403, 404, 404, 429};
constexpr std::array<int, 4> kServerErrors = {500, 502, 503, 504};

/// Appends @p value in decimal, zero-padded to @p width digits.
void append_number(std::string& out, std::uint64_t value, int width = 0) {
    std::array<char, 24> digits{};
    auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
    for (auto n = end - digits.data(); n < width; ++n) out += '0';
    out.append(digits.data(), end);
}

/// Formats events one after the other; each call moves the clock on by 0-39 ms.
class EventWriter {
public:
    explicit EventWriter(std::uint64_t seed) : rng_(seed) {}

    /// Appends one event and its newline to @p out.
    void append(std::string& out) {
        now_ += std::chrono::milliseconds(rng_.below(40));
        out += R"({"ts":")";
        append_timestamp(out);
        out += R"(","host":"web-)";
        append_number(out, 1 + rng_.below(16), 2);
        out += R"(","method":")";
        out += rng_.pick(kMethods);
        out += R"(","path":")";
        append_path(out);
        const int status = next_status();
        out += R"(","status":)";
        append_number(out, static_cast<std::uint64_t>(status));
        out += R"(,"latency_ms":)";
        append_latency(out, status);
        out += R"(,"user":)";
        append_user(out);
        out += R"(,"tags":[)";
        append_tags(out);
        out += "]}\n";
    }

private:
    void append_timestamp(std::string& out) const {
        const auto day = std::chrono::floor<std::chrono::days>(now_);
        const std::chrono::year_month_day date{day};
        const std::chrono::hh_mm_ss time{now_ - day};
        append_number(out, static_cast<std::uint64_t>(static_cast<int>(date.year())), 4);
        out += '-';
        append_number(out, static_cast<unsigned>(date.month()), 2);
        out += '-';
        append_number(out, static_cast<unsigned>(date.day()), 2);
        out += 'T';
        append_number(out, static_cast<std::uint64_t>(time.hours().count()), 2);
        out += ':';
        append_number(out, static_cast<std::uint64_t>(time.minutes().count()), 2);
        out += ':';
        append_number(out, static_cast<std::uint64_t>(time.seconds().count()), 2);
        out += '.';
        append_number(out, static_cast<std::uint64_t>(time.subseconds().count()), 3);
        out += 'Z';
    }

    void append_path(std::string& out) {
        const auto kind = rng_.below(10);
        if (kind < 7) {
            out += "/api/v1/";
            out += rng_.pick(kResources);
            out += '/';
            append_number(out, 1 + rng_.below(99'999));
        } else if (kind == 7) {
            out += "/api/v1/";
            out += rng_.pick(kResources);
        } else if (kind == 8) {
            out += "/static/";
            out += rng_.pick(kAssets);
        } else {
            out += "/search?q=";
            out += rng_.pick(kSearches);
        }
    }

    int next_status() {
        const auto roll = rng_.below(100);
        if (roll < 78) return 200;
        if (roll < 85) return rng_.pick(kSuccess);
        if (roll < 90) return rng_.pick(kRedirects);
        if (roll < 97) return rng_.pick(kClientErrors);
        return rng_.pick(kServerErrors);
    }

    // Tenths of a millisecond, sometimes thousandths; a long tail, longer for 5xx.
    void append_latency(std::string& out, int status) {
        std::uint64_t micros = 500 + rng_.below(30'000);
        if (rng_.below(20) == 0) micros += rng_.below(500'000);
        if (status >= 500) micros += rng_.below(2'000'000);
        append_number(out, micros / 1000);
        out += '.';
        if (rng_.below(4) == 0) {
            append_number(out, micros % 1000, 3);
        } else {
            append_number(out, micros % 1000 / 100);
        }
    }

    void append_user(std::string& out) {
        if (rng_.below(20) == 0) {
            out += "null";
            return;
        }
        out += R"({"id":)";
        append_number(out, 1 + rng_.below(1'000'000));
        out += R"(,"country":")";
        out += rng_.pick(kCountries);
        out += R"("})";
    }

    void append_tags(std::string& out) {
        const auto count = rng_.below(4);
        for (std::uint64_t i = 0; i < count; ++i) {
            if (i > 0) out += ',';
            out += '"';
            out += rng_.pick(kTags);
            out += '"';
        }
    }

    XorShift64 rng_;
    std::chrono::sys_time<std::chrono::milliseconds> now_ =
        std::chrono::sys_days{std::chrono::year{2026} / 11 / 30} + std::chrono::hours{12};
};

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};

/// Writes events until @p events lines or at least @p bytes bytes; false on a write error.
bool write_events(std::FILE* file, std::uint64_t seed, std::uint64_t events, std::uint64_t bytes) {
    constexpr std::size_t kFlushAt = 1 << 20;
    EventWriter writer(seed);
    std::string buffer;
    buffer.reserve(kFlushAt + 4096);
    std::uint64_t written = 0;
    for (std::uint64_t i = 0; i < events && written < bytes; ++i) {
        const auto before = buffer.size();
        writer.append(buffer);
        written += buffer.size() - before;
        if (buffer.size() >= kFlushAt) {
            if (std::fwrite(buffer.data(), 1, buffer.size(), file) != buffer.size()) return false;
            buffer.clear();
        }
    }
    return std::fwrite(buffer.data(), 1, buffer.size(), file) == buffer.size();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Writes deterministic JSON web-request events, one per line."};
    std::uint64_t bytes = 0;
    std::uint64_t events = 0;
    std::uint64_t seed = 1;
    std::string output = "-";
    auto* by_size = app.add_option("--bytes", bytes, "stop at this size (1G = 10^9, 1GiB = 2^30)")
                        ->transform(CLI::AsSizeValue(true));
    auto* by_count = app.add_option("--events", events, "write exactly this many events");
    by_size->excludes(by_count);
    app.add_option("--seed", seed, "seed of the generator")->capture_default_str();
    app.add_option("-o,--output", output, "file to write, - for stdout")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    if (by_size->count() + by_count->count() == 0) {
        std::fprintf(stderr, "make_events: give --bytes SIZE or --events N\n");
        return 2;
    }
    if (by_size->count() == 0) bytes = UINT64_MAX;
    if (by_count->count() == 0) events = UINT64_MAX;

    std::unique_ptr<std::FILE, FileCloser> owned;
    std::FILE* file = stdout;
    if (output != "-") {
        owned.reset(std::fopen(output.c_str(), "wb"));
        if (!owned) {
            std::perror(output.c_str());
            return 1;
        }
        file = owned.get();
    }
    if (!write_events(file, seed, events, bytes) || std::fflush(file) != 0 ||
        (owned && std::fclose(owned.release()) != 0)) {
        std::perror("make_events: write");
        return 1;
    }
    return 0;
}
