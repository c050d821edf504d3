// FLOWPOOL_TSAN builds only: shows ThreadSanitizer the synchronisation that happens inside
// Debian's libtbb, which is not instrumented. oneTBB's headers call its ITT hooks (compiled in
// with TBB_USE_PROFILING_TOOLS=2, meant for Intel's own race detector); this file replaces those
// no-op hooks of libtbb with ThreadSanitizer's acquire and release:
//
//   - a graph task that ends releases the graph's wait_context, and graph::wait_for_all()
//     acquires it when it returns: what every body did happens before what the waiting thread
//     does after the wait (reading results, destroying the nodes);
//   - a thread that makes a graph task (activate(), try_put() to a node) releases one
//     process-wide object, and every node body acquires it when it starts: what the sender did
//     happens before the body that gets its message. This is coarser than oneTBB's real
//     ordering (a body also sees what unrelated senders did before it), so ThreadSanitizer can
//     miss a race between two bodies that one task hand-off separates; it still reports the
//     races between bodies that run at the same time, which flowpool's shared state
//     (counters, worker slots, reorder buffers, the run state) is exposed to;
//   - a task's memory that oneTBB's pool hands out again: the task that gave it back ("destroy")
//     happens before the one that gets it (the pool's free lists are inside libtbb).

#include <oneapi/tbb/detail/_small_object_pool.h>
#include <oneapi/tbb/profiling.h>
#include <sanitizer/tsan_interface.h>

#include <dlfcn.h>

#include <cstddef>

namespace {

/// What every task hand-off releases and every body start acquires.
char handoff;

/// libtbb's own function named @p mangled (the one this file hides).
template <class Function>
Function* libtbb(const char* mangled) {
    return reinterpret_cast<Function*>(dlsym(RTLD_NEXT, mangled));
}

/// Memory from the pool: what its last user did happens before what the new one does.
void* reused(void* memory) {
    __tsan_acquire(memory);
    return memory;
}

}  // namespace

namespace tbb::detail::r1 {

/// oneTBB's sync notifications on one object (a wait_context, a task) as acquire and release.
void call_itt_notify(int type, void* object) {
    if (type == d1::releasing || type == d1::destroy) __tsan_release(object);
    if (type == d1::acquired) __tsan_acquire(object);
}

/// Called when a graph task is made (graph::reserve_wait()): the maker's hand-off.
void itt_region_begin(d1::itt_domain_enum, void*, unsigned long long, void*, unsigned long long,
                      d0::string_resource_index) {
    __tsan_release(&handoff);
}

/// Called when a node's body starts (fgt_begin_body()).
void itt_task_begin(d1::itt_domain_enum, void*, unsigned long long, void*, unsigned long long,
                    d0::string_resource_index) {
    __tsan_acquire(&handoff);
}

/// A task's memory from oneTBB's small-object pool.
void* allocate(d1::small_object_pool*& pool, std::size_t bytes, const d1::execution_data& ed) {
    using Allocate = void*(d1::small_object_pool*&, std::size_t, const d1::execution_data&);
    static Allocate* const real = libtbb<Allocate>(
        "_ZN3tbb6detail2r18allocateERPNS0_2d117small_object_poolEmRKNS2_14execution_dataE");
    return reused(real(pool, bytes, ed));
}

/// A task's memory from oneTBB's small-object pool, outside a task.
void* allocate(d1::small_object_pool*& pool, std::size_t bytes) {
    using Allocate = void*(d1::small_object_pool*&, std::size_t);
    static Allocate* const real =
        libtbb<Allocate>("_ZN3tbb6detail2r18allocateERPNS0_2d117small_object_poolEm");
    return reused(real(pool, bytes));
}

}  // namespace tbb::detail::r1
