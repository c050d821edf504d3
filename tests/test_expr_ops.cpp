// The ops written in expressions (where, map, aggregate) at 1, 2, 4 and 8 workers, run in
// process on events this file makes, with a sink that keeps what it gets. Every expectation is
// computed here from the events by plain loops, never taken from flowpool's output; and every
// run's accounting is checked: jobs made by sources and nodes = jobs with a known end.

#include <gtest/gtest.h>
#include <flowpool/flowpool.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "ops/piece_ids.hpp"

namespace {

using flowpool::Record;
using flowpool::Value;

struct Event {
    std::string host;
    std::int64_t status = 0;
    double latency = 0;
    std::int64_t user = 0;
    double t = 0;  // event time, seconds
};

/// @p n events of a fixed seed, written to a file as JSON lines; returns them.
std::vector<Event> make_events(std::size_t n, const std::string& path, unsigned seed = 1) {
    std::mt19937_64 random(seed);
    std::vector<Event> events;
    std::ofstream out(path);
    out << std::setprecision(17);  // every double read back as itself
    for (std::size_t i = 0; i < n; ++i) {
        Event e;
        e.host = "web-" + std::to_string(random() % 5);
        e.status = std::array<std::int64_t, 6>{200, 200, 404, 500, 503, 302}[random() % 6];
        e.latency = static_cast<double>(random() % 100000) / 8.0;  // exact in binary
        e.user = static_cast<std::int64_t>(random() % 50);
        e.t = static_cast<double>(i) / 10.0;
        out << R"({"host":")" << e.host << R"(","status":)" << e.status << R"(,"latency_ms":)"
            << e.latency << R"(,"user":{"id":)" << e.user << R"(},"t":)" << e.t << "}\n";
        events.push_back(e);
    }
    return events;
}

struct Collected {
    std::mutex mutex;
    std::vector<std::pair<std::uint64_t, Value>> jobs;  // in the order consumed
};

class CollectSink final : public flowpool::SinkBody {
public:
    explicit CollectSink(std::shared_ptr<Collected> into) : into_(std::move(into)) {}
    void consume(const flowpool::detail::BatchPtr& in, flowpool::BatchContext&) override {
        const auto& batch = static_cast<const flowpool::detail::Items<Value>&>(*in);
        const std::lock_guard lock(into_->mutex);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            into_->jobs.emplace_back(batch.ids[i], batch.values[i]);
        }
    }

private:
    std::shared_ptr<Collected> into_;
};

/// The built-in ops plus `collect` (keeps every job) and `late` (another, for dead letters).
flowpool::OpRegistry ops_with(const std::shared_ptr<Collected>& into,
                              const std::shared_ptr<Collected>& letters) {
    flowpool::OpRegistry ops;
    for (const auto& [name, where] : {std::pair{"collect", into}, std::pair{"letters", letters}}) {
        ops.add(
            {.name = name,
             .kind = flowpool::NodeKind::sink,
             .description = "keeps every job for the test",
             .takes = flowpool::ValueType::any,
             .make_sink = [where](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
                 return std::make_unique<CollectSink>(where);
             }});
    }
    // Reads only `host` (as OpInfo::reads_fields says), so a jsonl source before it may read
    // only what it and the nodes between read.
    ops.add({.name = "collect_host",
             .kind = flowpool::NodeKind::sink,
             .description = "keeps every job for the test, reading only its host",
             .takes = flowpool::ValueType::any,
             .make_sink = [into](const flowpool::Params&) -> std::unique_ptr<flowpool::SinkBody> {
                 return std::make_unique<CollectSink>(into);
             },
             .reads_fields =
                 [](const flowpool::Params&, std::vector<std::string>& names, bool& passes_on) {
                     passes_on = false;
                     names.push_back("host");
                     return true;
                 }});
    return ops;
}

