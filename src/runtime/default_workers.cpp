// flowpool::default_workers(): the one place the default worker count is worked out.

#include <oneapi/tbb/info.h>
#include <flowpool/stats.hpp>

namespace flowpool {

// oneTBB's count, not std::thread::hardware_concurrency(): oneTBB counts the CPUs in this
// process's affinity mask (taskset, a cgroup cpuset, `docker --cpuset-cpus`), and that is the
// number of threads its default arena, which runs every node, really has. hardware_concurrency()
// counts every CPU the machine has online, so under a mask the two disagree, and the larger
// would size queues and report utilisation for workers that do not exist. (A CPU quota, such as
// `docker --cpus`, is not a mask: the oneTBB 2021.8 we build against does not see it.)
std::size_t default_workers() {
    return static_cast<std::size_t>(oneapi::tbb::info::default_concurrency());
}

}  // namespace flowpool
