#pragma once
// What the Redis tests share: a private redis-server (Debian's) on a free port of 127.0.0.1, in a
// temporary directory, with `appendonly yes`, stopped by its pid; a hiredis client to look at
// the streams; and flowpool processes started and killed by pid.

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace flowpool::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// A child process: `argv`, stdout and stderr to files; killed (SIGKILL) if still running when
/// destroyed.
class Process {
public:
    Process(const std::vector<std::string>& argv, const std::string& out, const std::string& err)
        : out_(out), err_(err) {
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(out_fd, 1);
            dup2(err_fd, 2);
            std::vector<char*> args;
            for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            execv(args[0], args.data());
            _exit(127);
        }
    }
    ~Process() {
        if (running()) {
            kill(SIGKILL);
            static_cast<void>(wait());
        }
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] bool running() const { return status_ < 0; }
    void kill(int signal) const { ::kill(pid_, signal); }

    /// Waits up to @p limit; the exit code (128 + signal if killed), or -1 if still running.
    int wait(std::chrono::milliseconds limit = std::chrono::hours(1)) {
        const auto until = Clock::now() + limit;
        while (running()) {
            int status = 0;
            const pid_t got = waitpid(pid_, &status, WNOHANG);
            if (got == pid_) {
                status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                break;
            }
            if (Clock::now() >= until) return -1;
            std::this_thread::sleep_for(10ms);
        }
        return status_;
    }

    [[nodiscard]] std::string out() const { return slurp(out_); }
    [[nodiscard]] std::string err() const { return slurp(err_); }

    static std::string slurp(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    pid_t pid_ = -1;
    int status_ = -1;
    std::string out_;
    std::string err_;
};

/// A reply, freed when it goes.
struct ReplyDeleter {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

/// A plain hiredis client for the tests' own checks.
class Client {
public:
    explicit Client(int port) {
        context_ = redisConnect("127.0.0.1", port);
        if (context_ == nullptr || context_->err != 0) throw std::runtime_error("cannot connect");
    }
    ~Client() { redisFree(context_); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Runs a command given as words (binary-safe).
    Reply run(const std::vector<std::string>& words) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const std::string& w : words) {
            argv.push_back(w.data());
            lengths.push_back(w.size());
        }
        auto* reply = static_cast<redisReply*>(
            redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
        if (reply == nullptr) throw std::runtime_error(std::string("redis: ") + context_->errstr);
        return Reply(reply);
    }
    long long integer(const std::vector<std::string>& words) { return run(words)->integer; }

    /// Every entry of @p stream: its fields as a map, in stream order.
    std::vector<std::map<std::string, std::string>> entries(const std::string& stream) {
        std::vector<std::map<std::string, std::string>> all;
        std::string from = "-";
        for (;;) {
            const Reply reply = run({"XRANGE", stream, from, "+", "COUNT", "5000"});
            if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return all;
            for (std::size_t i = 0; i < reply->elements; ++i) {
                const redisReply* entry = reply->element[i];
                std::map<std::string, std::string> fields;
                const redisReply* f = entry->element[1];
                for (std::size_t k = 0; k + 1 < f->elements; k += 2) {
                    fields[std::string(f->element[k]->str, f->element[k]->len)] =
                        std::string(f->element[k + 1]->str, f->element[k + 1]->len);
                }
                all.push_back(std::move(fields));
                from.assign(1, '(');  // exclusive: after this entry
                from.append(entry->element[0]->str, entry->element[0]->len);
            }
        }
    }

    /// Entries pending in @p group of @p stream (0 if there is no such group).
    long long pending(const std::string& stream, const std::string& group) {
        const Reply reply = run({"XPENDING", stream, group});
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return 0;
        return reply->element[0]->integer;
    }

private:
    redisContext* context_ = nullptr;
};

/// A private redis-server with an append-only file, in a temporary directory.
class RedisServer {
public:
    RedisServer() {
        char pattern[] = "/tmp/flowpool_redis_XXXXXX";
        if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        // A free port is free only until someone binds it: under ctest -j2 another test's server
        // or connection may take it before this server does. Then try another, up to 3 times.
        for (int attempt = 1;; ++attempt) {
            port_ = free_port();
            if (try_start()) return;
            if (attempt == 3) fail_to_start();
        }
    }
    ~RedisServer() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    /// Starts it again, on the same port and files, and waits until it answers PING.
    void start() {
        if (!try_start()) fail_to_start();
    }

