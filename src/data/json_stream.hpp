#pragma once
// Many JSON objects, one per line, parsed with one pass of simdjson's first stage over all of them
// (iterate_many) instead of one per line: the pass has a fixed cost that a short line pays in full.

#include <flowpool/value.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "json.hpp"

namespace flowpool::detail {

/// Reads the objects of a buffer of lines in order, each checked to be the one JSON value of its
/// line. It is the fast path only: the first line it cannot read (not an object, malformed, or
/// not alone on its line) ends the run, and the caller parses that line and the rest one by one
/// with parse_json or parse_json_fields, which say why a line fails and where. One per thread:
/// @code
/// JsonLineRun& run = JsonLineRun::mine();
/// if (run.start(buffer)) {
///     for (; i < lines.size() && run.next(lines[i].begin, lines[i].end, names, value); ++i) ...
/// }
/// @endcode
class JsonLineRun {
public:
    JsonLineRun();
    ~JsonLineRun();
    JsonLineRun(const JsonLineRun&) = delete;
    JsonLineRun& operator=(const JsonLineRun&) = delete;

    /// The calling thread's run.
    static JsonLineRun& mine();

    /// The longest text start() takes. A simdjson parser keeps buffers of about six bytes per
    /// byte of the longest text it parsed, for good; a batch of huge lines is parsed line by
    /// line instead, so that a worker's second parser stays small.
    static constexpr std::size_t max_text = 4 << 20;

    /// Starts on @p text: lines, each followed by one '\n', and then at least 64 readable bytes
    /// (simdjson's padding). False if simdjson rejects the text as a whole, or it is longer
    /// than max_text.
    bool start(std::string_view text);
    /// Reads the next object, which must be the only JSON value of the line text[@p begin,
    /// @p end) (then its "\n" or "\r\n"), into @p out: the fields @p names (as
    /// parse_json_fields), or every field if it is empty (as parse_json). Lines are read in
    /// order, none skipped. False if it cannot; then the run is over.
    ///
    /// With @p names not empty, @p read says how (FieldsRead): with a test, the fields it reads
    /// come first, and a record it drops gets only those (the line's other fields are neither
    /// read nor checked; `read.dropped` says so), the others all of @p names.
    bool next(std::size_t begin, std::size_t end, const FieldNames& names, Value& out,
              FieldsRead& read);
    /// For a text of whole lines, none blank, each followed by '\n': reads the object that
    /// starts the line at @p begin into @p out, as next() reads it, and returns where the next
    /// line starts (the text's size after the last). The object must end its line, the next
    /// value starting just after its "\n" or "\r\n", so no second value shares its line. That
    /// no object held a '\n' itself is left to the caller, who counts: if every line gave an
    /// object and over() is then true, the lines hold as many '\n's as there are objects, each
    /// after its object. 0 if it cannot; then the run is over, and the caller reads the lines
    /// again one by one.
    std::size_t next_line(std::size_t begin, const FieldNames& names, Value& out, FieldsRead& read);
    /// True if the run read every value of the text, the last one whole.
    [[nodiscard]] bool over() noexcept;
    /// next() of every field asked for.
    bool next(std::size_t begin, std::size_t end, const FieldNames& names, Value& out) {
        FieldsRead all;
        return next(begin, end, names, out, all);
    }

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace flowpool::detail
