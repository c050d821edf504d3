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
#include <typeinfo>
#include <utility>
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
    /// The values it passes on: `same` for the type it was given, `any` for one known only when
    /// it runs.
    ValueType gives = ValueType::same;
    SourceFactory make_source{};  ///< set for sources
    StageFactory make_stage{};    ///< set for functions and filters
    SinkFactory make_sink{};      ///< set for sinks
    /// Sources: a job handed back after failing is delivered again later (a message queue), so
    /// the nodes it feeds default to `on_error: redeliver` instead of `fail`.
    bool redelivers = false;
    /// Sources that read text and parse it (`jsonl`, `csv`): the parsing runs on the workers
    /// (SourceBody::decode), and a job whose text cannot be parsed fails under the node's
    /// `on_error` as a function's job would; its dead letter is the text it read.
    bool parses = false;
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

    /// Adds an op. Throws UsageError if an op of its kind has its name (a source and a sink may
    /// share one: `jsonl`), or the factory for its kind is missing.
    void add(OpInfo op);
    /// The op named @p name (of the first kind in source, function, filter, sink order that has
    /// one), or nullptr.
    [[nodiscard]] const OpInfo* find(std::string_view name) const noexcept;
    /// The op of kind @p kind named @p name, or nullptr.
    [[nodiscard]] const OpInfo* find(std::string_view name, NodeKind kind) const noexcept;

    /// Lets graph files pass values of the application's type @p T between its ops, under
    /// @p name (`order`): ops declare `takes`/`gives` with the ValueType returned, validation
    /// checks edges by it, `flowpool ops` lists it, and Value::of(T) / Value::as<T>() make and read
    /// such values, which move between nodes without a copy or a conversion. @p to_value, if
    /// given, shows one as a plain value (a record) where it is printed or written as JSON.
    /// Register types before running; throws UsageError if @p name is built in or taken by
    /// another type.
    template <class T>
    ValueType add_type(std::string name, std::function<Value(const T&)> to_value = {}) {
        add_type_name(name, typeid(T));
        detail::OpaqueTag& tag = detail::opaque_tag<T>();
        tag.name = name;
        if (to_value) {
            tag.to_value = [show = std::move(to_value)](const void* value) {
                return show(*static_cast<const T*>(value));
            };
        }
        return ValueType::custom(std::move(name));
    }
    /// The names of the application types added, in the order they were added.
    [[nodiscard]] std::vector<std::string> types() const;
    /// Every op, sorted by kind then name.
    [[nodiscard]] std::vector<const OpInfo*> list() const;

private:
    using Key = std::pair<std::string, NodeKind>;
    void add_type_name(const std::string& name, const std::type_info& type);

    std::map<Key, OpInfo> ops_;
    std::vector<std::pair<std::string, const std::type_info*>> types_;
};

}  // namespace flowpool
