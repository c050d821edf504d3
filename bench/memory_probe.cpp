// Runs N jobs of spin(i, K) on W workers into a summing sink and prints the sum, so that
// memory.sh can read the peak RSS of the whole process from /usr/bin/time -v.
//
//   flowpool_memory_probe N K W [flowpool|hand_rolled]
//
// `flowpool` (the default) uses the typed API; `hand_rolled` the mutex+condvar pool of
// hand_rolled_pool.hpp, whose unbounded queues are the comparison point.

#include <flowpool/pipeline.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>

#include <string_view>

#include "hand_rolled_pool.hpp"
#include "ops/spin.hpp"

namespace {

/// Reads a whole decimal integer >= @p min from @p text; false if it is not one.
bool parse(std::string_view text, std::int64_t min, std::int64_t& out) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc{} && end == text.data() + text.size() && out >= min;
}

}  // namespace

int main(int argc, char** argv) {
    std::int64_t n = 0;
    std::int64_t k = 0;
    std::int64_t workers = 0;
    const std::string_view impl = argc > 4 ? argv[4] : "flowpool";
    if (argc < 4 || argc > 5 || !parse(argv[1], 0, n) || !parse(argv[2], 0, k) ||
        !parse(argv[3], 1, workers) || (impl != "flowpool" && impl != "hand_rolled")) {
        std::fprintf(stderr, "usage: %s N K W [flowpool|hand_rolled]\n", argv[0]);
        return 2;
    }

    const auto work = [k](std::int64_t v) { return flowpool::detail::spin(v, k); };
    std::int64_t sum = 0;
    if (impl == "flowpool") {
        flowpool::source("jobs", flowpool::range(n))
            .stage("workers", static_cast<std::size_t>(workers), work)
            .sink("sum", [&sum](std::int64_t v) { sum += v; })
            .run();
    } else {
        sum = flowpool::bench::run_hand_rolled_pool(n, static_cast<int>(workers), work);
    }
    std::printf("%lld\n", static_cast<long long>(sum));
    return 0;
}
