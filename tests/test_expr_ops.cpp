// The ops written in expressions that pass each job on alone (where, map, route, explode) at 1,
// 2, 4 and 8 workers, run in process on events the fixture makes, with a sink that keeps what it
// gets. Every expectation is computed here from the events by plain loops, never taken from
// flowpool's output; and every run's accounting is checked: jobs made by sources and nodes = jobs
// with a known end.

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "expr_ops_fixture.hpp"

namespace {

using namespace flowpool::test;  // NOLINT(google-build-using-namespace): the fixture

TEST_P(ExprOps, WhereKeepsWhatItsConditionHoldsFor) {
    const auto result =
        run("  events: { kind: source, op: jsonl, path: '{IN}' }\n"
            "  errors: { kind: filter, op: where, concurrency: {W},\n"
            "            expr: \".status >= 500 and .host != 'web-0'\" }\n"
            "  out: { kind: sink, op: collect }\n",
            "  - events -> errors -> out\n");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    std::set<std::uint64_t> expected;
    for (std::size_t i = 0; i < events_.size(); ++i) {
        if (events_[i].status >= 500 && events_[i].host != "web-0") expected.insert(i);
    }
    std::set<std::uint64_t> got;
    for (const auto& [id, value] : out_->jobs) got.insert(id);
    EXPECT_EQ(got, expected);
    EXPECT_EQ(result.stats.filtered, events_.size() - expected.size());
}

// `where` hands the records it drops back to the batch for the source to fill again with later
// lines (WhereStage): a line of another shape must still come out whole, with nothing left over
// from the record its storage held before.
TEST_P(ExprOps, WhereKeepsWholeRecordsWhileTheOnesItDropsAreRefilled) {
    const std::string path = (dir_ / "shapes.jsonl").string();
    std::vector<Value> expected_values;  // by id
    {
        std::ofstream out(path);
        std::mt19937_64 random(7);
        for (std::int64_t i = 0; i < 20000; ++i) {
            Record r;
            switch (random() % 3) {
                case 0:
                    out << R"({"n":)" << i << R"(,"host":"web-)" << i % 7 << R"("})" << '\n';
                    r.append("n", i);
                    r.append("host", "web-" + std::to_string(i % 7));
                    break;
                case 1:
                    out << R"({"tags":["a","b"],"n":)" << i << R"(,"user":{"id":)" << i % 5
                        << R"(,"country":"DE"}})" << '\n';
                    r.append("tags", flowpool::List{Value("a"), Value("b")});
                    r.append("n", i);
                    {
                        Record user;
                        user.append("id", i % 5);
                        user.append("country", "DE");
                        r.append("user", std::move(user));
                    }
                    break;
                default:
                    out << R"({"n":)" << i << "}\n";
                    r.append("n", i);
                    break;
            }
            expected_values.emplace_back(std::move(r));
        }
    }
    const auto result = run_where(path, ".n % 10 == 3", "collect");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    EXPECT_EQ(result.stats.filtered, 18000U);
    ASSERT_EQ(out_->jobs.size(), 2000U);
    for (const auto& [id, value] : out_->jobs) {
        ASSERT_LT(id, expected_values.size());
        EXPECT_EQ(id % 10, 3U);
        EXPECT_TRUE(value == expected_values[id]) << "job " << id;
    }
}

// The same with a projection: the source reads only latency_ms (a name over eight bytes), n
// and host, which the nodes after it read; lines that lack some of them shrink the record a
// dropped line's storage held, and the next line of another shape fills it again.
TEST_P(ExprOps, WhereRefillsProjectedRecordsOfEveryShape) {
    const std::string path = (dir_ / "projected.jsonl").string();
    std::vector<std::map<std::string, Value>> expected;  // by id: the fields read
    {
        std::ofstream out(path);
        std::mt19937_64 random(11);
        for (std::int64_t i = 0; i < 20000; ++i) {
            std::map<std::string, Value> fields{{"n", i}};
            switch (random() % 3) {
                case 0:
                    out << R"({"n":)" << i << R"(,"host":"web-)" << i % 7 << R"(","latency_ms":)"
                        << i % 100 << "}\n";
                    fields["host"] = "web-" + std::to_string(i % 7);
                    fields["latency_ms"] = i % 100;
                    break;
                case 1:
                    out << R"({"latency_ms":1.5,"tags":["a"],"n":)" << i << R"(,"user":{"id":2}})"
                        << '\n';
                    fields["latency_ms"] = 1.5;
                    break;
                default:
                    out << R"({"n":)" << i << "}\n";
                    break;
            }
            expected.push_back(std::move(fields));
        }
    }
    const auto result = run_where(path, "(.latency_ms ?? 0) >= 0 and .n % 10 == 3", "collect_host");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    ASSERT_EQ(out_->jobs.size(), 2000U);
    for (const auto& [id, value] : out_->jobs) {
        ASSERT_LT(id, expected.size());
        const Record& got = std::get<Record>(value);
        EXPECT_EQ(got.size(), expected[id].size()) << "job " << id;
        for (const auto& [name, want] : expected[id]) {
            const Value* have = got.find(name);
            ASSERT_NE(have, nullptr) << "job " << id << " lacks " << name;
            EXPECT_TRUE(*have == want) << "job " << id << " field " << name;
        }
    }
}

TEST_P(ExprOps, AFailingExpressionFailsItsJobNamingNodeIdAndSubExpression) {
    // .user.id - 7 is zero for the users numbered 7: those jobs fail, skipped.
    const auto result =
        run("  events: { kind: source, op: jsonl, path: '{IN}' }\n"
            "  ratio: { kind: filter, op: where, concurrency: {W}, on_error: skip,\n"
            "           expr: \"100 / (.user.id - 7) > 0\" }\n"
            "  out: { kind: sink, op: collect }\n",
            "  - events -> ratio -> out\n");
    std::size_t zero = 0, kept = 0;
    for (const Event& e : events_) {
        zero += e.user == 7;
        kept += e.user > 7;
    }
    EXPECT_EQ(result.stats.skipped, zero);
    EXPECT_EQ(out_->jobs.size(), kept);

    const auto failed = run(
        "  events: { kind: source, op: jsonl, path: '{IN}' }\n"
        "  ratio: { kind: filter, op: where, concurrency: {W}, expr: \".status + .host == 1\" }\n"
        "  out: { kind: sink, op: collect }\n",
        "  - events -> ratio -> out\n");
    ASSERT_TRUE(failed.error);
    EXPECT_EQ(failed.error->node(), "ratio");
    EXPECT_EQ(failed.error->reason(), "'.status + .host': cannot add an integer and a string");
}

TEST_P(ExprOps, MapSetsRemovesAndKeeps) {
    const auto result = run(
        "  events: { kind: source, op: jsonl, path: '{IN}' }\n"
        "  shape: { kind: function, op: map, concurrency: {W},\n"
        "           set: { slow: '.latency_ms > 5000', user: '.user.id', host: 'upper(.host)' },\n"
        "           remove: [t] }\n"
        "  pick: { kind: function, op: map, concurrency: {W}, keep: [user, slow, host] }\n"
        "  out: { kind: sink, op: collect }\n",
        "  - events -> shape -> pick -> out\n");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    ASSERT_EQ(out_->jobs.size(), events_.size());
    for (const auto& [id, value] : out_->jobs) {
        const Event& e = events_[id];
        std::string host = e.host;
        std::transform(host.begin(), host.end(), host.begin(), ::toupper);
        Record expected;
        expected.append("host", host);  // set in place: a field keeps its place
        expected.append("user", e.user);
        expected.append("slow", e.latency > 5000);
        EXPECT_EQ(std::get<Record>(value), expected) << "job " << id;
    }
}

TEST_P(ExprOps, ExplodeMakesAJobPerPieceAndTheAccountsStayExact) {
    std::ofstream(input_) << "a b  c\n\nb c\nc\n";  // 6 words; the empty line makes no pieces
    const auto result =
        run("  text: { kind: source, op: lines, path: '{IN}' }\n"
            "  words: { kind: function, op: explode, split: ' ', concurrency: {W} }\n"
            "  out: { kind: sink, op: collect }\n",
            "  - text -> words -> out\n");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    std::map<std::uint64_t, std::string> got;
    for (const auto& [id, value] : out_->jobs) got[id] = std::get<std::string>(value);
    const std::uint64_t line = std::uint64_t{1} << 20;  // piece i of line j: j * 2^20 + i
    EXPECT_EQ(
        got,
        (std::map<std::uint64_t, std::string>{
            {0, "a"}, {1, "b"}, {2, "c"}, {2 * line, "b"}, {2 * line + 1, "c"}, {3 * line, "c"}}));
    // jobs in + made = results out + merged: 4 + 6 = 6 + 4
    EXPECT_EQ(result.stats.jobs_in, 4U);
    EXPECT_EQ(result.stats.made, 6U);
    EXPECT_EQ(result.stats.merged, 4U);
    EXPECT_EQ(result.stats.results_out, 6U);
}

TEST_P(ExprOps, ExplodeFailsAJobWhoseIdLeavesNoBitsForItsPieces) {
    // Three explodes in a row number line j's piece (j << 60): from line 16 on that wraps past
    // 2^64 and would repeat line 0's ids. Such a job fails (skipped here); the others go on.
    std::string lines;
    for (int i = 0; i < 17; ++i) lines += "x\n";
    std::ofstream(input_) << lines;
    const auto result =
        run("  text: { kind: source, op: lines, path: '{IN}' }\n"
            "  one: { kind: function, op: explode, split: ' ', concurrency: {W} }\n"
            "  two: { kind: function, op: explode, split: ' ', concurrency: {W} }\n"
            "  three: { kind: function, op: explode, split: ' ', concurrency: {W},"
            " on_error: skip }\n"
            "  out: { kind: sink, op: collect }\n",
            "  - text -> one -> two -> three -> out\n");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    std::set<std::uint64_t> ids;
    for (const auto& [id, value] : out_->jobs) ids.insert(id);
    std::set<std::uint64_t> expected;
    for (std::uint64_t line = 0; line < 16; ++line) expected.insert(line << 60);
    EXPECT_EQ(ids, expected);
    EXPECT_EQ(out_->jobs.size(), 16U) << "no id twice";
    EXPECT_EQ(result.stats.skipped, 1U);  // line 16, at `three`
}

TEST_P(ExprOps, RouteSendsEachJobToTheFirstCaseThatHolds) {
    const auto result =
        run("  events: { kind: source, op: jsonl, path: '{IN}' }\n"
            "  split: { kind: function, op: route, concurrency: {W},\n"
            "           cases: [ { when: '.status >= 500', to: errors },\n"
            "                    { when: '.status >= 400 or .status == 302', to: other } ] }\n"
            "  errors: { kind: function, op: map, set: { to: \"'errors'\" } }\n"
            "  other: { kind: function, op: map, set: { to: \"'other'\" } }\n"
            "  out: { kind: sink, op: collect }\n",
            "  - events -> split\n  - split -> errors -> out\n  - split -> other -> out\n");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    std::map<std::uint64_t, std::string> expected;
    for (std::size_t i = 0; i < events_.size(); ++i) {
        const std::int64_t status = events_[i].status;
        if (status >= 500) {
            expected[i] = "errors";
        } else if (status >= 400 || status == 302) {
            expected[i] = "other";
        }
    }
    std::map<std::uint64_t, std::string> got;
    for (const auto& [id, value] : out_->jobs) got[id] = std::get<std::string>(field(value, "to"));
    EXPECT_EQ(got, expected);
    EXPECT_EQ(result.stats.filtered, events_.size() - expected.size());  // no default: dropped
}

TEST(Route, ValidationChecksTargetsAgainstOutEdges) {
    const auto problems = [](const std::string& edges) {
        const std::string text =
            "graph: r\nnodes:\n"
            "  src: { kind: source, op: range, count: 3 }\n"
            "  r: { kind: function, op: route, cases: [{ when: '. > 1', to: big }], default: a }\n"
            "  big: { kind: sink, op: print }\n"
            "  a: { kind: sink, op: print }\n"
            "  b: { kind: sink, op: print }\n"
            "edges:\n" +
            edges;
        try {
            flowpool::validate(flowpool::parse_graph(text, "r.yaml"), flowpool::OpRegistry{});
        } catch (const flowpool::ConfigError& error) {
            return std::string(error.what());
        }
        return std::string();
    };
    EXPECT_EQ(problems("  - src -> r\n  - r -> big\n  - r -> a\n  - src -> b\n"), "");
    EXPECT_NE(problems("  - src -> r -> big\n  - src -> a\n  - src -> b\n")
                  .find("r.yaml:4:3: error: node 'r' routes jobs to 'a', but no edge leads there "
                        "from it"),
              std::string::npos);
    EXPECT_NE(problems("  - src -> r\n  - r -> big\n  - r -> a\n  - r -> b\n")
                  .find("r.yaml:4:3: error: node 'r' has an edge to 'b' but no case or default "
                        "sends jobs there"),
              std::string::npos);
    try {
        flowpool::validate(
            flowpool::parse_graph("graph: r\nnodes:\n"
                                  "  src: { kind: source, op: range, count: 3 }\n"
                                  "  r: { kind: function, op: route, cases: [{ when: '. > 1', "
                                  "to: bgi }] }\n"
                                  "  big: { kind: sink, op: print }\n"
                                  "edges: [ src -> r -> big ]\n",
                                  "r.yaml"),
            flowpool::OpRegistry{});
        ADD_FAILURE() << "a route to no node passed validation";
    } catch (const flowpool::ConfigError& error) {
        EXPECT_NE(std::string(error.what())
                      .find("r.yaml:4:3: error: node 'r' routes jobs to 'bgi', which is not a "
                            "node; did you mean 'big'?"),
                  std::string::npos)
            << error.what();
    }
}

// A case without `to`, or with one that is no node name, is told once, where it is written: it
// was `error: no parameter 'to'` with no place (the routes were checked on what could not be
// read), or an extra "routes jobs to ''" error.
TEST(Route, ACaseThatNamesNoNodeIsToldWhereItIs) {
    const auto problems = [](const std::string& second_case) {
        try {
            flowpool::validate(
                flowpool::parse_graph("nodes:\n  src: { kind: source, op: range, count: 3 }\n"
                                      "  r: { kind: function, op: route, cases: [{ when: '. > 1', "
                                      "to: a }, " +
                                          second_case +
                                          "] }\n"
                                          "  a: { kind: sink, op: print }\n"
                                          "  b: { kind: sink, op: print }\n"
                                          "edges: [ src -> r, r -> a, r -> b ]\n",
                                      "r.yaml"),
                flowpool::OpRegistry{});
        } catch (const flowpool::ConfigError& error) {
            return std::string(error.what());
        }
        return std::string("accepted");
    };
    EXPECT_EQ(problems("{ when: '. < 1', to: b }"), "accepted");
    EXPECT_EQ(problems("{ when: '. < 1' }"),
              "r.yaml:3:69: error: parameter 'cases[1]' of op 'route' is missing key 'to' "
              "(string)");
    EXPECT_EQ(problems("b"),
              "r.yaml:3:69: error: parameter 'cases[1]' of op 'route' takes a map, not a single "
              "value");
    EXPECT_EQ(problems("{ when: '. < 1', to: [b] }"),
              "r.yaml:3:90: error: parameter 'cases[1].to' of op 'route' takes a single value, "
              "not a list");
}

// A jsonl source without `fields:` reads only the fields the nodes after it read: here `status`
// (where) and `host` (collect_host), in that order; not when a node between keeps dead letters
// (they show the value whole) or reads values whole (map).
TEST_P(ExprOps, ASourceReadsOnlyTheFieldsTheNodesAfterItRead) {
    std::vector<Event> errors;
    for (const Event& e : events_) {
        if (e.status >= 500) errors.push_back(e);
    }
    const std::string source = "  events: { kind: source, op: jsonl, path: '{IN}' }\n";
    const std::string sink = "  out: { kind: sink, op: collect_host }\n";
    struct Case {
        std::string nodes;
        std::string edges;
        std::vector<std::string> fields;  // of each record collected
    };
    const std::vector<std::string> all = {"host", "status", "latency_ms", "user", "t"};
    const std::vector<Case> cases = {
        {"  errors: { kind: filter, op: where, expr: '.status >= 500', concurrency: {W} }\n",
         "  - events -> errors -> out\n",
         {"status", "host"}},
        {"  errors: { kind: filter, op: where, expr: '.status >= 500', concurrency: {W},\n"
         "            key: .user.id }\n",
         "  - events -> errors -> out\n",
         {"status", "user", "host"}},
        {"  errors: { kind: filter, op: where, expr: '.status >= 500', concurrency: {W},\n"
         "            on_error: dead_letter, dead_letter: late }\n"
         "  late: { kind: sink, op: letters }\n",
         "  - events -> errors -> out\n", all},
        {"  errors: { kind: filter, op: where, expr: '.status >= 500', concurrency: {W} }\n"
         "  same: { kind: function, op: map, concurrency: {W} }\n",
         "  - events -> errors -> same -> out\n", all},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.nodes);
        out_->jobs.clear();
        const auto result = run(source + c.nodes + sink, c.edges);
        ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
        ASSERT_EQ(out_->jobs.size(), errors.size());
        std::sort(out_->jobs.begin(), out_->jobs.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        for (std::size_t i = 0; i < errors.size(); ++i) {
            const Record& record = std::get<Record>(out_->jobs[i].second);
            std::vector<std::string> names;
            for (const flowpool::Field& f : record) names.push_back(f.name);
            ASSERT_EQ(names, c.fields);
            EXPECT_EQ(field(out_->jobs[i].second, "host"), Value(errors[i].host));
            EXPECT_EQ(field(out_->jobs[i].second, "status"), Value(errors[i].status));
        }
    }
}

// A jsonl source whose only out-edge is a `where` tests its condition on the fields it reads
// first (`status`) and reads the others (`host`) only of the lines the condition keeps: the
// same jobs kept, failed and filtered as when every line is read whole (the `where` given a
// `key:`, which shows values, so the source does not test first), but for a line malformed only
// in `host` that the `where` drops: filtered, not failed. A condition that fails (`status` a
// string) has its record read whole and the job failed by `where`.
TEST_P(ExprOps, ASourceTestsTheConditionOfTheWhereAfterItFirst) {
    const std::string path = (dir_ / "first.jsonl").string();
    const std::vector<std::string> kinds = {
        R"({"host":"web-1","status":200})",           // dropped
        R"({"host":"web-2","status":503})",           // kept
        R"({"host":tru,"status":200})",               // dropped first; else failed
        R"({"host":tru,"status":503})",               // failed (host)
        R"({"status":200,"host":"a","status":503})",  // kept: the last status counts
        R"({"host":"b"})",                            // dropped: null >= 500 is null
        R"({"host":"c","status":"x"})",               // failed (where: string >= integer)
    };
    constexpr std::size_t rounds = 300;
    {
        std::ofstream out(path);
        for (std::size_t i = 0; i < rounds; ++i) {
            for (const std::string& line : kinds) out << line << '\n';
        }
    }
    for (const bool first : {true, false}) {
        SCOPED_TRACE(first ? "condition first" : "every line whole");
        out_->jobs.clear();
        const auto result = run(
            "  events: { kind: source, op: jsonl, path: '" + path + "', on_error: skip }\n" +
                "  errors: { kind: filter, op: where, expr: '.status >= 500', concurrency: {W},\n" +
                "            on_error: skip" + (first ? "" : ", key: .status") + " }\n" +
                "  out: { kind: sink, op: collect_host }\n",
            "  - events -> errors -> out\n");
        ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
        ASSERT_EQ(out_->jobs.size(), 2 * rounds);
        for (const auto& [id, value] : out_->jobs) {
            EXPECT_EQ(field(value, "status"), Value(std::int64_t{503})) << id;
            EXPECT_EQ(field(value, "host"), Value(id % kinds.size() == 1 ? "web-2" : "a")) << id;
        }
        EXPECT_EQ(result.stats.skipped, (first ? 2 : 3) * rounds);
        EXPECT_EQ(result.stats.filtered, (first ? 3 : 2) * rounds);
        // The lines the source's test drops make no job it passes on, but the filter counts
        // them as jobs it took and dropped, as it does when it tests them itself.
        const auto node = [&result](std::string_view name) {
            for (const flowpool::NodeStats& stats : result.stats.nodes) {
                if (stats.name == name) return stats;
            }
            ADD_FAILURE() << "no node " << name;
            return flowpool::NodeStats{};
        };
        const flowpool::NodeStats events = node("events");
        const flowpool::NodeStats errors = node("errors");
        EXPECT_EQ(events.messages_in, kinds.size() * rounds);
        EXPECT_EQ(events.skipped, (first ? 1 : 2) * rounds);
        EXPECT_EQ(events.messages_out, (first ? 6 : 5) * rounds);
        EXPECT_EQ(errors.messages_in, events.messages_out);
        EXPECT_EQ(errors.filtered, (first ? 3 : 2) * rounds);
        EXPECT_EQ(errors.skipped, rounds);
        EXPECT_EQ(errors.messages_out, 2 * rounds);
    }
}

// Well-formed lines are read a batch at a time in one simdjson pass, in which the jobs the
// source's test drops are left out of the batch it passes on (Batch::prefiltered): two lines in
// 1,000 are kept, so most batches of 64 reach the `where` with no job in them at all. The
// `where` still counts every line as a job it took, and those left out as dropped. A dropped
// line's record is filled again by the next line: the dropped lines vary (a field missing,
// fields in another order, `status` given twice), and a kept line follows a line without
// `status` (whose record lost that field) or one without `host` (whose record kept the host
// before it): each kept record holds its own line's fields, none left from another.
TEST_P(ExprOps, TheWhereCountsTheJobsItsSourceDroppedFirst) {
    const std::string path = (dir_ / "mostly_ok.jsonl").string();
    constexpr std::size_t lines = 20'000;
    constexpr std::size_t every = 1'000;  // lines 7 and 503 of every 1,000 are kept
    const auto kept = [](std::size_t line) { return line % every == 7 || line % every == 503; };
    // Appended, not `"h" + std::to_string(...)`: GCC 12 warns of that (-Wrestrict, a false
    // positive of its own).
    const auto host_of = [](std::size_t line) {
        std::string host = "h";
        host += std::to_string(line % 7);
        return host;
    };
    {
        std::ofstream out(path);
        for (std::size_t i = 0; i < lines; ++i) {
            const std::string host = host_of(i);
            if (kept(i)) {
                out << R"({"host":")" << host << R"(","status":503,"n":)" << i << "}\n";
                continue;
            }
            switch (i % 5) {
                case 1:  // line 6 of each 1,000, before a kept one: no status (null: dropped)
                    out << R"({"host":"no status","n":)" << i << "}\n";
                    break;
                case 2:  // line 502, before a kept one: no host
                    out << R"({"status":200,"n":)" << i << "}\n";
                    break;
                case 3:
                    out << R"({"n":)" << i << R"(,"status":404,"host":")" << host << "\"}\n";
                    break;
                case 4:  // the last status counts
                    out << R"({"status":503,"host":")" << host << R"(","status":200})"
                        << "\n";
                    break;
                default:
                    out << R"({"host":")" << host << R"(","status":200,"n":)" << i << "}\n";
            }
        }
    }
    const std::size_t kept_lines = 2 * lines / every;
    for (const std::string batch : {"", ", batch: 64"}) {
        SCOPED_TRACE(batch);
        out_->jobs.clear();
        const auto result =
            run("  events: { kind: source, op: jsonl, path: '" + path + "'" + batch + " }\n" +
                    "  errors: { kind: filter, op: where, expr: '.status >= 500', "
                    "concurrency: {W} }\n" +
                    "  out: { kind: sink, op: collect_host }\n",
                "  - events -> errors -> out\n");
        ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
        ASSERT_EQ(out_->jobs.size(), kept_lines);
        std::sort(out_->jobs.begin(), out_->jobs.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& [id, value] : out_->jobs) {
            EXPECT_TRUE(kept(id)) << id;
            const Record& record = std::get<Record>(value);
            ASSERT_EQ(record.size(), 2u) << id;
            EXPECT_EQ(field(value, "host"), Value(host_of(id))) << id;
            EXPECT_EQ(field(value, "status"), Value(std::int64_t{503})) << id;
        }
        EXPECT_EQ(result.stats.filtered, lines - kept_lines);
        for (const flowpool::NodeStats& node : result.stats.nodes) {
            SCOPED_TRACE(node.name);
            if (node.name == "out") continue;
            EXPECT_EQ(node.messages_in, lines);
            EXPECT_EQ(node.filtered, node.name == "errors" ? lines - kept_lines : 0);
            EXPECT_EQ(node.messages_out, node.name == "errors" ? kept_lines : lines);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, ExprOps, ::testing::Values(1, 2, 4, 8));

}  // namespace
