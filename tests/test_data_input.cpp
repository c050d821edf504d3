// The input layer of src/data: globs, gzip and zstd by content, the line reader (byte order
// marks, CRLF, caps on long lines, linear time on pipes), CSV records and fields, and numbers.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <flowpool/ops.hpp>
#include <flowpool/value.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.hpp"
#include "data/csv.hpp"
#include "data/input.hpp"
#include "data/line_reader.hpp"

namespace fs = std::filesystem;
using flowpool::detail::ByteInput;
using flowpool::detail::classify_number;
using flowpool::detail::CsvCutter;
using flowpool::detail::expand_paths;
using flowpool::detail::LinePosition;
using flowpool::detail::LineReader;
using flowpool::detail::NumberKind;
using flowpool::detail::split_csv;
using Got = LineReader::Got;

using flowpool::test::fresh_dir;
using flowpool::test::write;

namespace {

std::string gzip(const std::string& text) {
    z_stream z{};
    EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&z, text.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::string zstd(const std::string& text) {
    std::string out(ZSTD_compressBound(text.size()), '\0');
    const std::size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
    EXPECT_FALSE(ZSTD_isError(n));
    out.resize(n);
    return out;
}

/// Everything a ByteInput gives.
std::string read_all(ByteInput& input) {
    flowpool::RunState run;
    const flowpool::BatchContext ctx(run, "test", 0);
    std::string all;
    char piece[1000];
    std::size_t got = 0;
    while (input.read(piece, sizeof piece, got, ctx) == ByteInput::Status::data) {
        all.append(piece, got);
    }
    return all;
}

/// Every line of @p path, with "!" for a too long one.
std::vector<std::string> lines_of(const std::string& path, std::size_t max = 64 << 20) {
    flowpool::RunState run;
    const flowpool::BatchContext ctx(run, "test", 0);
    LineReader reader(path, max);
    std::vector<std::string> lines;
    std::string line;
    for (Got got; (got = reader.next(line, ctx)) != Got::end;) {
        EXPECT_NE(got, Got::stopped);
        lines.push_back(got == Got::line ? line : "!");
    }
    return lines;
}

using Lines = std::vector<std::string>;

std::string error_of(const std::function<void()>& run) {
    try {
        run();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no error";
}

/// A pipe fed by a thread with @p pieces pieces that @p piece makes, readable as /dev/fd/N. A test
/// may stop reading early: what it opened from path() must be closed before this is destroyed.
class FedPipe {
public:
    FedPipe(std::size_t pieces, std::function<std::string(std::size_t)> piece) {
        int fds[2];
        EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);  // no child keeps an end open
        read_fd_ = fds[0];
        writer_ = std::thread([fd = fds[1], pieces, piece = std::move(piece)] {
            // SIGPIPE blocked in this thread only: a write with no reader left fails with EPIPE
            // instead of killing the test, and the signal left pending goes with the thread.
            sigset_t pipe_signal;
            sigemptyset(&pipe_signal);
            sigaddset(&pipe_signal, SIGPIPE);
            pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
            for (std::size_t i = 0; i < pieces; ++i) {
                if (!write_all(fd, piece(i))) break;
            }
            ::close(fd);
        });
    }
    ~FedPipe() {
        // The read end first: a writer blocked on a full pipe that nobody reads any more then
        // fails with EPIPE and stops, where joining it first waited for ever.
        ::close(read_fd_);
        writer_.join();
    }
    FedPipe(const FedPipe&) = delete;
    FedPipe& operator=(const FedPipe&) = delete;

    [[nodiscard]] std::string path() const { return "/dev/fd/" + std::to_string(read_fd_); }

private:
    /// False if the pipe's read end is closed (or another error): then the writer stops.
    static bool write_all(int fd, const std::string& bytes) {
        for (std::size_t at = 0; at < bytes.size();) {
            const ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            at += static_cast<std::size_t>(n);
        }
        return true;
    }

    int read_fd_ = -1;
    std::thread writer_;
};

/// The process's peak resident memory in KiB, after reset_peak() if that worked.
long peak_kib() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

bool reset_peak() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    return static_cast<bool>(clear);
}

}  // namespace

