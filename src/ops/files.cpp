// The built-in ops for files: the `lines` source and the `file` and `jsonl` sinks (whose body
// `print` shares). Paths are as written, relative to the working directory; `-` is standard input
// or output.

#include <flowpool/detail/batch.hpp>
#include <flowpool/detail/job_loop.hpp>
#include <flowpool/ops.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "builtin.hpp"
#include "common/line_output.hpp"
#include "common/parse.hpp"
#include "data/csv.hpp"
#include "data/json.hpp"
#include "data/line_reader.hpp"
#include "format.hpp"
#include "text_source.hpp"

namespace flowpool::detail {
namespace {

/// One job per line of the files a path names, or of standard input; job ids are line numbers
/// from 0, counted on across files. A line longer than the cap fails its own job as it is read,
/// under the node's on_error (OpInfo::fails_jobs_as_read).
class LinesSource final : public SourceBody {
public:
    LinesSource(const std::string& path, std::size_t max_line_bytes)
        : reader_(path, max_line_bytes), file_names_(shared_names(reader_.files())) {}

    BatchPtr next(std::size_t max_jobs, BatchContext& ctx) override {
        error_.throw_kept();
        auto batch = pool_.get();
        while (batch->size() < std::max<std::size_t>(max_jobs, 1)) {
            // From a pipe, pass on the lines that came rather than wait to fill the batch.
            if (batch->size() != 0 && reader_.may_block() && !reader_.line_ready()) break;
            if (!held_) {
                LineReader::Got got = LineReader::Got::end;
                if (!error_.read(batch->size(), [&] { got = reader_.next(line_, ctx); })) break;
                if (got == LineReader::Got::end || got == LineReader::Got::stopped) break;
                const std::uint64_t id = next_id_++;
                if (got == LineReader::Got::too_long) {
                    ctx.job_failed(id, reader_.too_long_error());
                    if (ctx.stop_requested()) break;  // it failed the run: read no further
                    continue;
                }
            }
            // A batch holds the lines of one file, which formats show as {file}.
            const std::uint32_t file = reader_.position().file;
            if (batch->size() == 0) {
                batch->file = file_names_[file];
            } else if (file_names_[file] != batch->file) {
                held_ = true;
                break;
            }
            held_ = false;
            batch->ids.push_back(next_id_ - 1);
            // The line changes places with a spent one: line_ keeps that one's room for the
            // next read, so that a line costs neither a malloc nor a free. Not a long line's
            // room: moved in instead, it is freed when its value is next reused.
            constexpr std::size_t keep_room_up_to = 4096;
            Value& value = batch->next_value();
            if (auto* spent = std::get_if<std::string>(&value);
                spent != nullptr && spent->capacity() <= keep_room_up_to &&
                line_.capacity() <= keep_room_up_to) {
                spent->swap(line_);
            } else {
                value = std::move(line_);
            }
        }
        bytes_done_.store(reader_.taken(), std::memory_order_relaxed);
        if (batch->size() == 0) return nullptr;
        return batch;
    }

    std::uint64_t input_bytes() const noexcept override { return reader_.size(); }
    bool waits() const noexcept override { return reader_.may_wait(); }
    std::uint64_t input_bytes_done() const noexcept override {
        return bytes_done_.load(std::memory_order_relaxed);
    }

private:
    LineReader reader_;
    std::vector<std::shared_ptr<const std::string>> file_names_;
    std::uint64_t next_id_ = 0;
    std::atomic<std::uint64_t> bytes_done_{0};  // read by the observer thread
    std::string line_;                          // the line read last
    bool held_ = false;  // line_ starts the next batch (it is the first of a new file)
    ReadErrorAfterJobs error_;
    BatchPool<Value> pool_{64, true};  // a retired batch's lines kept, as Items::spent
};

/// True if @p fd is the file standard output is (`/dev/stdout`, or the file `>` sent it to).
bool is_standard_output(int fd) noexcept {
    struct stat file {};
    struct stat out {};
    return ::fstat(fd, &file) == 0 && ::fstat(STDOUT_FILENO, &out) == 0 &&
           file.st_dev == out.st_dev && file.st_ino == out.st_ino;
}

/// Where a sink's lines go: a file it created, or standard output (`-`, or the path of the file
/// standard output is). Lines are written batch by batch, so that a job counts as written only
/// once its line was handed to the kernel.
class LineTarget {
public:
    /// Opens or creates @p path (`-`: standard output), unless a SinkRedirect takes the lines;
    /// appends to it while a SinkFilesAppend lives, else empties it when the run first writes
    /// (output()) or ends (start()): a graph refused while its sinks are made leaves the files
    /// of those made before as they were. A FIFO nobody reads yet is opened when the first batch
    /// comes (output()). Throws UsageError if it cannot.
    explicit LineTarget(const std::string& path)
        : path_(path), redirected_(LineOutput::redirected()), appends_(SinkFilesAppend::active()) {
        if (redirected_ != nullptr || path == "-") return;
        if (!open_now()) throw open_error(path, "writing");
    }

