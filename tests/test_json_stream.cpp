// JsonLineRun, the fast path of the `jsonl` source: many lines through one simdjson pass. What it
// reads must be what parse_json / parse_json_fields read from each line alone, and it must stop
// at (or before) the first line they would reject, so that the caller's one-by-one parse of the
// rest names the error. Expectations come from those two functions, line by line. So for
// next_line(), which reads a run of uncut lines: a run it takes holds each line's own record.

#include <gtest/gtest.h>
#include <flowpool/value.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <variant>
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

// A plain integer asked for is read where it lies (plain_integer, src/data/json_build.hpp), any
// other number by simdjson: both must give what the whole object's parse gives, or fail with it,
// first, last or alone in the object, with blanks or without.
TEST(JsonFields, IntegersAreReadAsTheWholeParseReadsThem) {
    for (const std::string number : {"0",
                                     "-0",
                                     "7",
                                     "-7",
                                     "10",
                                     "123456789012345678",
                                     "-123456789012345678",
                                     "1234567890123456789",
                                     "9223372036854775807",
                                     "-9223372036854775808",
                                     "9223372036854775808",
                                     "18446744073709551616",
                                     "01",
                                     "-01",
                                     "00",
                                     "1.5",
                                     "-0.0",
                                     "1e3",
                                     "1E3",
                                     "12x",
                                     "-",
                                     "--1",
                                     "+1",
                                     "1-",
                                     "0x1F"}) {
        for (const std::string& line :
             {R"({"a":)" + number + R"(,"b":1})", R"({"b":1,"a":)" + number + "}",
              R"({"a": )" + number + " }", R"({"a":)" + number + "\t,\"b\":2}"}) {
            Value whole;
            JsonError error;
            const bool ok = flowpool::detail::parse_json(line, whole, error);
            const Alone projected = parse_alone(line, {"a"});
            ASSERT_EQ(projected.ok, ok) << line;
            if (!ok) continue;
            flowpool::Record expected;
            expected.append("a", *whole.record()->find("a"));
            EXPECT_EQ(projected.value, Value(expected)) << line;
        }
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

/// A random JSON value up to @p depth levels deep, written with random blanks: scalars (among
/// them strings that hold JSON's punctuation), objects and arrays (empty ones too), and keys
/// from a few that repeat, escape a name's byte, or are longer than sixteen bytes.
class RandomJson {
public:
    explicit RandomJson(std::uint32_t seed) : random_(seed) {}

    /// A member's parts, as written: the key with its quotes, the colon, the value.
    struct Member {
        std::string key;
        std::string colon = ":";
        std::string value;
    };

    std::string value(int depth) {
        switch (pick(depth > 0 ? 9 : 7)) {
            case 0:
                return std::to_string(pick(1000));
            case 1:
                return "-" + std::to_string(pick(1000)) + ".5";
            case 2:
                return R"("plain")";
            case 3:
                return R"("a,b:c{d}[e]\"")";
            case 4:
                return pick(2) == 0 ? "true" : "null";
            case 5:
                return "{}";
            case 6:
                return "[]";
            case 7:
                return object(members(depth - 1));
            default: {
                std::string array = "[";
                for (std::size_t i = 0, n = pick(4); i < n; ++i) {
                    if (i != 0) array += ',';
                    array += blank() + value(depth - 1) + blank();
                }
                return array + "]";
            }
        }
    }
    /// 0 to 5 members, their values up to @p depth levels deep.
    std::vector<Member> members(int depth) {
        static const std::vector<std::string> keys = {R"("a")",
                                                      R"("b")",
                                                      R"("ab")",
                                                      R"("a\u0062")",
                                                      R"("\u0061")",
                                                      R"("c")",
                                                      R"("long_key_of_twenty_b")",
                                                      R"("long_key_of_twenty_\u0062")"};
        std::vector<Member> members(pick(6));
        for (Member& member : members) {
            member.key = keys[pick(keys.size())];
            member.value = value(depth);
        }
        return members;
    }
    /// The object of @p members, @p commas[i] after member i (a comma by default), with blanks
    /// around each token.
    std::string object(const std::vector<Member>& members, std::vector<std::string> commas = {}) {
        commas.resize(members.size(), ",");
        std::string text = "{";
        for (std::size_t i = 0; i < members.size(); ++i) {
            text += blank() + members[i].key + blank() + members[i].colon + blank() +
                    members[i].value + blank();
            if (i + 1 < members.size()) text += commas[i];
        }
        return text + blank() + "}";
    }
    std::size_t pick(std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_);
    }

private:
    std::string blank() { return pick(4) == 0 ? " " : ""; }
    std::mt19937 random_;
};

