#pragma once
/// @file ops.hpp
/// The op registry: every operation a graph file can name, with its parameters and value types.
/// Validation, `flowpool ops` and the runtime all read the same registry.

#include <flowpool/body.hpp>
#include <flowpool/stats.hpp>
#include <flowpool/value.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flowpool {

class Params;

/// The type of an op parameter as written in a graph file.
enum class ParamType { integer, string, boolean };

/// `integer`, `string` or `boolean`.
[[nodiscard]] std::string_view to_string(ParamType type) noexcept;

/// One parameter an op takes.
struct ParamInfo {
    std::string name{};                          ///< as written in graph files
    ParamType type = ParamType::string;          ///< how its text is read
    std::optional<std::string> default_value{};  ///< none: the parameter is required
    std::string description{};                   ///< one line
    /// Optional further check of a value (a format, a pattern): throws std::invalid_argument
    /// with the reason, reported at the value's FILE:LINE:COL.
    std::function<void(const std::string&)> check{};
    /// Optional check of a value against the node's other parameters, defaults filled in (a
    /// replacement against its pattern's groups). Runs only when the node's parameters raised no
    /// other problem; throws std::invalid_argument, reported like `check`.
    std::function<void(const std::string&, const Params&)> check_with_others{};
};

/// An op's parameters for one node, already checked against its ParamInfo list.
class Params {
public:
    /// The parameters as text, defaults filled in.
    explicit Params(std::map<std::string, std::string, std::less<>> values)
        : values_(std::move(values)) {}

    /// An integer parameter. Throws UsageError if @p name is missing or not an integer.
    [[nodiscard]] std::int64_t integer(std::string_view name) const;
    /// A string parameter. Throws UsageError if @p name is missing.
    [[nodiscard]] const std::string& string(std::string_view name) const;
    /// A boolean parameter (`true` or `false`). Throws UsageError if missing or not a boolean.
    [[nodiscard]] bool boolean(std::string_view name) const;

private:
    std::map<std::string, std::string, std::less<>> values_;
};

/// Makes a node's body from its parameters; the body types are in flowpool/body.hpp.
using SourceFactory = std::function<std::unique_ptr<SourceBody>(const Params&)>;
/// Makes a function or filter node's body from its parameters.
using StageFactory = std::function<std::unique_ptr<StageBody>(const Params&)>;
/// Makes a sink's body from its parameters.
using SinkFactory = std::function<std::unique_ptr<SinkBody>(const Params&)>;

/// What an op is: its name, kind, parameters and value types, and how to make its body.
struct OpInfo {
    std::string name{};                  ///< as written after `op:`
    NodeKind kind = NodeKind::function;  ///< the node kind that may use it
    std::string description{};           ///< one line
    std::vector<ParamInfo> params{};     ///< the parameters it takes
    ValueType takes = ValueType::any;    ///< the values it accepts (sources: none)
    ValueType gives = ValueType::any;    ///< the values it passes on; `any`: the type it got
    SourceFactory make_source{};         ///< set for sources
    StageFactory make_stage{};           ///< set for functions and filters
    SinkFactory make_sink{};             ///< set for sinks
    /// Sources: a job handed back after failing is delivered again later (a message queue), so
    /// the nodes it feeds default to `on_error: redeliver` instead of `fail`.
    bool redelivers = false;
    /// Sources that use up what they read, so that reading again would not give the same jobs:
    /// given a node's parameters, what it reads then ("standard input", "a stream"), or nothing.
    /// Unset: the source can be read again (`flowpool bench` reads it once per run).
    std::function<std::optional<std::string>(const Params&)> reads_input_once{};
};

/// Ops by name. A default-constructed registry holds the built-in ops; applications add theirs.
class OpRegistry {
public:
    /// A registry holding every built-in op.
    OpRegistry();

    /// Adds an op. Throws UsageError if the name is taken or the factory for its kind is missing.
    void add(OpInfo op);
    /// The op named @p name, or nullptr.
    [[nodiscard]] const OpInfo* find(std::string_view name) const noexcept;
    /// Every op, sorted by kind then name.
    [[nodiscard]] std::vector<const OpInfo*> list() const;

private:
    std::map<std::string, OpInfo, std::less<>> ops_;
};

}  // namespace flowpool