class ExprOps : public ::testing::TestWithParam<int> {
protected:
    void SetUp() override {
        dir_ = std::filesystem::path(::testing::TempDir()) /
               ("flowpool_expr_ops_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
        input_ = (dir_ / "events.jsonl").string();
        events_ = make_events(3000, input_);
    }

    /// Runs the graph whose nodes section is @p nodes (`{W}` is the worker count, `{IN}` the
    /// events file) and checks its accounting.
    flowpool::RunResult run(std::string nodes, const std::string& edges) {
        for (const auto& [from, to] :
             {std::pair<std::string, std::string>{"{W}", std::to_string(GetParam())},
              {"{IN}", input_}}) {
            for (std::size_t at; (at = nodes.find(from)) != std::string::npos;) {
                nodes.replace(at, from.size(), to);
            }
        }
        const std::string text = "graph: t\nnodes:\n" + nodes + "edges:\n" + edges;
        const auto graph = flowpool::parse_graph(text, "t.yaml");
        flowpool::RunResult result = flowpool::run_graph(graph, ops_with(out_, letters_));
        const auto& s = result.stats;
        EXPECT_EQ(s.accounted(), s.jobs()) << "jobs in " << s.jobs_in << ", made " << s.made;
        return result;
    }

    /// Runs `jsonl (@p path) -> where @p expr -> @p sink` at the test's worker count.
    flowpool::RunResult run_where(const std::string& path, const std::string& expr,
                                  const std::string& sink) {
        return run("  events: { kind: source, op: jsonl, path: '" + path + "' }\n" +
                       "  few: { kind: filter, op: where, concurrency: {W}, expr: \"" + expr +
                       "\" }\n" + "  out: { kind: sink, op: " + sink + " }\n",
                   "  - events -> few -> out\n");
    }

    std::filesystem::path dir_;
    std::string input_;
    std::vector<Event> events_;
    std::shared_ptr<Collected> out_ = std::make_shared<Collected>();
    std::shared_ptr<Collected> letters_ = std::make_shared<Collected>();
};

const Value& field(const Value& record, const char* name) {
    const Value* v = std::get<Record>(record).find(name);
    if (v == nullptr) throw std::runtime_error(std::string("no field ") + name);
    return *v;
}

double number(const Value& v) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) return static_cast<double>(*n);
    return std::get<double>(v);
}

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

TEST_P(ExprOps, AggregateOverTheWholeRunMergesWhatEachWorkerKept) {
    const auto result = run(
        "  events: { kind: source, op: jsonl, path: '{IN}' }\n"
        "  by_host: { kind: function, op: aggregate, concurrency: {W}, key: .host,\n"
        "             fields: { n: 'count()', total: 'sum(.latency_ms)', mean: "
        "'mean(.latency_ms)',\n"
        "                       low: 'min(.status)', high: 'max(.latency_ms)',\n"
        "                       first: 'first(.user.id)', last: 'last(.user.id)',\n"
        "                       users: 'count_distinct(.user.id)', p50: 'p50(.latency_ms)' } }\n"
        "  out: { kind: sink, op: collect }\n",
        "  - events -> by_host -> out\n");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    struct Expected {
        std::int64_t n = 0, low = 1000, first = -1, last = -1;
        double total = 0, high = 0;
        std::set<std::int64_t> users;
        std::vector<double> latencies;
        std::uint64_t first_id = 0;
    };
    std::map<std::string, Expected> groups;
    for (std::size_t i = 0; i < events_.size(); ++i) {
        const Event& e = events_[i];
        Expected& g = groups[e.host];
        if (g.n++ == 0) {
            g.first = e.user;
            g.first_id = i;
        }
        g.last = e.user;
        g.total += e.latency;
        g.low = std::min(g.low, e.status);
        g.high = std::max(g.high, e.latency);
        g.users.insert(e.user);
        g.latencies.push_back(e.latency);
    }
    ASSERT_EQ(out_->jobs.size(), groups.size());
    EXPECT_EQ(result.stats.merged, events_.size());
    EXPECT_EQ(result.stats.made, groups.size());
    std::uint64_t previous_first = 0;
    for (const auto& [id, row] : out_->jobs) {
        Expected& g = groups.at(std::get<std::string>(field(row, "key")));
        EXPECT_GE(g.first_id, previous_first) << "groups come in the order of their first job";
        previous_first = g.first_id;
        EXPECT_EQ(field(row, "n"), Value(g.n));
        EXPECT_DOUBLE_EQ(std::get<double>(field(row, "total")), g.total);
        EXPECT_DOUBLE_EQ(std::get<double>(field(row, "mean")), g.total / static_cast<double>(g.n));
        EXPECT_EQ(field(row, "low"), Value(g.low));
        EXPECT_DOUBLE_EQ(number(field(row, "high")), g.high);  // 12476.0 is written 12476
        EXPECT_EQ(field(row, "first"), Value(g.first));
        EXPECT_EQ(field(row, "last"), Value(g.last));
        EXPECT_EQ(field(row, "users"), Value(static_cast<std::int64_t>(g.users.size())));
        std::sort(g.latencies.begin(), g.latencies.end());
        const double median = g.latencies[static_cast<std::size_t>(
            std::ceil(0.5 * static_cast<double>(g.latencies.size())) - 1)];
        EXPECT_NEAR(number(field(row, "p50")), median, 0.01 * median);
    }
}

