// The Redis Streams ops against a real redis-server: enqueue → workers → results, poison jobs,
// binary-safe strings, stopping, trimming, and URL checks.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "ops/spin.hpp"
#include "redis_fixture.hpp"

namespace flowpool::test {
namespace {

class RedisStream : public ::testing::Test {
protected:
    RedisServer server;
    Client client{server.port()};

    std::unique_ptr<Process> run(const std::string& graph, std::vector<std::string> sets,
                                 const std::string& name) {
        return run_flowpool(graph, sets, server.dir(), name);
    }

    /// Enqueues jobs 0..count-1 with graphs/redis/enqueue.yaml; returns its exit code.
    int enqueue(std::uint64_t count) {
        auto p =
            run(source_file("graphs/redis/enqueue.yaml"),
                {"jobs.count=" + std::to_string(count), "queue.url=" + server.url()}, "enqueue");
        return p->wait(30s);
    }
};

TEST_F(RedisStream, EnqueueWorkersCollect) {
    constexpr std::uint64_t jobs = 2000;
    constexpr std::int64_t iterations = 1000;
    // Both workers wait in XREADGROUP BLOCK before a job is enqueued, so both take part. (Started
    // on a full stream, the second one found it drained once in CI: 2,000 cheap jobs are gone
    // quickly, and Redis makes a consumer only when it delivers to it.)
    std::vector<std::unique_ptr<Process>> workers;
    for (int i = 0; i < 2; ++i) {
        workers.push_back(run(source_file("graphs/redis/worker.yaml"),
                              {"jobs.url=" + server.url(), "results.url=" + server.url(),
                               "jobs.idle_exit_ms=" + std::to_string(3000 * FLOWPOOL_TEST_SLOWDOWN),
                               "work.iterations=" + std::to_string(iterations)},
                              "worker" + std::to_string(i)));
    }
    const auto blocked_readers = [this] {
        std::istringstream clients(client.run({"CLIENT", "LIST"})->str);
        int n = 0;
        for (std::string line; std::getline(clients, line);) {
            if (line.find("cmd=xreadgroup") != std::string::npos &&
                line.find("flags=b") != std::string::npos) {
                ++n;
            }
        }
        return n;
    };
    const auto until = Clock::now() + 20s;
    int blocked = 0;
    while ((blocked = blocked_readers()) < 2 && Clock::now() < until) {
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_EQ(blocked, 2) << workers[0]->err() << workers[1]->err();
    ASSERT_EQ(enqueue(jobs), 0);
    for (auto& w : workers) EXPECT_EQ(w->wait(40s), 0) << w->err();
    EXPECT_EQ(client.integer({"XLEN", "jobs"}), static_cast<long long>(jobs));  // not trimmed

    const Tally t = tally(client, "results", jobs, [](std::uint64_t id) {
        return detail::spin(static_cast<std::int64_t>(id), iterations);
    });
    EXPECT_EQ(t.missing, 0u);
    EXPECT_EQ(t.wrong, 0u);
    EXPECT_EQ(t.strangers, 0u);
    EXPECT_EQ(t.duplicates(), 0u) << "no worker failed, so no job should run twice";
    EXPECT_EQ(client.pending("jobs", "flowpool"), 0);

    // Both workers took part (a worker's consumer name is in the group).
    const Reply consumers = client.run({"XINFO", "CONSUMERS", "jobs", "flowpool"});
    EXPECT_EQ(consumers->elements, 2u);

    // The collect graph prints each result; sort -u would drop repeats.
    auto collect =
        run(source_file("graphs/redis/collect.yaml"), {"results.url=" + server.url()}, "collect");
    ASSERT_EQ(collect->wait(30s), 0) << collect->err();
    std::set<std::string> lines;
    std::istringstream out(collect->out());
    for (std::string line; std::getline(out, line);) lines.insert(line);
    ASSERT_EQ(lines.size(), jobs);
    for (std::uint64_t id = 0; id < jobs; id += 397) {
        const std::string want =
            "Result: Job " + std::to_string(id) + " Value " +
            std::to_string(detail::spin(static_cast<std::int64_t>(id), iterations));
        EXPECT_EQ(lines.count(want), 1u) << want;
    }
}

TEST_F(RedisStream, PoisonJobGoesToDeadLetterAfterMaxDeliveries) {
    constexpr std::uint64_t jobs = 50;
    ASSERT_EQ(enqueue(jobs), 0);
    // Three malformed entries: no id, a string where the source gives integers, and the id no
    // job has (JobError::no_job).
    client.run({"XADD", "jobs", "*", "foo", "bar"});
    client.run({"XADD", "jobs", "*", "id", "1000", "str", "not a number"});
    client.run({"XADD", "jobs", "*", "id", "18446744073709551615", "int", "5"});

    const std::vector<std::string> sets = {"jobs.url=" + server.url(),
                                           "results.url=" + server.url()};
    std::vector<int> codes;
    for (int attempt = 0; attempt < 8; ++attempt) {
        auto worker = run(source_file("tests/redis/data/poison_worker.yaml"), sets,
                          "worker" + std::to_string(attempt));
        codes.push_back(worker->wait(30s));
        ASSERT_NE(codes.back(), -1) << "worker did not stop";
        if (codes.back() == 0) break;
        EXPECT_EQ(codes.back(), 1) << worker->err();
        EXPECT_NE(worker->err().find("value 7 fails by request"), std::string::npos)
            << worker->err();
    }
    // Delivered twice (each run failing), then dead-lettered on the third delivery: the run that
    // dead-letters it succeeds.
    ASSERT_EQ(codes.back(), 0);
    EXPECT_EQ(std::count(codes.begin(), codes.end(), 1), 2);

    const auto dead = client.entries("jobs:dead");
    ASSERT_EQ(dead.size(), 4u);
    std::map<std::string, std::map<std::string, std::string>> by_id;
    for (const auto& d : dead) by_id[d.count("id") ? d.at("id") : "none"] = d;
    ASSERT_EQ(by_id.count("7"), 1u);
    EXPECT_EQ(by_id["7"].at("int"), "7");
    EXPECT_EQ(by_id["7"].at("deliveries"), "3");
    EXPECT_EQ(by_id["7"].at("error"), "value 7 fails by request");
    EXPECT_EQ(by_id["7"].at("node"), "check");
    ASSERT_EQ(by_id.count("none"), 1u);
    EXPECT_EQ(by_id["none"].at("foo"), "bar");
    EXPECT_NE(by_id["none"].at("error").find("no 'id' field"), std::string::npos);
    ASSERT_EQ(by_id.count("1000"), 1u);
    EXPECT_NE(by_id["1000"].at("error").find("string value"), std::string::npos);
    ASSERT_EQ(by_id.count("18446744073709551615"), 1u);
    EXPECT_NE(by_id["18446744073709551615"].at("error").find("2^64 - 1, which is no job's id"),
              std::string::npos);

    // Every other job has its result, and nothing is left pending or noted.
    const Tally t = tally(client, "results", jobs,
                          [](std::uint64_t id) { return static_cast<std::int64_t>(id); });
    EXPECT_EQ(t.missing, 1u);
    EXPECT_EQ(t.wrong, 0u);
    EXPECT_EQ(client.pending("jobs", "flowpool"), 0);
    EXPECT_EQ(client.integer({"EXISTS", "jobs:flowpool:errors"}), 0);
}

TEST_F(RedisStream, PoisonJobFailsAloneAndWorkersGoOn) {
    constexpr std::uint64_t jobs = 1000;
    ASSERT_EQ(enqueue(jobs), 0);
    std::vector<std::unique_ptr<Process>> workers;
    for (int i = 0; i < 4; ++i) {
        workers.push_back(run(source_file("tests/redis/data/poison_goes_on.yaml"),
                              {"jobs.url=" + server.url(), "results.url=" + server.url()},
                              "worker" + std::to_string(i)));
    }
    // No worker stops for the poison job: each ends only when the stream is drained.
    for (auto& w : workers) EXPECT_EQ(w->wait(40s), 0) << w->err();

    const Tally t = tally(client, "results", jobs,
                          [](std::uint64_t id) { return static_cast<std::int64_t>(id); });
    EXPECT_EQ(t.missing, 1u);
    EXPECT_EQ(t.wrong, 0u);
    EXPECT_EQ(t.duplicates(), 0u) << "only the poison job's entry was delivered again";
    EXPECT_EQ(t.entries, jobs - 1);
    const auto dead = client.entries("jobs:dead");
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].at("id"), "7");
    EXPECT_EQ(dead[0].at("error"), "value 7 fails by request");
    EXPECT_EQ(dead[0].at("node"), "check");
    EXPECT_EQ(dead[0].at("deliveries"), "4") << "delivered 3 times, dead-lettered on the 4th";
    EXPECT_EQ(client.pending("jobs", "flowpool"), 0);
    EXPECT_EQ(client.integer({"EXISTS", "jobs:flowpool:errors"}), 0);
    std::string logs;
    for (auto& w : workers) logs += w->err();
    EXPECT_NE(logs.find("handed back to its source"), std::string::npos) << logs;
}

/// The number after `"KEY": ` in @p json at or after @p from, or -1.
long long json_count(const std::string& json, const std::string& key, std::size_t from = 0) {
    const std::string field = "\"" + key + "\": ";
    const std::size_t at = json.find(field, from);
    return at == std::string::npos ? -1 : std::stoll(json.substr(at + field.size()));
}

TEST_F(RedisStream, DeadLettersCountInTheRunsFigures) {
    constexpr std::uint64_t jobs = 20;
    ASSERT_EQ(enqueue(jobs), 0);
    client.run({"XADD", "jobs", "*", "foo", "bar"});
    client.run({"XADD", "jobs", "*", "id", "1000", "str", "not a number"});
    // Job 7 fails at each of its 3 deliveries (handed back), and is dead-lettered at the 4th.
    const std::string stats = server.dir() + "/stats.json";
    Process worker(
        {FLOWPOOL_CLI, "run", source_file("tests/redis/data/poison_goes_on.yaml"), "--set",
         "jobs.url=" + server.url(), "--set", "results.url=" + server.url(), "--stats-json", stats},
        server.dir() + "/worker.out", server.dir() + "/worker.err");
    ASSERT_EQ(worker.wait(30s), 0) << worker.err();
    ASSERT_EQ(client.integer({"XLEN", "jobs:dead"}), 3);

    const std::string json = Process::slurp(stats);
    EXPECT_EQ(json_count(json, "dead_lettered"), 3) << json;
    EXPECT_EQ(json_count(json, "dead_lettered", json.find("\"name\": \"jobs\"")), 3) << json;
    EXPECT_EQ(json_count(json, "results_out"), static_cast<long long>(jobs) - 1) << json;
    EXPECT_EQ(json_count(json, "redelivered"), 3) << json;
    // Each entry dead-lettered came in: 20 entries read, job 7 twice again, 2 malformed.
    EXPECT_EQ(json_count(json, "jobs_in"), 25) << json;
    EXPECT_EQ(json_count(json, "jobs_in"),
              json_count(json, "results_out") + json_count(json, "dead_lettered") +
                  json_count(json, "redelivered") + json_count(json, "failed") +
                  json_count(json, "skipped") + json_count(json, "filtered"))
        << json;
}

TEST_F(RedisStream, IdleConsumersWithNothingPendingAreRemoved) {
    // Three consumers that read and left: two acknowledged everything, one holds an entry.
    ASSERT_EQ(enqueue(3), 0);
    client.run({"XGROUP", "CREATE", "jobs", "flowpool", "0"});
    for (const char* gone : {"gone-a", "gone-b", "holder"}) {
        client.run({"XREADGROUP", "GROUP", "flowpool", gone, "COUNT", "1", "STREAMS", "jobs", ">"});
    }
    const Reply all = client.run({"XRANGE", "jobs", "-", "+"});
    ASSERT_EQ(all->elements, 3u);
    const std::string first(all->element[0]->element[0]->str);
    const std::string second(all->element[1]->element[0]->str);
    client.run({"XACK", "jobs", "flowpool", first, second});
    std::this_thread::sleep_for(300ms);
    ASSERT_EQ(client.run({"XINFO", "CONSUMERS", "jobs", "flowpool"})->elements, 3u);

    // A worker removes consumers idle over 200 ms with nothing pending, never `holder`.
    auto worker = run(
        source_file("graphs/redis/worker.yaml"),
        {"jobs.url=" + server.url(), "results.url=" + server.url(), "jobs.forget_consumers_ms=200",
         "jobs.claim_idle_ms=600000", "jobs.idle_exit_ms=500", "work.iterations=0"},
        "worker");
    // It cannot drain (holder's entry stays pending): stop it once it has looked. (It is not a
    // consumer itself until it reads or claims an entry: Redis 7 creates consumers lazily.)
    const auto until = Clock::now() + 20s;
    while (client.run({"XINFO", "CONSUMERS", "jobs", "flowpool"})->elements != 1 &&
           Clock::now() < until) {
        std::this_thread::sleep_for(20ms);
    }
    worker->kill(SIGTERM);
    EXPECT_EQ(worker->wait(10s), 143) << worker->err();
    const Reply consumers = client.run({"XINFO", "CONSUMERS", "jobs", "flowpool"});
    std::set<std::string> names;
    for (std::size_t i = 0; i < consumers->elements; ++i) {
        const redisReply* c = consumers->element[i];
        for (std::size_t f = 0; f + 1 < c->elements; f += 2) {
            if (std::string(c->element[f]->str) == "name") names.insert(c->element[f + 1]->str);
        }
    }
    EXPECT_EQ(names.count("gone-a"), 0u);
    EXPECT_EQ(names.count("gone-b"), 0u);
    EXPECT_EQ(names.count("holder"), 1u) << "a consumer with a pending entry is never removed";
    EXPECT_EQ(names.size(), 1u) << "only holder is left";
    EXPECT_EQ(client.pending("jobs", "flowpool"), 1);
}

TEST_F(RedisStream, StringsAreBinarySafe) {
    const std::string texts[] = {std::string("nul\0inside", 10), "line\nbreak", "", "ünïcødé",
                                 std::string(100000, 'x')};
    for (std::size_t i = 0; i < std::size(texts); ++i) {
        client.run({"XADD", "texts", "*", "id", std::to_string(i), "str", texts[i]});
    }
    client.run({"XADD", "texts", "*", "id", "99", "int", "-42"});
    auto worker = run(source_file("tests/redis/data/strings_worker.yaml"),
                      {"jobs.url=" + server.url(), "results.url=" + server.url()}, "strings");
    ASSERT_EQ(worker->wait(30s), 0) << worker->err();
    std::map<std::string, std::string> copies;
    for (const auto& fields : client.entries("copies")) copies[fields.at("id")] = fields.at("str");
    ASSERT_EQ(copies.size(), std::size(texts) + 1);
    for (std::size_t i = 0; i < std::size(texts); ++i) {
        EXPECT_EQ(copies[std::to_string(i)], texts[i]) << "job " << i;
    }
    EXPECT_EQ(copies["99"], "-42") << "an integer entry reads as its decimal text";
}

TEST_F(RedisStream, SigtermStopsAWaitingWorkerQuickly) {
    ASSERT_EQ(enqueue(10), 0);
    auto worker = run(
        source_file("graphs/redis/worker.yaml"),
        {"jobs.url=" + server.url(), "results.url=" + server.url(), "work.iterations=0"}, "worker");
    // It does the ten jobs, then waits for more.
    const auto until = Clock::now() + 20s;
    while (client.integer({"XLEN", "results"}) < 10 && Clock::now() < until) {
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(client.integer({"XLEN", "results"}), 10);
    std::this_thread::sleep_for(300ms);
    const auto start = Clock::now();
    worker->kill(SIGTERM);
    EXPECT_EQ(worker->wait(10s), 143) << worker->err();
    EXPECT_LT(Clock::now() - start, 500ms + 1500ms * FLOWPOOL_TEST_SLOWDOWN)
        << "block_ms is 500: a stop is seen within it";
    EXPECT_NE(worker->err().find("interrupted by SIGTERM"), std::string::npos);
    EXPECT_EQ(client.pending("jobs", "flowpool"), 0);
}

TEST_F(RedisStream, TrimDeletesOnlyWhatEveryGroupAcknowledged) {
    constexpr std::uint64_t jobs = 500;
    ASSERT_EQ(enqueue(jobs), 0);
    // A second group that has read nothing yet: trimming must keep every entry for it.
    client.run({"XGROUP", "CREATE", "jobs", "audit", "0"});
    const std::vector<std::string> sets = {"jobs.url=" + server.url(),
                                           "results.url=" + server.url(),
                                           "jobs.trim=true",
                                           "jobs.idle_exit_ms=1500",
                                           "jobs.batch=20",
                                           "work.iterations=0"};
    auto first = run(source_file("graphs/redis/worker.yaml"), sets, "first");
    ASSERT_EQ(first->wait(30s), 0) << first->err();
    EXPECT_EQ(client.integer({"XLEN", "jobs"}), static_cast<long long>(jobs));

    // Once `audit` has read and acknowledged everything, the next worker's trim deletes the lot.
    client.run({"XGROUP", "DESTROY", "jobs", "audit"});
    ASSERT_EQ(enqueue(jobs), 0);  // jobs 0..499 again, so a worker has something to acknowledge
    auto second = run(source_file("graphs/redis/worker.yaml"), sets, "second");
    ASSERT_EQ(second->wait(30s), 0) << second->err();
    EXPECT_LE(client.integer({"XLEN", "jobs"}), 1) << "all but the last delivered entry go";
    EXPECT_EQ(client.pending("jobs", "flowpool"), 0);
    const Tally t = tally(client, "results", jobs,
                          [](std::uint64_t id) { return static_cast<std::int64_t>(id); });
    EXPECT_EQ(t.missing, 0u);
    EXPECT_EQ(t.entries, 2 * jobs);
}

TEST_F(RedisStream, ServerRefusalsAreFaultsOfTheGraphFileNotOfAJob) {
    const std::string at = "127.0.0.1:" + std::to_string(server.port());
    client.run({"SET", "text", "a string, not a stream"});
    struct Case {
        std::string url;
        std::string stream;
        std::string says;
    };
    const std::vector<Case> cases = {
        {"redis://:wrongpw@" + at, "jobs", "AUTH"},
        {"redis://" + at + "/99", "jobs", "DB index is out of range"},
        {"redis://" + at, "text", "WRONGTYPE"},
    };
    for (const Case& c : cases) {
        auto worker = run(source_file("graphs/redis/worker.yaml"),
                          {"jobs.url=" + c.url, "jobs.stream=" + c.stream,
                           "results.url=" + server.url(), "jobs.idle_exit_ms=500"},
                          "refused");
        ASSERT_EQ(worker->wait(30s), 2) << c.url << ":\n" << worker->err();
        const std::string err = worker->err();
        EXPECT_NE(err.find("worker.yaml:"), std::string::npos) << err;
        EXPECT_NE(err.find("node 'jobs': redis://" + at), std::string::npos) << err;
        EXPECT_NE(err.find("stream '" + c.stream + "'"), std::string::npos) << err;
        EXPECT_NE(err.find(c.says), std::string::npos) << err;
        EXPECT_EQ(err.find("job 0"), std::string::npos) << "no job ran:\n" << err;
        EXPECT_EQ(err.find("jobs in"), std::string::npos) << "nothing ran:\n" << err;
        EXPECT_EQ(err.find("wrongpw"), std::string::npos) << "a password is never shown";
    }
    // A server that wants a password, given none.
    client.run({"CONFIG", "SET", "requirepass", "secret"});
    auto worker = run(source_file("graphs/redis/worker.yaml"),
                      {"jobs.url=" + server.url(), "results.url=" + server.url()}, "noauth");
    EXPECT_EQ(worker->wait(30s), 2) << worker->err();
    EXPECT_NE(worker->err().find("NOAUTH"), std::string::npos) << worker->err();
}

TEST(RedisStreamGraph, BadUrlsAreReportedWhereTheyAre) {
    const std::string file = source_file("tests/redis/data/bad_url.yaml");
    // The process id in the name: two runs of the suite at once on one machine share /tmp.
    const std::string err_file =
        ::testing::TempDir() + "flowpool_bad_url_" + std::to_string(::getpid()) + ".err";
    Process validate({FLOWPOOL_CLI, "validate", file}, "/dev/null", err_file);
    EXPECT_EQ(validate.wait(30s), 2);
    const std::string err = Process::slurp(err_file);
    ::unlink(err_file.c_str());
    EXPECT_NE(err.find("bad_url.yaml:4:"), std::string::npos) << err;
    EXPECT_NE(err.find("starts with redis://"), std::string::npos) << err;
    EXPECT_NE(err.find("bad_url.yaml:5:"), std::string::npos) << err;
    EXPECT_NE(err.find("bad port '99999'"), std::string::npos) << err;
}

}  // namespace
}  // namespace flowpool::test