TEST(ExpandPaths, AGlobGivesRegularFilesInNameOrder) {
    const std::string dir = fresh_dir("glob");
    for (const char* name : {"b.log", "a.log", "B.log", "c.txt", "a10.log", "a9.log"}) {
        write(dir + "/" + name, "x\n");
    }
    fs::create_directory(dir + "/d.log");  // a directory is no match
    EXPECT_EQ(expand_paths(dir + "/*.log"), (Lines{dir + "/B.log", dir + "/a.log", dir + "/a10.log",
                                                   dir + "/a9.log", dir + "/b.log"}));
    EXPECT_EQ(expand_paths(dir + "/a?.log"), (Lines{dir + "/a9.log"}));
    EXPECT_EQ(expand_paths(dir + "/[bc].*"), (Lines{dir + "/b.log", dir + "/c.txt"}));
    EXPECT_EQ(expand_paths("-"), Lines{"-"});
    EXPECT_EQ(expand_paths(dir + "/none.log"), Lines{dir + "/none.log"});  // fails when opened
    EXPECT_EQ(error_of([&] { expand_paths(dir + "/*.csv"); }),
              "no file matches '" + dir + "/*.csv'");
    EXPECT_THROW(expand_paths(dir + "/d.l?g"), flowpool::UsageError);
}

TEST(ByteInput, DecompressesGzipAndZstdByContent) {
    const std::string dir = fresh_dir("decompress");
    std::string text;
    for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i) + "\n";
    ByteInput gz(write(dir + "/t.gz", gzip(text)));
    EXPECT_EQ(read_all(gz), text);
    EXPECT_EQ(gz.consumed(), gz.size());
    EXPECT_LT(gz.size(), text.size());
    ByteInput zst(write(dir + "/t.zst", zstd(text)));
    EXPECT_EQ(read_all(zst), text);
    ByteInput hidden(write(dir + "/t.txt", zstd(text)));  // the name says nothing
    EXPECT_EQ(read_all(hidden), text);
    ByteInput plain(write(dir + "/plain.gz", text));  // nor here
    EXPECT_EQ(read_all(plain), text);
    ByteInput empty(write(dir + "/empty.gz", ""));
    EXPECT_EQ(read_all(empty), "");
    ByteInput one(write(dir + "/one", "\x1f"));
    EXPECT_EQ(read_all(one), "\x1f");
}

TEST(ByteInput, ReadsMembersAndFramesOneAfterAnother) {
    ByteInput gz("members.gz", gzip("first\n") + gzip("") + gzip("second\n"));
    EXPECT_EQ(read_all(gz), "first\nsecond\n");
    ByteInput zst("frames.zst", zstd("first\n") + zstd("second\n"));
    EXPECT_EQ(read_all(zst), "first\nsecond\n");
}

