// The record ops: the `jsonl` source, whose lines are parsed into records on the workers, and
// `parse_json` / `to_json` between strings and values. (The `jsonl` sink, which writes records
// back, is with the other line sinks in files.cpp.)

#include <flowpool/custom_op.hpp>
#include <flowpool/ops.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "builtin.hpp"
#include "common/parse.hpp"
#include "condition_first.hpp"
#include "data/csv.hpp"
#include "data/json.hpp"
#include "data/json_stream.hpp"
#include "data/line_reader.hpp"
#include "text_source.hpp"

namespace flowpool::detail {
namespace {

/// One JSON object per line of the files a path names, or of standard input, as a record. Ids
/// are line numbers from 0, counted on across files; blank lines make no job. A line that is not
/// a JSON object fails its own job, named FILE:LINE:COL with simdjson's reason.
class JsonlSource final : public TextSource, public TestsConditionFirst {
public:
    JsonlSource(const std::string& path, std::size_t max_line_bytes,
                std::vector<std::string> fields)
        : TextSource(path, max_line_bytes), fields_(std::move(fields)) {}

    bool test_condition_first(const expr::Expression& condition) override {
        std::vector<std::string> read;
        if (fields_.empty() || !condition.reads_value_only() || !condition.add_fields_read(read))
            return false;
        EarlyTest test;
        const std::vector<std::string>& names = fields_.names();
        std::vector<char> reads(names.size(), 0);
        for (const std::string& name : read) {
            const auto at = std::find(names.begin(), names.end(), name);
            if (at != names.end()) reads[static_cast<std::size_t>(at - names.begin())] = 1;
        }
        test.set_reads(fields_, std::move(reads));
        if (test.names_read == 0 || test.names_read == names.size()) return false;
        // `.status >= 500`: the record holds status at its place among the names, unless the
        // line lacked a field (then the record is shorter, and test() finds it by name).
        std::size_t compared = names.size();
        if (const std::string* name = condition.compared_field())
            compared = static_cast<std::size_t>(std::find(names.begin(), names.end(), *name) -
                                                names.begin());
        if (const auto integer = condition.integer_outcomes(); integer && compared < names.size()) {
            test.integer = EarlyTest::IntegerField{compared,       names.size(),   integer->number,
                                                   integer->below, integer->equal, integer->above};
        }
        test.may_keep = [condition, compared, size = names.size()](const Value& value) {
            if (const Record* record = value.record();
                compared < size && record != nullptr && record->size() == size) {
                const Value& field =
                    (record->begin() + static_cast<std::ptrdiff_t>(compared))->value;
                if (const std::optional<bool> yes = condition.test_compared(field)) return *yes;
            }
            try {
                return condition.test(expr::Env{value});
            } catch (...) {  // the filter fails the job: it needs the record whole
                return true;
            }
        };
        first_ = std::move(test);
        return true;
    }

private:
    [[nodiscard]] bool cuts_lines() const noexcept override { return true; }

    Cut cut(LineReader& reader, std::string& text, LinePosition& at, std::string& error,
            const BatchContext& ctx) override {
        const std::size_t begin = text.size();
        const LineReader::Got got = reader.next(text, ctx, true);
        at = reader.position();
        switch (got) {
            case LineReader::Got::line:
                return json_blank(std::string_view(text).substr(begin)) ? Cut::blank : Cut::text;
            case LineReader::Got::too_long:
                error = reader.too_long_error();
                return Cut::failed_skipped;
            default:
                return Cut::end;
        }
    }

    bool parse(std::string_view text, const void*, Value& out, ParseError& error) const override {
        JsonError why;
        bool ok = false;
        if (!fields_.empty()) {
            ok = parse_json_fields(text, fields_, out, why, true, first_ ? &*first_ : nullptr);
        } else if (parse_json(text, out, why, true)) {
            ok = out.record() != nullptr;
            if (!ok) why = {"not a JSON object but " + std::string(out.type_name()), 0};
        }
        if (!ok) error = {0, why.offset + 1, std::move(why.reason)};
        return ok;
    }

