#pragma once
// Line templates such as "Result: Job {id} Value {value}": parsed once, rendered per job.
// Fields: {id}, {file} (where a source read the job), {value}, {value.PATH} (a record's field or a
// list's element: {value.user.country}, {value.tags[0]}), {worker}, {node}; "{{" and "}}" stand for
// braces.

#include <flowpool/job_context.hpp>
#include <flowpool/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/value_path.hpp"

namespace flowpool::detail {

class LineFormat {
public:
    /// Parses @p text; throws std::invalid_argument naming an unknown field, a bad path or a
    /// stray brace.
    explicit LineFormat(std::string_view text);

    /// Appends the line for one job, with its '\n', to @p out. Throws std::invalid_argument if
    /// a path names what the value does not have ("no .user.country in the value").
    void render(std::string& out, const JobContext& job, const Value& value) const;
    /// Appends the text for one job as render() does, but without a '\n' and with a string
    /// value as it is, newlines included: a program's argument or input (the `exec` op).
    void render_text(std::string& out, const JobContext& job, const Value& value) const;

private:
    void render_pieces(std::string& out, const JobContext& job, const Value& value, bool raw) const;

    enum class Field { text, id, value, worker, node, file };
    struct Piece {
        Field field;
        std::string text;
        ValuePath path;  // Field::value: from the value to what is shown
    };
    std::vector<Piece> pieces_;
};

/// Appends @p value as text: a string as it is (a newline as a space, so that a job stays one
/// line), anything else as its JSON.
void append_value(std::string& out, const Value& value);

}  // namespace flowpool::detail
