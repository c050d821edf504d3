#include "program.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string_view>
#include <system_error>
#include <utility>

#include "common/child_groups.hpp"

extern char** environ;  // NOLINT: POSIX declares it nowhere

namespace flowpool::detail {
namespace {

using Clock = std::chrono::steady_clock;

/// The bytes of standard error a failed job's message carries.
constexpr std::size_t stderr_tail_bytes = 4096;
/// After SIGKILL, how long the pipes may stay open (held by a process that left the group).
constexpr std::chrono::milliseconds after_kill{1000};

/// A file descriptor this code owns.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            close();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { close(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    void close() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

/// A pipe, both ends close-on-exec: a program inherits only the ends dup2'd onto its 0, 1, 2,
/// never another program's, so every reader sees end-of-file when its own writer ends.
struct Pipe {
    Fd read;
    Fd write;
};

Pipe make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw std::system_error(errno, std::generic_category(), "cannot make a pipe for a program");
    }
    return {Fd(fds[0]), Fd(fds[1])};
}

void set_nonblocking(int fd) noexcept { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

/// posix_spawn's file actions and attributes, destroyed when done.
class SpawnSetup {
public:
    SpawnSetup() {
        ::posix_spawn_file_actions_init(&actions_);
        ::posix_spawnattr_init(&attributes_);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
    ~SpawnSetup() {
        ::posix_spawn_file_actions_destroy(&actions_);
        ::posix_spawnattr_destroy(&attributes_);
    }

    /// The program's 0, 1 and 2, its working directory, nothing else open; a process group of
    /// its own; no signal blocked or ignored (flowpool ignores SIGPIPE, and an ignored signal
    /// would stay ignored in the program).
    void prepare(int in, int out, int err, const std::string& cwd) {
        if (in >= 0) {
            ::posix_spawn_file_actions_adddup2(&actions_, in, STDIN_FILENO);
        } else {
            ::posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        }
        ::posix_spawn_file_actions_adddup2(&actions_, out, STDOUT_FILENO);
        ::posix_spawn_file_actions_adddup2(&actions_, err, STDERR_FILENO);
        if (!cwd.empty()) ::posix_spawn_file_actions_addchdir_np(&actions_, cwd.c_str());
        ::posix_spawn_file_actions_addclosefrom_np(&actions_, STDERR_FILENO + 1);
        sigset_t none;
        sigset_t all;
        sigemptyset(&none);
        sigfillset(&all);
        ::posix_spawnattr_setsigmask(&attributes_, &none);
        ::posix_spawnattr_setsigdefault(&attributes_, &all);
        ::posix_spawnattr_setpgroup(&attributes_, 0);
        ::posix_spawnattr_setflags(
            &attributes_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    }

    /// Starts @p spec's program; its pid, or -1 with @p error set to posix_spawn's errno.
    pid_t spawn(const ProgramSpec& spec, int& error) const {
        std::vector<char*> argv;
        argv.reserve(spec.argv.size() + 1);
        for (const std::string& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
        argv.push_back(nullptr);
        std::vector<char*> env;
        if (spec.env != nullptr) {
            env.reserve(spec.env->size() + 1);
            for (const std::string& var : *spec.env) env.push_back(const_cast<char*>(var.c_str()));
            env.push_back(nullptr);
        }
        char* const* envp = spec.env != nullptr ? env.data() : environ;
        pid_t pid = -1;
        const bool search = spec.argv.front().find('/') == std::string::npos;
        error = search ? ::posix_spawnp(&pid, argv[0], &actions_, &attributes_, argv.data(), envp)
                       : ::posix_spawn(&pid, argv[0], &actions_, &attributes_, argv.data(), envp);
        return error == 0 ? pid : -1;
    }

private:
    posix_spawn_file_actions_t actions_;
    posix_spawnattr_t attributes_;
};

/// write(2) that returns EPIPE instead of raising SIGPIPE when the program closed its input:
/// the signal is blocked in this thread for the call, and taken back if the write raised it.
ssize_t write_without_sigpipe(int fd, std::string_view bytes) noexcept {
    sigset_t pipe_signal;
    sigset_t old_mask;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_signal, &old_mask);
    sigset_t pending_before;
    sigpending(&pending_before);
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    const int error = errno;
    if (n < 0 && error == EPIPE && sigismember(&pending_before, SIGPIPE) == 0) {
        const timespec now{0, 0};
        sigtimedwait(&pipe_signal, nullptr, &now);
    }
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    errno = error;
    return n;
}

/// A descriptor that becomes readable when process @p pid exits, or -1 on kernels before 5.3
/// (then the end of its output tells). By syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C".
int pidfd_of(pid_t pid) noexcept { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

/// One running program: the parent's ends of its pipes, its pidfd, and the deadlines that end
/// it. Its group is in ChildGroups::running() from its start (run_program) to its reaping.
class Conversation {
public:
    Conversation(const ProgramSpec& spec, pid_t pid, Fd in, Fd out, Fd err)
        : spec_(spec), pid_(pid), in_(std::move(in)), out_(std::move(out)), err_(std::move(err)) {
        start_ = Clock::now();
        exit_ = Fd(pidfd_of(pid));
        // Only the input is written without blocking; the outputs are read once per poll that
        // says they are ready, which a blocking read never blocks on (and saves 4 fcntl a job).
        if (in_) set_nonblocking(in_.get());
    }

    Conversation(const Conversation&) = delete;
    Conversation& operator=(const Conversation&) = delete;
    /// If finish() did not get to reap it (out of memory while reading), kills and reaps it.
    ~Conversation() {
        if (reaped_) return;
        kill_group(SIGKILL);
        static_cast<void>(reap());
    }

    /// Feeds and reads the program until its pipes close and it exited, then reaps it. Once
    /// the pipes are closed and no deadline is left, reap() waits for the exit by itself: one
    /// wake-up a job fewer than a poll of the pidfd first.
    ProgramResult finish() {
        while (in_ || out_ || err_ || (exit_ && !exited_ && next_deadline())) {
            if (!wait_once()) break;
        }
        const int status = reap();
        if (result_.err.size() > spec_.max_output_bytes) {
            err_dropped_ += result_.err.size() - spec_.max_output_bytes;
            result_.err.erase(0, result_.err.size() - spec_.max_output_bytes);
        }
        if (err_dropped_ != 0) {  // said, not done silently
            result_.err.insert(0, "flowpool: " + std::to_string(err_dropped_) +
                                      " bytes of this program's standard error dropped before "
                                      "its last max_output_bytes (" +
                                      std::to_string(spec_.max_output_bytes) + ")\n");
        }
        if (timed_out_) {
            result_.end = ProgramResult::End::timed_out;
        } else if (too_much_) {
            result_.end = ProgramResult::End::too_much_output;
        } else if (WIFSIGNALED(status)) {
            result_.end = ProgramResult::End::signalled;
            result_.code = WTERMSIG(status);
        } else {
            result_.end = ProgramResult::End::exited;
            result_.code = WEXITSTATUS(status);
        }
        return std::move(result_);
    }

private:
    enum class Stage { running, terminated, killed };

    /// Closes the pipes, waits for the program, forgets its group and reaps it; its wait
    /// status. The group stays known until the program exited (a program that closed its
    /// outputs may still run: a stop must reach it), and the zombie, left by WNOWAIT, keeps the
    /// group's number ours until then.
    int reap() noexcept {
        in_.close();
        out_.close();
        err_.close();
        siginfo_t exited{};
        while (::waitid(P_PID, static_cast<id_t>(pid_), &exited, WEXITED | WNOWAIT) < 0 &&
               errno == EINTR) {
        }
        ChildGroups::running().remove(pid_);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        reaped_ = true;
        return status;
    }

    /// One poll and what it found; false when the pipes are given up on (after SIGKILL).
    bool wait_once() {
        std::array<pollfd, 4> fds{};
        nfds_t n = 0;
        const auto watch = [&](const Fd& fd, short events) {
            if (fd) fds[n++] = {fd.get(), events, 0};
        };
        watch(in_, POLLOUT);
        watch(out_, POLLIN);
        watch(err_, POLLIN);
        if (!exited_) watch(exit_, POLLIN);
        const int ready = ::poll(fds.data(), n, poll_timeout());
        if (ready < 0 && errno != EINTR) return false;
        if (!on_deadline()) return false;
        for (nfds_t i = 0; i < n && ready > 0; ++i) {
            if (fds[i].revents == 0) continue;
            if (fds[i].fd == in_.get()) feed();
            if (fds[i].fd == out_.get()) drain(out_, result_.out, true);
            if (fds[i].fd == err_.get()) drain(err_, result_.err, false);
            if (fds[i].fd == exit_.get()) exited_ = true;
        }
        return true;
    }

    /// Milliseconds to the next deadline, rounded up; -1 for none.
    int poll_timeout() const {
        const std::optional<Clock::time_point> at = next_deadline();
        if (!at) return -1;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*at - Clock::now());
        return static_cast<int>(std::max<std::int64_t>(0, left.count()));
    }

    std::optional<Clock::time_point> next_deadline() const {
        switch (stage_) {
            case Stage::running:
                if (spec_.timeout.count() <= 0) return std::nullopt;
                return start_ + spec_.timeout;
            case Stage::terminated:
                return stage_since_ + spec_.kill_grace;
            case Stage::killed:
                return stage_since_ + after_kill;
        }
        return std::nullopt;
    }

    /// Moves on to the next stage if its deadline passed; false when even SIGKILL's has.
    bool on_deadline() {
        const std::optional<Clock::time_point> at = next_deadline();
        if (!at || Clock::now() < *at) return true;
        switch (stage_) {
            case Stage::running:
                timed_out_ = true;
                stage(Stage::terminated, SIGTERM);
                return true;
            case Stage::terminated:
                stage(Stage::killed, SIGKILL);
                return true;
            case Stage::killed:
                return false;
        }
        return true;
    }

    void stage(Stage next, int signal) {
        stage_ = next;
        stage_since_ = Clock::now();
        kill_group(signal);
    }

    // The leader is not reaped before ChildGroups::remove(): the group's number is still ours.
    void kill_group(int signal) const noexcept { ::kill(-pid_, signal); }

    void feed() {
        const std::string& input = *spec_.input;
        const std::string_view rest = std::string_view(input).substr(fed_);
        const ssize_t n = rest.empty() ? 0 : write_without_sigpipe(in_.get(), rest);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n > 0) fed_ += static_cast<std::size_t>(n);
        if (n < 0 || fed_ == input.size()) in_.close();  // EPIPE: it did not want the rest
    }

    /// One read of a pipe that poll() found ready (so the read does not block); end-of-file
    /// or an error closes it.
    void drain(Fd& fd, std::string& into, bool is_output) {
        char buffer[65536];
        ssize_t n = 0;
        do {
            n = ::read(fd.get(), buffer, sizeof buffer);
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            fd.close();
            return;
        }
        into.append(buffer, static_cast<std::size_t>(n));
        if (is_output && into.size() > spec_.max_output_bytes) {
            too_much_ = true;
            into.resize(spec_.max_output_bytes);
            out_.close();
            err_.close();
            in_.close();
            if (stage_ != Stage::killed) stage(Stage::killed, SIGKILL);
            return;
        }
        // Standard error keeps its last bytes only: trim now and then, not per read.
        if (!is_output && into.size() > 2 * spec_.max_output_bytes) {
            err_dropped_ += into.size() - spec_.max_output_bytes;
            into.erase(0, into.size() - spec_.max_output_bytes);
        }
    }

    const ProgramSpec& spec_;
    std::uint64_t err_dropped_ = 0;  // bytes of standard error trimmed off its front
    pid_t pid_;
    Fd in_;
    Fd out_;
    Fd err_;
    Fd exit_;  // the pidfd: readable once the program exited
    bool exited_ = false;
    bool reaped_ = false;
    std::size_t fed_ = 0;
    Clock::time_point start_;
    Stage stage_ = Stage::running;
    Clock::time_point stage_since_;
    bool timed_out_ = false;
    bool too_much_ = false;
    ProgramResult result_;
};

/// The last @p n bytes of @p text, without its final newline, marked if cut.
std::string tail_of(std::string_view text, std::size_t n) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (text.size() <= n) return std::string(text);
    return "..." + std::string(text.substr(text.size() - n));
}

/// What of @p spec holds a NUL byte, which would cut it short (arguments, the environment and
/// the directory reach the program as C strings); empty if nothing does.
std::string holds_nul(const ProgramSpec& spec) {
    const auto nul = [](const std::string& text) { return text.find('\0') != std::string::npos; };
    for (std::size_t i = 0; i < spec.argv.size(); ++i) {
        if (nul(spec.argv[i])) return "argument " + std::to_string(i) + " holds a NUL byte";
    }
    if (nul(spec.cwd)) return "its working directory holds a NUL byte";
    if (spec.env != nullptr) {
        for (const std::string& var : *spec.env) {
            if (nul(var)) {
                const std::size_t name_end = std::min(var.find('='), var.find('\0'));
                return "variable " + var.substr(0, name_end) + " holds a NUL byte";
            }
        }
    }
    return {};
}

/// Why a program cannot work in directory @p path (an errno), or 0 if it can.
int directory_error(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return errno;
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
    return ::access(path.c_str(), X_OK) == 0 ? 0 : errno;
}

}  // namespace