    /// True if it appends to lines already in the file.
    [[nodiscard]] bool continues() const noexcept { return continues_; }

    /// Empties the file it writes, once, unless it appends: when the run first writes to it. A
    /// FIFO still without a reader is opened if one came, so that it reads the end of the lines.
    void start() {
        if (waiting_for_reader_ && (!open_now() || waiting_for_reader_)) return;
        if (!empty_pending_) return;
        empty_pending_ = false;
        // Only a file that has bytes: on ext4, truncating even an empty file makes its close()
        // write all that the run wrote to it out to the disk, and wait (its auto_da_alloc rule for
        // files rewritten in place): 94 ms at the end of a run that wrote 170 MB.
        struct stat file {};
        if (::fstat(fd_.get(), &file) == 0 && S_ISREG(file.st_mode) && file.st_size == 0) return;
        // A file that cannot be emptied (a device) is written over from its start.
        static_cast<void>(::ftruncate(fd_.get(), 0));
    }

    /// The writer for the lines; null if the file is a FIFO that nobody opened for reading before
    /// the run began to stop (failure() says so).
    LineOutput* output(const BatchContext& ctx) {
        if (redirected_ != nullptr) return redirected_;
        while (waiting_for_reader_) {
            if (ctx.stop_requested()) {
                failure_ =
                    "nobody opened the FIFO '" + path_ + "' for reading before the run stopped";
                return nullptr;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            if (!open_now()) {
                failure_ = open_error(path_, "writing").what();
                waiting_for_reader_ = false;
            }
        }
        if (!failure_.empty()) return nullptr;
        start();
        return file_ ? file_.get() : &LineOutput::stdout_lines();
    }

    /// Why output() gave no writer.
    [[nodiscard]] const std::string& failure() const noexcept { return failure_; }

private:
    /// Opens the file: true if it is open, or if it is a FIFO nobody reads yet
    /// (waiting_for_reader_). False with errno set if it cannot be opened. Never waits.
    bool open_now() {
        const int fd =
            open_without_waiting(path_, O_WRONLY | O_CREAT | O_CLOEXEC | (appends_ ? O_APPEND : 0));
        if (fd < 0) {
            const int error = errno;  // ENXIO: a FIFO nobody reads, or a device that is not there
            struct stat file {};
            waiting_for_reader_ =
                error == ENXIO && ::stat(path_.c_str(), &file) == 0 && S_ISFIFO(file.st_mode);
            errno = error;
            return waiting_for_reader_;
        }
        waiting_for_reader_ = false;
        fd_.reset(fd);
        // Written through standard output, as `-`: emptied, or written from its start through a
        // descriptor of its own, it would lose what the shell or the print sink wrote there.
        if (is_standard_output(fd)) return true;
        if (appends_) {
            continues_ = ::lseek(fd, 0, SEEK_END) > 0;
        } else {
            empty_pending_ = true;
        }
        file_ = std::make_unique<LineOutput>(fd, "'" + path_ + "'", true);
        return true;
    }

    std::string path_;
    LineOutput* redirected_;  // null: the file, or standard output
    bool appends_;            // a SinkFilesAppend was active when it was made
    Descriptor fd_{-1};
    bool waiting_for_reader_ = false;   // a FIFO nobody has opened for reading yet
    bool continues_ = false;            // appending to a file that has lines
    bool empty_pending_ = false;        // a file of ours, to empty before the first write
    std::unique_ptr<LineOutput> file_;  // null: standard output
    std::string failure_;               // why output() gives no writer, for good
};

/// One batch's lines and where each job's line ends, so that a write that fails part way fails
/// exactly the jobs whose lines did not get out whole.
class JobLines {
public:
    /// The text to append a job's line to; call line_added() after each.
    std::string& text() noexcept { return text_; }
    /// Job @p id's line is the text appended since the last call.
    void line_added(std::uint64_t id) { ends_.push_back({id, text_.size()}); }

    /// Writes the lines to @p out and empties; each job whose line did not get out whole fails
    /// in @p ctx with the write's error.
    void write_to(LineOutput& out, BatchContext& ctx) {
        const std::size_t written = out.write_some(text_);
        if (written < text_.size()) fail_after(written, out.failure(), ctx);
        text_.clear();
        ends_.clear();
    }

