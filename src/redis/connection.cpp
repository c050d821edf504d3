#include "connection.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <thread>

#include "common/log.hpp"

namespace flowpool::detail::redis {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds first_backoff{50};
constexpr milliseconds max_backoff{2000};
constexpr milliseconds connect_timeout{2000};
constexpr std::chrono::seconds warn_every{10};  // while a server stays away

/// Error replies that mean "not now": the server is loading its data, busy with a script, ...
bool is_transient(const redisReply& reply) noexcept {
    constexpr std::array<std::string_view, 4> codes = {"LOADING", "BUSY ", "MASTERDOWN",
                                                       "TRYAGAIN"};
    return std::any_of(codes.begin(), codes.end(),
                       [&](std::string_view code) { return is_error(reply, code); });
}

timeval to_timeval(milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
    return tv;
}

/// Sleeps @p wait in short steps, returning early once @p keep_trying says no.
bool wait_while(milliseconds wait, const KeepTrying& keep_trying) {
    const auto until = Clock::now() + wait;
    while (Clock::now() < until) {
        if (!keep_trying()) return false;
        std::this_thread::sleep_for(std::min(milliseconds{50}, wait));
    }
    return keep_trying();
}

}  // namespace

void ReplyDeleter::operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }

Connection::Connection(Address address, std::string who, milliseconds timeout)
    : address_(std::move(address)), who_(std::move(who)), timeout_(timeout) {}

Connection::~Connection() { drop(); }

void Connection::drop() noexcept {
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
}

bool Connection::connect(std::string& error) {
    drop();
    context_ =
        redisConnectWithTimeout(address_.host.c_str(), address_.port, to_timeval(connect_timeout));
    if (context_ == nullptr || context_->err != 0) {
        error = context_ != nullptr ? context_->errstr : "cannot allocate a connection";
        drop();
        return false;
    }
    redisSetTimeout(context_, to_timeval(timeout_));
    redisEnableKeepAlive(context_);
    std::vector<Command> login;
    if (!address_.password.empty()) {
        login.push_back(address_.user.empty() ? Command{"AUTH", address_.password}
                                              : Command{"AUTH", address_.user, address_.password});
    }
    if (address_.db != 0) login.push_back({"SELECT", std::to_string(address_.db)});
    std::vector<Reply> replies;
    if (!try_pipeline(login, replies, error)) return false;
    for (const Reply& reply : replies) {
        // A wrong password or database is not going to heal by waiting.
        if (is_error(*reply) && !is_transient(*reply)) {
            throw LoginRefused(address_, std::string(text(*reply)));
        }
    }
    return true;
}

bool Connection::try_pipeline(const std::vector<Command>& commands, std::vector<Reply>& replies,
                              std::string& error) {
    replies.clear();
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const Command& command : commands) {
        argv.clear();
        lengths.clear();
        for (const std::string& word : command) {
            argv.push_back(word.data());
            lengths.push_back(word.size());
        }
        if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(),
                                   lengths.data()) != REDIS_OK) {
            error = context_->errstr;
            drop();
            return false;
        }
    }
    for (std::size_t i = 0; i < commands.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
            error = context_->err != 0 ? context_->errstr : "no reply";
            drop();
            return false;
        }
        replies.emplace_back(static_cast<redisReply*>(raw));
        if (is_transient(*replies.back())) error = text(*replies.back());
    }
    return error.empty();
}

std::vector<Reply> Connection::pipeline(const std::vector<Command>& commands,
                                        const KeepTrying& keep_trying) {
    std::vector<Reply> replies;
    milliseconds backoff = first_backoff;
    const auto start = Clock::now();
    int failures = 0;
    auto last_warning = start;
    for (;;) {
        std::string error;
        if ((context_ != nullptr || connect(error)) && try_pipeline(commands, replies, error)) {
            if (failures > 0) {
                log().warn("redis {} ({}): back after {} ms", address_.to_string(), who_,
                           std::chrono::duration_cast<milliseconds>(Clock::now() - start).count());
            }
            return replies;
        }
        if (failures++ == 0) {
            log().warn("redis {} ({}): {}; retrying with backoff", address_.to_string(), who_,
                       error);
            last_warning = Clock::now();
        } else if (Clock::now() - last_warning >= warn_every) {
            log().warn(
                "redis {} ({}): still failing after {} s: {}", address_.to_string(), who_,
                std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count(),
                error);
            last_warning = Clock::now();
        }
        if (!wait_while(backoff, keep_trying)) {
            throw ConnectionLost("redis " + address_.to_string() + " (" + who_ + "): " + error);
        }
        backoff = std::min(backoff * 2, max_backoff);
    }
}

Reply Connection::run(const Command& command, const KeepTrying& keep_trying) {
    std::vector<Reply> replies = pipeline({command}, keep_trying);
    return std::move(replies.front());
}

bool is_error(const redisReply& reply) noexcept { return reply.type == REDIS_REPLY_ERROR; }

bool is_error(const redisReply& reply, std::string_view code) noexcept {
    return is_error(reply) && text(reply).substr(0, code.size()) == code;
}

bool is_nil(const redisReply& reply) noexcept { return reply.type == REDIS_REPLY_NIL; }

std::string_view text(const redisReply& reply) noexcept {
    const bool has_text = reply.type == REDIS_REPLY_STRING || reply.type == REDIS_REPLY_STATUS ||
                          reply.type == REDIS_REPLY_ERROR;
    return has_text && reply.str != nullptr ? std::string_view(reply.str, reply.len)
                                            : std::string_view{};
}

long long integer(const redisReply& reply) noexcept {
    return reply.type == REDIS_REPLY_INTEGER ? reply.integer : 0;
}

std::size_t size(const redisReply& reply) noexcept {
    return reply.type == REDIS_REPLY_ARRAY ? reply.elements : 0;
}

const redisReply& at(const redisReply& reply, std::size_t i) noexcept { return *reply.element[i]; }

void check(const redisReply& reply, std::string_view context) {
    if (is_error(reply)) {
        throw std::runtime_error(std::string(context) + ": " + std::string(text(reply)));
    }
}

}  // namespace flowpool::detail::redis
