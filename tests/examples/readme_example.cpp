// Go's worker pool on a flow graph: 10 jobs, 3 workers, one results sink.
#include <cinttypes>
#include <cstdio>
#include <flowpool/flowpool.hpp>

int main() {
    const flowpool::RunStats stats =
        flowpool::source("jobs", flowpool::range(10))
            .stage("workers", 3,
                   [](std::int64_t value, const flowpool::JobContext& job) {
                       std::printf("Job %" PRIu64 " processed by worker %d\n", job.id(),
                                   job.worker());
                       return value * 1;
                   })
            .sink("results",
                  [](std::int64_t value, const flowpool::JobContext& job) {
                      std::printf("Result: Job %" PRIu64 " Value %" PRId64 "\n", job.id(), value);
                  })
            .run();
    std::fprintf(stderr, "%" PRIu64 " jobs in %.3f s\n", stats.jobs_in, stats.wall_seconds());
}
