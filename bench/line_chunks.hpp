// What the baselines of bench/ read with (json_baseline.cpp, errors_baseline.cpp, and
// errors_floor.cpp, a range of the file per thread): a file in chunks of whole lines, each
// followed by simdjson's padding, ready for `iterate_many`. Kept apart from flowpool's own readers
// (src/data/line_reader.hpp), so that each baseline stays the plain program a user would write.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace flowpool::bench {

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

inline File open_file(const std::string& path, const char* mode) {
    File file(std::fopen(path.c_str(), mode));
    if (!file) throw std::runtime_error(path + ": " + std::strerror(errno));
    return file;
}

/// Reads a file in chunks of whole lines, each followed by SIMDJSON_PADDING readable bytes.
class LineChunks {
public:
    /// Reads @p file from where it stands: to its end, or @p limit bytes if that comes first.
    LineChunks(std::FILE* file, std::size_t chunk_size, std::uint64_t limit = UINT64_MAX)
        : file_(file), buffer_(chunk_size + simdjson::SIMDJSON_PADDING), left_(limit) {}

    /// The next chunk: whole lines (the last one may lack its newline); empty at the end.
    std::string_view next() {
        std::memmove(buffer_.data(), buffer_.data() + cut_, filled_ - cut_);
        filled_ -= cut_;
        cut_ = 0;
        while (true) {
            const auto capacity = buffer_.size() - simdjson::SIMDJSON_PADDING;
            const auto wanted =
                static_cast<std::size_t>(std::min<std::uint64_t>(capacity - filled_, left_));
            const auto got = std::fread(buffer_.data() + filled_, 1, wanted, file_);
            filled_ += got;
            left_ -= got;
            if (filled_ < capacity) {  // end of file or limit (or an error, reported by check())
                cut_ = filled_;
                break;
            }
            const void* last = memrchr(buffer_.data(), '\n', filled_);
            if (last != nullptr) {
                cut_ =
                    static_cast<std::size_t>(static_cast<const char*>(last) - buffer_.data()) + 1;
                break;
            }
            // A line longer than a chunk: read on into a buffer twice the size.
            buffer_.resize(2 * capacity + simdjson::SIMDJSON_PADDING);
        }
        bytes_ += cut_;
        return {buffer_.data(), cut_};
    }

    /// Readable bytes after the chunk last returned, padding included.
    std::size_t capacity_after(const char* at) const {
        return static_cast<std::size_t>(buffer_.data() + buffer_.size() - at);
    }

    std::uint64_t bytes() const { return bytes_; }

    void check() const {
        if (std::ferror(file_)) throw std::runtime_error("read error");
    }

private:
    std::FILE* file_;
    std::vector<char> buffer_;
    std::size_t filled_ = 0;
    std::size_t cut_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t left_;  // bytes still to read before the limit
};

}  // namespace flowpool::bench
