#pragma once
// Where a Redis server is: parsed once from a `redis://` URL, used on every (re)connect.

#include <string>
#include <string_view>

namespace flowpool::detail::redis {

/// A Redis server and how to log in to it.
struct Address {
    std::string host = "127.0.0.1";  ///< name or address
    int port = 6379;                 ///< TCP port
    std::string user;                ///< ACL user (Redis 6+); empty: the default user
    std::string password;            ///< empty: no AUTH
    int db = 0;                      ///< SELECTed after connecting when not 0

    /// `host:port`, for logs (never the password).
    [[nodiscard]] std::string to_string() const;
    /// `redis://[USER@]HOST:PORT[/DB]`, the URL without its password, for messages.
    [[nodiscard]] std::string to_url() const;
};

/// Parses `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`. Throws std::invalid_argument saying
/// what is wrong (used as the `url` parameter's check, so graph files get FILE:LINE:COL).
[[nodiscard]] Address parse_url(std::string_view url);

}  // namespace flowpool::detail::redis
