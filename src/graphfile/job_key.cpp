#include "job_key.hpp"

#include <flowpool/value.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "expr/expression.hpp"
#include "expr/values.hpp"
#include "ops/builtin.hpp"

namespace flowpool::detail {
namespace {

using Jobs = Items<Value>;

class ExpressionKey final : public KeyBody {
public:
    explicit ExpressionKey(expr::Expression key) : key_(std::move(key)) {}

    std::vector<BatchPtr> split(const BatchPtr& in, std::size_t lanes, BatchContext& ctx) override {
        auto& jobs = static_cast<Jobs&>(*in);
        std::vector<std::shared_ptr<Jobs>> parts(lanes);
        Value scratch;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            std::size_t lane = 0;
            try {
                const Value& key = key_.eval_ref({jobs.values[i], jobs.ids[i]}, scratch);
                lane = static_cast<std::size_t>(expr::stable_hash(key) % lanes);
            } catch (const std::exception& error) {
                fail_job(ctx, jobs.ids[i], jobs.values[i], std::string("key: ") + error.what());
                continue;
            }
            if (!parts[lane]) {
                parts[lane] = std::make_shared<Jobs>();
                parts[lane]->reserve(jobs.size() / lanes + 1);
            }
            parts[lane]->ids.push_back(jobs.ids[i]);
            parts[lane]->values.push_back(in->shared ? jobs.values[i] : std::move(jobs.values[i]));
        }
        return {parts.begin(), parts.end()};
    }

    BatchPtr join(std::vector<BatchPtr>& parts) override {
        // A merge by id: each part is ascending, and few (one per lane).
        std::size_t total = 0;
        for (const BatchPtr& part : parts) total += part->size();
        auto out = std::make_shared<Jobs>();
        out->reserve(total);
        std::vector<std::size_t> next(parts.size(), 0);
        for (std::size_t n = 0; n < total; ++n) {
            std::size_t best = parts.size();
            for (std::size_t p = 0; p < parts.size(); ++p) {
                if (next[p] == parts[p]->size()) continue;
                if (best == parts.size() || parts[p]->ids[next[p]] < parts[best]->ids[next[best]]) {
                    best = p;
                }
            }
            auto& from = static_cast<Jobs&>(*parts[best]);
            out->ids.push_back(from.ids[next[best]]);
            out->values.push_back(std::move(from.values[next[best]]));
            ++next[best];
        }
        return out;
    }

private:
    expr::Expression key_;
};

}  // namespace

std::unique_ptr<KeyBody> expression_key(std::string_view expression) {
    return std::make_unique<ExpressionKey>(expr::Expression::compile(expression));
}

}  // namespace flowpool::detail
