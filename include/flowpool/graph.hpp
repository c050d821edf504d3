#pragma once
/// @file graph.hpp
/// Graph files: load one, override its parameters, validate it against an op registry, run it.
///
/// @code
/// flowpool::GraphSpec graph = flowpool::load_graph_file("graphs/worker_pool.yaml");
/// flowpool::set_param(graph, "workers.concurrency=8");
/// flowpool::RunResult result = flowpool::run_graph(graph, flowpool::OpRegistry{});
/// @endcode

#include <flowpool/error.hpp>
#include <flowpool/ops.hpp>
#include <flowpool/stats.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace flowpool {

/// Where one byte of a scalar's text is written in its file: 1-based line and column (bytes).
struct TextPlace {
    int line = 0;    ///< 1-based line
    int column = 0;  ///< 1-based column, in bytes
};

/// A node parameter as written, remembering where: a scalar, or a list or a map of parameters
/// (recursively), each element with its own position.
///
/// An op's check can point inside a scalar's text (ParamTextError): at(offset) is where byte
/// `offset` of `value` is written. That position is exact for a plain scalar on one line and for
/// a quoted one, escapes (`\t`, `\u00e9`, `''`; each byte an escape stands for is at its `\` or
/// first `'`) and lines folded included. Otherwise (a `${VAR}`, a plain scalar folded over lines,
/// a block scalar `|` or `>`, an anchor or tag before it) it is the scalar's start, `where`.
struct ParamSpec {
    /// How a value is written.
    enum class Shape { scalar, list, map };

    std::string name;           ///< the key; empty for a list's element
    SourceLocation name_where;  ///< where the key is (a list's element: where the element is)
    /// A scalar's text, variables expanded. A list or map given by `--set` keeps the text typed
    /// too: a parameter taking a single value reads it as written (`--set p.format={id}`).
    std::string value;
    SourceLocation where;            ///< where the value starts (a quoted scalar: at its quote)
    Shape shape = Shape::scalar;     ///< scalar, list or map
    std::vector<ParamSpec> items{};  ///< a list's elements or a map's entries, in file order
    /// Where `value`'s first byte is written, when it is written as read on one line (see above);
    /// line 0 when unknown.
    SourceLocation text_where{};
    /// Where each byte of `value` is written, then the closing quote, for a quoted scalar not
    /// written as read (escapes, `''`, lines folded); empty otherwise.
    std::vector<TextPlace> text_places{};

    /// Where byte @p offset of `value` is written: from `text_places` when known, else
    /// `text_where` moved @p offset columns on when known, else `where`.
    [[nodiscard]] SourceLocation at(std::size_t offset) const;
    /// True if the value can be read as a single value: a scalar, or a list or map given by
    /// `--set`, whose text is kept in `value`.
    [[nodiscard]] bool has_text() const noexcept {
        return shape == Shape::scalar || !value.empty();
    }
};

/// A node as written in a graph file.
struct NodeSpec {
    std::string name;               ///< the key under `nodes:`
    SourceLocation where;           ///< where the name is
    std::string kind;               ///< `source`, `function`, `filter` or `sink`
    SourceLocation kind_where;      ///< where the kind is (the node's position if missing)
    std::string op;                 ///< the op's name
    SourceLocation op_where;        ///< where the op is (the node's position if missing)
    std::vector<ParamSpec> params;  ///< every other key, in file order

    /// The parameter named @p name, or nullptr.
    [[nodiscard]] const ParamSpec* param(std::string_view name) const noexcept;
};

/// An edge `FROM -> TO`.
struct EdgeSpec {
    std::string from;      ///< the sending node
    std::string to;        ///< the receiving node
    SourceLocation where;  ///< where the edge is written
    /// Where its FROM is written, when that is known exactly (in `a -> b -> c`, `b -> c` is at
    /// `b`); line 0 when not: `where` stands for it.
    SourceLocation from_where{};
};

/// A shared library listed under `plugins:`.
struct PluginSpec {
    std::string path;      ///< as written (variables expanded); relative paths are relative to the
                           ///< graph file's directory
    SourceLocation where;  ///< where it is written
};

