#pragma once
// One connection to Redis (hiredis, blocking), used by one thread at a time. It hides lost
// connections: a command that could not be sent or answered is sent again on a new connection,
// after a wait that doubles up to 2 s, for as long as the caller wants to keep trying.

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "address.hpp"

struct redisContext;
struct redisReply;

namespace flowpool::detail::redis {

/// Frees a hiredis reply.
struct ReplyDeleter {
    void operator()(redisReply* reply) const noexcept;
};
/// A reply, owned; never null when returned by Connection.
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

/// A command as its words, sent binary-safe (redisCommandArgv).
using Command = std::vector<std::string>;

/// Asked before each wait for the server: false gives up (the call throws ConnectionLost).
using KeepTrying = std::function<bool()>;

/// How long the stream ops' commands keep trying once the run is stopping: then a sink's jobs
/// fail, and a source's unacknowledged entries are delivered again later (duplicates, never
/// losses).
inline constexpr std::chrono::milliseconds stop_grace{10000};

/// The server could not be reached, and the caller gave up waiting for it.
class ConnectionLost : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The server refused the URL's login or database (AUTH, SELECT): waiting will not help.
class LoginRefused : public std::runtime_error {
public:
    LoginRefused(const Address& address, std::string reply)
        : std::runtime_error("redis " + address.to_string() + ": " + reply),
          reply_(std::move(reply)) {}
    /// The server's error reply.
    [[nodiscard]] const std::string& reply() const noexcept { return reply_; }

private:
    std::string reply_;
};

/// A blocking connection that reconnects with backoff and logs when it does.
class Connection {
public:
    /// Connects lazily, on the first command. @p who names the user in logs ("source 'jobs'");
    /// @p timeout bounds each reply's wait (a blocking read needs more than its BLOCK time).
    Connection(Address address, std::string who, std::chrono::milliseconds timeout);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Sends @p commands in one round trip and returns their replies in order. Error replies are
    /// returned, not thrown (but a login the server refuses throws LoginRefused). If the
    /// connection fails or the server is loading its data, all of them are sent again once it is
    /// back: a command may run twice, so use it for idempotent work or work whose duplicates are
    /// allowed.
    std::vector<Reply> pipeline(const std::vector<Command>& commands,
                                const KeepTrying& keep_trying);
    /// One command; see pipeline().
    Reply run(const Command& command, const KeepTrying& keep_trying);

    /// The server, for messages.
    [[nodiscard]] const Address& address() const noexcept { return address_; }

private:
    bool connect(std::string& error);
    bool try_pipeline(const std::vector<Command>& commands, std::vector<Reply>& replies,
                      std::string& error);
    void drop() noexcept;

    Address address_;
    std::string who_;
    std::chrono::milliseconds timeout_;
    redisContext* context_ = nullptr;
};

/// True if @p reply is an error reply.
[[nodiscard]] bool is_error(const redisReply& reply) noexcept;
/// True if @p reply is an error reply starting with @p code (`BUSYGROUP`, `NOGROUP`, ...).
[[nodiscard]] bool is_error(const redisReply& reply, std::string_view code) noexcept;
/// True if @p reply is nil.
[[nodiscard]] bool is_nil(const redisReply& reply) noexcept;
/// The text of a string, status or error reply (empty for other types).
[[nodiscard]] std::string_view text(const redisReply& reply) noexcept;
/// The value of an integer reply (0 for other types).
[[nodiscard]] long long integer(const redisReply& reply) noexcept;
/// The elements of an array reply (none for other types).
[[nodiscard]] std::size_t size(const redisReply& reply) noexcept;
/// Element @p i of an array reply; i < size(reply).
[[nodiscard]] const redisReply& at(const redisReply& reply, std::size_t i) noexcept;
/// Throws std::runtime_error with @p context and the server's message if @p reply is an error.
void check(const redisReply& reply, std::string_view context);

}  // namespace flowpool::detail::redis
