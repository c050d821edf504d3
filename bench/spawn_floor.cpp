// The floor under any tool that runs a program per job: W threads, each starting the program
// with posix_spawn and waiting for it, no pipes, no output, nothing read or parsed. What is
// left of a run's time is the kernel's and the program's own, which no job runner removes
// (bench/exec_bench.sh prints it beside flowpool exec, GNU parallel and xargs -P).
//
//   spawn_floor JOBS WORKERS PROGRAM [ARG]...
//
// Prints `jobs=N workers=W seconds=S jobs_per_s=R` on stdout; exit code 1 if a program could not
// be started or did not exit 0.

#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: spawn_floor JOBS WORKERS PROGRAM [ARG]...\n");
        return 2;
    }
    const long jobs = std::strtol(argv[1], nullptr, 10);
    const long workers = std::strtol(argv[2], nullptr, 10);
    if (jobs < 1 || workers < 1) {
        std::fprintf(stderr, "spawn_floor: JOBS and WORKERS must be at least 1\n");
        return 2;
    }
    char** const program = argv + 3;

    std::atomic<long> next{0};
    std::atomic<bool> failed{false};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (long w = 0; w < workers; ++w) {
        threads.emplace_back([&] {
            while (next.fetch_add(1, std::memory_order_relaxed) < jobs) {
                pid_t pid = 0;
                int status = 0;
                if (::posix_spawn(&pid, program[0], nullptr, nullptr, program, environ) != 0 ||
                    ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
                    WEXITSTATUS(status) != 0) {
                    failed = true;
                }
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("jobs=%ld workers=%ld seconds=%.2f jobs_per_s=%.0f\n", jobs, workers, seconds,
                static_cast<double>(jobs) / seconds);
    if (failed) std::fprintf(stderr, "spawn_floor: a program failed or could not start\n");
    return failed ? 1 : 0;
}