/// A graph file, parsed but not yet validated.
struct GraphSpec {
    std::string file;                 ///< the path it was read from
    std::string name;                 ///< the `graph:` name
    std::vector<NodeSpec> nodes;      ///< in file order
    std::vector<EdgeSpec> edges;      ///< in file order
    std::vector<PluginSpec> plugins;  ///< in file order
    /// `max_failures:` as written: `N` or `P%` jobs may fail under skip or dead-letter policies
    /// before `flowpool run` stops the sources; empty: no limit.
    std::string max_failures{};
    SourceLocation max_failures_where{};  ///< where `max_failures` is written
};

/// The largest graph file load_graph_file() reads, in bytes (1 MiB): a bigger file is an error,
/// not a long wait.
inline constexpr std::size_t max_graph_file_bytes = std::size_t{1} << 20;

/// Reads a graph file. Throws ConfigError (with FILE:LINE:COL) if it cannot be read or parsed,
/// or if it is larger than max_graph_file_bytes, not UTF-8 text, or names an unset variable.
GraphSpec load_graph_file(const std::string& path);
/// Parses graph-file text; @p file names it in errors. Every scalar value may use `${VAR}` and
/// `${VAR:-default}` (from the environment; `$${` is a literal `${`); keys may not.
GraphSpec parse_graph(std::string_view text, const std::string& file);

/// Loads every plugin @p graph lists (see flowpool/plugin.hpp) and lets it register its ops in
/// @p ops. Throws ConfigError at the plugin's entry if it cannot be loaded, is not a flowpool
/// plugin, was built for another plugin ABI, throws from an entry point, or registers an op
/// whose name is taken; @p ops then holds what it held before (no op of a plugin that failed
/// half-way, nor of the plugins before it). A loaded plugin stays loaded until the process
/// exits. Plugins call into flowpool: an application linking flowpool statically (the default)
/// must export its symbols to them (CMake: `set_target_properties(app PROPERTIES
/// ENABLE_EXPORTS ON)`; GCC and Clang: `-rdynamic`), or loading fails with `undefined symbol`.
void load_plugins(const GraphSpec& graph, OpRegistry& ops);

/// Applies `NODE.PARAM=VALUE`, adding or replacing the parameter (kind and op included). A VALUE
/// that is a YAML flow list or map (`[a, b]`, `{k: v}`) is read as one, its text kept too (see
/// ParamSpec::value). Throws ConfigError if the text is malformed or names no node. Its problems,
/// and those validate() finds in what it set, are at `FILE: --set ASSIGNMENT` (FILE: the graph's
/// `file`, left out if empty).
void set_param(GraphSpec& graph, std::string_view assignment);

/// Checks everything that can be known before running; throws ConfigError listing every
/// problem found, each with its FILE:LINE:COL.
void validate(const GraphSpec& graph, const OpRegistry& ops);

/// What is worth a warning in @p graph but does not make it wrong (an `exec` program not on
/// PATH), each at its FILE:LINE:COL; nodes with problems are passed over (validate() finds them).
[[nodiscard]] std::vector<ConfigError::Problem> warnings(const GraphSpec& graph,
                                                         const OpRegistry& ops);

/// The graph as Graphviz DOT: each node labelled with its name, kind, op and concurrency.
/// Validates @p graph first (throws ConfigError like validate()).
[[nodiscard]] std::string to_dot(const GraphSpec& graph, const OpRegistry& ops);
/// The graph as a Mermaid flowchart, labelled like to_dot(). Validates @p graph first.
[[nodiscard]] std::string to_mermaid(const GraphSpec& graph, const OpRegistry& ops);

/// A function an expression may call, or an aggregate function of `aggregate`'s `fields`, as
/// `flowpool ops` lists it.
struct FunctionInfo {
    std::string signature;    ///< `lower(s: string) -> string`, `p99(E)`
    std::string description;  ///< one line
};
/// The functions of the expression language (README.md, "Expressions"), by name.
[[nodiscard]] std::vector<FunctionInfo> expression_functions();
/// The aggregate functions `aggregate` takes in `fields`.
[[nodiscard]] std::vector<FunctionInfo> aggregate_functions();

/// Validates @p graph, builds it on the runtime and runs it to completion.
/// Job failures are returned in RunResult::error, not thrown.
RunResult run_graph(const GraphSpec& graph, const OpRegistry& ops, const RunOptions& options = {});

}  // namespace flowpool
