// Records from C++: a file of JSON lines, parsed on the workers, filtered and described by its
// fields and paths.
//
//   events (jsonl) ──record──► errors (filter: status >= 500) ──► describe ──string──► out
#include <cinttypes>
#include <cstdio>
#include <flowpool/flowpool.hpp>
#include <string>

int main(int argc, char** argv) {
    const char* path = argc > 1 ? argv[1] : "tests/examples/events.jsonl";
    flowpool::source("events", flowpool::jsonl(path, {.fields = {"status", "user"}}))
        .filter("errors", 2,
                [](const flowpool::Value& event) {
                    const flowpool::Value* status = event.record()->find("status");
                    return status != nullptr && std::get<std::int64_t>(*status) >= 500;
                })
        .stage("describe", 2,
               [](const flowpool::Value& event) {
                   const flowpool::Value* country = event.at_path({"user", "country"});
                   return std::to_string(std::get<std::int64_t>(*event.record()->find("status"))) +
                          " from " + (country ? std::get<std::string>(*country) : "nowhere");
               })
        .sink(
            "out",
            [](const std::string& line, const flowpool::JobContext& job) {
                std::printf("Job %" PRIu64 ": %s\n", job.id(), line.c_str());
            },
            flowpool::in_order)  // by line number, though the workers finish out of order
        .run();
}