    /// Empties without writing; each job fails in @p ctx with @p why.
    void drop(const std::string& why, BatchContext& ctx) {
        fail_after(0, why, ctx);
        text_.clear();
        ends_.clear();
    }

private:
    /// Fails each job whose line ends past byte @p written.
    void fail_after(std::size_t written, const std::string& why, BatchContext& ctx) {
        for (const auto& [id, end] : ends_) {
            if (end > written) ctx.job_failed(id, why);
        }
    }

    struct LineEnd {
        std::uint64_t id;
        std::size_t end;  // one past the line's '\n' in text_
    };
    std::string text_;
    std::vector<LineEnd> ends_;
};

/// Renders each job as a line with @p Render and writes each batch's lines to a LineTarget.
template <class Render>
class LinesSink final : public SinkBody {
public:
    LinesSink(const std::string& path, Render render) : target_(path), render_(std::move(render)) {
        if constexpr (requires { render_.continue_file(); }) {
            if (target_.continues()) render_.continue_file();  // a CSV header is there already
        }
    }

    void consume(const BatchPtr& in, BatchContext& ctx) override {
        auto line = [this, &ctx](Value&& v, const JobContext& job) {
            const std::size_t before = lines_.text().size();
            try {
                render_(lines_.text(), job, v, ctx);
            } catch (...) {
                lines_.text().resize(before);  // a job that fails leaves no half line behind
                throw;
            }
            lines_.line_added(job.id());
        };
        consume_jobs<Value>(in, ctx, line);
        if (LineOutput* out = target_.output(ctx)) {
            lines_.write_to(*out, ctx);
        } else {
            lines_.drop(target_.failure(), ctx);
        }
    }

    /// A run that wrote nothing still leaves an empty file, as one that wrote would.
    void finish() override { target_.start(); }

private:
    LineTarget target_;
    Render render_;
    JobLines lines_;
};

template <class Render>
std::unique_ptr<SinkBody> lines_sink(const std::string& path, Render render) {
    return std::make_unique<LinesSink<Render>>(path, std::move(render));
}

/// The `csv` sink's lines: a header row first (from `columns:`, or the first record's field
/// names), then one row per record, its fields in the header's order (a missing one empty;
/// others left out if `columns:` chose, else the record fails: its value would be lost).
class CsvRows {
public:
    CsvRows(std::vector<std::string> columns, char delimiter)
        : columns_(std::move(columns)), delimiter_(delimiter), chosen_(!columns_.empty()) {}

    /// The file has rows and their header already (a resumed run appends): no second header.
    void continue_file() noexcept { continues_ = true; }

    void operator()(std::string& out, const JobContext&, const Value& v, const BatchContext&) {
        const Record* record = v.record();
        if (record == nullptr) {
            throw std::invalid_argument("the csv sink takes records, not " +
                                        std::string(v.type_name()));
        }
        if (!header_written_) {
            if (columns_.empty()) {
                for (const Field& field : *record) columns_.push_back(field.name);
            }
            if (!continues_) {
                append_row(out, [](const std::string& name, std::string& line, char delimiter) {
                    append_csv_text(line, name, delimiter);
                });
            }
            header_written_ = true;
        }
        if (!chosen_) {
            for (const Field& field : *record) {
                if (std::find(columns_.begin(), columns_.end(), field.name) != columns_.end())
                    continue;
                throw std::invalid_argument("field '" + field.name +
                                            "' is not a column of the header, which the first "
                                            "record's fields made (name them with columns:)");
            }
        }
        append_row(out, [record](const std::string& name, std::string& line, char delimiter) {
            if (const Value* field = record->find(name)) append_csv_field(line, *field, delimiter);
        });
    }

private:
    template <class Field>
    void append_row(std::string& out, Field field) const {
        const std::size_t start = out.size();
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            if (i != 0) out += delimiter_;
            field(columns_[i], out, delimiter_);
        }
        // A row of one empty field is "", not a blank line, which a reader skips (Python's
        // csv module writes it so too).
        if (out.size() == start) out += "\"\"";
        out += '\n';
    }