    /// Stops it with SIGTERM (it writes its append-only file out) and waits for it to exit.
    void stop() {
        if (!server_) return;
        server_->kill(SIGTERM);
        static_cast<void>(server_->wait(20s));
        server_.reset();
    }

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
    [[nodiscard]] const std::string& dir() const { return dir_; }

private:
    /// Starts redis-server on port_; true once it answers PING as this process (INFO's
    /// process_id: another test's server on the port is not this one), false if it exits first
    /// (the port was taken) or does not answer within 10 s.
    bool try_start() {
        server_ = std::make_unique<Process>(
            std::vector<std::string>{REDIS_SERVER, "--port", std::to_string(port_), "--bind",
                                     "127.0.0.1", "--dir", dir_, "--appendonly", "yes", "--save",
                                     "", "--daemonize", "no", "--logfile", dir_ + "/redis.log"},
            dir_ + "/stdout", dir_ + "/stderr");
        const std::string ours = "process_id:" + std::to_string(server_->pid()) + "\r\n";
        const auto until = Clock::now() + 10s;
        while (Clock::now() < until && server_->wait(0ms) < 0) {
            redisContext* c = redisConnect("127.0.0.1", port_);
            if (c != nullptr && c->err == 0) {
                auto* reply = static_cast<redisReply*>(redisCommand(c, "INFO server"));
                const bool up = reply != nullptr && reply->type == REDIS_REPLY_STRING &&
                                std::string(reply->str, reply->len).find(ours) != std::string::npos;
                if (reply != nullptr) freeReplyObject(reply);
                redisFree(c);
                if (up) return true;
            } else if (c != nullptr) {
                redisFree(c);
            }
            std::this_thread::sleep_for(20ms);
        }
        server_.reset();  // killed if it still runs
        return false;
    }

    [[noreturn]] void fail_to_start() const {
        throw std::runtime_error("redis-server did not start; see " + dir_ + "/redis.log");
    }

    static int free_port() {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        socklen_t length = sizeof address;
        if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            close(fd);
            throw std::runtime_error("no free port");
        }
        close(fd);
        return ntohs(address.sin_port);
    }

    std::string dir_;
    int port_ = 0;
    std::unique_ptr<Process> server_;
};

/// `flowpool run GRAPH --set ...` as a child process, output in @p dir.
inline std::unique_ptr<Process> run_flowpool(const std::string& graph,
                                             const std::vector<std::string>& sets,
                                             const std::string& dir, const std::string& name) {
    std::vector<std::string> argv = {FLOWPOOL_CLI, "run", graph};
    for (const std::string& s : sets) {
        argv.emplace_back("--set");
        argv.push_back(s);
    }
    return std::make_unique<Process>(argv, dir + "/" + name + ".out", dir + "/" + name + ".err");
}

/// A graph file of the source tree.
inline std::string source_file(const std::string& relative) {
    return std::string(FLOWPOOL_SOURCE_DIR) + "/" + relative;
}

}  // namespace flowpool::test

namespace flowpool::test {

/// What a result stream holds against the jobs 0..count-1 and their expected values.
struct Tally {
    std::size_t entries = 0;    ///< results written, repeats included
    std::size_t distinct = 0;   ///< job ids with at least one result
    std::size_t missing = 0;    ///< job ids 0..count-1 without a result
    std::size_t wrong = 0;      ///< results whose value is not the expected one
    std::size_t strangers = 0;  ///< results for ids outside 0..count-1
    [[nodiscard]] std::size_t duplicates() const { return entries - distinct; }
};

/// Tallies @p stream's results for jobs 0..count-1, where job i's value must be expected(i).
template <class Expected>
Tally tally(Client& client, const std::string& stream, std::uint64_t count, Expected expected) {
    Tally t;
    std::vector<int> seen(count, 0);
    for (const auto& fields : client.entries(stream)) {
        ++t.entries;
        const std::uint64_t id = std::stoull(fields.at("id"));
        if (id >= count) {
            ++t.strangers;
            continue;
        }
        if (seen[id]++ == 0) ++t.distinct;
        if (!fields.count("int") || std::stoll(fields.at("int")) != expected(id)) ++t.wrong;
    }
    for (const int n : seen) t.missing += n == 0 ? 1 : 0;
    return t;
}

}  // namespace flowpool::test