TEST(ByteInput, TruncatedOrCorruptDataNamesTheFile) {
    std::string text;
    for (int i = 0; i < 5000; ++i) text += std::to_string(i * 7919 % 10007) + ",";
    const std::string gz = gzip(text);
    const std::string zst = zstd(text);
    for (const std::size_t keep : {std::size_t{2}, std::size_t{5}, gz.size() / 2, gz.size() - 1}) {
        ByteInput input("t.gz", gz.substr(0, keep));
        EXPECT_EQ(error_of([&] { read_all(input); }), "'t.gz': truncated gzip data") << keep;
    }
    ByteInput short_zst("t.zst", zst.substr(0, zst.size() - 3));
    EXPECT_EQ(error_of([&] { read_all(short_zst); }), "'t.zst': truncated zstd data");
    std::string bad = gz;
    for (std::size_t i = 20; i < 60; ++i) bad[i] = static_cast<char>(~bad[i]);
    ByteInput corrupt("c.gz", bad);
    EXPECT_EQ(error_of([&] { read_all(corrupt); }).rfind("'c.gz': corrupt gzip data: ", 0), 0u);
    ByteInput trailing("t.gz", gz + "garbage");
    EXPECT_EQ(error_of([&] { read_all(trailing); }).rfind("'t.gz': corrupt gzip data: ", 0), 0u);
    bad = zst;
    for (std::size_t i = 8; i < bad.size(); ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    ByteInput corrupt_zst("c.zst", bad);
    EXPECT_EQ(error_of([&] { read_all(corrupt_zst); }).rfind("'c.zst': corrupt zstd data: ", 0),
              0u);
}

TEST(LineReader, ReadsAGlobOfCompressedFilesInOrderWithPositions) {
    const std::string dir = fresh_dir("lines_glob");
    write(dir + "/1.gz", gzip("\xEF\xBB\xBF"
                              "a\r\nb\n"));
    write(dir + "/2.zst", zstd("\xEF\xBB\xBF"
                               "c\n\nd"));  // no '\n' at the end
    write(dir + "/3.txt", "\xEF\xBB\xBF");
    write(dir + "/4.txt", "e\xEF\xBB\xBF\n");  // a mark inside a line is kept
    flowpool::RunState run;
    const flowpool::BatchContext ctx(run, "test", 0);
    LineReader reader(dir + "/*");
    EXPECT_EQ(reader.files().size(), 4u);
    struct Expected {
        std::string line;
        std::uint32_t file;
        std::uint64_t number;
        bool new_file;
    };
    const std::vector<Expected> expected{{"a", 0, 1, false}, {"b", 0, 2, false},
                                         {"c", 1, 1, true},  {"", 1, 2, false},
                                         {"d", 1, 3, false}, {"e\xEF\xBB\xBF", 3, 1, true}};
    std::string line;
    for (const Expected& e : expected) {
        ASSERT_EQ(reader.next(line, ctx), Got::line);
        EXPECT_EQ(line, e.line);
        EXPECT_EQ(reader.position().file, e.file) << e.line;
        EXPECT_EQ(reader.position().line, e.number) << e.line;
        EXPECT_EQ(reader.new_file(), e.new_file) << e.line;
    }
    EXPECT_EQ(reader.next(line, ctx), Got::end);
    EXPECT_EQ(reader.taken(), reader.size());
    EXPECT_EQ(lines_of(write(dir + "/crlf", "x\r\n\r\ny\r")), (Lines{"x", "", "y"}));
}

TEST(LineReader, AMissingOrLaterFileIsAUsageError) {
    const std::string dir = fresh_dir("missing");
    EXPECT_EQ(error_of([&] { LineReader reader(dir + "/no.log"); }),
              "cannot open '" + dir + "/no.log' for reading: No such file or directory");
    EXPECT_THROW(LineReader reader(dir), flowpool::UsageError);
}

// A file of a glob that was there when the reader was made and is gone when its turn comes cuts
// the input short: an InputError (which fails a run whatever the source's on_error), not the
// UsageError of a file missing from the start (exit 2 before any run).
TEST(LineReader, ALaterFileGoneDuringTheRunIsAnInputError) {
    const std::string dir = fresh_dir("gone");
    write(dir + "/1.txt", "a\n");
    write(dir + "/2.txt", "b\n");
    flowpool::RunState run;
    const flowpool::BatchContext ctx(run, "test", 0);
    LineReader reader(dir + "/*.txt");
    std::string line;
    ASSERT_EQ(reader.next(line, ctx), Got::line);
    EXPECT_EQ(line, "a");
    fs::remove(dir + "/2.txt");
    EXPECT_THROW(reader.next(line, ctx), flowpool::InputError);
    EXPECT_EQ(error_of([&] { reader.next(line, ctx); }),
              "cannot open '" + dir + "/2.txt' for reading: No such file or directory");
}

TEST(LineReader, ATooLongLineIsSkippedUnbufferedAndCountsAsALine) {
    constexpr std::size_t line_bytes = 10 << 20;
    constexpr std::size_t piece = 64 << 10;
    FedPipe pipe(line_bytes / piece + 2, [](std::size_t i) {
        if (i == 0) return std::string("short\n");
        if (i == line_bytes / piece + 1) return std::string("\nafter\r\n");
        return std::string(piece, 'x');
    });
    const bool measured = reset_peak();
    const long before = peak_kib();
    flowpool::RunState run;
    const flowpool::BatchContext ctx(run, "test", 0);
    LineReader reader(pipe.path(), 1024);
    EXPECT_TRUE(reader.may_block());
    EXPECT_EQ(reader.size(), 0u);
    std::string line;
    ASSERT_EQ(reader.next(line, ctx), Got::line);
    EXPECT_EQ(line, "short");
    ASSERT_EQ(reader.next(line, ctx), Got::too_long);
    EXPECT_EQ(reader.position().line, 2u);
    ASSERT_EQ(reader.next(line, ctx), Got::line);
    EXPECT_EQ(line, "after");
    EXPECT_EQ(reader.position().line, 3u);
    EXPECT_EQ(reader.next(line, ctx), Got::end);
    if (measured && FLOWPOOL_TEST_SLOWDOWN == 1) {  // not under ASan, whose quarantine keeps frees
        EXPECT_LT(peak_kib() - before, 4 * 1024) << "KiB more at the peak";
    }
    // At the cap exactly (a '\r' not counted) is still a line; one more byte is not.
    const std::string dir = fresh_dir("cap");
    EXPECT_EQ(lines_of(write(dir + "/cap", "1234\r\n12345\n1234"), 4),
              (Lines{"1234", "!", "1234"}));
    EXPECT_EQ(lines_of(write(dir + "/end", "123456789"), 4), Lines{"!"});
}

TEST(LineReader, AHugeLineFromAPipeTakesLinearTime) {
    // 50 MiB as one line, timed against the same bytes read() into a growing string (the same
    // pipe, copies and fresh pages) rather than against a fixed bound, as a loaded machine slows
    // both; tried up to three times.
    static constexpr std::size_t piece = 64 << 10;
    static constexpr std::size_t pieces = 800;
    const auto fed = [] {
        return std::make_unique<FedPipe>(pieces + 1, [](std::size_t i) {
            return i == pieces ? std::string("\nnext") : std::string(piece, 'a');
        });
    };
    flowpool::RunState run;
    const flowpool::BatchContext ctx(run, "test", 0);
    const auto seconds_since = [](std::chrono::steady_clock::time_point start) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    // 0.37 s against 0.35 here; 0.8 to 0.9 s when the reader looked from the line's start again
    // at each read (it reads more at a time as its buffer grows). Sanitizers slow the reader's
    // scan for '\n', which the plain read() does not make: the bound grows with them.
    const auto bound = [](double plain) { return (1.6 * plain + 0.1) * FLOWPOOL_TEST_SLOWDOWN; };
    double plain = 0;
    double as_line = 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
        {
            const auto pipe = fed();
            const auto start = std::chrono::steady_clock::now();
            const int fd = ::open(pipe->path().c_str(), O_RDONLY | O_CLOEXEC);
            ASSERT_GE(fd, 0);
            std::string all;
            std::array<char, piece> buffer;
            for (ssize_t n; (n = ::read(fd, buffer.data(), buffer.size())) > 0;) {
                all.append(buffer.data(), static_cast<std::size_t>(n));
            }
            ::close(fd);
            EXPECT_EQ(all.size(), piece * pieces + 5);
            plain = seconds_since(start);
        }
        const auto pipe = fed();
        const auto start = std::chrono::steady_clock::now();
        LineReader reader(pipe->path());
        std::string line;
        EXPECT_EQ(reader.next(line, ctx), Got::line);
        EXPECT_EQ(line.size(), piece * pieces);
        EXPECT_EQ(reader.next(line, ctx), Got::line);
        EXPECT_EQ(line, "next");
        EXPECT_EQ(reader.next(line, ctx), Got::end);
        as_line = seconds_since(start);
        if (as_line < bound(plain)) break;
    }
    EXPECT_LT(as_line, bound(plain))
        << "50 MiB as one line: " << as_line << " s; read() into a string: " << plain << " s";
}

