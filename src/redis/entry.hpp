#pragma once
// How a job is written in a stream entry, and read back. The same fields in both directions, so
// a result stream can be read by the next graph:
//
//   id   the job id, decimal (unsigned 64-bit)
//   int  the value if it is an integer, decimal (signed 64-bit)   } exactly one
//   str  the value if it is a string, its bytes as they are       } of the two

#include <flowpool/value.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "connection.hpp"

namespace flowpool::detail::redis {

/// A job read from an entry.
struct Job {
    std::uint64_t id = 0;  ///< the `id` field
    Value value;           ///< from `int` or `str`
};

/// The values a stream source passes on.
enum class Expect {
    integer,  ///< only `int` entries; a `str` entry is malformed
    string    ///< `str` entries, and `int` entries as their decimal text
};

/// Appends the fields of job @p id with @p value to @p command (an XADD being built).
void append_fields(Command& command, std::uint64_t id, const Value& value);

/// The job in an entry's field list (an array reply: name, value, name, value, ...), or nothing
/// with @p why set if the entry is malformed for @p expect.
[[nodiscard]] std::optional<Job> read_job(const redisReply& fields, Expect expect,
                                          std::string& why);

}  // namespace flowpool::detail::redis
