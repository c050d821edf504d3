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
#include "data/json.hpp"
#include "data/line_reader.hpp"

namespace flowpool::detail {
namespace {

/// True if @p text holds nothing but JSON whitespace.
bool is_blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// The names in a comma-separated list, trimmed; empty names dropped.
std::vector<std::string> split_names(const std::string& list) {
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        std::string name = list.substr(start, end - start);
        name.erase(0, name.find_first_not_of(' '));
        name.erase(name.find_last_not_of(' ') + 1);
        if (!name.empty()) names.push_back(std::move(name));
        start = end + 1;
    }
    return names;
}

/// A job's text as a source read it, and where: parsed into its value on a worker.
struct TextJob {
    std::string text;
    LinePosition at;
};

/// One JSON object per line of the files a path names, or of standard input, as a record. The
/// source's thread only cuts lines (ids: line numbers from 0, counted on across files; blank
/// lines make no job); decode() parses them on the workers. A line that is not a JSON object
/// fails its own job, named FILE:LINE:COL with simdjson's reason.
class JsonlSource final : public SourceBody {
public:
    JsonlSource(const std::string& path, std::size_t max_line_bytes,
                std::vector<std::string> fields)
        : reader_(path, max_line_bytes), fields_(std::move(fields)) {}

    BatchPtr next(std::size_t max_jobs, BatchContext& ctx) override {
        auto batch = std::make_shared<Items<TextJob>>();
        batch->reserve(std::max<std::size_t>(max_jobs, 1));
        std::string line;
        while (batch->size() < std::max<std::size_t>(max_jobs, 1)) {
            // From a pipe, pass on the lines that came rather than wait to fill the batch.
            if (batch->size() != 0 && reader_.may_block() && !reader_.line_ready()) break;
            const LineReader::Got got = reader_.next(line, ctx);
            if (got == LineReader::Got::end || got == LineReader::Got::stopped) break;
            const std::uint64_t id = next_id_++;
            if (got == LineReader::Got::too_long) {
                ctx.job_failed(id, where(reader_.position()) + ": line longer than max_line_bytes (" +
                                       std::to_string(reader_.max_line_bytes()) + ")");
            } else if (!is_blank(line)) {
                batch->ids.push_back(id);
                batch->values.push_back({std::move(line), reader_.position()});
            }
        }
        bytes_done_.store(reader_.taken(), std::memory_order_relaxed);
        if (batch->size() == 0) return nullptr;
        return batch;
    }

    [[nodiscard]] bool decodes() const noexcept override { return true; }

    BatchPtr decode(const BatchPtr& in_ptr, BatchContext& ctx) override {
        auto& in = static_cast<Items<TextJob>&>(*in_ptr);
        auto out = std::make_shared<Items<Value>>();
        out->derive_from(in);
        out->reserve(in.size());
        JsonError error;
        for (std::size_t i = 0; i < in.size(); ++i) {
            TextJob& job = in.values[i];
            Value record;
            if (parse(job.text, record, error)) {
                out->ids.push_back(in.ids[i]);
                out->values.push_back(std::move(record));
                continue;
            }
            std::string message = where(job.at) + ":" + std::to_string(error.offset + 1) + ": " +
                                  error.reason;
            if (ctx.keeps_dead_letters()) {
                ctx.dead_letter(in.ids[i], Value(std::move(job.text)), std::move(message));
            } else {
                ctx.job_failed(in.ids[i], message);
            }
        }
        return out;
    }

    std::uint64_t input_bytes() const noexcept override { return reader_.size(); }
    std::uint64_t input_bytes_done() const noexcept override {
        return bytes_done_.load(std::memory_order_relaxed);
    }

private:
    /// FILE:LINE of @p at.
    std::string where(const LinePosition& at) const {
        return reader_.files()[at.file] + ":" + std::to_string(at.line);
    }

    /// Parses one line into a record (only fields_, if any are named).
    bool parse(const std::string& text, Value& record, JsonError& error) const {
        if (!fields_.empty()) return parse_json_fields(text, fields_, record, error);
        if (!parse_json(text, record, error)) return false;
        if (record.record() != nullptr) return true;
        error = {"not a JSON object but " + std::string(record.type_name()), 0};
        return false;
    }

    LineReader reader_;
    std::vector<std::string> fields_;  // the fields to read; empty: all
    std::uint64_t next_id_ = 0;
    std::atomic<std::uint64_t> bytes_done_{0};  // read by the observer thread
};

}  // namespace

void add_record_ops(OpRegistry& ops) {
    ops.add({.name = "jsonl",
             .kind = NodeKind::source,
             .description =
                 "one record per line of JSON objects in a file (\"-\": standard input), "
                 "parsed on the workers with simdjson; id = line number from 0",
             .params = {input_path_param(),
                        max_line_bytes_param(),
                        {"fields",
                         ParamType::string,
                         "",
                         "read only these fields, comma-separated (\"host,status\"): faster; "
                         "empty: every field",
                         {}}},
             .gives = ValueType::record,
             .make_source = [](const Params& p) -> std::unique_ptr<SourceBody> {
                 return std::make_unique<JsonlSource>(
                     p.string("path"), static_cast<std::size_t>(p.integer("max_line_bytes")),
                     split_names(p.string("fields")));
             },
             .parses = true,
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
                     if (!parse_json(std::get<std::string>(v), parsed, error)) {
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