TEST(LineReader, LineReadyNeedsNoRescanAndStopsOnRequest) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    // Two bytes are enough to tell neither a compressed format nor a byte order mark starts:
    // the first line comes without waiting for more.
    ASSERT_EQ(::write(fds[1], "(\n", 2), 2);
    flowpool::RunState run;
    const flowpool::BatchContext ctx(run, "test", 0);
    LineReader reader("/dev/fd/" + std::to_string(fds[0]));
    std::string line;
    ASSERT_EQ(reader.next(line, ctx), Got::line);
    EXPECT_EQ(line, "(");
    ASSERT_EQ(::write(fds[1], "one\ntw", 6), 6);
    ASSERT_EQ(reader.next(line, ctx), Got::line);
    EXPECT_FALSE(reader.line_ready());
    std::atomic<bool> cancel{true};
    run.cancel_on(&cancel);
    EXPECT_EQ(reader.next(line, ctx), Got::stopped);
    cancel = false;
    ASSERT_EQ(::write(fds[1], "o\n", 2), 2);
    ::close(fds[1]);
    ASSERT_EQ(reader.next(line, ctx), Got::line);
    EXPECT_EQ(line, "two");
    EXPECT_EQ(reader.next(line, ctx), Got::end);
    ::close(fds[0]);
}