// Among them names that start alike ("a" and "ab"; "l" and a long one): FieldNames tells most
// keys apart by their first byte, and looks further where several names start with it.
const std::vector<Names> projections = {
    {"a"},           {"ab", "c"}, {"long_key_of_twenty_b", "a"}, {"b"},
    {"c", "b", "a"}, {"ab", "a"}, {"l", "long_key_of_twenty_b"}, {"ab", "a", "c"}};

// A projection passes over the members it does not read a token at a time, in a loop of its own
// (skip_members, src/data/json_build.hpp) that leaves every member but the regular one to
// simdjson's own steps. So on 4,000 random objects, nested and flat, with repeated, escaped and
// long keys: where parse_json takes the whole object (checking every value), each projection
// takes it too, with the values of the whole record's fields (the last of a repeated name).
TEST(JsonFields, AProjectionReadsWhatTheWholeObjectHolds) {
    RandomJson random(20261206);
    for (int i = 0; i < 4000; ++i) {
        const std::string line = random.object(random.members(i % 3));
        Value whole;
        JsonError error;
        ASSERT_TRUE(flowpool::detail::parse_json(line, whole, error)) << line;
        for (const Names& names : projections) {
            flowpool::Record expected;
            for (const std::string& name : names) {
                if (const Value* value = whole.record()->find(name)) expected.append(name, *value);
            }
            const Alone projected = parse_alone(line, names);
            ASSERT_TRUE(projected.ok) << line;
            EXPECT_EQ(projected.value, Value(expected)) << line << " " << names[0];
        }
    }
}

// The same with the condition of a filter tested first (EarlyTest): the fields the condition
// reads are read first, and those alone when it drops the line. Every set of a projection's names
// is read by the condition in turn (its keys told from the others' by a first-byte table of its
// own names: `ab` and `a` of {ab, a, c} share one), and each read must give the whole object's
// values: the condition's fields when it drops the line (the record keeps places for the others,
// which are not checked here), the projection's when it keeps it.
TEST(JsonFields, AConditionTestedFirstReadsWhatTheWholeObjectHolds) {
    RandomJson random(20261207);
    for (int i = 0; i < 2000; ++i) {
        const std::string line = random.object(random.members(i % 3));
        Value whole;
        JsonError error;
        ASSERT_TRUE(flowpool::detail::parse_json(line, whole, error)) << line;
        for (const Names& names : projections) {
            flowpool::Record projected;
            for (const std::string& name : names) {
                if (const Value* value = whole.record()->find(name)) projected.append(name, *value);
            }
            for (unsigned set = 1; set < (1U << names.size()); ++set) {
                std::vector<char> reads(names.size(), 0);
                for (std::size_t n = 0; n < names.size(); ++n) reads[n] = (set >> n) & 1U;
                for (const bool keep : {false, true}) {
                    flowpool::detail::EarlyTest test;
                    test.set_reads(names, reads);
                    test.may_keep = [keep](const Value&) { return keep; };
                    Value got;
                    ASSERT_TRUE(
                        flowpool::detail::parse_json_fields(line, names, got, error, false, &test))
                        << line;
                    ASSERT_NE(got.record(), nullptr) << line;
                    if (keep) {
                        EXPECT_EQ(got, Value(projected)) << line << " set " << set;
                        continue;
                    }
                    for (std::size_t n = 0; n < names.size(); ++n) {
                        if (reads[n] == 0) continue;
                        const Value* want = whole.record()->find(names[n]);
                        const Value* have = got.record()->find(names[n]);
                        ASSERT_EQ(have != nullptr, want != nullptr)
                            << line << " reads " << names[n];
                        if (want != nullptr) {
                            EXPECT_EQ(*have, *want) << line << " reads " << names[n];
                        }
                    }
                }
            }
        }
    }
}

