#include "metrics_endpoint.hpp"

#include <civetweb.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <flowpool/error.hpp>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "common/log.hpp"
#include "metrics_client.hpp"

namespace flowpool::detail {
namespace {

/// Sends a whole response: @p status, a plain-text or Prometheus @p type, and @p body.
int respond(mg_connection* connection, int status, const char* type, const std::string& body) {
    mg_response_header_start(connection, status);
    mg_response_header_add(connection, "Content-Type", type, -1);
    mg_response_header_add(connection, "Content-Length", std::to_string(body.size()).c_str(), -1);
    mg_response_header_add(connection, "Cache-Control", "no-store", -1);
    mg_response_header_send(connection);
    const mg_request_info* request = mg_get_request_info(connection);
    if (request == nullptr || std::string_view(request->request_method) != "HEAD") {
        mg_write(connection, body.data(), body.size());
    }
    return status;
}

/// civetweb's own messages (a client that went away, ...) go to flowpool's log at debug.
int log_civetweb(const mg_connection*, const char* message) {
    log().debug("metrics endpoint: {}", message);
    return 1;
}

/// Connects to @p host:@p port (waiting at most 50 ms) and closes the connection at once.
void knock(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return;
    const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        const timeval most{0, 50000};  // a connect waits as long as a send may (socket(7))
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &most, sizeof most);
        static_cast<void>(::connect(fd, found->ai_addr, found->ai_addrlen));
        ::close(fd);
    }
    freeaddrinfo(found);
}

}  // namespace

/// A request being answered, counted so that the endpoint's end waits until it is sent whole:
/// civetweb stops writing once mg_stop() has set its stop flag, and a scrape answered as the run
/// ended reached the client as headers without a body. A request that comes once the end has
/// begun is not counted and gets no answer: its connection closes, as it would a moment later.
class MetricsEndpoint::Answer {
public:
    explicit Answer(const MetricsEndpoint& endpoint) : endpoint_(endpoint) {
        const std::lock_guard lock(endpoint_.mutex_);
        counted_ = !endpoint_.closing_;
        endpoint_.answering_ += counted_ ? 1 : 0;
    }
    ~Answer() {
        if (!counted_) return;
        const std::lock_guard lock(endpoint_.mutex_);
        --endpoint_.answering_;
        endpoint_.answered_.notify_all();
    }
    Answer(const Answer&) = delete;
    Answer& operator=(const Answer&) = delete;

    /// False once the endpoint's end has begun: send nothing.
    [[nodiscard]] bool may_answer() const noexcept { return counted_; }

private:
    const MetricsEndpoint& endpoint_;
    bool counted_ = false;
};

MetricsEndpoint::MetricsEndpoint(const std::string& address, std::size_t threads)
    : threads_(threads) {
    const auto [host, port] = parse_metrics_address(address, "--metrics");
    const std::string listen = host.find(':') != std::string::npos  // an IPv6 address
                                   ? "[" + host + "]:" + std::to_string(port)
                                   : host + ":" + std::to_string(port);
    // Two threads: a scrape and a health check at once; the requests are small and quick.
    const char* options[] = {"listening_ports",    listen.c_str(), "num_threads", "2",
                             "request_timeout_ms", "10000",        nullptr};
    mg_callbacks callbacks{};
    callbacks.log_message = log_civetweb;
    mg_init_data init{&callbacks, this, options};
    std::array<char, 256> why{};
    unsigned code = 0;
    mg_error_data error{&code, why.data(), why.size()};
    context_ = mg_start2(&init, &error);
    if (context_ == nullptr) {
        throw UsageError("--metrics " + address + ": cannot listen on " + listen + ": " +
                         (why[0] != 0 ? why.data() : "civetweb did not start"));
    }
    mg_set_request_handler(context_, "/metrics", serve_metrics, this);
    mg_set_request_handler(context_, "/health", serve_health, this);
    mg_set_request_handler(context_, "/ready", serve_ready, this);
    std::array<mg_server_port, 1> ports{};
    const int bound = mg_get_server_ports(context_, 1, ports.data());
    host_ = host;
    port_ = std::to_string(bound > 0 ? ports[0].port : port);
    address_ = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port_;
}

MetricsEndpoint::~MetricsEndpoint() {
    if (context_ == nullptr) return;
    {
        // Requests being answered are sent whole first (at most 500 ms: a client that stopped
        // reading must not hold the exit).
        std::unique_lock lock(mutex_);
        closing_ = true;
        answered_.wait_for(lock, std::chrono::milliseconds(500),
                           [this] { return answering_ == 0; });
    }
    // civetweb 1.15's master thread polls the listening socket in steps of 2 s
    // (SOCKET_TIMEOUT_QUANTUM, fixed when the library was built) and sees mg_stop()'s flag only
    // when a poll returns: mg_stop() alone took up to 2 s, which every run with --metrics waited
    // at its end (civetweb issue #1163, fixed in 1.16). A connection to the listening socket
    // ends the poll at once; one made before the flag is set is served as a client that sent
    // nothing, so they are made until mg_stop() returns.
    std::atomic<bool> stopped{false};
    std::thread knocker;
    try {
        knocker = std::thread([this, &stopped] {
            while (!stopped.load()) {
                knock(host_, port_);
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        });
    } catch (const std::system_error&) {
        // No thread: mg_stop() takes its 2 s.
    }
    mg_stop(context_);
    stopped.store(true);
    if (knocker.joinable()) knocker.join();
}

void MetricsEndpoint::publish(const RunStats& stats, RunPhase phase) {
    const std::lock_guard lock(mutex_);
    latest_ = stats;
    phase_ = phase;
}

RunPhase MetricsEndpoint::phase() const {
    const std::lock_guard lock(mutex_);
    return phase_;
}

int MetricsEndpoint::serve_metrics(mg_connection* connection, void* self) {
    const auto& endpoint = *static_cast<const MetricsEndpoint*>(self);
    const Answer answer(endpoint);
    // Ending: nothing is sent. civetweb only logs a handler's status, and any from 1 to 999
    // tells it the request was handled (0 would make it look for a file to serve).
    if (!answer.may_answer()) return 503;
    RunStats stats;
    RunPhase phase{};
    {
        const std::lock_guard lock(endpoint.mutex_);
        stats = endpoint.latest_;
        phase = endpoint.phase_;
    }
    const double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - endpoint.start_).count();
    return respond(connection, 200, "text/plain; version=0.0.4; charset=utf-8",
                   prometheus_text(stats, phase, uptime, endpoint.threads_));
}

int MetricsEndpoint::serve_health(mg_connection* connection, void* self) {
    const auto& endpoint = *static_cast<const MetricsEndpoint*>(self);
    const Answer answer(endpoint);
    if (!answer.may_answer()) return 503;  // nothing sent, as in serve_metrics
    const RunPhase phase = endpoint.phase();
    const bool healthy = phase != RunPhase::failed && phase != RunPhase::draining;
    return respond(connection, healthy ? 200 : 503, "text/plain; charset=utf-8",
                   std::string(to_string(phase)) + "\n");
}

int MetricsEndpoint::serve_ready(mg_connection* connection, void* self) {
    const auto& endpoint = *static_cast<const MetricsEndpoint*>(self);
    const Answer answer(endpoint);
    if (!answer.may_answer()) return 503;  // nothing sent, as in serve_metrics
    const RunPhase phase = endpoint.phase();
    return respond(connection, phase == RunPhase::running ? 200 : 503, "text/plain; charset=utf-8",
                   std::string(to_string(phase)) + "\n");
}

}  // namespace flowpool::detail