    std::vector<std::string> columns_;
    char delimiter_;
    bool chosen_;  // columns: named them (else the first record's names did)
    bool header_written_ = false;
    bool continues_ = false;  // appending to rows under a header written before
};

}  // namespace

ParamInfo input_path_param() {
    return {"path",
            ParamType::string,
            std::nullopt,
            "the file, relative to the working directory, or a glob (*, ?, [...]: the matching "
            "files in name order); \"-\" for standard input; gzip and zstd (.gz, .zst) are "
            "decompressed, known by their content",
            {}};
}

ParamInfo max_line_bytes_param() {
    return {"max_line_bytes", ParamType::integer, "67108864",
            "a longer line fails its job (FILE:LINE: line longer than max_line_bytes) without "
            "being held in memory; the source's on_error says what the run does then",
            check_positive};
}

std::optional<std::string> reads_standard_input(const Params& params) {
    if (params.string("path") == "-") return "standard input";
    return std::nullopt;
}

std::unique_ptr<SinkBody> format_sink(const std::string& path, const std::string& format,
                                      bool keep_newlines) {
    return lines_sink(
        path, [format = LineFormat(format), keep_newlines](std::string& out, const JobContext& job,
                                                           const Value& v, const BatchContext&) {
            if (keep_newlines) {
                format.render_text(out, job, v);  // a string as it is, its newlines kept
                out += '\n';
            } else {
                format.render(out, job, v);
            }
        });
}

void add_file_ops(OpRegistry& ops) {
    ops.add({.name = "lines",
             .kind = NodeKind::source,
             .description = "one job per line of files (\"-\": standard input), streamed; "
                            "id = line number from 0 across the files, value = the line without "
                            "\\n or \\r\\n (or a UTF-8 byte order mark)",
             .params = {input_path_param(), max_line_bytes_param()},
             .gives = ValueType::string,
             .make_source = [](const Params& p) -> std::unique_ptr<SourceBody> {
                 return std::make_unique<LinesSource>(
                     p.string("path"), static_cast<std::size_t>(p.integer("max_line_bytes")));
             },
             .fails_jobs_as_read = true,
             .stable_ids = true,
             .reads_input_once = reads_standard_input});
    ops.add(
        {.name = "file",
         .kind = NodeKind::sink,
         .description = "one line per job in a file, created or truncated (\"-\": standard output)",
         .params = {{"path", ParamType::string, std::nullopt, "the file to write", {}},
                    {"format", ParamType::string, "Result: Job {id} Value {value}",
                     "the line: {id}, {value}, {value.FIELD}, {value.LIST[N]}, {worker}, {node}",
                     check_format}},
         .takes = ValueType::any,
         .make_sink =
             [](const Params& p) { return format_sink(p.string("path"), p.string("format")); },
         .reads_fields = format_reads_fields});
    ops.add({.name = "csv",
             .kind = NodeKind::sink,
             .description = "one CSV row per record in a file (\"-\": standard output), after a "
                            "header row; RFC 4180 quoting",
             .params = {{"path", ParamType::string, std::nullopt, "the file to write", {}},
                        {"columns", ParamType::string, "",
                         "the columns, comma-separated, each once; empty: the first record's "
                         "fields",
                         check_names},
                        {"delimiter", ParamType::string, ",", "the field separator: one character",
                         check_delimiter}},
             .takes = ValueType::record,
             .make_sink =
                 [](const Params& p) {
                     return lines_sink(p.string("path"), CsvRows(split_names(p.string("columns")),
                                                                 p.string("delimiter").at(0)));
                 },
             .quoted_line_ends = true});
    ops.add({.name = "jsonl",
             .kind = NodeKind::sink,
             .description = "one JSON object per job in a file (\"-\": standard output): a "
                            "record as the object it is, another value as {\"id\":N,\"value\":V}; "
                            "dead letters are {\"id\":N,\"value\":V,\"node\":...,\"error\":...}; "
                            "invalid UTF-8 becomes U+FFFD",
             .params = {{"path", ParamType::string, std::nullopt, "the file to write", {}}},
             .takes = ValueType::any,
             .make_sink = [](const Params& p) {
                 return lines_sink(p.string("path"), [](std::string& out, const JobContext& job,
                                                        const Value& v, const BatchContext&) {
                     if (v.record() != nullptr && job.failed_node().empty()) {
                         append_json_value(out, v);  // a record is written as the object it is
                         out += '\n';
                         return;
                     }
                     out += "{\"id\":";
                     out += std::to_string(job.id());
                     out += ",\"value\":";
                     append_json_value(out, v);
                     if (!job.failed_node().empty()) {  // a dead letter: where and why it failed
                         out += ",\"node\":";
                         append_json_string(out, job.failed_node());
                         out += ",\"error\":";
                         append_json_string(out, job.error());
                     }
                     out += "}\n";
                 });
             }});
}

}  // namespace flowpool::detail