// And a flat object with one member broken (its comma, colon, key's quote or value missing,
// doubled or in another's place, or punctuation for its value) fails both ways, whichever
// members the projection reads. (Not a closing bracket for a value: simdjson's skip_child()
// takes `{"a":],"b":1}` as a value, so a projection that does not read `a` takes the line.)
TEST(JsonFields, AProjectionFailsAtABrokenMemberItDoesNotRead) {
    RandomJson random(7);
    for (int i = 0; i < 3000; ++i) {
        std::vector<RandomJson::Member> members = random.members(0);
        if (members.size() < 2) members.resize(2, {R"("b")", ":", "1"});
        std::vector<std::string> commas(members.size() - 1, ",");
        RandomJson::Member& member = members[random.pick(members.size())];
        std::string& comma = commas[random.pick(commas.size())];
        switch (random.pick(9)) {
            case 0:
                comma = "";
                break;
            case 1:
                comma = ",,";
                break;
            case 2:
                comma = ":";
                break;
            case 3:
                member.colon = "";
                break;
            case 4:
                member.colon = "::";
                break;
            case 5:
                member.colon = ",";
                break;
            case 6:
                member.key.erase(0, 1);
                break;
            case 7:
                member.value.clear();
                break;
            default:
                member.value = random.pick(2) == 0 ? "," : ":";
                break;
        }
        const std::string line = random.object(members, commas);
        Value whole;
        JsonError error;
        ASSERT_FALSE(flowpool::detail::parse_json(line, whole, error)) << line;
        for (const Names& names : projections) EXPECT_FALSE(parse_alone(line, names).ok) << line;
    }
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

// FINDING (src/data/json_stream.cpp, JsonLineRun::next): an object's head on a text's last line
// but one and its tail on the last line were read as one object, the head's line giving the whole
// object and only the tail's line failing: next() checked that the next value starts on the next
// line, and the text's last value has no next value. Read alone, both lines fail. Through the CLI,
// `{"n":0}\n{"n":1}\n{"a":\n1}\n` at `--batch 4` wrote `2 {"a":1}`. Now the text after the last
// value's line must be blank.
TEST(JsonLineRun, AnObjectCutInTwoAtTheEndOfTheTextIsNotReadAsOneObject) {
    EXPECT_LE(check_run({good[0], R"({"a":)", "1}"}), 1U);
    EXPECT_LE(check_run({good[0], R"({"host":"a",)", R"("status":1})"}, {"host"}), 1U);
    EXPECT_EQ(check_run({R"({"a":)", "1}"}), 0U);
    EXPECT_LE(check_run({good[0], R"({"s":"a)", R"(b"})"}), 1U);
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

// --------------------------------------------- next_line(): a run of uncut lines (parse_lines)

/// A text of whole lines as TextSource hands an uncut run over: each line with its own end
/// ("\n" or "\r\n"), then simdjson's padding; and where each line starts.
struct LineText {
    std::string text;
    std::vector<std::size_t> starts;
};

LineText line_text(const std::vector<std::string>& lines_with_ends) {
    LineText made;
    for (const std::string& line : lines_with_ends) {
        made.starts.push_back(made.text.size());
        made.text += line;
    }
    made.text.reserve(made.text.size() + 64);  // simdjson's padding, as TextSource::next leaves it
    return made;
}

/// What next_line() made of a text of @p lines lines, called as JsonlSource::parse_lines calls
/// it: once per line, each call from where the last said the next line starts, up to the first
/// that returns 0.
struct LineRunRead {
    bool started = false;
    std::vector<std::size_t> nexts;  ///< what each call returned
    std::vector<Value> values;       ///< the records of the calls that did not return 0
    std::vector<bool> dropped;       ///< per record: the test dropped it
    std::vector<bool> over_after;    ///< over() after each call
    bool over = false;               ///< over() after the last call

    /// True if the caller takes the run: every line gave an object and over() is true.
    [[nodiscard]] bool taken(std::size_t lines) const { return values.size() == lines && over; }
};

LineRunRead read_line_run(const std::string& text, std::size_t lines, const Names& names = {},
                          const flowpool::detail::EarlyTest* test = nullptr) {
    const flowpool::detail::FieldNames fields(names);
    JsonLineRun& run = JsonLineRun::mine();
    LineRunRead made;
    made.started = run.start(text);
    if (!made.started) return made;
    flowpool::detail::FieldsRead read{test};
    Value record;
    std::size_t begin = 0;
    for (std::size_t i = 0; i < lines; ++i) {
        read.refill = read.dropped;  // a dropped line's record is filled again, as parse_lines does
        if (!read.refill) record = Value();
        begin = run.next_line(begin, fields, record, read);
        made.nexts.push_back(begin);
        made.over_after.push_back(run.over());
        if (begin == 0) break;
        made.values.push_back(record);
        made.dropped.push_back(read.dropped);
    }
    made.over = run.over();
    return made;
}

/// A line's text without its line end, as a line cut one by one is read ("\r\n": both go).
std::string without_end(const std::string& line) {
    std::string text = line.substr(0, line.size() - 1);
    if (text.ends_with('\r')) text.pop_back();
    return text;
}

/// Checks that a run of @p lines (each with its end) is taken, each call returning where the
/// next line starts (the text's size after the last) and each record as the line read alone.
void expect_taken_as_alone(const std::vector<std::string>& lines, const Names& names = {}) {
    const LineText made = line_text(lines);
    const LineRunRead read = read_line_run(made.text, lines.size(), names);
    ASSERT_TRUE(read.started);
    ASSERT_TRUE(read.taken(lines.size())) << read.values.size() << " records, over " << read.over;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::size_t next = i + 1 < lines.size() ? made.starts[i + 1] : made.text.size();
        EXPECT_EQ(read.nexts[i], next) << "line " << i;
        // over() only once the last line was read.
        EXPECT_EQ(read.over_after[i], i + 1 == lines.size()) << "line " << i;
        const Alone alone = parse_alone(without_end(lines[i]), names);
        EXPECT_TRUE(alone.ok) << lines[i];
        EXPECT_EQ(read.values[i], alone.value) << "line " << i << ": " << lines[i];
    }
}

/// How far a run goes before the line it fails at.
enum class Before {
    read,     ///< every line before it is read
    or_stop,  ///< the run may stop earlier (a malformed line can mislead simdjson's first stage)
};

/// Good lines (with "\n"), then @p bad (with its end), then a good line: the run is not taken,
/// the call that returns 0 is the bad line's or (with Before::or_stop) an earlier one, and the
/// calls before it return where their next lines start. With @p bad first (unless @p not_first),
/// in the middle and last.
void expect_next_line_fails_at(const std::string& bad, const Names& names = {},
                               Before before_it = Before::read, bool not_first = false) {
    const std::vector<std::string> before = {R"({"a":1,"host":"x"})"
                                             "\n",
                                             R"({"b":[1,2],"a":"y"})"
                                             "\n"};
    const std::string after = R"({"a":3})"
                              "\n";
    for (std::size_t at = not_first ? 1 : 0; at <= 2; ++at) {
        std::vector<std::string> lines(before.begin(),
                                       before.begin() + static_cast<std::ptrdiff_t>(at));
        lines.push_back(bad);
        if (at != 1) lines.push_back(after);  // at 1 the bad line is last
        const LineText made = line_text(lines);
        const LineRunRead read = read_line_run(made.text, lines.size(), names);
        const std::string label = "bad line " + std::to_string(at) + ": " + bad;
        EXPECT_FALSE(read.taken(lines.size())) << label;
        if (!read.started) continue;  // simdjson refused the whole text: no run either
        ASSERT_FALSE(read.nexts.empty()) << label;
        EXPECT_EQ(read.nexts.back(), 0U) << label;
        if (before_it == Before::read) {
            EXPECT_EQ(read.nexts.size(), at + 1) << label;
        } else {
            EXPECT_LE(read.nexts.size(), at + 1) << label;
        }
        for (std::size_t i = 0; i + 1 < read.nexts.size(); ++i)
            EXPECT_EQ(read.nexts[i], made.starts[i + 1]) << label << ", line " << i;
    }
}

TEST(JsonLineRun, NextLineReadsAnObjectPerLineAndSaysWhereTheNextLineStarts) {
    const std::vector<std::string> lines = {
        R"({"host":"web-03","status":503,"user":{"id":7},"tags":["beta"]})"
        "\n",
        R"({"s":"}\n","status":-1,"x":[1,2.5,null,true,{"y":{}}]})"
        "\n",
        "{}\n",
        R"({"host":"\u00e9t\u00e9","status":1e3})"
        "\n",
    };
    expect_taken_as_alone(lines);
    expect_taken_as_alone(lines, {"status", "host"});
    expect_taken_as_alone(lines, {"tags"});
    expect_taken_as_alone({"{\"a\":1}\n"});
}

