// CSV records: the quote scan the cutter runs per line, the field splitter, and numbers.

#include "csv.hpp"

#include <charconv>
#include <cstring>
#include <system_error>

#include "json.hpp"

namespace flowpool::detail {
namespace {

using State = CsvCutter::State;

/// Scans @p text from @p state; returns the state at its end. Each time a quoted field opens,
/// @p open_at is set to the quote's offset.
State scan(std::string_view text, State state, char delimiter, std::size_t& open_at) noexcept {
    const char* const data = text.data();
    const std::size_t size = text.size();
    std::size_t i = 0;
    while (i < size) {
        switch (state) {
            case State::field_start:
                if (data[i] == '"') {
                    open_at = i++;
                    state = State::quoted;
                } else {
                    state = State::unquoted;
                }
                break;
            case State::unquoted: {
                const void* next = std::memchr(data + i, delimiter, size - i);
                if (next == nullptr) return state;
                i = static_cast<std::size_t>(static_cast<const char*>(next) - data) + 1;
                state = State::field_start;
                break;
            }
            case State::quoted: {
                const void* next = std::memchr(data + i, '"', size - i);
                if (next == nullptr) return state;
                i = static_cast<std::size_t>(static_cast<const char*>(next) - data) + 1;
                state = State::quote_in_quoted;
                break;
            }
            case State::quote_in_quoted:
                if (data[i] == '"') {  // "" inside a quoted field
                    ++i;
                    state = State::quoted;
                } else if (data[i] == delimiter) {
                    ++i;
                    state = State::field_start;
                } else {  // text after the closing quote: split_csv reports it
                    state = State::unquoted;
                }
                break;
        }
    }
    return state;
}

}  // namespace

CsvCutter::CsvCutter(char delimiter, std::size_t max_record_bytes)
    : delimiter_(delimiter), max_record_(max_record_bytes) {
    if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
        throw UsageError("a CSV delimiter cannot be a quote or a line end");
    }
}

CsvCutter::Got CsvCutter::next_record(LineReader& reader, std::string& record, LinePosition& start,
                                      const BatchContext& ctx) {
    for (;;) {
        LineReader::Got got = pending_got_;
        if (pending_) {
            pending_ = false;
        } else {
            got = reader.next(line_, ctx);
        }
        if (got == LineReader::Got::stopped) return Got::stopped;
        if (got == LineReader::Got::end) return open_ ? unclosed(reader, record, start) : Got::end;
        if (open_ && reader.new_file()) {  // a record ends with its file: this line waits
            pending_ = true;
            pending_got_ = got;
            return unclosed(reader, record, start);
        }
        if (got == LineReader::Got::too_long) {
            const LinePosition where = reader.position();
            if (!open_) start_ = where;
            open_ = skipping_ = false;  // the quotes inside the line are lost: start afresh
            state_ = State::field_start;
            return too_long(
                reader.files()[where.file], where.line,
                "line longer than max_line_bytes (" + std::to_string(reader.max_line_bytes()) + ")",
                start);
        }
        if (!open_) {
            start_ = reader.position();
            state_ = State::field_start;
            skipping_ = false;
        }
        std::size_t open_at = std::string::npos;
        state_ = scan(line_, state_, delimiter_, open_at);
        if (open_at != std::string::npos) {
            quote_line_ = reader.position();
            quote_column_ = open_at + 1;
        }
        if (!open_ && state_ != State::quoted) {  // the usual case: one line, one record
            record.swap(line_);
            start = start_;
            return Got::record;
        }
        if (!open_) {
            record_.clear();
        } else if (!skipping_) {
            record_ += crlf_ ? "\r\n" : "\n";  // the line end inside the quotes, as it was
        }
        if (!skipping_ && record_.size() + line_.size() > max_record_) {
            skipping_ = true;
            record_.clear();
        }
        if (!skipping_) record_ += line_;
        crlf_ = reader.ended_with_crlf();
        last_line_ = reader.position().line;
        open_ = state_ == State::quoted;
        if (open_) continue;
        start = start_;
        if (skipping_) {
            skipping_ = false;
            return too_long(
                reader.files()[start_.file], start_.line,
                "record longer than max_line_bytes (" + std::to_string(max_record_) + ")", start);
        }
        record.swap(record_);
        return Got::record;
    }
}

CsvCutter::Got CsvCutter::unclosed(const LineReader& reader, std::string& record,
                                   LinePosition& start) {
    error_ = reader.files()[quote_line_.file] + ":" + std::to_string(quote_line_.line) + ":" +
             std::to_string(quote_column_) + ": unclosed quote";
    // The lines it took from the rows after it, which are lost with it: say how many.
    if (last_line_ > start_.line) {
        error_ += " (its record runs on to the end of the file: lines " +
                  std::to_string(start_.line) + " to " + std::to_string(last_line_) + ")";
    }
    record.swap(record_);  // what there is of it, for its dead letter
    record_.clear();
    kept_ = !skipping_;
    start = start_;
    open_ = skipping_ = false;
    state_ = State::field_start;
    return Got::unclosed_quote;
}

