#pragma once
// A test sink that keeps every job it gets, in the order consumed, and the reason of each dead
// letter (test_keyed.cpp; test_expr_ops.cpp and test_keyed_ops.cpp through expr_ops_fixture.hpp).

#include <flowpool/flowpool.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace flowpool::test {

/// What a CollectSink got.
struct Collected {
    std::mutex mutex;
    std::vector<std::pair<std::uint64_t, Value>> jobs;  // in the order consumed
    std::vector<std::string> errors;                    // dead letters: why
};

/// A sink that keeps every job it gets in a Collected.
class CollectSink final : public flowpool::SinkBody {
public:
    explicit CollectSink(std::shared_ptr<Collected> into) : into_(std::move(into)) {}
    void consume(const flowpool::detail::BatchPtr& in, flowpool::BatchContext&) override {
        const auto& batch = static_cast<const flowpool::detail::Items<Value>&>(*in);
        const std::lock_guard lock(into_->mutex);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            into_->jobs.emplace_back(batch.ids[i], batch.values[i]);
            if (!batch.errors.empty()) into_->errors.push_back(batch.errors[i]);
        }
    }

private:
    std::shared_ptr<Collected> into_;
};

}  // namespace flowpool::test
