// Sums the squares of 0..999 through a flowpool pipeline; prints "sum=332833500".
#include <flowpool/flowpool.hpp>

#include <cstdint>
#include <cstdio>

int main() {
    std::int64_t sum = 0;
    flowpool::source("numbers", flowpool::range(1000))
        .stage("square", 2, [](std::int64_t v) { return v * v; })
        .sink("sum", [&](std::int64_t v) { sum += v; })
        .run();
    std::printf("sum=%lld version=%s\n", static_cast<long long>(sum), flowpool::version);
}