TEST(JsonLineRun, NextLineTakesCrLfLineEnds) {
    const std::vector<std::string> lines = {"{\"a\":1}\r\n", "{\"a\":2}\n", "{\"b\":[3]}\r\n",
                                            "{\"a\":\"4\"}\r\n"};
    expect_taken_as_alone(lines);
    expect_taken_as_alone(lines, {"a"});
}

TEST(JsonLineRun, NextLineFailsAtTwoObjectsOnALine) {
    for (const Names& names : {Names{}, Names{"a"}}) {
        expect_next_line_fails_at("{\"a\":1}{\"b\":2}\n", names);
        expect_next_line_fails_at("{\"a\":1} {\"b\":2}\n", names);
        expect_next_line_fails_at("{\"a\":1}\r{\"b\":2}\n", names);
        expect_next_line_fails_at("{\"a\":1}{\"b\":2}\r\n", names);
    }
}

TEST(JsonLineRun, NextLineFailsAtBlanksAfterAnObjectThatAnotherLineFollows) {
    for (const Names& names : {Names{}, Names{"a"}}) {
        for (const std::string bad :
             {"{\"a\":1}  \n", "{\"a\":1}\t\n", "{\"a\":1} \r\n", "{\"a\":1}\r\r\n"}) {
            const std::vector<std::string> lines = {"{\"a\":0}\n", bad, "{\"a\":2}\n"};
            const LineText made = line_text(lines);
            const LineRunRead read = read_line_run(made.text, lines.size(), names);
            ASSERT_TRUE(read.started) << bad;
            ASSERT_EQ(read.nexts.size(), 2U) << bad;
            EXPECT_EQ(read.nexts[0], made.starts[1]) << bad;
            EXPECT_EQ(read.nexts[1], 0U) << bad;
            EXPECT_FALSE(read.over) << bad;
        }
    }
}

