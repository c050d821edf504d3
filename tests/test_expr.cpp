// The expression language: what expressions evaluate to, the null rules, failures of one job, and
// that the common cases do not allocate. Bad expressions: test_expr_errors.cpp.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "data/json.hpp"
#include "expr/expression.hpp"

namespace {

// Counts this thread's heap allocations while `counting` is set.
thread_local bool counting = false;
thread_local std::size_t allocations = 0;

}  // namespace

// Every form that pairs with the operator delete below is replaced, so that what one allocates
// the other frees (AddressSanitizer checks the pairs).
void* operator new(std::size_t size) {
    if (counting) ++allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    if (counting) ++allocations;
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
    return operator new(size, tag);
}
// GCC 12 inlines these into a caller whose pointer came from `operator new`, which it does not
// see is the malloc() above, and warns that free() gets a pointer new made
// (-Wmismatched-new-delete): a false positive, silenced for these definitions only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace flowpool {
namespace {

using expr::EvalError;
using expr::Expression;

const char* const event_json =
    R"({"ts":"2026-12-01T20:13:51.250Z","host":"web-03","method":"GET",)"
    R"("path":"/api/v1/orders/7","status":503,"latency_ms":12.5,)"
    R"("user":{"id":7,"country":"DE"},"tags":["beta","eu"],"odd key":1,"none":null})";

Value parse(std::string_view json) {
    Value value;
    detail::JsonError error;
    if (!detail::parse_json(json, value, error)) throw std::runtime_error(error.reason);
    return value;
}

const Value& event() {
    static const Value value = parse(event_json);
    return value;
}

// The expression's value for job 42 over the event, as JSON.
std::string eval(std::string_view text, const Value& input = event()) {
    const Value result = Expression::compile(text).eval({input, 42});
    std::string json;
    detail::append_json_value(json, result);
    return json;
}

// The message of the job failure the expression gives.
std::string failure(std::string_view text, const Value& input = event()) {
    const Expression e = Expression::compile(text);
    try {
        static_cast<void>(e.eval({input, 42}));
    } catch (const EvalError& error) {
        return error.what();
    }
    return "(no failure)";
}

TEST(Expr, Paths) {
    EXPECT_EQ(eval(".status"), "503");
    EXPECT_EQ(eval(".user.country"), "\"DE\"");
    EXPECT_EQ(eval(".tags[0]"), "\"beta\"");
    EXPECT_EQ(eval(".tags[-1]"), "\"eu\"");
    EXPECT_EQ(eval(".tags[5]"), "null");
    EXPECT_EQ(eval(R"(.["odd key"])"), "1");
    // The same fields as jq (and VRL) also write them: a quoted name after the dot, a dot
    // before the brackets.
    EXPECT_EQ(eval(R"(."odd key")"), "1");
    EXPECT_EQ(eval(R"(."odd key" + 1)"), "2");
    EXPECT_EQ(eval(R"(.user."country")"), "\"DE\"");
    EXPECT_EQ(eval(".user.'country'"), "\"DE\"");
    EXPECT_EQ(eval(R"(.user.["id"])"), "7");
    EXPECT_EQ(eval(".tags.[1]"), "\"eu\"");
    EXPECT_TRUE(Expression::compile(R"(.user."country")").is_path());
    EXPECT_EQ(eval(".user[\"id\"]"), "7");
    EXPECT_EQ(eval(".tags[.user.id - 6]"), "\"eu\"");
    EXPECT_EQ(eval(".missing"), "null");
    EXPECT_EQ(eval(".missing.deeper[3]"), "null");
    EXPECT_TRUE(Expression::compile(".").eval({event(), 1}) == event());
    EXPECT_EQ(eval("split(.path, \"/\")[3]"), "\"orders\"");
    EXPECT_EQ(eval("(.user).country"), "\"DE\"");
    EXPECT_TRUE(Expression::compile(".user.country").is_path());
    EXPECT_FALSE(Expression::compile("lower(.host)").is_path());
}

TEST(Expr, Arithmetic) {
    EXPECT_EQ(eval("1 + 2 * 3"), "7");
    EXPECT_EQ(eval("(1 + 2) * 3"), "9");
    EXPECT_EQ(eval("7 / 2"), "3.5");
    EXPECT_EQ(eval("7 % 3"), "1");
    EXPECT_EQ(eval("-7 % 3"), "-1");
    EXPECT_EQ(eval("7.5 % 2"), "1.5");
    EXPECT_EQ(eval(".latency_ms * 2"), "25.0");
    EXPECT_EQ(eval(".status - 3"), "500");
    EXPECT_EQ(eval("-.status"), "-503");
    EXPECT_EQ(eval("--3"), "3");
    EXPECT_EQ(eval("-9223372036854775807 - 1"), "-9223372036854775808");
    // The smallest integer as a literal, whose digits alone are one past the largest.
    EXPECT_EQ(eval("-9223372036854775808"), "-9223372036854775808");
    EXPECT_EQ(eval("-9223372036854775808 < -9223372036854775807"), "true");
    EXPECT_EQ(failure("--9223372036854775808"), "'--9223372036854775808': integer overflow");
    EXPECT_EQ(failure("-9223372036854775808 * -1"),
              "'-9223372036854775808 * -1': integer overflow");
    EXPECT_EQ(eval("\"a\" + \"b\""), "\"ab\"");
    EXPECT_EQ(eval("[1] + [2, 3]"), "[1,2,3]");
    EXPECT_EQ(eval(".none + 1"), "null");
    EXPECT_EQ(eval("1e3"), "1000.0");
    EXPECT_EQ(failure("1e308 * 10"), "'1e308 * 10': float overflow");
    EXPECT_EQ(failure("-1e308 - 1e308"), "'-1e308 - 1e308': float overflow");
    EXPECT_EQ(failure("1e308 / 0.1"), "'1e308 / 0.1': float overflow");
    EXPECT_EQ(eval("1e308 + 1"), "1e+308");
    EXPECT_EQ(eval(R"("\ud83d\ude00!")"), "\"\xf0\x9f\x98\x80!\"");  // a pair: U+1F600
    EXPECT_EQ(eval(R"(len("\ud83d\ude00"))"), "1");
}

TEST(Expr, Comparisons) {
    EXPECT_EQ(eval(".status >= 500"), "true");
    EXPECT_EQ(eval(".status < 500"), "false");
    EXPECT_EQ(eval("1 == 1.0"), "true");
    EXPECT_EQ(eval(".host == \"web-03\""), "true");
    EXPECT_EQ(eval(".host != 'web-03'"), "false");
    EXPECT_EQ(eval("\"abc\" < \"abd\""), "true");
    EXPECT_EQ(eval(".missing == null"), "true");
    EXPECT_EQ(eval(".missing > 3"), "null");
    EXPECT_EQ(eval(".user == .user"), "true");
    EXPECT_EQ(eval("[1, 2] == [1, 2]"), "true");
    // An integer and a float compare exactly, not as two doubles.
    EXPECT_EQ(eval("9007199254740993 == 9007199254740992.0"), "false");
    EXPECT_EQ(eval("9007199254740992 == 9007199254740992.0"), "true");
    EXPECT_EQ(eval("0 == -0.0"), "true");
    EXPECT_EQ(eval("9007199254740993 <= 9007199254740992.0"), "false");
    EXPECT_EQ(eval("9007199254740993 > 9007199254740992.0"), "true");
    EXPECT_EQ(eval("1 != 1.5"), "true");
    EXPECT_EQ(eval("9223372036854775807 == 9223372036854775808.0"), "false");
    // Equal values hash alike, so that keys group and dedupe as `==` says.
    EXPECT_EQ(eval("hash(1) == hash(1.0)"), "true");
    EXPECT_EQ(eval("hash(0) == hash(-0.0)"), "true");
    EXPECT_EQ(eval("hash([1, 2]) == hash([1.0, 2.0])"), "true");
    EXPECT_EQ(eval("[1, [2]] == [1.0, [2.0]]"), "true");
    EXPECT_EQ(eval("[1, 2] == [1, 2.5]"), "false");
    EXPECT_EQ(eval(".user == parse_json('{\"id\": 7.0, \"country\": \"DE\"}')"), "true");
    EXPECT_EQ(eval("hash(1) == hash(1.5)"), "false");
}

TEST(Expr, Logic) {
    EXPECT_EQ(eval(".status >= 500 and .method == \"GET\""), "true");
    EXPECT_EQ(eval(".status < 500 or .user.country == \"DE\""), "true");
    EXPECT_EQ(eval("not .status < 500"), "true");
    EXPECT_EQ(eval("not .missing"), "true");
    EXPECT_EQ(eval(".missing and 1 / 0 == 1"), "false");  // short circuit: 1 / 0 never runs
    EXPECT_EQ(eval("true or 1 / 0 == 1"), "true");
    EXPECT_EQ(eval("if(.status >= 500, \"error\", \"ok\")"), "\"error\"");
    EXPECT_EQ(eval("if(.missing, 1 / 0, 2)"), "2");
}

TEST(Expr, InDefaultAndMatch) {
    EXPECT_EQ(eval("\"beta\" in .tags"), "true");
    EXPECT_EQ(eval("\"gamma\" in .tags"), "false");
    EXPECT_EQ(eval("503 in [500, 503.0]"), "true");
    EXPECT_EQ(eval("\"country\" in .user"), "true");
    EXPECT_EQ(eval("\"orders\" in .path"), "true");
    EXPECT_EQ(eval("1 in .missing"), "false");
    EXPECT_EQ(eval(".user.city ?? \"unknown\""), "\"unknown\"");
    EXPECT_EQ(eval(".user.country ?? \"unknown\""), "\"DE\"");
    EXPECT_EQ(eval(".none ?? .missing ?? 3"), "3");
    EXPECT_EQ(eval(".latency_ms ?? 0 > 10"), "true");  // ?? binds tighter than comparisons
    EXPECT_EQ(eval(".path =~ \"^/api/v[0-9]+/\""), "true");
    EXPECT_EQ(eval(".host =~ 'db'"), "false");
    EXPECT_EQ(eval(".missing =~ 'x'"), "null");
}

TEST(Expr, TextFunctions) {
    EXPECT_EQ(eval("len(.host)"), "6");
    EXPECT_EQ(eval("len(\"héllo\")"), "5");
    EXPECT_EQ(eval("len(.tags)"), "2");
    EXPECT_EQ(eval("len(.user)"), "2");
    EXPECT_EQ(eval("upper(.host)"), "\"WEB-03\"");
    EXPECT_EQ(eval("lower('ÀB')"), "\"Àb\"");
    EXPECT_EQ(eval("trim('  a b\\t')"), "\"a b\"");
    EXPECT_EQ(eval("contains(.path, 'orders')"), "true");
    EXPECT_EQ(eval("starts_with(.path, '/api')"), "true");
    EXPECT_EQ(eval("ends_with(.path, '/8')"), "false");
    EXPECT_EQ(eval("split('a,,b', ',')"), "[\"a\",\"\",\"b\"]");
    EXPECT_EQ(eval("join(.tags, '+')"), "\"beta+eu\"");
    EXPECT_EQ(eval("join([1, 'x', null], '-')"), "\"1-x-null\"");
    EXPECT_EQ(eval("replace('a.b.c', '.', '::')"), "\"a::b::c\"");
    EXPECT_EQ(eval("substr('héllo', 1, 3)"), "\"éll\"");
    EXPECT_EQ(eval("substr('héllo', -2)"), "\"lo\"");
    EXPECT_EQ(eval("substr('abc', 5)"), "\"\"");
    EXPECT_EQ(eval("str(.user)"), "\"{\\\"id\\\":7,\\\"country\\\":\\\"DE\\\"}\"");
    EXPECT_EQ(eval("str(null)"), "\"null\"");
    EXPECT_EQ(eval("str(1.5)"), "\"1.5\"");
    EXPECT_EQ(eval("lower(.missing)"), "null");
}

TEST(Expr, NumberFunctions) {
    EXPECT_EQ(eval("int(12.9)"), "12");
    EXPECT_EQ(eval("int(-12.9)"), "-12");
    EXPECT_EQ(eval("int('42')"), "42");
    EXPECT_EQ(eval("int(true)"), "1");
    EXPECT_EQ(eval("float('1.5')"), "1.5");
    EXPECT_EQ(eval("float(2)"), "2.0");
    EXPECT_EQ(eval("float('-2e3')"), "-2000.0");
    for (const char* text : {"0x10", " 1", "inf", "nan", "1e400", "", "1.5 "}) {
        EXPECT_EQ(failure("float('" + std::string(text) + "')"),
                  "'float('" + std::string(text) + "')': '" + text + "' is not a number");
    }
    EXPECT_EQ(eval("round(2.5)"), "3");
    EXPECT_EQ(eval("round(-2.5)"), "-3");
    EXPECT_EQ(eval("round(3.14159, 2)"), "3.14");
    EXPECT_EQ(eval("floor(-1.5)"), "-2");
    EXPECT_EQ(eval("ceil(1.2)"), "2");
    EXPECT_EQ(eval("abs(-4)"), "4");
    EXPECT_EQ(eval("abs(-4.5)"), "4.5");
    EXPECT_EQ(eval("min(3, 1.5, 2)"), "1.5");
    EXPECT_EQ(eval("max(3, null, 7)"), "7");
    EXPECT_EQ(eval("max([4, 9, 2])"), "9");
    EXPECT_EQ(eval("min('b', 'a')"), "\"a\"");
    EXPECT_EQ(eval("max(null)"), "null");
}

TEST(Expr, OtherFunctions) {
    EXPECT_EQ(eval("id()"), "42");
    EXPECT_EQ(eval("type(.user)"), "\"record\"");
    EXPECT_EQ(eval("type(.missing)"), "\"null\"");
    EXPECT_EQ(eval("keys(.user)"), "[\"id\",\"country\"]");
    EXPECT_EQ(eval("values(.user)"), "[7,\"DE\"]");
    EXPECT_EQ(eval("coalesce(.missing, .none, 'x')"), "\"x\"");
    EXPECT_EQ(eval("to_json(.tags)"), "\"[\\\"beta\\\",\\\"eu\\\"]\"");
    EXPECT_EQ(eval("parse_json('{\"a\": [1, 2]}').a[1]"), "2");
    EXPECT_EQ(eval("hash(.host) == hash('web-03')"), "true");
    EXPECT_EQ(eval("hash(.host) >= 0"), "true");
    EXPECT_EQ(eval("hash(1) != hash(2)"), "true");
    EXPECT_EQ(eval("parse_time(.ts)"), "1796156031.25");
    EXPECT_EQ(eval("parse_time('2026-12-01T21:13:51+01:00')"), "1796156031.0");
    EXPECT_EQ(eval("parse_time('2026-12-01T20:13:51.25z')"), "1796156031.25");
    EXPECT_EQ(eval("parse_time('2016-12-31T23:59:60Z') == parse_time('2017-01-01T00:00:00Z')"),
              "true");  // a leap second, as timegm() counts it
    EXPECT_EQ(eval("parse_time('2028-02-29T00:00:00Z') - parse_time('2028-02-28T00:00:00Z')"),
              "86400.0");
    EXPECT_EQ(eval("parse_time('01/12/2026 20:13', '%d/%m/%Y %H:%M')"), "1796155980.0");
    // A format without the day reads the 1st, as Python's strptime does (it read the day before).
    EXPECT_EQ(eval("parse_time('2026-03', '%Y-%m')"), "1772323200.0");
    EXPECT_EQ(eval("parse_time('2026', '%Y')"), "1767225600.0");
    EXPECT_EQ(eval("parse_time('10:30', '%H:%M')"), "-2208951000.0");  // 1900-01-01
    EXPECT_EQ(eval("parse_time('2026 045', '%Y %j')"), "1771027200.0");
    EXPECT_EQ(eval("format_time(1796156031.25)"), "\"2026-12-01T20:13:51Z\"");
    EXPECT_EQ(eval("format_time(parse_time(.ts), '%Y-%m-%d %H')"), "\"2026-12-01 20\"");
    EXPECT_EQ(eval("now() > 1796156031"), "true");
}

TEST(Expr, JobFailuresNameTheSubExpression) {
    EXPECT_EQ(failure(".status + .host"), "'.status + .host': cannot add an integer and a string");
    EXPECT_EQ(failure(".status > .host"),
              "'.status > .host': cannot compare an integer with a string");
    EXPECT_EQ(failure("1 + (.status / (.user.id - 7))"),
              "'(.status / (.user.id - 7))': division by zero");
    EXPECT_EQ(failure("lower(.status)"),
              "'lower(.status)': the argument must be a string, not an integer");
    EXPECT_EQ(failure(".host.name"), "'.host.name': cannot take field 'name' of a string");
    EXPECT_EQ(failure(".host[0]"), "'.host[0]': cannot index a string with [0]");
    EXPECT_EQ(failure(".status and true"), "'.status': expected a bool, got an integer");
    EXPECT_EQ(failure("int(.host)"), "'int(.host)': 'web-03' is not an integer");
    EXPECT_EQ(failure("int('9223372036854775808')"),
              "'int('9223372036854775808')': '9223372036854775808' is out of the integer range");
    EXPECT_EQ(failure("9223372036854775807 + .user.id"),
              "'9223372036854775807 + .user.id': integer overflow");
    EXPECT_EQ(failure(".status =~ 'x'"), "'.status =~ 'x'': '=~' matches a string, not an integer");
    EXPECT_EQ(failure("parse_time('2026-02-30T00:00:00Z')"),
              "'parse_time('2026-02-30T00:00:00Z')': '2026-02-30T00:00:00Z' has no such day: "
              "month 2 of 2026 has no day 30");
    EXPECT_EQ(failure("parse_time('31/04/2026', '%d/%m/%Y')"),
              "'parse_time('31/04/2026', '%d/%m/%Y')': '31/04/2026' has no such day: month 4 of "
              "2026 has no day 31");
    // Without a format, the message names the form README.md documents, not strptime's part.
    EXPECT_EQ(failure("parse_time(.host)"),
              "'parse_time(.host)': 'web-03' is not an ISO 8601 time such as "
              "2026-12-01T20:13:51.250+01:00 (fraction and zone optional)");
    EXPECT_EQ(failure("parse_time('1 2')"),
              "'parse_time('1 2')': '1 2' is not an ISO 8601 time such as "
              "2026-12-01T20:13:51.250+01:00 (fraction and zone optional)");
    // A zone offset is hours 00-23 and minutes 00-59: +01:99 was read as +02:39.
    for (const char* zone : {"+01:99", "+99", "-24:00", "+0160"}) {
        const std::string time = std::string("2026-12-01T20:13:51") + zone;
        EXPECT_EQ(failure("parse_time('" + time + "')"),
                  "'parse_time('" + time + "')': '" + time +
                      "' has a zone offset out of range (hours 00 to 23, minutes 00 to 59)");
    }
    EXPECT_EQ(eval("parse_time('2026-12-01T20:13:51-23:59') - parse_time('2026-12-01T20:13:51Z')"),
              "86340.0");
    EXPECT_EQ(failure("parse_time(.host, '%d/%m/%Y')"),
              "'parse_time(.host, '%d/%m/%Y')': 'web-03' does not match the format '%d/%m/%Y'");
    EXPECT_EQ(failure("parse_json(.host)").substr(0, 31), "'parse_json(.host)': not JSON: ");
    EXPECT_EQ(failure("parse_json('1 2')"),
              "'parse_json('1 2')': not JSON: text after the JSON value at byte 3");
    EXPECT_EQ(failure("1 in .status"),
              "'1 in .status': 'in' looks for an integer in an integer: only in a list");
}

TEST(Expr, TestTreatsNullAsFalse) {
    const Expression missing = Expression::compile(".missing > 3");
    EXPECT_FALSE(missing.test({event(), 1}));
    EXPECT_TRUE(Expression::compile(".status >= 500").test({event(), 1}));
    EXPECT_THROW(static_cast<void>(Expression::compile(".status").test({event(), 1})), EvalError);
}

// test() takes a shorter way than eval() through comparisons and logic: it says what eval()'s
// value says (true; false or null), and fails as eval() fails, for every pair of operand types.
TEST(Expr, TestSaysWhatEvalSays) {
    Record fields;
    fields.append("i", std::int64_t{500});
    fields.append("f", 12.5);
    fields.append("nan", std::numeric_limits<double>::quiet_NaN());  // an application's value
    fields.append("s", std::string("web-03"));
    fields.append("l", List{Value(std::int64_t{1})});
    Record inner;
    inner.append("i", std::int64_t{499});
    fields.append("r", std::move(inner));
    const Value value(std::move(fields));
    // Paths of several steps too: a field of a field, an index, a field of a string (fails).
    const std::vector<std::string> operands = {
        ".i",  ".f",  ".nan", ".s",    ".l",   ".missing", ".r.i", ".l[0]", ".s.x",
        "500", "499", "12.5", "500.0", "-0.0", "'web-03'", "null", "true"};
    std::vector<std::string> texts;
    for (const char* op : {"==", "!=", "<", "<=", ">", ">="}) {
        for (const std::string& a : operands) {
            for (const std::string& b : operands) texts.push_back(a + " " + op + " " + b);
        }
    }
    for (const char* logic : {"not (.nan <= .nan)", ".i > 1 and .f < 13", ".missing or .i == 500.0",
                              "not .missing", ".s > 1 or true", "if(.i > 1, .f, null) > 12"}) {
        texts.emplace_back(logic);
    }
    std::size_t trues = 0;
    std::size_t failures = 0;
    for (const std::string& text : texts) {
        SCOPED_TRACE(text);
        std::optional<Expression> compiled;
        try {
            compiled = Expression::compile(text);
        } catch (const expr::ParseError&) {
            continue;  // a type known to be wrong (`true < 500`): refused before any job
        }
        const Expression& e = *compiled;
        std::string eval_failure;
        Value result;
        try {
            result = e.eval({value, 1});
        } catch (const EvalError& error) {
            eval_failure = error.what();
        }
        if (!eval_failure.empty()) {
            ++failures;
            try {
                static_cast<void>(e.test({value, 1}));
                ADD_FAILURE() << "test() did not fail; eval() failed with " << eval_failure;
            } catch (const EvalError& error) {
                EXPECT_EQ(error.what(), eval_failure);
            }
            continue;
        }
        ASSERT_TRUE(result.is_null() || std::holds_alternative<bool>(result));
        const bool expected = !result.is_null() && std::get<bool>(result);
        trues += expected ? 1 : 0;
        EXPECT_EQ(e.test({value, 1}), expected);
    }
    // Both answers and failures were among them.
    EXPECT_GT(trues, 50U);
    EXPECT_GT(failures, 50U);
    EXPECT_LT(trues + failures, texts.size());
}

// integer_outcomes(), which the jsonl source uses to test a `where` in line, says what test()
// says of a field below, equal to and above the integer; other shapes have none.
TEST(Expr, IntegerOutcomesSayWhatTestSays) {
    for (const char* op : {"==", "!=", "<", "<=", ">", ">="}) {
        const std::string text = std::string(".i ") + op + " 500";
        SCOPED_TRACE(text);
        const Expression e = Expression::compile(text);
        const auto outcomes = e.integer_outcomes();
        ASSERT_TRUE(outcomes.has_value());
        EXPECT_EQ(outcomes->number, 500);
        const auto test_with = [&e](std::int64_t i) {
            Record fields;
            fields.append("i", i);
            return e.test({Value(std::move(fields)), 1});
        };
        EXPECT_EQ(outcomes->below, test_with(499));
        EXPECT_EQ(outcomes->below, test_with(std::numeric_limits<std::int64_t>::min()));
        EXPECT_EQ(outcomes->equal, test_with(500));
        EXPECT_EQ(outcomes->above, test_with(501));
        EXPECT_EQ(outcomes->above, test_with(std::numeric_limits<std::int64_t>::max()));
    }
    for (const char* other : {".i >= 500.0", ".i + 1 > 3", ".i.j > 3", ".i >= 500 and .j", ".s"})
        EXPECT_FALSE(Expression::compile(other).integer_outcomes().has_value()) << other;
}

// Evaluates @p text once to warm up, then counts the allocations of a second evaluation.
std::size_t allocations_of(std::string_view text) {
    const Expression e = Expression::compile(text);
    Value scratch;
    static_cast<void>(e.eval_ref({event(), 1}, scratch));
    allocations = 0;
    counting = true;
    Value again;
    static_cast<void>(e.eval_ref({event(), 1}, again));
    counting = false;
    return allocations;
}

TEST(Expr, CommonCasesDoNotAllocate) {
    EXPECT_EQ(allocations_of(".status >= 500"), 0U);
    EXPECT_EQ(allocations_of(".user.country == \"DE\""), 0U);
    EXPECT_EQ(allocations_of(".host != 'web-01' and .latency_ms < 100.5"), 0U);
    EXPECT_EQ(allocations_of("\"beta\" in .tags"), 0U);
    EXPECT_EQ(allocations_of(".user.city ?? 0"), 0U);
    EXPECT_EQ(allocations_of(".tags[0] == 'beta'"), 0U);
    EXPECT_EQ(allocations_of("len(.host) > 3"), 0U);
    EXPECT_EQ(allocations_of(".path =~ '^/api'"), 0U);
    EXPECT_EQ(allocations_of(".status % 100 + 1"), 0U);
    // and the counter counts: building a string allocates
    EXPECT_GT(allocations_of("upper(.path) + 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'"), 0U);
}

TEST(Expr, ReadmeListsEveryFunction) {
    std::ifstream file(std::string(FLOWPOOL_SOURCE_DIR) + "/README.md");
    std::stringstream readme;
    readme << file.rdbuf();
    const auto docs = expr::function_docs();
    EXPECT_GE(docs.size(), 25U);
    for (const expr::FunctionDoc& doc : docs) {
        const std::string line =
            "- `" + std::string(doc.signature) + "`: " + std::string(doc.description);
        EXPECT_NE(readme.str().find(line), std::string::npos) << "README.md lacks: " << line;
    }
}

}  // namespace
}  // namespace flowpool
