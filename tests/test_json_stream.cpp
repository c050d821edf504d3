// JsonLineRun, the fast path of the `jsonl` source: many lines through one simdjson pass. What it
// reads must be what parse_json / parse_json_fields read from each line alone, and it must stop
// at (or before) the first line they would reject, so that the caller's one-by-one parse of the
// rest names the error. Expectations come from those two functions, line by line.

#include <gtest/gtest.h>
#include <flowpool/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "data/json.hpp"
#include "data/json_stream.hpp"

namespace {

using flowpool::Value;
using flowpool::detail::JsonError;
using flowpool::detail::JsonLineRun;
using Names = std::vector<std::string>;

/// What a line read alone gives: its value, or nullopt-like `ok` false.
struct Alone {
    bool ok = false;
    Value value;
};

Alone parse_alone(const std::string& line, const Names& names) {
    Alone alone;
    JsonError error;
    if (names.empty()) {
        alone.ok = flowpool::detail::parse_json(line, alone.value, error) &&
                   alone.value.record() != nullptr;
    } else {
        alone.ok = flowpool::detail::parse_json_fields(line, names, alone.value, error);
    }
    return alone;
}

/// Runs @p lines (joined by '\n', as TextSource joins a batch's lines) through a JsonLineRun and
/// checks it against each line read alone; returns how many lines the run read.
std::size_t check_run(const std::vector<std::string>& lines, const Names& names = {}) {
    std::string text;
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    for (const std::string& line : lines) {
        spans.emplace_back(text.size(), text.size() + line.size());
        text += line;
        text += '\n';
    }
    text.reserve(text.size() + 64);  // simdjson's padding, as TextSource::next leaves it
    JsonLineRun& run = JsonLineRun::mine();
    std::size_t read = 0;
    if (run.start(text)) {
        for (; read < lines.size(); ++read) {
            Value value;
            if (!run.next(spans[read].first, spans[read].second, names, value)) break;
            const Alone alone = parse_alone(lines[read], names);
            EXPECT_TRUE(alone.ok) << "the run read line " << read
                                  << ", alone it fails: " << lines[read];
            EXPECT_EQ(value, alone.value) << "line " << read << ": " << lines[read];
        }
    }
    for (std::size_t i = 0; i < read; ++i) EXPECT_TRUE(parse_alone(lines[i], names).ok);
    return read;
}

const std::vector<std::string> good = {
    R"({"host":"web-03","status":503,"user":{"id":7,"country":"DE"},"tags":["beta"]})",
    R"(  {"status":200,"host":"web-01","tags":[]}  )",
    R"({"host":"a\"b\\c\u00e9","status":-1,"x":[1,2.5,null,true,{"y":{}}]})",
    R"({"ho\u0073t":"escaped key","status":1,"host":"last wins"})",
    R"({})",
};

TEST(JsonLineRun, ReadsEveryGoodLineAsParseJsonDoes) { EXPECT_EQ(check_run(good), good.size()); }

TEST(JsonLineRun, ReadsEveryGoodLineAsParseJsonFieldsDoes) {
    EXPECT_EQ(check_run(good, {"status", "host"}), good.size());
    EXPECT_EQ(check_run(good, {"tags"}), good.size());
}

/// What parse_json_fields reads of @p line (as JSON text), "error" if it fails.
std::string fields_of(const std::string& line, const Names& names) {
    const Alone alone = parse_alone(line, names);
    if (!alone.ok) return "error";
    std::string text;
    flowpool::detail::append_json_value(text, alone.value);
    return text;
}

// Keys are compared where they lie in the text, a short name as one word with its closing
// quote (FieldNames): a key that only starts as a name is not it, an escaped key is unescaped
// first, long names and names with a quote are compared as strings.
TEST(JsonFields, KeysAreFoundAsWrittenOrEscaped) {
    EXPECT_EQ(fields_of(R"({"hostX":1,"hos":2,"host":3})", {"host"}), R"({"host":3})");
    EXPECT_EQ(fields_of(R"({"ho\u0073t":1,"x":2})", {"host"}), R"({"host":1})");
    EXPECT_EQ(fields_of(R"({"\u0068":1,"h":2,"hh":3})", {"hh", "h"}), R"({"hh":3,"h":2})");
    EXPECT_EQ(fields_of(R"({"latency_ms":1.5,"latency_m":2})", {"latency_ms", "host"}),
              R"({"latency_ms":1.5})");
    EXPECT_EQ(fields_of(R"({"abcdefgh\u0069":1,"abcdefghi":2,"a":3})", {"abcdefghi", "a"}),
              R"({"abcdefghi":2,"a":3})");
    EXPECT_EQ(fields_of(R"({"a\"b":1,"a":2})", {"a\"b"}), R"({"a\"b":1})");
    EXPECT_EQ(fields_of(R"({"":5,"b":6})", {""}), R"({"":5})");
    // A key is passed over at its first byte when no name starts with it, unless that byte is a
    // backslash: an escape can stand for any first character.
    EXPECT_EQ(fields_of(R"({"été":1,"ét":2,"\u00e9t\u00e9":3,"tété":4})", {"été"}), R"({"été":3})");
    EXPECT_EQ(fields_of(R"({"\"q":1,"q":2,"\u0071":3})", {"\"q", "q"}), R"({"\"q":1,"q":3})");
    EXPECT_EQ(fields_of(R"({"x":{"host":1},"host":2})", {"host"}), R"({"host":2})");
    // A string value without escapes is taken as it lies in the text; one with escapes is
    // unescaped, wherever its first escape is (the text is scanned eight bytes at a time).
    EXPECT_EQ(fields_of(R"({"a":"","b":"abcdefgh","c":"abcdefg\"","d":"abcdefgh\u00e9","e":3})",
                        {"a", "b", "c", "d"}),
              R"({"a":"","b":"abcdefgh","c":"abcdefg\"","d":"abcdefghé"})");
    EXPECT_EQ(fields_of(R"({"n":1})", {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l",
                                       "m", "n", "o", "p", "q", "r"}),
              R"({"n":1})");
}