// The last object of the text has no next value to check the gap against: blanks after it may
// be taken (they are, today), but then as a line read alone takes them (parse_json reads
// `{"a":1}  ` as {"a":1}).
TEST(JsonLineRun, NextLineReadsBlanksAfterTheLastObjectAsALineReadAloneDoes) {
    for (const Names& names : {Names{}, Names{"a"}}) {
        for (const std::string last : {"{\"a\":1}  \n", "{\"a\":1} \t\r\n", "{\"a\":1}\r\r\n"}) {
            const std::vector<std::string> lines = {"{\"a\":0}\n", last};
            const LineText made = line_text(lines);
            const LineRunRead read = read_line_run(made.text, lines.size(), names);
            ASSERT_TRUE(read.started) << last;
            ASSERT_FALSE(read.nexts.empty()) << last;
            EXPECT_EQ(read.nexts[0], made.starts[1]) << last;
            if (read.taken(lines.size())) {
                EXPECT_EQ(read.nexts[1], made.text.size()) << last;
                EXPECT_EQ(read.values[1], parse_alone(without_end(last), names).value) << last;
            }
        }
    }
}

// next_line() does not see a line end inside an object: an object over two lines is one object
// for two lines, the next call returning where the third line starts. What catches it is the
// caller's count: over() is true after fewer calls than lines, and the call for the last line
// returns 0.
TEST(JsonLineRun, AnObjectOverTwoLinesIsCaughtByCountingTheLines) {
    for (const Names& names : {Names{}, Names{"a"}}) {
        {
            const std::vector<std::string> lines = {"{\"a\":\n", "1}\n", "{\"a\":3}\n"};
            const LineText made = line_text(lines);
            const LineRunRead read = read_line_run(made.text, lines.size(), names);
            ASSERT_TRUE(read.started);
            EXPECT_FALSE(read.taken(lines.size()));
            ASSERT_EQ(read.nexts.size(), 3U);
            EXPECT_EQ(read.nexts[0], made.starts[2]) << "the first object ends on line 2";
            EXPECT_EQ(read.nexts[1], made.text.size());
            EXPECT_TRUE(read.over_after[1]) << "two objects, all read: over() alone says yes";
            EXPECT_EQ(read.nexts[2], 0U) << "no object for the third line";
            EXPECT_FALSE(read.over);
        }
        {
            // Last in the text, and each half of it read alone fails.
            const std::vector<std::string> lines = {"{\"a\":0}\n", "{\"a\":\n", "1}\r\n"};
            const LineText made = line_text(lines);
            const LineRunRead read = read_line_run(made.text, lines.size(), names);
            EXPECT_FALSE(read.taken(lines.size()));
            EXPECT_FALSE(parse_alone("{\"a\":", names).ok);
            EXPECT_FALSE(parse_alone("1}", names).ok);
        }
    }
}

