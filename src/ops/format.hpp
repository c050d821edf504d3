#pragma once
// Line templates such as "Result: Job {id} Value {value}": parsed once, rendered per job.
// Fields: {id}, {value}, {worker}, {node}; "{{" and "}}" stand for braces.

#include <flowpool/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flowpool::detail {

class LineFormat {
public:
    /// Parses @p text; throws std::invalid_argument naming an unknown field or a stray brace.
    explicit LineFormat(std::string_view text);

    /// Appends the line for one job, with its '\n', to @p out.
    void render(std::string& out, std::uint64_t id, const Value& value, int worker,
                std::string_view node) const;

private:
    enum class Field { text, id, value, worker, node };
    struct Piece {
        Field field;
        std::string text;
    };
    std::vector<Piece> pieces_;
};

/// Appends @p value as text: an integer in decimal, a string as it is.
void append_value(std::string& out, const Value& value);

}  // namespace flowpool::detail
