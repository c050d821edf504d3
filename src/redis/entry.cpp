#include "entry.hpp"

#include <flowpool/error.hpp>

#include <string_view>

#include "common/parse.hpp"

namespace flowpool::detail::redis {

void append_fields(Command& command, std::uint64_t id, const Value& value) {
    command.emplace_back("id");
    command.push_back(std::to_string(id));
    if (const auto* number = std::get_if<std::int64_t>(&value)) {
        command.emplace_back("int");
        command.push_back(std::to_string(*number));
    } else {
        command.emplace_back("str");
        command.push_back(std::get<std::string>(value));
    }
}

std::optional<Job> read_job(const redisReply& fields, Expect expect, std::string& why) {
    std::optional<std::string_view> id_text;
    std::optional<std::string_view> int_text;
    std::optional<std::string_view> str_text;
    for (std::size_t i = 0; i + 1 < size(fields); i += 2) {
        const std::string_view name = text(at(fields, i));
        const std::string_view value = text(at(fields, i + 1));
        if (name == "id") id_text = value;
        if (name == "int") int_text = value;
        if (name == "str") str_text = value;
    }
    Job job;
    const std::optional<std::uint64_t> id = id_text ? parse_unsigned(*id_text) : std::nullopt;
    if (!id) {
        why = id_text ? "its 'id' field is not an unsigned 64-bit integer" : "it has no 'id' field";
        return std::nullopt;
    }
    if (*id == JobError::no_job) {
        why = "its 'id' field is 2^64 - 1, which is no job's id (job ids go up to 2^64 - 2)";
        return std::nullopt;
    }
    job.id = *id;
    if (int_text.has_value() == str_text.has_value()) {
        why = "it needs exactly one of the fields 'int' and 'str'";
        return std::nullopt;
    }
    if (int_text) {
        const std::optional<std::int64_t> number = parse_integer(*int_text);
        if (!number) {
            why = "its 'int' field is not a signed 64-bit integer";
            return std::nullopt;
        }
        if (expect == Expect::string) {
            job.value = std::string(*int_text);
        } else {
            job.value = *number;
        }
        return job;
    }
    if (expect == Expect::integer) {
        why =
            "it has a string value ('str'), but this source gives integers "
            "(redis_stream_strings reads strings)";
        return std::nullopt;
    }
    job.value = std::string(*str_text);
    return job;
}

}  // namespace flowpool::detail::redis
