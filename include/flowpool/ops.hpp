#pragma once
/// @file ops.hpp
/// The op registry: every operation a graph file can name, with its parameters and value types.
/// Validation, `flowpool ops` and the runtime all read the same registry.

#include <flowpool/body.hpp>
#include <flowpool/stats.hpp>
#include <flowpool/value.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

namespace flowpool {

class Params;

/// The type of an op parameter as written in a graph file: a single value (`integer`, `string`,
/// `boolean`), a `list` or a `map`.
enum class ParamType { integer, string, boolean, list, map };

/// `integer`, `string`, `boolean`, `list` or `map`.
[[nodiscard]] std::string_view to_string(ParamType type) noexcept;

/// Thrown by a parameter's check to say where in the text the problem is: validation reports it
/// where byte @p offset of the text is written (FILE:LINE:COL), where that is known
/// (ParamSpec::at).
struct ParamTextError : std::invalid_argument {
    /// @p at: a byte offset in the text the check was given; @p reason: what is wrong.
    ParamTextError(std::size_t at, const std::string& reason)
        : std::invalid_argument(reason), offset(at) {}

    std::size_t offset;  ///< where in the text, in bytes from its start
};

/// One parameter an op takes.
///
/// A `list` holds elements of type `items`; a `map` holds, under any keys, values of type
/// `items`, or when `fields` is set, exactly the keys `fields` declares (each with its own type,
/// default and checks). A list of maps (`cases: [{when: E, to: N}]`) is a `list` whose `items`
/// is `map`, its maps' keys in `fields`. The checks apply to each single value in a list or map.
/// @code
/// {.name = "remove", .type = ParamType::list, .default_value = ""}
/// {.name = "cases", .type = ParamType::list, .items = ParamType::map,
///  .fields = {{.name = "when", .check = parse_expression}, {.name = "to"}}}
/// @endcode
struct ParamInfo {
    std::string name{};                  ///< as written in graph files
    ParamType type = ParamType::string;  ///< how its text is read, or `list` or `map`
    /// None: the parameter is required. A list or map may only default to "", meaning empty.
    std::optional<std::string> default_value{};
    std::string description{};  ///< one line
    /// Optional further check of a single value (a format, a pattern, an expression): throws
    /// std::invalid_argument with the reason, reported at the value's FILE:LINE:COL, or
    /// ParamTextError to point inside the text.
    std::function<void(const std::string&)> check{};
    /// Optional check of a single value against the node's other parameters, defaults filled in
    /// (a replacement against its pattern's groups). Runs only when the node's parameters raised
    /// no other problem; throws like `check`.
    std::function<void(const std::string&, const Params&)> check_with_others{};
    /// Optional: what is worth a warning but does not make the graph wrong (a program not on
    /// PATH), given a single value, or a list's first element, and the node's other parameters:
    /// the message, or empty. `flowpool validate` prints it at the value's FILE:LINE:COL.
    std::function<std::string(const std::string&, const Params&)> warn{};
    /// A `list`'s elements, or a `map`'s values when `fields` is empty: `integer`, `string`,
    /// `boolean` or (a list of maps) `map`.
    ParamType items = ParamType::string;
    /// A `list` given with fewer elements is refused (a command needs its program).
    std::size_t min_items = 0;
    /// A `map`, or the maps of a list of maps: the keys it takes, each declared like a parameter.
    /// Empty: any key.
    std::vector<ParamInfo> fields{};
    /// Optional check of each key of a `map` that takes any key (an environment variable's
    /// name): throws std::invalid_argument with the reason, reported at the key's FILE:LINE:COL.
    std::function<void(const std::string&)> check_key{};
};

/// One element of a list or map parameter, as an op reads it.
struct ParamItem {
    std::string key{};                ///< a map's key; empty in a list
    std::string text{};               ///< a single value's text
    std::vector<ParamItem> fields{};  ///< a list or map element: its own elements, in file order
};

/// An op's parameters for one node, already checked against its ParamInfo list.
/// @code
/// for (const std::string& field : params.list("remove")) ...
/// for (const ParamItem& f : params.items("fields")) compile(f.key, f.text);
/// for (const Params& c : params.maps("cases")) route(c.string("when"), c.string("to"));
/// @endcode
class Params {
public:
    /// Single values as text and, by name, lists and maps; defaults filled in.
    explicit Params(std::map<std::string, std::string, std::less<>> values,
                    std::map<std::string, std::vector<ParamItem>, std::less<>> lists = {})
        : values_(std::move(values)), lists_(std::move(lists)) {}