CsvCutter::Got CsvCutter::too_long(const std::string& file, std::uint64_t line,
                                   const std::string& what, LinePosition& start) {
    error_ = file + ":" + std::to_string(line) + ": " + what;
    start = start_;
    return Got::too_long;
}

bool split_csv(std::string_view record, char delimiter, std::vector<std::string>& fields,
               std::string& error, std::size_t& error_col) {
    std::size_t count = 0;
    std::size_t i = 0;
    const std::size_t size = record.size();
    auto fail = [&](const char* why, std::size_t col) {
        fields.resize(count);
        error = why;
        error_col = col;
        return false;
    };
    for (;;) {
        if (count == fields.size()) fields.emplace_back();
        std::string& field = fields[count++];
        field.clear();
        if (i < size && record[i] == '"') {
            const std::size_t open = i++;
            for (;;) {
                const std::size_t quote = record.find('"', i);
                if (quote == std::string_view::npos) return fail("unclosed quote", open + 1);
                field.append(record, i, quote - i);
                i = quote + 1;
                if (i == size || record[i] != '"') break;
                field += '"';  // "" is a quote
                ++i;
            }
            if (i == size) break;
            if (record[i] != delimiter) return fail("text after closing quote", i + 1);
            ++i;
        } else {
            const std::size_t next = record.find(delimiter, i);
            const std::size_t end = next == std::string_view::npos ? size : next;
            // RFC 4180 quotes a field holding a line break. A bare CR is most likely a line end
            // of a file from classic Mac OS, which would read as one huge header: refused.
            if (const std::size_t cr = record.find('\r', i); cr < end) {
                return fail("a carriage return in an unquoted field (lines ending in CR alone?)",
                            cr + 1);
            }
            field.assign(record, i, end - i);
            if (next == std::string_view::npos) break;
            i = next + 1;
        }
    }
    fields.resize(count);
    return true;
}

std::size_t csv_field_column(std::string_view record, char delimiter, std::size_t index) noexcept {
    constexpr auto npos = std::string_view::npos;
    std::size_t i = 0;
    for (std::size_t field = 0; field < index; ++field) {
        if (i < record.size() && record[i] == '"') {  // past its closing quote ("" is a quote)
            i = record.find('"', i + 1);
            while (i != npos && i + 1 < record.size() && record[i + 1] == '"') {
                i = record.find('"', i + 2);
            }
            if (i == npos) return record.size() + 1;
            ++i;
        }
        i = record.find(delimiter, i);
        if (i == npos) return record.size() + 1;
        ++i;
    }
    return i + 1;
}

std::pair<std::size_t, std::size_t> record_line_column(std::string_view record,
                                                       std::size_t column) noexcept {
    std::size_t line = 0;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i + 1 < column && i < record.size(); ++i) {
        if (record[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, column - line_start};
}

namespace {

/// True if @p text is a JSON number; @p integral tells whether it has neither fraction nor
/// exponent.
bool json_number(std::string_view text, bool& integral) noexcept {
    std::size_t i = 0;
    const std::size_t size = text.size();
    auto digits = [&] {
        const std::size_t from = i;
        while (i < size && text[i] >= '0' && text[i] <= '9') ++i;
        return i - from;
    };
    if (i < size && text[i] == '-') ++i;
    const std::size_t int_start = i;
    const std::size_t int_digits = digits();
    if (int_digits == 0 || (int_digits > 1 && text[int_start] == '0')) return false;
    integral = true;
    if (i < size && text[i] == '.') {
        ++i;
        if (digits() == 0) return false;
        integral = false;
    }
    if (i < size && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < size && (text[i] == '+' || text[i] == '-')) ++i;
        if (digits() == 0) return false;
        integral = false;
    }
    return i == size;
}

}  // namespace

NumberKind classify_number(std::string_view text, std::int64_t& i, double& d) noexcept {
    bool integral = false;
    if (!json_number(text, integral)) return NumberKind::none;
    const char* const first = text.data();
    const char* const last = first + text.size();
    if (integral) {
        const auto [end, error] = std::from_chars(first, last, i);
        if (error == std::errc{} && end == last) return NumberKind::integer;
    }
    const auto [end, error] = std::from_chars(first, last, d);
    if (error == std::errc{} && end == last) return NumberKind::floating;
    return NumberKind::none;
}

void append_csv_text(std::string& out, std::string_view text, char delimiter) {
    const bool quoted =
        text.find_first_of(std::string{delimiter, '"', '\n', '\r'}) != std::string_view::npos ||
        (!text.empty() && (text.front() == ' ' || text.back() == ' '));
    if (!quoted) {
        out += text;
        return;
    }
    out += '"';
    for (const char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

void append_csv_field(std::string& out, const Value& value, char delimiter) {
    if (const auto* text = std::get_if<std::string>(&value)) {
        append_csv_text(out, *text, delimiter);
    } else if (value.is_null()) {
        return;
    } else if (value.list() != nullptr || value.record() != nullptr) {
        std::string json;
        append_json_value(json, value);
        append_csv_text(out, json, delimiter);
    } else {
        append_json_value(out, value);  // a number or a bool: no delimiter in it
    }
}

}  // namespace flowpool::detail