TEST(JsonLineRun, NextLineFailsAtALineThatIsNoObject) {
    for (const Names& names : {Names{}, Names{"a"}}) {
        for (const std::string bad : {"[1,2]\n", "3\n", "null\n", "\"text\"\n", "[{\"a\":1}]\n"})
            expect_next_line_fails_at(bad, names);
    }
}

TEST(JsonLineRun, NextLineFailsAtAMalformedLine) {
    for (const Names& names : {Names{}, Names{"a"}}) {
        for (const std::string bad :
             {R"({"n":2,})", R"({"a":})", R"({"a":1)", R"({"a":1}})", R"({"a":1}])", R"({"a":1} x)",
              R"({"a":tru})", R"({"a":[1,2}})", R"(})", R"({"a":"b})", "{\"a\":\"\xC3(\"}",
              R"({"a":1e400})"}) {
            expect_next_line_fails_at(bad + "\n", names, Before::or_stop);
            expect_next_line_fails_at(bad + "\r\n", names, Before::or_stop);
        }
        expect_next_line_fails_at(std::string("{\"a\":\"x\0y\"}\n", 12), names, Before::or_stop);
        expect_next_line_fails_at("{\"a\":" + std::string(300, '[') + std::string(300, ']') + "}\n",
                                  names, Before::or_stop);
    }
    // A projection skips what it does not read; a skipped member whose brackets do not match can
    // close the object early, before the field asked for.
    expect_next_line_fails_at(R"({"x":{"y":1]},"a":1})"
                              "\n",
                              {"a"}, Before::or_stop);
}

// Blanks before a line's object, in the middle of a run or last: the gap after the object before
// is not just its line end, so the call for the line before returns 0. (A run never starts with
// blanks: scan_lines() sends such a batch to be cut line by line. On the first line they would
// pass, simdjson placing the first object at the text's start, and be read as alone.)
TEST(JsonLineRun, NextLineFailsAtALineThatStartsWithBlanks) {
    for (const Names& names : {Names{}, Names{"a"}}) {
        expect_next_line_fails_at("  {\"a\":1}\n", names, Before::or_stop, true);
        expect_next_line_fails_at("\t{\"a\":1}\r\n", names, Before::or_stop, true);
    }
}

// With a projection and the filter's condition tested first (EarlyTest), a line the condition
// drops is read only as far as the test needs, and the next call still starts on the next line;
// a dropped line with text after its object still fails the run.
TEST(JsonLineRun, NextLineGoesOnPastLinesTheEarlyTestDrops) {
    const Names names = {"status", "host"};
    flowpool::detail::EarlyTest test;
    test.set_reads(names, {1, 0});  // the condition reads status
    test.may_keep = [](const Value& value) {
        const flowpool::Record* record = value.record();
        const Value* status = record != nullptr ? record->find("status") : nullptr;
        const auto* number = status != nullptr ? std::get_if<std::int64_t>(status) : nullptr;
        return number != nullptr && *number >= 500;
    };
    const std::vector<std::string> lines = {
        R"({"host":"a","status":200,"x":[1]})"
        "\n",
        R"({"status":503,"host":"b"})"
        "\r\n",
        R"({"status":404,"host":"c","y":{"z":[]}})"
        "\n",
        R"({"status":404,"host":"d"})"
        "\n",
        R"({"host":"e","status":500})"
        "\n",
    };
    const LineText made = line_text(lines);
    const LineRunRead read = read_line_run(made.text, lines.size(), names, &test);
    ASSERT_TRUE(read.taken(lines.size()));
    EXPECT_EQ(read.dropped, (std::vector<bool>{true, false, true, true, false}));
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::size_t next = i + 1 < lines.size() ? made.starts[i + 1] : made.text.size();
        EXPECT_EQ(read.nexts[i], next) << "line " << i;
    }
    EXPECT_EQ(read.values[1], parse_alone(without_end(lines[1]), names).value);
    EXPECT_EQ(read.values[4], parse_alone(without_end(lines[4]), names).value);

    for (const std::string bad :
         {R"({"status":200,"host":"x"} x)", R"({"status":200}{"a":1})", R"({"status":200}  )"}) {
        const LineText with_bad = line_text({lines[0], bad + "\n", lines[1]});
        const LineRunRead failed = read_line_run(with_bad.text, 3, names, &test);
        EXPECT_FALSE(failed.taken(3)) << bad;
        ASSERT_EQ(failed.nexts.size(), 2U) << bad;
        EXPECT_EQ(failed.nexts[1], 0U) << bad;
    }
}

