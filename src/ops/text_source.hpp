#pragma once
// Sources that read text and parse it on the workers (jsonl, csv). The source's one thread only
// cuts each job's text (a line, a CSV record) into one buffer per batch, with where it starts,
// or, for a source of lines, counts a run of whole lines without cutting them (TextBatch::uncut);
// decode() parses the texts into the jobs' values on the workers. A text that cannot be parsed
// fails its own job, named FILE:LINE:COL, under the source node's on_error.

#include <flowpool/body.hpp>
#include <flowpool/value.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "data/line_reader.hpp"

namespace flowpool::detail {

/// A batch of texts as a TextSource cut them: never seen by a node, only by decode().
struct TextBatch final : Batch {
    /// One job's text in `text`, and where it starts in the input.
    struct Slice {
        std::size_t begin = 0;
        std::size_t size = 0;
        LinePosition at;
    };
    std::string text;                          ///< every job's text, each followed by '\n'
    std::vector<Slice> slices;                 ///< parallel to `ids`
    std::shared_ptr<const void> file_context;  ///< the cutter's, for the batch's file
    /// A job that failed as it was cut (a line too long, a CSV header row).
    struct Failure {
        std::size_t slice = 0;  ///< its index
        std::string why;
        bool text_kept = true;  ///< its slice is its text; false: skipped for its length
    };
    std::vector<Failure> failures;  ///< in slice order
    /// True while `text` holds a run of whole lines that were counted but not cut (`slices` is
    /// empty): one job per line, none blank, none too long, each followed by its '\n', the ids
    /// consecutive, the first line at `first`. cut() makes the slices.
    bool uncut = false;
    LinePosition first;  ///< where an uncut run starts
    /// The text of the batch this one was before clear(), with its size: a read into the empty
    /// text writes over its bytes rather than zero new ones (LineReader::read_into).
    std::string stale_text;

    /// Cuts an uncut run into its slices, one per line (a CRLF line's '\r' left out of its
    /// slice, as a line cut one by one leaves it).
    void cut();
    /// Keeps the jobs @p kept says, their texts moved together so that they stay one run.
    void keep(const std::vector<bool>& kept) override;

    /// Empties the batch, keeping the capacity of its text and vectors (and its text's bytes, as
    /// stale_text).
    void clear() noexcept {
        ids.clear();
        seq = 0;
        ticket.reset();
        shared = false;
        errors.clear();
        failed_node.clear();
        file.reset();
        stale_text.swap(text);
        text.clear();
        slices.clear();
        file_context.reset();
        failures.clear();
        uncut = false;
    }
};

/// The names of @p files, each shared by the batches read from it (Batch::file).
inline std::vector<std::shared_ptr<const std::string>> shared_names(
    const std::vector<std::string>& files) {
    std::vector<std::shared_ptr<const std::string>> names;
    names.reserve(files.size());
    for (const std::string& file : files)
        names.push_back(std::make_shared<const std::string>(file));
    return names;
}

/// The base of a source whose texts are parsed on the workers.
class TextSource : public SourceBody {
public:
    /// Reads the files @p path names (see LineReader), lines up to @p max_line_bytes.
    TextSource(const std::string& path, std::size_t max_line_bytes);
    ~TextSource() override;
    TextSource(const TextSource&) = delete;
    TextSource& operator=(const TextSource&) = delete;

    BatchPtr next(std::size_t max_jobs, BatchContext& ctx) final;
    [[nodiscard]] bool decodes() const noexcept final { return true; }
    BatchPtr decode(const BatchPtr& batch, BatchContext& ctx) final;

    [[nodiscard]] std::uint64_t input_bytes() const noexcept final { return reader_.size(); }
    [[nodiscard]] bool waits() const noexcept final { return reader_.may_wait(); }
    [[nodiscard]] std::uint64_t input_bytes_done() const noexcept final {
        return bytes_done_.load(std::memory_order_relaxed);
    }

protected:
    /// What cut() found.
    enum class Cut {
        text,            ///< a job's text
        blank,           ///< nothing to parse: no job, but an id goes by (ids stay line numbers)
        nothing,         ///< no job and no id (a CSV header)
        failed,          ///< a job that failed already (a CSV header row): `error` says why
        failed_skipped,  ///< as `failed`, its text skipped for its length, never kept
        end,             ///< no more input, or the run is stopping
    };