namespace {

struct Cut {
    CsvCutter::Got got;
    std::string record;  // or the error
    std::uint64_t line;
};

std::vector<Cut> records_of(const std::string& path, char delimiter = ',',
                            std::size_t max_record = 64 << 20, std::size_t max_line = 64 << 20) {
    flowpool::RunState run;
    const flowpool::BatchContext ctx(run, "test", 0);
    LineReader reader(path, max_line);
    CsvCutter cutter(delimiter, max_record);
    std::vector<Cut> cuts;
    std::string record;
    LinePosition start;
    for (CsvCutter::Got got;
         (got = cutter.next_record(reader, record, start, ctx)) != CsvCutter::Got::end;) {
        cuts.push_back({got, got == CsvCutter::Got::record ? record : cutter.error(), start.line});
    }
    return cuts;
}

using G = CsvCutter::Got;

Lines split(std::string_view record, char delimiter = ',') {
    Lines fields;
    std::string error;
    std::size_t col = 0;
    if (!split_csv(record, delimiter, fields, error, col)) {
        return {error + " at " + std::to_string(col)};
    }
    return fields;
}

}  // namespace

TEST(Csv, CutsRecordsWhoseQuotedFieldsHoldLineEnds) {
    const std::string dir = fresh_dir("csv");
    const std::string path =
        write(dir + "/a.csv", "id,text\r\n1,\"two\r\nlines\"\n2,\"a \"\"b\"\"\nc\",x\n3,plain\n");
    const auto cuts = records_of(path);
    ASSERT_EQ(cuts.size(), 4u);
    // A line end inside quotes is kept as it was (RFC 4180): "\r\n" was once read as "\n".
    EXPECT_EQ(cuts[1].record, "1,\"two\r\nlines\"");
    EXPECT_EQ(split(cuts[1].record), (Lines{"1", "two\r\nlines"}));
    EXPECT_EQ(cuts[1].line, 2u);
    EXPECT_EQ(cuts[2].record, "2,\"a \"\"b\"\"\nc\",x");
    EXPECT_EQ(cuts[2].line, 4u);
    EXPECT_EQ(cuts[3].record, "3,plain");
    EXPECT_EQ(cuts[3].line, 6u);
    EXPECT_EQ(split(cuts[2].record), (Lines{"2", "a \"b\"\nc", "x"}));
}

TEST(Csv, AnUnclosedQuotePointsAtItsQuoteAndEndsWithItsFile) {
    const std::string dir = fresh_dir("csv_unclosed");
    write(dir + "/1.csv", "a,b\nc,\"d\ne,\"\"f\n");
    write(dir + "/2.csv", "g;\"h\"\"\n");
    const auto cuts = records_of(dir + "/*.csv");
    ASSERT_EQ(cuts.size(), 3u);
    EXPECT_EQ(cuts[0].record, "a,b");
    EXPECT_EQ(cuts[1].got, G::unclosed_quote);
    EXPECT_EQ(cuts[1].record, dir +
                                  "/1.csv:2:3: unclosed quote (its record runs on to the end of "
                                  "the file: lines 2 to 3)");
    EXPECT_EQ(cuts[1].line, 2u);
    EXPECT_EQ(cuts[2].got, G::record);  // the next file starts afresh
    EXPECT_EQ(cuts[2].record, "g;\"h\"\"");
    const auto semicolon = records_of(dir + "/2.csv", ';');
    ASSERT_EQ(semicolon.size(), 1u);
    EXPECT_EQ(semicolon[0].record, dir + "/2.csv:1:3: unclosed quote");
}

TEST(Csv, ALongRecordIsSkippedAndReadingGoesOn) {
    const std::string dir = fresh_dir("csv_long");
    const std::string path =
        write(dir + "/l.csv", "1,\"" + std::string(100, 'x') + "\n" + std::string(100, 'y') +
                                  "\"\n2,\"" + std::string(300, 'z') + "\"\n3,ok\n");
    const auto cuts = records_of(path, ',', 150, 200);
    ASSERT_EQ(cuts.size(), 3u);
    EXPECT_EQ(cuts[0].got, G::too_long);
    EXPECT_EQ(cuts[0].record, path + ":1: record longer than max_line_bytes (150)");
    EXPECT_EQ(cuts[1].got, G::too_long);
    EXPECT_EQ(cuts[1].record, path + ":3: line longer than max_line_bytes (200)");
    EXPECT_EQ(cuts[2].record, "3,ok");
    EXPECT_EQ(cuts[2].line, 4u);
}