    /// An integer parameter. Throws UsageError if @p name is missing or not an integer.
    [[nodiscard]] std::int64_t integer(std::string_view name) const;
    /// A string parameter. Throws UsageError if @p name is missing.
    [[nodiscard]] const std::string& string(std::string_view name) const;
    /// A boolean parameter (`true` or `false`). Throws UsageError if missing or not a boolean.
    [[nodiscard]] bool boolean(std::string_view name) const;
    /// True if @p name has a value, given or by default, of any shape.
    [[nodiscard]] bool has(std::string_view name) const noexcept;

    /// A list or map parameter's elements, in file order (a map's defaulted keys after those
    /// given). Throws UsageError if @p name is missing or a single value.
    [[nodiscard]] const std::vector<ParamItem>& items(std::string_view name) const;
    /// A list of single values: their texts, in order.
    [[nodiscard]] std::vector<std::string> list(std::string_view name) const;
    /// A map of single values, read by key like a node's parameters.
    [[nodiscard]] Params map(std::string_view name) const;
    /// A list of maps of single values (`cases`), each read by key, in order.
    [[nodiscard]] std::vector<Params> maps(std::string_view name) const;

private:
    static Params of_fields(const std::vector<ParamItem>& fields);

    std::map<std::string, std::string, std::less<>> values_;
    std::map<std::string, std::vector<ParamItem>, std::less<>> lists_;
};

/// Makes a node's body from its parameters; the body types are in flowpool/body.hpp. A factory
/// that throws (anything) or returns null fails the run before it starts: a graph file's
/// ConfigError at the node.
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
    /// Sources that fail a job they cannot make as they read it, on their own thread (a `lines`
    /// line longer than max_line_bytes): the node takes `on_error: fail` or `skip` for it (and
    /// `redeliver`, which fails it as `fail` does). Not `dead_letter`: the job fails before any
    /// batch holds it, so its dead letter would have no place in the run to wait in.
    bool fails_jobs_as_read = false;
    /// Sources whose job ids name the same jobs each time they read the same input (a line
    /// number, a record number, a range's integer): a run's journal can tell which jobs an
    /// earlier run finished, so the run can resume (`--journal`, `--resume`).
    bool stable_ids = false;
    /// Sinks that write CSV (RFC 4180): a line end inside a quoted field belongs to its row, so
    /// what the sink wrote divides into rows there, not at every line end (`flowpool test`
    /// compares rows).
    bool quoted_line_ends = false;
    /// Sources that use up what they read, so that reading again would not give the same jobs:
    /// given a node's parameters, what it reads then ("standard input", "a stream"), or nothing.
    /// Unset: the source can be read again (`flowpool bench` reads it once per run).
    std::function<std::optional<std::string>(const Params&)> reads_input_once{};
    /// Functions that send each job to one of their out-edges (`route`): given a node's
    /// parameters, the nodes it sends to; validation checks they are exactly its out-edges, and
    /// the body implements StageBody::route(). Unset: every job goes to every out-edge.
    std::function<std::vector<std::string>(const Params&)> routes_to{};
    /// Functions and filters that read only some top-level fields of a record (`where` reads
    /// those its `expr` names): given a node's parameters, adds their names to `names` and says
    /// whether the node passes on the values it took, unchanged (`where`, `top`), so that what
    /// the nodes after it read counts too. Returns false if it reads a value whole. Unset: it
    /// does. A source that reads records runs faster when it reads only the fields the nodes
    /// after it read (see `projection`).
    std::function<bool(const Params&, std::vector<std::string>& names, bool& passes_on)>
        reads_fields{};
    /// Sources: the parameter that names the only fields to read (`fields` of `jsonl`), set by
    /// a run, when the node leaves it empty, to the fields the nodes after it read, if each of
    /// them says (`reads_fields`) and none keeps failed jobs as dead letters. Empty: none.
    std::string projection{};
    /// Filters that keep a job exactly when a condition (an expression, see README.md) holds for
    /// its value: the parameter that holds it (`expr` of `where`). A source whose only out-edge
    /// leads to such a node tests the condition on the fields it reads (when the condition
    /// depends on nothing else) before it reads the other fields of a record, and reads only the
    /// condition's fields of the records the node will drop; it passes those on not as jobs
    /// but as a count (Batch::prefiltered), which the node's stats show as jobs it took and
    /// dropped: its body never sees them. Empty: none.
    std::string keeps_if{};
};