    /// Cuts the next job's text from @p reader, appending it to @p text (the batch's: what it
    /// appends for a job that is not `text` or `failed` is dropped), and where it starts into
    /// @p at. A `failed` job's text is its dead letter's value; a `failed_skipped` one's is null.
    virtual Cut cut(LineReader& reader, std::string& text, LinePosition& at, std::string& error,
                    const BatchContext& ctx) = 0;
    /// True if cut() takes one line as a job's text, a line of JSON whitespace making no job:
    /// then next() takes the lines read ahead in one go, calling cut() only when none is whole.
    [[nodiscard]] virtual bool cuts_lines() const noexcept { return false; }
    /// What the parse of the texts of file @p file needs that the cutting learned (a CSV
    /// header), or nullptr. Called by the source's thread.
    [[nodiscard]] virtual std::shared_ptr<const void> file_context(std::uint32_t file) const {
        static_cast<void>(file);
        return nullptr;
    }
    /// Why a text could not be parsed, and where in it.
    struct ParseError {
        std::size_t line = 0;    ///< lines after the text's first
        std::size_t column = 1;  ///< in that line, from 1
        std::string reason;
    };
    /// Parses @p text (at least 64 readable bytes follow it) into @p out, on a worker; false
    /// with @p error if it cannot.
    virtual bool parse(std::string_view text, const void* file_context, Value& out,
                       ParseError& error) const = 0;
    /// Parses texts [0, @p count) of @p batch, as many as it can from the first on in one go,
    /// into @p out (ids and values); returns how many it took. decode() parses the rest one by
    /// one with parse(), which also says why a text fails. By default it takes none.
    virtual std::size_t parse_run(const TextBatch& batch, std::size_t count,
                                  Items<Value>& out) const {
        static_cast<void>(batch);
        static_cast<void>(count);
        static_cast<void>(out);
        return 0;
    }
    /// Parses the texts of @p batch, an uncut run of lines (TextBatch::uncut), into @p out in
    /// one go, finding the lines as it goes: all of them (true), or none, with @p out as it was
    /// (false; decode() then cuts the run and parses it as it parses any batch). By default none.
    virtual bool parse_lines(const TextBatch& batch, Items<Value>& out) const {
        static_cast<void>(batch);
        static_cast<void>(out);
        return false;
    }

    /// `FILE:LINE`.
    [[nodiscard]] std::string where(const LinePosition& at) const;

private:
    /// Spare TextBatches, so that a batch's text and vectors keep their capacity from one batch
    /// to the next: a text grown by appending lines would otherwise be reallocated and copied
    /// several times per batch, and, past malloc's mmap threshold, page-faulted in each time.
    class Spares;
    /// An empty batch, reused if one is spare.
    std::shared_ptr<TextBatch> fresh_batch();
    /// Adds the text cut last, @p begin on in the batch's text, as job @p id.
    void add_job(TextBatch& batch, std::size_t begin, std::uint64_t id);
    /// Adds to @p batch, as cut() would one by one, the whole lines read ahead of the current
    /// file (of @p batch's file, if it has jobs), until it holds @p most jobs. False if it took
    /// none: no whole line is buffered, or the next is too long (cut() reports it).
    bool take_buffered_lines(TextBatch& batch, std::size_t most);
    /// Adds to @p batch, as take_buffered_lines() does, the whole lines of what it reads from
    /// the current file straight into the batch's text (LineReader::read_into): each byte is
    /// written once, by the thread whose worker then parses it. False if it took none.
    bool read_lines(TextBatch& batch, std::size_t most, const BatchContext& ctx);
    /// Starts the empty @p batch (no text either: a blank line taken makes no job but leaves its
    /// text) with a run of whole lines read from the current file (as read_lines() reads them)
    /// and counted, not cut: an uncut batch, which decode() cuts on a worker as it parses. False,
    /// with nothing taken, if the lines read cannot be such a run (one may be blank) or none was
    /// read: then they are cut one by one.
    bool read_run(TextBatch& batch, std::size_t most, const BatchContext& ctx);
    /// The bytes to read for a batch that lacks @p jobs jobs.
    [[nodiscard]] std::size_t read_size(std::size_t jobs) const noexcept;
    /// Adds the whole lines at the start of @p ahead, the first of them line @p first, as jobs
    /// whose texts are @p base on in the batch's text, until @p batch holds @p most jobs or a
    /// line is too long; returns the bytes and lines taken.
    std::pair<std::size_t, std::uint64_t> add_lines(TextBatch& batch, std::string_view ahead,
                                                    std::size_t base, LinePosition first,
                                                    std::size_t most);

    static constexpr std::size_t min_read_bytes = 4096;
    static constexpr std::size_t max_read_bytes = 1 << 20;
    /// Batches cut line by line after a read that could not be a run (read_run()), before the
    /// next is tried: a file with blank lines here and there pays for a failed run now and then.
    static constexpr unsigned runs_pause = 16;

    LineReader reader_;
    std::size_t line_bytes_ = 0;  // the mean length of the lines read_lines() took last
    unsigned runs_after_ = 0;     // batches to cut line by line before read_run() tries again
    std::shared_ptr<Spares> spares_;
    BatchPool<Value> values_{64, true};  // decode()'s batches, their values reused
    std::vector<std::shared_ptr<const std::string>> file_names_;  // for Batch::file
    std::uint64_t next_id_ = 0;
    std::atomic<std::uint64_t> bytes_done_{0};  // read by the observer thread
    std::string text_;                          // a text held over for the next batch
    std::string error_;                         // why, if it failed as it was cut
    LinePosition at_;
    bool held_ = false;    // text_ was cut for the next batch (it starts a new file)
    Cut got_ = Cut::text;  // what cut() said of the text cut last: text, failed(_skipped)
    ReadErrorAfterJobs error_after_;
};

}  // namespace flowpool::detail