TEST(Csv, SplitsFieldsAsRfc4180SaysAndLeniently) {
    EXPECT_EQ(split("a,b,c"), (Lines{"a", "b", "c"}));
    EXPECT_EQ(split(""), Lines{""});
    EXPECT_EQ(split(",,"), (Lines{"", "", ""}));
    EXPECT_EQ(split("\"a,b\",\"\",\"x\"\"y\""), (Lines{"a,b", "", "x\"y"}));
    EXPECT_EQ(split("a\"b,5\" tall"), (Lines{"a\"b", "5\" tall"}));  // quotes inside: literal
    EXPECT_EQ(split(" \"a\" ,b"), (Lines{" \"a\" ", "b"}));          // nothing trimmed
    EXPECT_EQ(split("a\tb\t\"c\td\"", '\t'), (Lines{"a", "b", "c\td"}));
    EXPECT_EQ(split("a|\"b|c\"|", '|'), (Lines{"a", "b|c", ""}));
    EXPECT_EQ(split("1,\"ab\"c,3"), Lines{"text after closing quote at 7"});
    EXPECT_EQ(split("1,\"ab"), Lines{"unclosed quote at 3"});
    EXPECT_EQ(flowpool::detail::record_line_column("a,\"b\nc\"d", 8),
              (std::pair<std::size_t, std::size_t>{1, 3}));
    Lines fields{"old", "old", "old", "old"};  // ragged rows: as many fields as the record has
    std::string error;
    std::size_t col = 0;
    ASSERT_TRUE(split_csv("x,y", ',', fields, error, col));
    EXPECT_EQ(fields, (Lines{"x", "y"}));
    EXPECT_THROW(CsvCutter('"'), flowpool::UsageError);
}

TEST(Csv, ClassifiesNumbersAsJsonWritesThem) {
    std::int64_t i = 0;
    double d = 0;
    EXPECT_EQ(classify_number("42", i, d), NumberKind::integer);
    EXPECT_EQ(i, 42);
    EXPECT_EQ(classify_number("-9223372036854775808", i, d), NumberKind::integer);
    EXPECT_EQ(i, INT64_MIN);
    EXPECT_EQ(classify_number("0", i, d), NumberKind::integer);
    EXPECT_EQ(classify_number("-0.5", i, d), NumberKind::floating);
    EXPECT_EQ(d, -0.5);
    EXPECT_EQ(classify_number("1e3", i, d), NumberKind::floating);
    EXPECT_EQ(d, 1000.0);
    EXPECT_EQ(classify_number("1.5E-2", i, d), NumberKind::floating);
    EXPECT_EQ(d, 0.015);
    EXPECT_EQ(classify_number("18446744073709551616", i, d), NumberKind::floating);  // 2^64
    EXPECT_EQ(d, 18446744073709551616.0);
    EXPECT_EQ(classify_number("9223372036854775808", i, d), NumberKind::floating);
    for (const char* text : {"", " 1", "1 ", "+1", "1_000", "0x10", "nan", "inf", "-inf", "007",
                             ".5", "5.", "1e", "1e+", "-", "1e400", "1e-400", "1,5", "١"}) {
        EXPECT_EQ(classify_number(text, i, d), NumberKind::none) << text;
    }
}

TEST(LinesOp, ReadsAGlobOfGzipFilesThroughTheCli) {
    const std::string dir = fresh_dir("cli");
    write(dir + "/part1.gz", gzip("alpha\nbeta\n"));
    write(dir + "/part2.gz", gzip("gamma\n") + gzip("delta"));
    const std::string graph =
        write(dir + "/g.yaml", "nodes:\n  text: { kind: source, op: lines, path: \"" + dir +
                                   "/*.gz\" }\n"
                                   "  out: { kind: sink, op: print, format: \"{id} {value}\" }\n"
                                   "edges: [ 'text -> out' ]\n");
    auto result = flowpool::test::run_cli("run '" + graph + "'");
    EXPECT_EQ(result.exit_code, 0) << result.err;
    Lines lines = result.out_lines();
    std::sort(lines.begin(), lines.end());
    EXPECT_EQ(lines, (Lines{"0 alpha", "1 beta", "2 gamma", "3 delta"}));

    write(dir + "/long.txt", "ok\n" + std::string(100, 'x') + "\nfine\n");
    result = flowpool::test::run_cli("run '" + graph + "' --set text.path='" + dir +
                                     "/long.txt' --set text.max_line_bytes=10");
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(
        result.err.find("job 1: " + dir + "/long.txt:2: line longer than max_line_bytes (10)"),
        std::string::npos)
        << result.err;
    lines = result.out_lines();
    std::sort(lines.begin(), lines.end());
    // The line before came; the failure stopped the source reading, so the line after did not.
    EXPECT_EQ(lines, (Lines{"0 ok"}));
}