TEST_P(ExprOps, CountWindowsCloseEveryNJobs) {
    const auto result =
        run("  events: { kind: source, op: jsonl, path: '{IN}' }\n"
            "  every: { kind: function, op: aggregate, concurrency: {W}, window: { count: 700 },\n"
            "           fields: { n: 'count()', total: 'sum(.status)' } }\n"
            "  out: { kind: sink, op: collect }\n",
            "  - events -> every -> out\n");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    std::int64_t status_total = 0;
    for (const Event& e : events_) status_total += e.status;
    ASSERT_EQ(out_->jobs.size(), 5U);  // 4 windows of 700, and 200 at the end
    std::int64_t n = 0, total = 0;
    std::multiset<std::int64_t> sizes;
    for (const auto& [id, row] : out_->jobs) {
        sizes.insert(std::get<std::int64_t>(field(row, "n")));
        n += std::get<std::int64_t>(field(row, "n"));
        total += std::get<std::int64_t>(field(row, "total"));
    }
    EXPECT_EQ(sizes, (std::multiset<std::int64_t>{200, 700, 700, 700, 700}));
    EXPECT_EQ(n, 3000);
    EXPECT_EQ(total, status_total);
}

TEST_P(ExprOps, ProcessingTimeWindowsLoseNoJob) {
    // every_ms: a window closes when a batch comes in after its period; batches of 100 jobs,
    // slowed to 3,000 jobs a second, so that the 3,000 jobs span about a second: several windows.
    const auto result = run(
        "  events: { kind: source, op: jsonl, path: '{IN}', batch: 100 }\n"
        "  slow: { kind: function, op: rate_limit, per_second: 3000 }\n"
        "  every: { kind: function, op: aggregate, concurrency: {W}, window: { every_ms: 200 },\n"
        "           fields: { n: 'count()', first: 'first(.t)' } }\n"
        "  out: { kind: sink, op: collect }\n",
        "  - events -> slow -> every -> out\n");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    std::int64_t n = 0;
    for (const auto& [id, row] : out_->jobs) n += std::get<std::int64_t>(field(row, "n"));
    EXPECT_EQ(n, 3000);
    EXPECT_GE(out_->jobs.size(), 3U) << "about a second in windows of 200 ms";
    EXPECT_EQ(result.stats.made, out_->jobs.size());
}

TEST_P(ExprOps, EventTimeWindowsCloseByWatermarkAndLateJobsAreDeadLettered) {
    // One source batch (batch: 1000), so the aggregate sees the jobs in file order.
    std::ofstream(input_) << "{\"t\":0.5}\n{\"t\":1.5}\n{\"t\":2.5}\n{\"t\":1.9}\n{\"t\":10.0}\n"
                             "{\"t\":1.2}\n{\"t\":9.5}\n{\"t\":3.0}\n{\"t\":12.25}\n";
    const auto result =
        run("  events: { kind: source, op: jsonl, path: '{IN}', batch: 1000 }\n"
            "  win: { kind: function, op: aggregate, concurrency: {W}, dead_letter: late,\n"
            "         window: { time: .t, seconds: 1, lateness_seconds: 2 },\n"
            "         fields: { n: 'count()', last: 'last(.t)' } }\n"
            "  out: { kind: sink, op: collect }\n"
            "  late: { kind: sink, op: letters }\n",
            "  - events -> win -> out\n");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    // 10.0 moves the watermark to 8: windows 0, 1 and 2 close; 1.2 and 3.0 come after, late.
    std::vector<std::tuple<double, std::int64_t, double>> rows;
    for (const auto& [id, row] : out_->jobs) {
        rows.emplace_back(number(field(row, "window_start")),
                          std::get<std::int64_t>(field(row, "n")), number(field(row, "last")));
    }
    using Row = std::tuple<double, std::int64_t, double>;
    EXPECT_EQ(
        rows,
        (std::vector<Row>{
            {0, 1, 0.5}, {1, 2, 1.9}, {2, 1, 2.5}, {9, 1, 9.5}, {10, 1, 10.0}, {12, 1, 12.25}}));
    std::set<std::uint64_t> late;
    for (const auto& [id, value] : letters_->jobs) late.insert(id);
    EXPECT_EQ(late, (std::set<std::uint64_t>{5, 7}));
    EXPECT_EQ(result.stats.dead_lettered, 2U);
    EXPECT_EQ(result.stats.merged, 7U);
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

TEST_P(ExprOps, TopKeepsTheBestWithoutSortingAll) {
    const auto result =
        run("  events: { kind: source, op: jsonl, path: '{IN}' }\n"
            "  slow: { kind: function, op: top, n: 7, by: .latency_ms, concurrency: {W} }\n"
            "  fast: { kind: function, op: top, n: 3, by: .latency_ms, order: asc }\n"
            "  out: { kind: sink, op: collect }\n",
            "  - events -> slow -> fast -> out\n");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    std::vector<std::size_t> order(events_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return events_[a].latency > events_[b].latency;  // ties: the lower id first
    });
    // the 7 slowest, then the 3 fastest of those, fastest first (ties: lower id first)
    std::vector<std::size_t> seven(order.begin(), order.begin() + 7);
    std::stable_sort(seven.begin(), seven.end(), [&](std::size_t a, std::size_t b) {
        return events_[a].latency < events_[b].latency ||
               (events_[a].latency == events_[b].latency && a < b);
    });
    ASSERT_EQ(out_->jobs.size(), 3U);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_DOUBLE_EQ(number(field(out_->jobs[i].second, "latency_ms")),
                         events_[seven[i]].latency);
        EXPECT_EQ(field(field(out_->jobs[i].second, "user"), "id"), Value(events_[seven[i]].user));
    }
}

