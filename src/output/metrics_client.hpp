#pragma once
// The other end of the metrics endpoint: its address as the user writes it, and one GET of its
// /metrics page (for `flowpool top`), with civetweb's HTTP client.

#include <cstdint>
#include <string>
#include <utility>

namespace flowpool::detail {

/// `HOST:PORT`, `:PORT` or `PORT` as host and port (host default 127.0.0.1; `localhost` is
/// 127.0.0.1; `[::1]:PORT` is an IPv6 host without its brackets). Throws UsageError naming
/// @p flag if it is none of those.
std::pair<std::string, std::uint16_t> parse_metrics_address(const std::string& address,
                                                            const std::string& flag);

/// The /metrics page served at @p address. Throws Error if nothing answers there or the answer
/// is not 200.
std::string fetch_metrics(const std::string& address);

}  // namespace flowpool::detail