ProgramResult run_program(const ProgramSpec& spec) {
    if (spec.argv.empty() || spec.argv.front().empty()) {
        ProgramResult result;
        result.end = ProgramResult::End::not_started;
        result.why = "the command is empty";
        return result;
    }
    if (std::string why = holds_nul(spec); !why.empty()) {
        ProgramResult result;
        result.end = ProgramResult::End::not_started;
        result.why = std::move(why) + " (a program gets C strings: it would be cut short there)";
        return result;
    }
    std::optional<Pipe> in;
    if (spec.input) in = make_pipe();
    Pipe out = make_pipe();
    Pipe err = make_pipe();
    SpawnSetup setup;
    setup.prepare(in ? in->read.get() : -1, out.write.get(), err.write.get(), spec.cwd);
    int error = 0;
    const std::optional<pid_t> pid =
        ChildGroups::running().start([&] { return setup.spawn(spec, error); });
    if (!pid || *pid < 0) {
        ProgramResult result;
        result.end = ProgramResult::End::not_started;
        result.why = pid ? std::strerror(error) : "flowpool is stopping (interrupted)";
        // posix_spawn says ENOENT both for a program and for a working directory not found.
        if (pid && !spec.cwd.empty()) {
            if (const int cwd_error = directory_error(spec.cwd)) {
                result.why =
                    "its working directory '" + spec.cwd + "': " + std::strerror(cwd_error);
            }
        }
        return result;
    }
    // The program's ends are its own now: closing ours lets end-of-file through.
    if (in) in->read.close();
    out.write.close();
    err.write.close();
    Conversation talk(spec, *pid, in ? std::move(in->write) : Fd(), std::move(out.read),
                      std::move(err.read));
    return talk.finish();
}

std::string signal_name_of(int signal) {
    if (const char* name = ::sigabbrev_np(signal)) return std::string("SIG") + name;
    return "signal " + std::to_string(signal);
}

std::string failure_message(const ProgramResult& result, const ProgramSpec& spec) {
    const std::string program =
        spec.argv.empty() || spec.argv[0].empty() ? std::string("the program") : spec.argv[0];
    std::string message;
    switch (result.end) {
        case ProgramResult::End::exited:
            message = program + " exited with code " + std::to_string(result.code);
            break;
        case ProgramResult::End::signalled:
            message = program + " was killed by " + signal_name_of(result.code);
            break;
        case ProgramResult::End::timed_out:
            message = program + " timed out after " + std::to_string(spec.timeout.count()) +
                      " ms; its process group was killed";
            break;
        case ProgramResult::End::too_much_output:
            message = program + " wrote more than max_output_bytes (" +
                      std::to_string(spec.max_output_bytes) +
                      ") to its standard output; its process group was killed";
            break;
        case ProgramResult::End::not_started:
            return "cannot start " + program + ": " + result.why;
    }
    if (!result.err.empty()) message += "; stderr: " + tail_of(result.err, stderr_tail_bytes);
    return message;
}

}  // namespace flowpool::detail