/// Ops by name. A default-constructed registry holds the built-in ops; applications add theirs.
class OpRegistry {
public:
    /// A registry holding every built-in op.
    OpRegistry();

    /// Adds an op. Throws UsageError if an op has its name already, of any kind (only a source
    /// and a sink may share one, as `jsonl`'s do: a plugin's filter cannot be called `multiply`),
    /// the factory for its kind is missing, or a parameter is declared wrong (`items` or
    /// `fields` that its type cannot have, a list or map defaulting to text).
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
    /// given, shows one as a plain value (a record) where it is printed or written as JSON, and
    /// where a format or an expression reads a field of it.
    /// Register types before running; throws UsageError if @p name is built in or taken by
    /// another type in this registry. Registering @p T again here adds nothing.
    ///
    /// The name and to_value of @p T are the process's, not this registry's: a Value of T shows
    /// itself (in print formats, JSON, error messages) without knowing which registry's op made
    /// it. So while one registry holds @p T, another that registers it must give the same
    /// @p name and the same @p to_value (the same function, a lambda from the same place in the
    /// code, or none alike), else UsageError names both. The last registry holding @p T (copies
    /// count) releases it when destroyed; the next may then name and show T afresh. Safe from
    /// several threads at once, but a value of T must not be shown while another thread makes
    /// the first registration of T or releases the last.
    template <class T>
    ValueType add_type(std::string name, std::function<Value(const T&)> to_value = {}) {
        detail::OpaqueTag wanted{&typeid(T), name, {}, nullptr, nullptr, 0};
        if (to_value) {
            wanted.to_value_type = &to_value.target_type();
            if (const auto* plain = to_value.template target<Value (*)(const T&)>()) {
                // Only compared, never called through: any function pointer type holds it.
                wanted.to_value_address = reinterpret_cast<void (*)()>(*plain);
            }
            wanted.to_value = [show = std::move(to_value)](const void* value) {
                return show(*static_cast<const T*>(value));
            };
        }
        add_type_tag(detail::opaque_tag<T>(), std::move(wanted));
        return ValueType::custom(std::move(name));
    }
    /// The names of the application types added, in the order they were added.
    [[nodiscard]] std::vector<std::string> types() const;
    /// True if the application type named @p type is added here with a to_value: only then has
    /// a value of it fields that a format or an expression can read (`{value.customer}`,
    /// `.customer`). False for any other name.
    [[nodiscard]] bool shows_fields(std::string_view type) const;
    /// Every op, sorted by kind then name.
    [[nodiscard]] std::vector<const OpInfo*> list() const;

private:
    using Key = std::pair<std::string, NodeKind>;
    /// An application type this registry registered, and its hold on the type's tag.
    struct AppType {
        std::string name;
        const std::type_info* type = nullptr;
        std::shared_ptr<const void> hold;  // shared by copies; the last releases the tag
    };
    /// Checks @p wanted (name, to_value) against this registry and the registration of @p tag
    /// in force, and holds it.
    void add_type_tag(detail::OpaqueTag& tag, detail::OpaqueTag wanted);

    std::map<Key, OpInfo> ops_;
    std::vector<AppType> types_;
};

}  // namespace flowpool