TEST_P(ExprOps, DedupePassesEachKeyOnce) {
    const auto result =
        run("  events: { kind: source, op: jsonl, path: '{IN}' }\n"
            "  once: { kind: filter, op: dedupe, key: .user.id, concurrency: {W} }\n"
            "  out: { kind: sink, op: collect }\n",
            "  - events -> once -> out\n");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    std::set<std::int64_t> users;
    for (const Event& e : events_) users.insert(e.user);
    std::set<std::int64_t> passed;
    for (const auto& [id, value] : out_->jobs) {
        EXPECT_TRUE(
            passed.insert(std::get<std::int64_t>(field(field(value, "user"), "id"))).second);
    }
    EXPECT_EQ(passed, users);
    EXPECT_EQ(result.stats.filtered, events_.size() - users.size());
}

TEST_P(ExprOps, RateLimitSpacesTheJobs) {
    const auto start = std::chrono::steady_clock::now();
    const auto result =
        run("  events: { kind: source, op: jsonl, path: '{IN}', batch: 10 }\n"
            "  some: { kind: filter, op: where, expr: 'id() < 60' }\n"
            "  slow: { kind: function, op: rate_limit, per_second: 200, concurrency: {W} }\n"
            "  out: { kind: sink, op: collect }\n",
            "  - events -> some -> slow -> out\n");
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    EXPECT_EQ(out_->jobs.size(), 60U);
    EXPECT_GE(seconds, 59.0 / 200 - 0.01);  // the 60th job no sooner than 59 gaps after the first
}

TEST_P(ExprOps, RateLimitPassesJobsAtItsPaceNotInBursts) {
    // No `batch:` at the source: rate_limit asks for batches of 10 ms of jobs (one job at 100 a
    // second), so 40 jobs come through spread over 0.39 s, each stamped as it leaves, not all at
    // once when a batch of 40 has waited its turn.
    const auto result =
        run("  events: { kind: source, op: jsonl, path: '{IN}' }\n"
            "  some: { kind: filter, op: where, expr: 'id() < 40' }\n"
            "  slow: { kind: function, op: rate_limit, per_second: 100, concurrency: {W} }\n"
            "  stamp: { kind: function, op: map, set: { at: 'now()' } }\n"
            "  out: { kind: sink, op: collect }\n",
            "  - events -> some -> slow -> stamp -> out\n");
    ASSERT_FALSE(result.error) << (result.error ? result.error->what() : "");
    std::vector<double> at;
    for (const auto& [id, value] : out_->jobs) at.push_back(std::get<double>(field(value, "at")));
    ASSERT_EQ(at.size(), 40U);
    std::sort(at.begin(), at.end());
    // Ten gaps are 100 ms; a stamp a thread took late to make shortens one span, hence 50.
    for (std::size_t i = 0; i + 10 < at.size(); ++i) {
        EXPECT_GE(at[i + 10] - at[i], 0.050) << "jobs " << i << " to " << i + 10;
    }
    EXPECT_GE(at.back() - at.front(), 0.35);
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

TEST(PieceIds, NumberAJobsPiecesUpTo2To20AndRefuseJobIdsFrom2To44) {
    using flowpool::detail::PieceIds;
    const std::uint64_t last_fit = (std::uint64_t{1} << 44) - 1;
    EXPECT_EQ(PieceIds::problem(0), "");
    EXPECT_EQ(PieceIds::problem(last_fit), "");
    EXPECT_EQ(PieceIds::problem(last_fit + 1),
              "job id 17592186044416 is 2^44 or more: its pieces cannot be numbered id * 2^20 + "
              "i (pieces of pieces of pieces run out of id bits)");
    PieceIds pieces(last_fit);
    EXPECT_TRUE(pieces.none_yet());
    EXPECT_EQ(pieces.next(), last_fit << 20);
    EXPECT_FALSE(pieces.none_yet());
    std::uint64_t id = 0;
    std::size_t made = 1;
    for (; !pieces.full(); ++made) id = pieces.next();
    EXPECT_EQ(made, std::size_t{1} << 20);
    EXPECT_EQ(id, ~std::uint64_t{0});  // the last piece of the last job that fits: 2^64 - 1
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

INSTANTIATE_TEST_SUITE_P(Workers, ExprOps, ::testing::Values(1, 2, 4, 8));

}  // namespace
