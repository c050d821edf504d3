#pragma once
// CSV (RFC 4180) for the csv source: cutting whole records out of lines (a quoted field may hold
// line ends), splitting a record into fields, and telling which fields are numbers.

#include <flowpool/value.hpp>

#include <flowpool/body.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "line_reader.hpp"

namespace flowpool::detail {

/// Cuts whole CSV records out of a LineReader's lines: while a quoted field is open at a line's
/// end, the next line belongs to the same record (joined with '\n', so a "\r\n" inside a quoted
/// field reads as "\n"). A record never spans two files.
/// @code
/// CsvCutter cutter(',');
/// std::string record;
/// LinePosition start;
/// for (;;) {
///     const CsvCutter::Got got = cutter.next_record(reader, record, start, ctx);
///     if (got == CsvCutter::Got::end || got == CsvCutter::Got::stopped) break;
///     if (got != CsvCutter::Got::record) fail(cutter.error());  // FILE:LINE[:COL]: why
///     else if (!split_csv(record, ',', fields, why, col)) fail(...);
/// }
/// @endcode
class CsvCutter {
public:
    /// What next_record() found.
    enum class Got {
        record,          ///< a record, in the string given
        too_long,        ///< a line longer than the reader's cap, or a record longer than ours
        unclosed_quote,  ///< a file ended inside a quoted field; error() points at its quote
        end,             ///< no more records
        stopped,         ///< the context asked to stop; call again to go on where it stopped
    };

    /// Cuts records whose fields are separated by @p delimiter (not '"', '\n' or '\r'; else
    /// throws UsageError); a record of more than @p max_record_bytes bytes is too_long, and its
    /// lines are skipped without being kept.
    explicit CsvCutter(char delimiter = ',', std::size_t max_record_bytes = 64 << 20);

    /// Reads the next record from @p reader into @p record (without its final line end), and
    /// where its first line is into @p start. After too_long or unclosed_quote, error() says
    /// what, and the next call goes on with the line after (or, for a quote left open at the
    /// end of a file, the first line of the next file).
    Got next_record(LineReader& reader, std::string& record, LinePosition& start,
                    const BatchContext& ctx);

    /// For too_long: `FILE:LINE: line longer than max_line_bytes (N)` (the reader's cap) or
    /// `FILE:LINE: record longer than max_line_bytes (N)`, the csv source's parameter; for
    /// unclosed_quote: `FILE:LINE:COL: unclosed quote`, at the quote that opened the field.
    [[nodiscard]] const std::string& error() const noexcept { return error_; }

    /// For unclosed_quote: true if the record given is what was read of it, false if it grew
    /// past max_record_bytes, its lines then only scanned (and the record given is empty).
    [[nodiscard]] bool record_kept() const noexcept { return kept_; }

    /// Where a scan of a record stands at a line's end.
    enum class State : std::uint8_t { field_start, unquoted, quoted, quote_in_quoted };

private:
    Got unclosed(const LineReader& reader, std::string& record, LinePosition& start);
    Got too_long(const std::string& file, std::uint64_t line, const std::string& what,
                 LinePosition& start);

    char delimiter_;
    std::size_t max_record_;
    std::string line_;             // the last line read
    std::string record_;           // the record so far, while a quoted field is open
    bool open_ = false;            // a quoted field is open at the end of record_
    bool skipping_ = false;        // the open record is too long: its lines are only scanned
    bool crlf_ = false;            // the last line of record_ ended with "\r\n"
    std::uint64_t last_line_ = 0;  // the line of its file the open record ends on so far
    bool pending_ = false;         // the next file's first line (or too long line) is still to cut
    bool kept_ = true;             // the record unclosed() gave was kept, not skipped
    LineReader::Got pending_got_ = LineReader::Got::line;
    State state_ = State::field_start;
    LinePosition start_;       // the open record's first line
    LinePosition quote_line_;  // and the line of the quote that opened its field
    std::size_t quote_column_ = 0;
    std::string error_;
};

/// Splits one CSV record into @p fields (RFC 4180): a field that starts with '"' is quoted, may
/// hold @p delimiter, line ends and `""` (a quote), and must end with '"' followed by the
/// delimiter or the record's end; any other field runs to the next delimiter, and a '"' inside it
/// is kept as it is (lenient: `a"b` is the field `a"b`). Nothing is trimmed: ` "a"` is the field
/// ` "a"`. An empty record is one empty field. The number of fields is the caller's business
/// (ragged rows are not an error here). @p fields keeps its strings' capacity from call to call.
/// False on a malformed record: @p error says why (`text after closing quote`, `unclosed quote`)
/// and @p error_col where, as a 1-based byte offset into @p record (see record_line_column).
bool split_csv(std::string_view record, char delimiter, std::vector<std::string>& fields,
               std::string& error, std::size_t& error_col);

/// For a record that split_csv() splits: the 1-based byte offset into @p record where field
/// @p index (from 0) starts, at its opening quote if it is quoted.
std::size_t csv_field_column(std::string_view record, char delimiter, std::size_t index) noexcept;

/// For a 1-based byte offset @p column into @p record, which may span lines: the line within
/// the record (0 for its first) and the 1-based column in that line.
std::pair<std::size_t, std::size_t> record_line_column(std::string_view record,
                                                       std::size_t column) noexcept;

/// What a CSV field holds, as classify_number() reads it.
enum class NumberKind { none, integer, floating };

/// Reads @p text as a number if it is written as JSON writes one: `-?(0|[1-9][0-9]*)`, then
/// optionally `.` digits and `e`/`E`, an optional sign, digits. Without fraction or exponent and
/// within int64 it is an `integer` in @p i; any other number is `floating` in @p d (so 2^64 is
/// 1.8446744073709552e19). Everything else is `none`, to be kept as text: a leading `+`, leading
/// zeros (`007`, a zip code), `.5`, `5.`, spaces, `1_000`, `0x10`, `nan`, `inf`, the empty
/// string, and numbers a double cannot hold (`1e400`, `1e-400`, which from_chars calls out of
/// range).
NumberKind classify_number(std::string_view text, std::int64_t& i, double& d) noexcept;

/// Appends @p text as one CSV field: quoted (with `""` for a quote) if it holds @p delimiter, a
/// quote, a line end, or space at either end; as it is otherwise.
void append_csv_text(std::string& out, std::string_view text, char delimiter);

/// Appends @p value as one CSV field: null as an empty field, a string by append_csv_text,
/// numbers and bools as JSON writes them, a list or a record as its JSON text (quoted).
void append_csv_field(std::string& out, const Value& value, char delimiter);

}  // namespace flowpool::detail
