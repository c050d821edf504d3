// scan_lines(), which counts the whole lines at the start of a text for the `jsonl` source's runs
// of uncut lines. Expectations come from a reference written here that walks the text a byte at a
// time, never from scan_lines() itself. The texts put '\n's at every offset of a 64-byte block
// (the AVX2 path's) and at the tail the memchr() path reads, and start at every alignment.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "data/line_scan.hpp"

namespace flowpool::detail {
namespace {

/// True if a line that starts with @p byte makes a run not plain: a blank, a control character
/// or a line end. Bytes from 0x80 on (UTF-8) do not.
bool blank_start(char byte) { return static_cast<unsigned char>(byte) <= ' '; }

/// What scan_lines() must give, found one byte at a time: the lines that end with '\n', at most
/// @p most of them, each line start it reaches checked for a blank first byte.
LineRun reference_scan(std::string_view text, std::uint64_t most) {
    LineRun run;
    std::size_t at = 0;
    while (run.lines < most && at < text.size()) {
        if (blank_start(text[at])) {
            run.plain = false;
            return run;
        }
        const std::size_t end = text.find('\n', at);
        if (end == std::string_view::npos) break;
        run.bytes = end + 1;
        ++run.lines;
        at = end + 1;
    }
    return run;
}

/// A description of a LineRun for failure messages.
std::string show(const LineRun& run) {
    return "{bytes " + std::to_string(run.bytes) + ", lines " + std::to_string(run.lines) +
           (run.plain ? ", plain}" : ", not plain}");
}

/// Checks scan_lines(@p text, @p most) against the reference: equal when the reference finds the
/// run plain, else not plain (its bytes and lines are then not set).
void expect_as_reference(std::string_view text, std::uint64_t most, const std::string& label) {
    const LineRun want = reference_scan(text, most);
    const LineRun got = scan_lines(text, most);
    ASSERT_EQ(got.plain, want.plain) << label << ": got " << show(got) << ", want " << show(want);
    if (want.plain) {
        ASSERT_EQ(got.bytes, want.bytes) << label << ": got " << show(got);
        ASSERT_EQ(got.lines, want.lines) << label << ": got " << show(got);
    }
}

/// First bytes a plain line may start with: JSON's first byte, letters, the last ASCII bytes and
/// UTF-8 lead and continuation bytes (0xC3 starts "é", 0xE2 "€").
const std::vector<char> plain_starts = {'{', '!', 'a', '~', '\x7F', '\x80', '\xC3', '\xE2', '\xFF'};
/// First bytes that make a line start blank: a space, a tab, a CR, an empty line's '\n', NUL.
const std::vector<char> blank_starts = {' ', '\t', '\r', '\n', '\0'};

/// Random texts of lines 1 to 301 bytes long (with their '\n'), each starting with a byte of
/// plain_starts; their other bytes may be anything but '\n', blanks and CRs included. Some end
/// with an unfinished line.
class RandomLines {
public:
    explicit RandomLines(std::uint32_t seed) : random_(seed) {}

    /// A text of @p lines lines, and where each of them starts.
    std::string text(std::size_t lines, std::vector<std::size_t>& starts) {
        std::string text;
        starts.clear();
        for (std::size_t i = 0; i < lines; ++i) {
            starts.push_back(text.size());
            const std::size_t length = random_() % 301;  // bytes after the first, before '\n'
            text += plain_starts[random_() % plain_starts.size()];
            for (std::size_t b = 0; b < length; ++b) text += inner_byte();
            if (random_() % 5 == 0 && !text.ends_with('\r')) text += '\r';  // a CRLF line
            text += '\n';
        }
        if (random_() % 3 == 0) {  // an unfinished last line: never counted
            text += plain_starts[random_() % plain_starts.size()];
            for (std::size_t b = random_() % 200; b > 0; --b) text += inner_byte();
        }
        return text;
    }

    std::size_t below(std::size_t n) { return random_() % n; }

private:
    char inner_byte() {
        for (;;) {
            const auto byte = static_cast<char>(random_() % 256);
            if (byte != '\n') return byte;
        }
    }

