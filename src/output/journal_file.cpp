#include "journal_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <flowpool/error.hpp>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "common/parse.hpp"

namespace flowpool::detail {
namespace {

constexpr std::string_view magic = "flowpool-journal 1\t";
constexpr auto sync_every = std::chrono::milliseconds(100);
/// Derived ids (an `explode`'s pieces, an `exec`'s lines) are id * 2^20 + piece.
constexpr int derived_bits = 20;

/// @p text on one line: backslashes, tabs, newlines and carriage returns escaped.
std::string escaped(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                out += c;
        }
    }
    return out;
}

/// The source job of @p ids (ascending) that failed job @p id was, or was made from; or none.
const std::uint64_t* origin_of(const std::vector<std::uint64_t>& ids, std::uint64_t id) {
    for (int shifts = 0; shifts < 64 / derived_bits; ++shifts, id >>= derived_bits) {
        const auto at = std::lower_bound(ids.begin(), ids.end(), id);
        if (at != ids.end() && *at == id) return &*at;
    }
    return nullptr;
}

std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    for (std::size_t at = 0;;) {
        const std::size_t tab = line.find('\t', at);
        out.push_back(line.substr(at, tab - at));
        if (tab == std::string_view::npos) return out;
        at = tab + 1;
    }
}

}  // namespace

JournalFile::JournalFile(std::string path, std::string header, Resume resume)
    : path_(std::move(path)), header_(std::move(header)), resume_(resume) {
    if (header_.find('\n') != std::string::npos) throw UsageError("a journal header is one line");
    if (resume_ == Resume::none) {
        refuse_other_file();
    } else {
        read_earlier(header_);
    }
    check_writable();
}

void JournalFile::start() {
    if (fd_ >= 0) return;
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND;
    if (resume_ == Resume::none) flags |= O_TRUNC;
    fd_ = ::open(path_.c_str(), flags, 0644);
    if (fd_ < 0) {
        throw UsageError("cannot open journal '" + path_ + "': " + std::strerror(errno));
    }
    if (torn_at_ && ::ftruncate(fd_, *torn_at_) != 0) {
        error_ =
            "cannot cut the torn last line off journal '" + path_ + "': " + std::strerror(errno);
    }
    struct stat st {};
    if (error_.empty() && ::fstat(fd_, &st) == 0 && st.st_size == 0) {
        write(std::string(magic) + header_ + '\n');
    }
    if (!error_.empty()) {
        ::close(fd_);
        fd_ = -1;
        throw UsageError(error_);
    }
    syncer_ = std::thread([this] { sync_loop(); });
}

JournalFile::~JournalFile() {
    if (syncer_.joinable()) static_cast<void>(close());
}

void JournalFile::refuse_other_file() const {
    // A mistyped path (the input, a sink's output, the graph file) must not be emptied.
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return;
    std::ifstream in(path_, std::ios::binary);
    std::string start(magic.size(), '\0');
    in.read(start.data(), static_cast<std::streamsize>(start.size()));
    if (in.gcount() == static_cast<std::streamsize>(start.size()) && start == magic) return;
    throw UsageError("'" + path_ +
                     "' holds something other than a flowpool journal: not writing over it "
                     "(remove it, or name another file for --journal)");
}

void JournalFile::check_writable() const {
    // Asked, not tried: opening the file to see would make it, or empty it, for a run that may
    // still be refused before it starts.
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            errno = EISDIR;
        } else if (::access(path_.c_str(), W_OK) == 0) {
            return;
        }
    } else if (errno == ENOENT) {
        const std::filesystem::path dir = std::filesystem::path(path_).parent_path();
        if (::access(dir.empty() ? "." : dir.c_str(), W_OK | X_OK) == 0) return;
    }
    throw UsageError("cannot open journal '" + path_ + "': " + std::strerror(errno));
}

