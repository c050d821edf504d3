// A race on purpose, for FLOWPOOL_TSAN builds: four workers of one stage increment a plain
// counter. CTest (tsan.reports_a_race_in_a_body) passes only if ThreadSanitizer reports it, so
// tsan.supp and tsan_tbb_sync.cpp cannot quietly hide the races of node bodies.

#include <flowpool/pipeline.hpp>

#include <cstdint>
#include <cstdio>

int main() {
    long unguarded = 0;
    flowpool::source("jobs", flowpool::range(20'000), 1)
        .stage("racy", 4,
               [&unguarded](std::int64_t v) {
                   ++unguarded;
                   return v;
               })
        .sink("out", [](std::int64_t) {})
        .run();
    std::printf("%ld increments\n", unguarded);
}