    // Most batches are whole lines of objects: one simdjson pass over the batch finds them all.
    // A line the filter's condition drops (tested first) makes no job here: it is counted in
    // `prefiltered`, for the filter to count as dropped, and its record is the one the next
    // line fills.
    std::size_t parse_run(const TextBatch& batch, std::size_t count,
                          Items<Value>& out) const override {
        JsonLineRun& run = JsonLineRun::mine();
        if (count == 0 || !run.start(batch.text)) return 0;
        FieldsRead read{first_ ? &*first_ : nullptr};
        std::size_t i = 0;
        for (; i < count; ++i) {
            const TextBatch::Slice& slice = batch.slices[i];
            read.refill = read.dropped;  // the last line's record, filled again
            Value& record = read.refill ? out.values.back() : out.next_value();
            if (!run.next(slice.begin, slice.begin + slice.size, fields_, record, read)) break;
            if (read.dropped) {
                ++out.prefiltered;
                continue;
            }
            out.ids.push_back(batch.ids[i]);
        }
        // A record no job holds: the failed line's, or the last dropped one's. (Freed rather than
        // kept as spent: a second place that moves records in would cost every line a call.)
        if (out.values.size() > out.ids.size()) out.values.pop_back();
        return i;
    }

    // A run of uncut lines (most batches): the lines are found as their objects are read, each
    // object ending its line. All or nothing: a line it cannot read sends the batch back to be
    // cut and read as above, which says why the line fails and where.
    bool parse_lines(const TextBatch& batch, Items<Value>& out) const override {
        JsonLineRun& run = JsonLineRun::mine();
        if (!run.start(batch.text)) return false;
        FieldsRead read{first_ ? &*first_ : nullptr};
        std::size_t begin = 0;
        std::size_t dropped = 0;  // lines the test dropped: out.prefiltered once all are read
        Value* record = nullptr;  // the record the line is read into
        std::size_t i = 0;
        for (; i < batch.size(); ++i) {
            read.refill = read.dropped;
            if (!read.refill) record = &out.next_value();
            begin = run.next_line(begin, fields_, *record, read);
            if (begin == 0) break;
            if (read.dropped) {
                ++dropped;
                continue;
            }
            out.ids.push_back(batch.ids[i]);
        }
        if (i == batch.size() && run.over()) {
            if (out.values.size() > out.ids.size()) out.values.pop_back();  // a dropped line's
            out.prefiltered = dropped;
            return true;
        }
        // As it was: the records made are spent ones again, for the second reading to fill.
        while (!out.values.empty()) {
            out.spent.push_back(std::move(out.values.back()));
            out.values.pop_back();
        }
        out.ids.clear();
        return false;
    }

    FieldNames fields_;               // the fields to read; empty: all
    std::optional<EarlyTest> first_;  // the filter's condition, tested first
};

/// The columns of a CSV file: from `columns:`, or its header row.
using Columns = std::vector<std::string>;

/// What a CSV file's rows are read with: its columns, or why its header row failed (its rows
/// then fail too, naming it: which of the two failures a run reports first is up to the workers).
struct Header {
    Columns names;
    std::string failure;  ///< FILE:LINE:COL: reason, if the header row failed
};

/// One record per CSV record (RFC 4180) of the files a path names, or of standard input: the
/// fields named by the file's header row (or `columns:`), numbers as integers or floats unless
/// `types: strings`. Ids: records from 0, headers not counted. A record with more or fewer
/// fields than the header, or malformed quotes, fails its own job (FILE:LINE:COL).
class CsvSource final : public TextSource {
public:
    CsvSource(const std::string& path, std::size_t max_line_bytes, char delimiter, Columns columns,
              bool strings)
        : TextSource(path, max_line_bytes),
          cutter_(delimiter, max_line_bytes),
          delimiter_(delimiter),
          strings_(strings) {
        if (!columns.empty())
            given_ = std::make_shared<const Header>(Header{std::move(columns), {}});
    }

private:
    Cut cut(LineReader& reader, std::string& text, LinePosition& at, std::string& error,
            const BatchContext& ctx) override {
        Cut got = Cut::text;
        switch (cutter_.next_record(reader, record_, at, ctx)) {
            case CsvCutter::Got::record:
                break;
            case CsvCutter::Got::too_long:  // record_ is not it: its lines were skipped
                got = Cut::failed_skipped;
                break;
            case CsvCutter::Got::unclosed_quote:
                got = cutter_.record_kept() ? Cut::failed : Cut::failed_skipped;
                break;
            default:
                return Cut::end;
        }
        if (got != Cut::text) error = cutter_.error();
        const bool before_header = !given_ && headers_.size() <= at.file;
        if (before_header && got == Cut::text && record_.empty()) return Cut::nothing;  // blanks
        if (before_header) {           // the file's first record: its header
            headers_.resize(at.file);  // a file with no records has no header
            headers_.push_back(std::make_shared<const Header>(
                got == Cut::text ? read_header(record_, at) : Header{{}, error}));
            error = headers_.back()->failure;
            if (error.empty()) return Cut::nothing;
            if (got == Cut::text) got = Cut::failed;
        }
        if (got != Cut::failed_skipped) text += record_;  // a failed one's for its dead letter
        return got == Cut::text && record_.empty() ? Cut::blank : got;
    }