/// Lines to build random runs from, each without its end.
const std::vector<std::string> compact_objects = {
    R"({"a":1})",
    R"({"a":"x","b":[1,2,{"c":null}]})",
    "{}",
    R"({"b":{"a":{}}})",
    R"({"a":"}"})",
    R"({"a":"\n}","b":"\"}"})",
    R"({"a":-1.5e3,"b":true})",
    R"({"\u0061":2,"b":false})",
    "{\"a\":\"\xC3\xA9\xE2\x82\xAC\"}",
};
/// Lines that read alone give an object, but not as a run takes them; and one after a byte
/// order mark (as files joined with `cat` hold).
const std::vector<std::string> loose_objects = {"  {\"a\":1}", "{\"a\":1}  ", "{\"b\":2}\t", " {} ",
                                                "\xEF\xBB\xBF{\"a\":1}"};
/// Lines that read alone fail, or hold a value that is no object.
const std::vector<std::string> bad_lines = {
    R"({"a":1}{"b":2})",
    R"({"a":1} {"b":2})",
    R"({"a":1} x)",
    R"({"a":1}})",
    R"({"a":1}])",
    "[1,2]",
    "3",
    "null",
    R"("s")",
    R"({"a":)",
    "1}",
    R"({"n":2,})",
    R"({"x":{"y":1]},"a":1})",
    R"({"a":1)",
    "}",
    R"({"s":"x)",
    R"(y"})",
    "\"",
    R"({"a":"b})",
    "{",
    "]",
    R"({"a":1}{)",
    R"({"a":[1,2}})",
    "x",
    R"({"a":tru})",
    R"({"a":1}")",
    R"({"a":{)",
    R"("},{"b":1})",
    R"(1}{"a":1})",
};

// Random runs of good, loose and bad lines, against each line read alone: a run next_line()
// takes (a record per line, then over()) holds each line's record as the line read alone, and a
// run of compact objects alone is always taken.
TEST(JsonLineRun, NextLineTakesARunOnlyWhenEachLineReadAloneGivesTheSameObject) {
    std::mt19937 random(4242);
    std::size_t taken = 0;
    std::size_t refused = 0;
    for (int round = 0; round < 3000; ++round) {
        const Names names = round % 3 == 0 ? Names{"a", "b"} : Names{};
        const std::size_t count = 1 + random() % 8;
        const bool compact_only = round % 4 == 0;
        std::vector<std::string> lines;
        for (std::size_t i = 0; i < count; ++i) {
            const std::size_t pick = random() % 10;
            const std::vector<std::string>& pool =
                compact_only || pick < 6 ? compact_objects : (pick < 7 ? loose_objects : bad_lines);
            lines.push_back(pool[random() % pool.size()] + (random() % 4 == 0 ? "\r\n" : "\n"));
        }
        const LineText made = line_text(lines);
        const LineRunRead read = read_line_run(made.text, count, names);
        std::string label = "round " + std::to_string(round) + ":";
        for (const std::string& line : lines) label += " " + line;
        if (compact_only) {
            ASSERT_TRUE(read.taken(count)) << label;
        }
        if (!read.taken(count)) {
            ++refused;
            continue;
        }
        ++taken;
        for (std::size_t i = 0; i < count; ++i) {
            const Alone alone = parse_alone(without_end(lines[i]), names);
            ASSERT_TRUE(alone.ok) << label << " (line " << i << " fails alone)";
            ASSERT_EQ(read.values[i], alone.value) << label << " (line " << i << ")";
            ASSERT_EQ(read.nexts[i], i + 1 < count ? made.starts[i + 1] : made.text.size())
                << label << " (line " << i << ")";
        }
    }
    // Both outcomes came often enough for the comparison to mean something.
    EXPECT_GT(taken, 800U);
    EXPECT_GT(refused, 800U);
}

}  // namespace