// Names under sixteen bytes are two words with the closing quote: at 7, 8, 15 and 16 bytes (the
// last compared as strings), a key one byte longer or shorter is another key, and so is a key
// that escapes a byte at the words' edge.
TEST(JsonFields, NamesAtTheWordsEdgesAreFoundExactly) {
    for (const std::string name : {"abcdefg", "abcdefgh", "abcdefghijklmno", "abcdefghijklmnop"}) {
        const std::string longer = name + "x";
        const std::string shorter = name.substr(0, name.size() - 1);
        const std::string line =
            R"({")" + longer + R"(":1,")" + shorter + R"(":2,")" + name + R"(":3,"z":4})";
        EXPECT_EQ(fields_of(line, {name, "z"}), R"({")" + name + R"(":3,"z":4})") << name;
        EXPECT_EQ(fields_of(line, {shorter}), R"({")" + shorter + R"(":2})") << name;
        // The last byte escaped: \u0078 is "x", so this key is `longer`, not `name`.
        const std::string escaped = R"({")" + name + R"(\u0078":1,"z":2})";
        EXPECT_EQ(fields_of(escaped, {longer}), R"({")" + longer + R"(":1})") << name;
        EXPECT_EQ(fields_of(escaped, {name}), "{}") << name;
    }
}

// A projection skips the members it does not read without checking their brackets, so a broken
// one can close the object before a field it asks for: the line fails (text after the value)
// instead of giving a record without that field, and so does text after a whole object.
TEST(JsonFields, AnObjectClosedEarlyOrFollowedByTextFails) {
    EXPECT_EQ(fields_of(R"({"x":{"y":1]},"a":1})", {"a"}), "error");
    EXPECT_EQ(fields_of(R"({"a":1}})", {"a"}), "error");
    EXPECT_EQ(fields_of(R"({"a":1} {"a":2})", {"a"}), "error");
    EXPECT_EQ(fields_of(R"({"a":1}  )", {"a"}), R"({"a":1})");
}

/// Good lines, then @p bad, then good lines again: the run reads the first two and stops at
/// the bad one (read alone, it fails).
void expect_stops_at(const std::string& bad, const Names& names = {}) {
    std::vector<std::string> lines = {good[0], good[1], bad, good[2], good[3]};
    EXPECT_FALSE(parse_alone(bad, names).ok) << bad;
    EXPECT_LE(check_run(lines, names), 2U) << bad;
    // Alone in its batch, and last in it.
    EXPECT_EQ(check_run({bad}, names), 0U) << bad;
    EXPECT_LE(check_run({good[0], bad}, names), 1U) << bad;
}

TEST(JsonLineRun, StopsAtALineThatIsNotAloneOnIt) {
    expect_stops_at(R"({"n":2} {"m":3})");
    expect_stops_at(R"({"n":2} x)");
    expect_stops_at(R"({"n":2}])");
    expect_stops_at(R"({"n":2} {"host":)");
    expect_stops_at(R"({"n":2} {"host":)", {"host"});
}

TEST(JsonLineRun, StopsAtALineThatIsNoObject) {
    expect_stops_at("[1,2]");
    expect_stops_at("null");
    expect_stops_at("3");
    expect_stops_at(R"("text")", {"host"});
}

TEST(JsonLineRun, StopsAtAMalformedLine) {
    expect_stops_at(R"({"n":2,})");
    expect_stops_at(R"({"host":"web-01",)", {"host"});
    expect_stops_at(R"({"host":)", {"host"});
    expect_stops_at(R"({"host":"unclosed)", {"host"});
    expect_stops_at("{\"host\":\"\xC3(\"}", {"host"});
    expect_stops_at(std::string("{\"host\":\"a\0b\"}", 14), {"host"});
    expect_stops_at(R"({"status":1e400})", {"status"});
    expect_stops_at(R"({"x":{"y":1]},"a":1})", {"a"});
    expect_stops_at(R"({"a":1}})", {"a"});
    expect_stops_at("{\"a\":" + std::string(300, '[') + std::string(300, ']') + "}");
}

TEST(JsonLineRun, ALineCutInTwoIsNotReadAsOneObject) {
    // Two lines that make one object only when joined: alone, each fails.
    const std::vector<std::string> lines = {good[0], R"({"host":"a",)", R"("status":1})", good[1]};
    EXPECT_LE(check_run(lines, {"host"}), 1U);
}

TEST(JsonLineRun, LeavesATextOverItsLimitToTheLineByLineParse) {
    // Its parser's buffers would grow to six times the text and stay so.
    const std::string line = R"({"host":")" + std::string(1 << 20, 'x') + R"("})";
    std::string text;
    while (text.size() <= JsonLineRun::max_text) text += line + '\n';
    text.reserve(text.size() + 64);
    EXPECT_FALSE(JsonLineRun::mine().start(text));
    text.resize(line.size() + 1);
    EXPECT_TRUE(JsonLineRun::mine().start(text));
}

}  // namespace