    /// Reads a file's header row (each file of a glob has one).
    Header read_header(const std::string& text, const LinePosition& at) const {
        Header header;
        std::string why;
        std::size_t column = 0;
        if (!split_csv(text, delimiter_, header.names, why, column)) {
            header.failure = where(at) + ":" + std::to_string(column) + ": header row: " + why;
            return header;
        }
        const Columns& names = header.names;
        // A field named "" could be read by no expression or format: a trailing delimiter, most
        // likely, or a column left unnamed.
        const auto unnamed = std::find(names.begin(), names.end(), std::string());
        if (unnamed != names.end()) {
            const auto index = static_cast<std::size_t>(unnamed - names.begin());
            const auto [line, col] =
                record_line_column(text, csv_field_column(text, delimiter_, index));
            header.failure = where({at.file, at.line + line}) + ":" + std::to_string(col) +
                             ": header row: field " + std::to_string(index + 1) +
                             " has no name (name the fields with columns:, which reads the "
                             "first row as a record)";
            return header;
        }
        // A record has each name once: a repeated one would lose one of its fields' values.
        for (std::size_t i = 1; i < names.size(); ++i) {
            const auto first =
                std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]);
            if (first == names.begin() + static_cast<std::ptrdiff_t>(i)) continue;
            header.failure = where(at) + ":1: header row: fields " +
                             std::to_string(first - names.begin() + 1) + " and " +
                             std::to_string(i + 1) + " are both named '" + names[i] +
                             "' (name them with columns:)";
            return header;
        }
        return header;
    }

    [[nodiscard]] std::shared_ptr<const void> file_context(std::uint32_t file) const override {
        if (given_) return given_;
        return file < headers_.size() ? headers_[file] : nullptr;
    }

    bool parse(std::string_view text, const void* context, Value& out,
               ParseError& error) const override {
        const auto* header = static_cast<const Header*>(context);
        thread_local Columns fields;
        std::size_t column = 0;
        if (header == nullptr || !header->failure.empty()) {
            error = {0, 1,
                     "the file's header row failed" +
                         (header == nullptr ? std::string() : " (" + header->failure + ")")};
            return false;
        }
        const Columns* columns = &header->names;
        if (!split_csv(text, delimiter_, fields, error.reason, column)) {
            const auto [line, col] = record_line_column(text, column);
            error.line = line;
            error.column = col;
            return false;
        }
        if (fields.size() != columns->size()) {
            error = {0, 1,
                     "the row has " + std::to_string(fields.size()) + " fields, the header " +
                         std::to_string(columns->size())};
            return false;
        }
        Record record;
        record.reserve(fields.size());
        for (std::size_t i = 0; i < fields.size(); ++i) {
            record.append((*columns)[i], field_value(fields[i]));
        }
        out = std::move(record);
        return true;
    }

