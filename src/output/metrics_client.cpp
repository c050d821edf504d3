#include "metrics_client.hpp"

#include <civetweb.h>

#include <array>
#include <flowpool/error.hpp>
#include <optional>

#include "common/parse.hpp"

namespace flowpool::detail {

std::pair<std::string, std::uint16_t> parse_metrics_address(const std::string& address,
                                                            const std::string& flag) {
    const std::size_t colon = address.rfind(':');
    std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
    const std::string port = colon == std::string::npos ? address : address.substr(colon + 1);
    const std::optional<std::uint64_t> number = parse_unsigned(port);
    if (!number || *number > 65535) {
        throw UsageError(flag + " '" + address +
                         "': expected HOST:PORT or PORT, with a port from 0 to 65535");
    }
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host.empty() || host == "localhost") host = "127.0.0.1";  // civetweb takes addresses
    return {host, static_cast<std::uint16_t>(*number)};
}

std::string fetch_metrics(const std::string& address) {
    const auto [host, port] = parse_metrics_address(address, "address");
    static const unsigned initialised = mg_init_library(0);
    (void)initialised;
    std::array<char, 256> why{};
    mg_connection* connection =
        mg_download(host.c_str(), port, 0, why.data(), why.size(),
                    "GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n", host.c_str());
    const std::string url = "http://" + address + "/metrics";
    if (connection == nullptr) {
        throw Error("nothing answers at " + url + ": " +
                    (why[0] != 0 ? why.data() : "cannot connect") +
                    " (is a flowpool run serving --metrics there?)");
    }
    const mg_response_info* info = mg_get_response_info(connection);
    const int status = info != nullptr ? info->status_code : 0;
    std::string body;
    std::array<char, 16384> chunk{};
    for (int n; (n = mg_read(connection, chunk.data(), chunk.size())) > 0;)
        body.append(chunk.data(), n);
    mg_close_connection(connection);
    if (status != 200) throw Error(url + " answered " + std::to_string(status) + ", not 200");
    return body;
}

}  // namespace flowpool::detail
