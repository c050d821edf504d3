#pragma once
// A byte buffer whose memory comes from the kernel page by page (mmap): it grows by moving
// pages, not bytes (mremap), pages not yet written take no memory, and shrinking gives pages back
// at once. malloc would keep a freed 32 MiB block in its heap, so a reader that once held a long
// line would go on holding its memory.

#include <sys/mman.h>

#include <cstddef>
#include <new>

namespace flowpool::detail {

/// Bytes from mmap, resized with mremap; their content is kept up to the smaller size.
class PageBuffer {
public:
    /// @p size bytes, zero until written.
    explicit PageBuffer(std::size_t size) : data_(map(size)), size_(size) {}
    ~PageBuffer() { ::munmap(data_, size_); }
    PageBuffer(const PageBuffer&) = delete;
    PageBuffer& operator=(const PageBuffer&) = delete;

    /// Grows or shrinks to @p size bytes, keeping the first bytes; may move. Throws
    /// std::bad_alloc if the kernel says no.
    void resize(std::size_t size) {
        void* moved = ::mremap(data_, size_, size, MREMAP_MAYMOVE);
        if (moved == MAP_FAILED) throw std::bad_alloc();
        data_ = static_cast<char*>(moved);
        size_ = size;
    }

    [[nodiscard]] char* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

private:
    static char* map(std::size_t size) {
        void* pages =
            ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pages == MAP_FAILED) throw std::bad_alloc();
        return static_cast<char*>(pages);
    }

    char* data_;
    std::size_t size_;
};

}  // namespace flowpool::detail
