// A plugin whose ops break their contract before any job runs: factories that make no body or
// throw (a std::exception or not), and a parameter check that throws an int. Each must be an
// error of the graph file naming the node (exit 2), never a crash. And a body whose process()
// throws an int in every body made after the first: a job failure (exit 1), never a crash.
#include <flowpool/plugin.hpp>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

using flowpool::Params;
using flowpool::ValueType;

flowpool::OpInfo stage(std::string name, flowpool::StageFactory make) {
    return {.name = std::move(name),
            .kind = flowpool::NodeKind::function,
            .description = "breaks its contract",
            .takes = ValueType::integer,
            .gives = ValueType::integer,
            .make_stage = std::move(make)};
}

using StagePtr = std::unique_ptr<flowpool::StageBody>;

StagePtr passes_on(const Params&) {
    return flowpool::stage_body([](flowpool::Value v) { return v; });
}
StagePtr makes_none(const Params&) { return nullptr; }
StagePtr throws_int(const Params&) { throw 42; }
StagePtr throws_std(const Params&) { throw std::runtime_error("factory says no"); }

/// Throws an int from process(), not from a job's function (stage_body() would catch it).
class ThrowsInt final : public flowpool::StageBody {
public:
    flowpool::BatchPtr process(const flowpool::BatchPtr&, flowpool::BatchContext&) override {
        throw 42;
    }
};

/// The first body made passes jobs on; the later ones throw (flowpool bench makes its
/// hand-rolled run's bodies after flowpool's run has made and used the first).
StagePtr throws_int_once_made_again(const Params& params) {
    static std::atomic<int> made{0};
    if (made++ == 0) return passes_on(params);
    return std::make_unique<ThrowsInt>();
}

}  // namespace

extern "C" int flowpool_plugin_abi() { return flowpool::plugin_abi; }

extern "C" void flowpool_register_ops(flowpool::OpRegistry& ops) {
    ops.add(stage("null_stage", makes_none));
    ops.add(stage("throws_int", throws_int));
    ops.add(stage("throws_std", throws_std));
    ops.add(stage("body_throws_int_when_made_again", throws_int_once_made_again));
    ops.add({.name = "null_sink",
             .kind = flowpool::NodeKind::sink,
             .description = "makes no body",
             .takes = ValueType::any,
             .make_sink = [](const Params&) -> std::unique_ptr<flowpool::SinkBody> {
                 return nullptr;
             }});
    ops.add({.name = "null_source",
             .kind = flowpool::NodeKind::source,
             .description = "makes no body",
             .gives = ValueType::integer,
             .make_source = [](const Params&) -> std::unique_ptr<flowpool::SourceBody> {
                 return nullptr;
             }});
    flowpool::OpInfo checked = stage("check_throws_int", passes_on);
    checked.params = {{.name = "p",
                       .default_value = "x",
                       .description = "refused by throwing an int",
                       .check = [](const std::string& text) {
                           if (text != "x") throw 42;
                       }}};
    ops.add(std::move(checked));
}
