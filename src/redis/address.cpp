#include "address.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>

#include "common/parse.hpp"

namespace flowpool::detail::redis {
namespace {

constexpr std::string_view scheme = "redis://";

/// @p text as a whole number in [low, high], or throws naming @p what.
int parse_number(std::string_view text, int low, int high, std::string_view what) {
    const std::optional<std::int64_t> value = parse_integer(text);
    if (!value || *value < low || *value > high) {
        throw std::invalid_argument("bad " + std::string(what) + " '" + std::string(text) +
                                    "' in Redis URL");
    }
    return static_cast<int>(*value);
}

}  // namespace

std::string Address::to_string() const { return host + ':' + std::to_string(port); }

std::string Address::to_url() const {
    std::string url(scheme);
    if (!user.empty()) url += user + '@';
    url += to_string();
    if (db != 0) url += '/' + std::to_string(db);
    return url;
}

Address parse_url(std::string_view url) {
    if (url.substr(0, scheme.size()) != scheme) {
        throw std::invalid_argument("a Redis URL starts with redis://, not '" + std::string(url) +
                                    "'");
    }
    std::string_view rest = url.substr(scheme.size());
    Address address;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        const std::string_view login = rest.substr(0, at);
        const auto colon = login.find(':');
        if (colon == std::string_view::npos) {
            throw std::invalid_argument("the login in a Redis URL is [USER]:PASSWORD@");
        }
        address.user = login.substr(0, colon);
        address.password = login.substr(colon + 1);
        rest = rest.substr(at + 1);
    }
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        const std::string_view db = rest.substr(slash + 1);
        if (!db.empty()) address.db = parse_number(db, 0, 1 << 20, "database number");
        rest = rest.substr(0, slash);
    }
    if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        address.port = parse_number(rest.substr(colon + 1), 1, 65535, "port");
        rest = rest.substr(0, colon);
    }
    if (rest.empty())
        throw std::invalid_argument("no host in Redis URL '" + std::string(url) + "'");
    address.host = rest;
    return address;
}

}  // namespace flowpool::detail::redis