// The source's batches come back from a pool with their lines (Items::spent), whose room the
// next lines take: every line must still come whole and alone, whatever the last use of its
// value held (a short line, a long one, or something else a node put there).
TEST(LinesOp, ReusedBatchesGiveEveryLineWhole) {
    const std::string dir = fresh_dir("reuse");
    std::vector<std::string> expected;
    for (const char* name : {"a.txt", "b.txt"}) {
        std::string text;
        for (int i = 0; i < 500; ++i) {
            std::string line = std::string(name) + " line " + std::to_string(i);
            if (i % 7 == 3) line += std::string(5000 + static_cast<std::size_t>(i), 'x');
            if (i % 11 == 5) line.resize(2);  // shorter than the room it may get
            text += line + "\n";
            expected.push_back(line);
        }
        write(dir + "/" + name, text);
    }
    const flowpool::OpRegistry ops;
    auto source = ops.find("lines")->make_source(
        flowpool::Params({{"path", dir + "/*.txt"}, {"max_line_bytes", "1048576"}}));
    flowpool::RunState run;
    flowpool::BatchContext ctx(run, "text", 0);
    std::vector<std::string> got;
    for (int round = 0;; ++round) {
        auto batch = source->next(static_cast<std::size_t>(3 + round % 5), ctx);
        if (batch == nullptr) break;
        auto& jobs = static_cast<flowpool::Items<flowpool::Value>&>(*batch);
        for (flowpool::Value& value : jobs.values) {
            ASSERT_TRUE(std::holds_alternative<std::string>(value));
            got.push_back(std::get<std::string>(value));
            // What a node after it may leave in a value before the batch goes back.
            if (got.size() % 3 == 0) value = std::int64_t{7};
        }
    }  // each batch is given back before the next is made
    EXPECT_EQ(got, expected);
}

TEST(LinesOp, UnderSkipATooLongLineFailsOnlyItsJobAndTheNextLinesCome) {
    // Without on_error a too long line fails the run (above); a source whose policy is skip
    // reads on (a graph file's `on_error: skip`: test_lines_errors.cpp).
    const std::string dir = fresh_dir("skip");
    write(dir + "/a.txt", "one\n" + std::string(5000, 'x') + "\ntwo\n");
    write(dir + "/b.txt", std::string(5000, 'y') + "\r\nthree");
    const flowpool::OpRegistry ops;
    const flowpool::OpInfo* lines = ops.find("lines");
    ASSERT_NE(lines, nullptr);
    auto source =
        lines->make_source(flowpool::Params({{"path", dir + "/*.txt"}, {"max_line_bytes", "100"}}));
    flowpool::RunState run;
    const flowpool::OnError skip = flowpool::OnError::skip();
    flowpool::BatchContext ctx(run, "text", 0, &skip);
    // A batch holds the lines of one file (formats show it as {file}).
    const auto first = source->next(100, ctx);
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->ids, (std::vector<std::uint64_t>{0, 2}));
    EXPECT_EQ(*first->file, dir + "/a.txt");
    const auto second = source->next(100, ctx);
    ASSERT_NE(second, nullptr);
    const auto& jobs = static_cast<const flowpool::Items<flowpool::Value>&>(*second);
    EXPECT_EQ(jobs.ids, (std::vector<std::uint64_t>{4}));
    ASSERT_EQ(jobs.values.size(), 1u);
    EXPECT_EQ(jobs.values[0], flowpool::Value(std::string("three")));
    EXPECT_EQ(*jobs.file, dir + "/b.txt");
    EXPECT_EQ(ctx.skipped(), 2u);
    EXPECT_EQ(source->next(100, ctx), nullptr);
    EXPECT_EQ(source->input_bytes(), source->input_bytes_done());
}