    /// A field as a number if it reads as one (unless types: strings), else as text.
    Value field_value(const std::string& text) const {
        std::int64_t i = 0;
        double d = 0;
        if (!strings_) {
            switch (classify_number(text, i, d)) {
                case NumberKind::integer:
                    return i;
                case NumberKind::floating:
                    return d;
                case NumberKind::none:
                    break;
            }
        }
        return text;
    }

    CsvCutter cutter_;
    std::string record_;  // the record cut last
    char delimiter_;
    bool strings_;
    std::shared_ptr<const Header> given_;                 // columns:, if given
    std::vector<std::shared_ptr<const Header>> headers_;  // per file, else
};

/// A `types:` parameter.
void check_types(const std::string& text) {
    if (text != "auto" && text != "strings")
        throw std::invalid_argument("must be auto (numbers read as numbers) or strings");
}

}  // namespace

void check_delimiter(const std::string& text) {
    if (text.size() != 1 || text == "\"" || text == "\n" || text == "\r")
        throw std::invalid_argument("must be one character, not a quote or a line end");
}

void add_record_ops(OpRegistry& ops) {
    ops.add({.name = "jsonl",
             .kind = NodeKind::source,
             .description =
                 "one record per line of JSON objects in a file (\"-\": standard input), "
                 "parsed on the workers with simdjson; id = line number from 0",
             .params =
                 {input_path_param(),
                  max_line_bytes_param(),
                  {"fields", ParamType::string, "",
                   "read only these fields, each once, comma-separated (\"host,status\"): faster; "
                   "empty: every field",
                   check_names}},
             .gives = ValueType::record,
             .make_source = [](const Params& p) -> std::unique_ptr<SourceBody> {
                 return std::make_unique<JsonlSource>(
                     p.string("path"), static_cast<std::size_t>(p.integer("max_line_bytes")),
                     split_names(p.string("fields")));
             },
             .parses = true,
             .stable_ids = true,
             .reads_input_once = reads_standard_input,
             .projection = "fields"});
    ops.add({.name = "csv",
             .kind = NodeKind::source,
             .description = "one record per CSV record (RFC 4180) of files (\"-\": standard "
                            "input), named by each file's header row or columns:, parsed on the "
                            "workers; id = record number from 0",
             .params = {input_path_param(),
                        max_line_bytes_param(),
                        {"delimiter", ParamType::string, ",", "the field separator: one character",
                         check_delimiter},
                        {"columns", ParamType::string, "",
                         "the field names, comma-separated: then the files have no header row; "
                         "empty: each file's first row names them",
                         check_names},
                        {"types", ParamType::string, "auto",
                         "auto: fields written as JSON numbers become integers or floats; "
                         "strings: every field is a string",
                         check_types}},
             .gives = ValueType::record,
             .make_source = [](const Params& p) -> std::unique_ptr<SourceBody> {
                 return std::make_unique<CsvSource>(
                     p.string("path"), static_cast<std::size_t>(p.integer("max_line_bytes")),
                     p.string("delimiter")[0], split_names(p.string("columns")),
                     p.string("types") == "strings");
             },
             .parses = true,
             .stable_ids = true,
             .reads_input_once = reads_standard_input});
    ops.add({.name = "parse_json",
             .kind = NodeKind::function,
             .description = "a string of JSON → its value (an object becomes a record); "
                            "a string that is not JSON fails its job",
             .takes = ValueType::string,
             .gives = ValueType::any,
             .make_stage = [](const Params&) {
                 return stage_body([](Value v) -> Value {
                     Value parsed;
                     JsonError error;
                     if (!parse_json(string_value(v), parsed, error)) {
                         throw std::invalid_argument("not JSON at byte " +
                                                     std::to_string(error.offset + 1) + ": " +
                                                     error.reason);
                     }
                     return parsed;
                 });
             }});
    ops.add({.name = "to_json",
             .kind = NodeKind::function,
             .description = "any value → its JSON text, as a string",
             .takes = ValueType::any,
             .gives = ValueType::string,
             .make_stage = [](const Params&) {
                 return stage_body([](const Value& v) -> Value {
                     std::string text;
                     append_json_value(text, v);
                     return text;
                 });
             }});
}

}  // namespace flowpool::detail