    std::mt19937 random_;
};

/// Values of `most` for a text of @p lines whole lines: 1, a few below, exactly as many, more,
/// and the largest.
std::vector<std::uint64_t> mosts(std::size_t lines, RandomLines& random) {
    std::vector<std::uint64_t> values = {
        1, 2, 3, 63, 64, 65, lines, lines + 1, 4096, std::numeric_limits<std::uint64_t>::max()};
    if (lines > 1) values.push_back(lines - 1);
    for (int i = 0; i < 4; ++i) values.push_back(1 + random.below(lines + 2));
    return values;
}

/// @p text from @p align bytes into a buffer, so that 64-byte blocks are read at every alignment.
std::string_view at_alignment(std::string& buffer, const std::string& text, std::size_t align) {
    buffer.assign(align, 'z');
    buffer += text;
    return std::string_view(buffer).substr(align);
}

TEST(ScanLines, CountsWhatTheReferenceCountsWhenEveryLineStartsPlain) {
    RandomLines random(20260101);
    std::vector<std::size_t> starts;
    std::string buffer;
    for (int round = 0; round < 400; ++round) {
        const std::string text = random.text(random.below(40), starts);
        const std::string_view view = at_alignment(buffer, text, random.below(64));
        for (const std::uint64_t most : mosts(starts.size(), random)) {
            const std::string label =
                "round " + std::to_string(round) + ", most " + std::to_string(most);
            const LineRun want = reference_scan(view, most);
            ASSERT_TRUE(want.plain) << label;
            const LineRun got = scan_lines(view, most);
            ASSERT_TRUE(got.plain) << label << ": got " << show(got);
            ASSERT_EQ(got.lines, want.lines) << label << ": got " << show(got);
            ASSERT_EQ(got.bytes, want.bytes) << label << ": got " << show(got);
            ASSERT_LE(got.lines, most) << label;
        }
    }
}

TEST(ScanLines, IsNotPlainWhenALineItCountsUpToStartsBlank) {
    RandomLines random(7);
    std::vector<std::size_t> starts;
    std::string buffer;
    for (int round = 0; round < 400; ++round) {
        std::string text = random.text(1 + random.below(40), starts);
        // Line k starts blank, k < most: scan_lines() reaches its start. (Not the line after the
        // most-th: that one's start it must not look at.)
        const std::size_t k = random.below(starts.size());
        text[starts[k]] = blank_starts[random.below(blank_starts.size())];
        const std::string_view view = at_alignment(buffer, text, random.below(64));
        for (const std::uint64_t most : mosts(starts.size(), random)) {
            if (most <= k) continue;
            const LineRun got = scan_lines(view, most);
            ASSERT_FALSE(got.plain)
                << "round " << round << ", line " << k << " starts with byte "
                << int(text[starts[k]]) << ", most " << most << ": got " << show(got);
        }
        // With the blank line the first not counted, the run before it is plain and whole.
        if (k > 0) expect_as_reference(view, k, "round " + std::to_string(round) + " up to k");
    }
}

TEST(ScanLines, AgreesWithTheReferenceOnTextsOfAnyBytes) {
    std::mt19937 random(99);
    std::string buffer;
    for (int round = 0; round < 2000; ++round) {
        // Few distinct bytes, so that '\n's, blanks and empty lines come often.
        const std::string alphabet = round % 2 == 0 ? std::string("ab\n") : std::string("a \n\r\t");
        std::string text;
        for (std::size_t n = random() % 400; n > 0; --n)
            text += alphabet[random() % alphabet.size()];
        const std::string_view view = at_alignment(buffer, text, random() % 64);
        for (const std::uint64_t most : {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{5},
                                         std::uint64_t{random() % 100}, std::uint64_t{1000}}) {
            expect_as_reference(view, most, "round " + std::to_string(round));
        }
    }
}

TEST(ScanLines, AnEmptyTextOrNoLinesAskedForIsAnEmptyPlainRun) {
    for (const std::uint64_t most : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{100}}) {
        const LineRun run = scan_lines("", most);
        EXPECT_EQ(run.bytes, 0U);
        EXPECT_EQ(run.lines, 0U);
        EXPECT_TRUE(run.plain);
    }
    // With most 0 no line start is looked at, not even a blank first byte.
    for (const std::string text : {"{}\n", " \n", "\n\n"}) {
        const LineRun run = scan_lines(text, 0);
        EXPECT_EQ(run.bytes, 0U) << text;
        EXPECT_EQ(run.lines, 0U) << text;
        EXPECT_TRUE(run.plain) << text;
    }
}

TEST(ScanLines, ATextWithoutANewlineHoldsNoWholeLine) {
    for (const std::size_t size : {1, 63, 64, 65, 128, 300}) {
        const std::string text(size, 'x');
        const LineRun run = scan_lines(text, 10);
        EXPECT_EQ(run.bytes, 0U) << size;
        EXPECT_EQ(run.lines, 0U) << size;
        EXPECT_TRUE(run.plain) << size;
    }
}

TEST(ScanLines, AnUnfinishedLastLineIsNotCounted) {
    const std::string text = "{\"a\":1}\n{\"b\":2}\n{\"c\":";
    const LineRun run = scan_lines(text, 10);
    EXPECT_EQ(run.bytes, 16U);
    EXPECT_EQ(run.lines, 2U);
    EXPECT_TRUE(run.plain);
    // Past a 64-byte block too.
    const std::string longer = std::string(70, 'x') + "\n" + std::string(100, 'y');
    EXPECT_EQ(scan_lines(longer, 10).bytes, 71U);
    EXPECT_EQ(scan_lines(longer, 10).lines, 1U);
}

TEST(ScanLines, FindsANewlineAtEachEdgeOfA64ByteBlock) {
    for (const std::size_t at : {1, 31, 32, 62, 63, 64, 65, 127, 128, 129, 191, 192}) {
        const std::string first = std::string(at, 'x') + "\n";
        const std::string text = first + std::string(100, 'y') + "\n" + "z";
        const LineRun one = scan_lines(text, 1);
        EXPECT_EQ(one.bytes, at + 1) << at;
        EXPECT_EQ(one.lines, 1U) << at;
        EXPECT_TRUE(one.plain) << at;
        const LineRun two = scan_lines(text, 10);
        EXPECT_EQ(two.bytes, at + 102) << at;
        EXPECT_EQ(two.lines, 2U) << at;
        EXPECT_TRUE(two.plain) << at;
        // The line after the '\n' starts blank, in the next block when the '\n' ends one.
        const std::string blank_next = first + " y\n";
        EXPECT_FALSE(scan_lines(blank_next, 10).plain) << at;
        // The '\n' is the text's last byte: no line start after it to look at.
        const LineRun last = scan_lines(first, 10);
        EXPECT_EQ(last.bytes, at + 1) << at;
        EXPECT_EQ(last.lines, 1U) << at;
        EXPECT_TRUE(last.plain) << at;
    }
}

TEST(ScanLines, ATextThatStartsBlankIsNotPlain) {
    for (const std::string& text :
         {std::string(" {}\n"), std::string("\t{}\n"), std::string("\r\n{}\n"),
          std::string("\n{}\n"), std::string("\0{}\n", 4), std::string(" ")}) {
        EXPECT_FALSE(scan_lines(text, 1).plain) << int(text[0]);
        EXPECT_FALSE(scan_lines(text, 100).plain) << int(text[0]);
    }
}

TEST(ScanLines, AnEmptyLineIsNotPlain) {
    EXPECT_FALSE(scan_lines("\n\n", 2).plain);
    EXPECT_FALSE(scan_lines("{}\n\n{}\n", 3).plain);
    // Past the first block, and right at the start of the second.
    EXPECT_FALSE(scan_lines(std::string(80, 'x') + "\n\n{}\n", 3).plain);
    EXPECT_FALSE(scan_lines(std::string(63, 'x') + "\n\n{}\n", 3).plain);
}

TEST(ScanLines, ACrAtALineEndIsPlainButACrThatStartsALineIsNot) {
    const std::string crlf = "{\"a\":1}\r\n{\"b\":2}\r\n";
    const LineRun run = scan_lines(crlf, 10);
    EXPECT_EQ(run.bytes, crlf.size());
    EXPECT_EQ(run.lines, 2U);
    EXPECT_TRUE(run.plain);
    EXPECT_FALSE(scan_lines("{\"a\":1}\r\n\r\n{\"b\":2}\r\n", 10).plain);
}

TEST(ScanLines, Utf8AndOtherBytesAboveASpaceStartPlainLines) {
    const std::string text = "\xC3\xA9t\xC3\xA9\n\xE2\x82\xAC\n!\n\x7F\n\xFF\n~\n";
    const LineRun run = scan_lines(text, 100);
    EXPECT_EQ(run.bytes, text.size());
    EXPECT_EQ(run.lines, 6U);
    EXPECT_TRUE(run.plain);
}

TEST(ScanLines, StopsAtTheMostThLineWithoutLookingAtTheNextLinesStart) {
    const std::string text = "a\nb\n c\n";
    const LineRun two = scan_lines(text, 2);
    EXPECT_EQ(two.bytes, 4U);
    EXPECT_EQ(two.lines, 2U);
    EXPECT_TRUE(two.plain);
    EXPECT_FALSE(scan_lines(text, 3).plain);
    // The same with the blank start in the second block.
    const std::string longer = std::string(100, 'a') + "\n" + std::string(20, 'b') + "\n c\n";
    EXPECT_EQ(scan_lines(longer, 2).bytes, 122U);
    EXPECT_TRUE(scan_lines(longer, 2).plain);
    EXPECT_FALSE(scan_lines(longer, 3).plain);
}

TEST(ScanLines, CountsThousandsOfShortLinesAcrossManyBlocks) {
    std::string text;
    for (int i = 0; i < 5000; ++i) text += "{\"n\":" + std::to_string(i) + "}\n";
    const LineRun all = scan_lines(text, 1'000'000);
    EXPECT_EQ(all.bytes, text.size());
    EXPECT_EQ(all.lines, 5000U);
    EXPECT_TRUE(all.plain);
    const LineRun some = scan_lines(text, 1234);
    EXPECT_EQ(some.lines, 1234U);
    EXPECT_EQ(some.bytes, text.find("{\"n\":1234}"));
}

}  // namespace
}  // namespace flowpool::detail