void JournalFile::read_earlier(const std::string& header) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return;  // no journal yet: nothing was done
    std::stringstream text;
    text << in.rdbuf();
    const std::string all = text.str();
    const std::size_t complete = all.rfind('\n') == std::string::npos ? 0 : all.rfind('\n') + 1;
    if (complete < all.size()) torn_at_ = static_cast<off_t>(complete);  // cut off by start()
    std::size_t number = 0;
    for (std::size_t at = 0; at < complete; ++number) {
        const std::size_t end = all.find('\n', at);
        const std::string_view line(all.data() + at, end - at);
        at = end + 1;
        if (number == 0) {
            if (line.substr(0, magic.size()) != magic) {
                throw UsageError("'" + path_ + "' is not a flowpool journal");
            }
            if (line.substr(magic.size()) != header) {
                throw UsageError("journal '" + path_ + "' was written by another run (" +
                                 std::string(line.substr(magic.size())) + ", not " + header +
                                 "): resume with what it ran, or start again without --resume");
            }
            continue;
        }
        read_line(line, number + 1);
    }
}

void JournalFile::read_line(std::string_view line, std::size_t number) {
    const std::vector<std::string_view> f = fields(line);
    const bool ok = f.size() == 3 && f[0] == "ok";
    const bool failed = f.size() == 4 && f[0] == "failed";
    const std::optional<std::uint64_t> id =
        ok || failed ? parse_unsigned(f[2]) : std::optional<std::uint64_t>();
    if (!id) throw UsageError(path_ + ":" + std::to_string(number) + ": not a journal line");
    auto& jobs = earlier_[std::string(f[1])];
    const auto [at, added] = jobs.try_emplace(*id, ok);
    if (!added) (at->second ? earlier_ok_ : earlier_failed_) -= 1;
    at->second = ok;
    (ok ? earlier_ok_ : earlier_failed_) += 1;
}

bool JournalFile::skips(std::string_view source, std::uint64_t id) const noexcept {
    const auto jobs = earlier_.find(source);
    if (jobs == earlier_.end()) return false;
    const auto job = jobs->second.find(id);
    if (job == jobs->second.end()) return false;
    const bool skip = job->second || resume_ == Resume::skip_done;
    if (skip) left_out_.fetch_add(1, std::memory_order_relaxed);
    return skip;
}

void JournalFile::finished(std::string_view source, const std::vector<std::uint64_t>& ids,
                           const std::vector<FailedJob>& failed) noexcept {
    try {
        // Why each source job failed, if it or a job made from it did.
        std::unordered_map<std::uint64_t, std::string> why;
        for (const FailedJob& job : failed) {
            const std::string reason = escaped(job.node + ": " + job.message);
            if (const std::uint64_t* origin = origin_of(ids, job.id)) {
                why.try_emplace(*origin, reason);
            } else {  // an id of a node's own: blame every job of the batch
                for (const std::uint64_t id : ids) why.try_emplace(id, reason);
            }
        }
        std::string text;
        const std::string name(source);
        for (const std::uint64_t id : ids) {
            const auto reason = why.find(id);
            text += reason == why.end() ? "ok\t" : "failed\t";
            text += name;
            text += '\t';
            text += std::to_string(id);
            if (reason != why.end()) text += '\t' + reason->second;
            text += '\n';
        }
        write(text);
    } catch (...) {
        const std::lock_guard lock(mutex_);
        if (error_.empty()) error_ = "cannot journal jobs: out of memory";
    }
}

void JournalFile::write(const std::string& text) noexcept {
    const std::lock_guard lock(mutex_);
    if (!error_.empty()) return;
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error_ = "cannot write journal '" + path_ + "': " + std::strerror(errno);
            return;
        }
        done += static_cast<std::size_t>(n);
    }
    dirty_ = true;
}

void JournalFile::sync_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait_for(lock, sync_every, [this] { return closing_; });
        const bool last = closing_;
        if (dirty_) {
            dirty_ = false;
            lock.unlock();
            const int result = ::fdatasync(fd_);
            const int error = errno;
            lock.lock();
            if (result != 0 && error_.empty()) {
                error_ = "cannot sync journal '" + path_ + "': " + std::strerror(error);
            }
        }
        if (last) return;
    }
}

std::string JournalFile::close() {
    {
        const std::lock_guard lock(mutex_);
        closing_ = true;
    }
    wake_.notify_all();
    if (syncer_.joinable()) syncer_.join();
    if (fd_ >= 0 && ::close(fd_) != 0 && error_.empty()) {
        error_ = "cannot close journal '" + path_ + "': " + std::strerror(errno);
    }
    fd_ = -1;
    return error_;
}

}  // namespace flowpool::detail
