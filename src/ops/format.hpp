#pragma once
// Line templates such as "Result: Job {id} Value {value}": parsed once, rendered per job.
// Fields: {id}, {file} (where a source read the job), {value}, {value.PATH} (a record's field or a
// list's element: {value.user.country}, {value.tags[0]}, {value.tags[-1]}, a field of any name as
// expressions write it, {value.["odd key"]}; an application value's as its type's to_value shows
// it), {worker}, {node}; "{{" and "}}" stand for braces.

#include <flowpool/job_context.hpp>
#include <flowpool/value.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "data/value_path.hpp"

namespace flowpool {
class Params;
}  // namespace flowpool

namespace flowpool::detail {

/// Why a format cannot be read, and where: the byte of its text that the bad field's `{` (or the
/// stray brace) is at.
struct FormatError : std::invalid_argument {
    FormatError(std::size_t at, const std::string& reason)
        : std::invalid_argument(reason), offset(at) {}

    std::size_t offset;  ///< in bytes from the format's start
};

class LineFormat {
public:
    /// Parses @p text; throws FormatError naming an unknown field, a bad path or a stray brace.
    explicit LineFormat(std::string_view text);

    /// Appends the line for one job, with its '\n', to @p out. Throws std::invalid_argument if
    /// a path names what the value does not have ("no .user.country in the value").
    void render(std::string& out, const JobContext& job, const Value& value) const;
    /// Appends the text for one job as render() does, but without a '\n' and with a string
    /// value as it is, newlines included: a program's argument or input (the `exec` op).
    void render_text(std::string& out, const JobContext& job, const Value& value) const;
    /// Adds to @p names the fields of the value it shows (`{value.user.country}` shows part of
    /// `user`), each once; false if it shows the value whole (`{value}`, `{value[0]}`).
    [[nodiscard]] bool add_fields_read(std::vector<std::string>& names) const;

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

/// ParamInfo::check of a parameter holding a format: throws ParamTextError at the field that
/// cannot be read, so that validation points at its column.
void check_format(const std::string& text);

/// OpInfo::reads_fields of a sink whose only reads of a value are the format in its parameter
/// `format` (LineFormat::add_fields_read).
bool format_reads_fields(const Params& params, std::vector<std::string>& names, bool& passes_on);

/// Appends @p value as text: a string as it is (a newline as a space, so that a job stays one
/// line, unless @p raw), an application value as its type's to_value shows it or else as
/// `<TYPE>`, anything else as its JSON.
void append_value(std::string& out, const Value& value, bool raw = false);

}  // namespace flowpool::detail
