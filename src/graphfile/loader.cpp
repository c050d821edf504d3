// Reads a graph file into a GraphSpec: the shape of the YAML only (which keys, which scalars),
// every value remembering its FILE:LINE:COL, environment variables expanded. What the values mean
// is the validator's business.

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <flowpool/graph.hpp>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/failure_limit.hpp"
#include "common/suggest.hpp"
#include "interpolate.hpp"
#include "problems.hpp"
#include "quoted_scalar.hpp"
#include "read_text.hpp"
#include "yaml_document.hpp"

namespace flowpool {
namespace {

const std::vector<std::string> top_keys = {"graph", "version", "nodes",
                                           "edges", "plugins", "max_failures"};

std::string shape(const YAML::Node& node) {
    if (node.IsMap()) return "map";
    if (node.IsSequence()) return "list";
    if (node.IsNull()) return "missing value";
    return "value";
}

/// True if edges can name @p name: not empty, no `->`, no blanks at either end.
/// Why @p name cannot name a node, or nothing: an edge must be able to name it, and `--set
/// NODE.PARAM=VALUE` too.
std::optional<std::string> bad_node_name(const std::string& name) {
    if (name.empty() || name.find("->") != std::string::npos || name.find_first_of(" \t") == 0 ||
        name.find_last_of(" \t") == name.size() - 1) {
        return "node name '" + name +
               "' cannot be used in edges: it must not be empty, contain '->' or begin or end "
               "with a blank";
    }
    if (name.find('=') != std::string::npos) {
        return "node name '" + name + "' cannot be used by --set: it must not contain '='";
    }
    return std::nullopt;
}

/// A node name in an edge chain and the byte it starts at in the chain's text.
struct ChainName {
    std::string name;
    std::size_t offset;
};

/// The names of `a -> b -> c`, trimmed of blanks (an empty one where none is written).
std::vector<ChainName> split_chain(const std::string& text) {
    std::vector<ChainName> names;
    std::size_t start = 0;
    for (;;) {
        const std::size_t arrow = text.find("->", start);
        const std::size_t end = arrow == std::string::npos ? text.size() : arrow;
        std::size_t first = text.find_first_not_of(" \t", start);
        if (first == std::string::npos || first > end) first = end;
        std::size_t last = end;
        while (last > first && (text[last - 1] == ' ' || text[last - 1] == '\t')) --last;
        names.push_back({text.substr(first, last - first), first});
        if (arrow == std::string::npos) return names;
        start = arrow + 2;
    }
}

class Loader {
public:
    Loader(std::string file, std::string_view text, const detail::EnvLookup& env)
        : file_(std::move(file)), text_(text), env_(env) {}

    GraphSpec load() {
        detail::check_utf8_text(text_, file_);
        GraphSpec graph;
        graph.file = file_;
        YAML::Node root;
        try {
            root = detail::only_document(std::string(text_), file_);
        } catch (const YAML::DeepRecursion& e) {
            // yaml-cpp's own text for this is "bad file", which sends readers looking elsewhere.
            throw ConfigError(at(e.mark), "YAML nested too deeply: the parser stops at " +
                                              std::to_string(e.depth()) +
                                              " levels, a graph file needs 3");
        } catch (const YAML::Exception& e) {
            throw ConfigError(at(e.mark), "invalid YAML: " + e.msg + syntax_hint(e.mark));
        }
        if (root.IsNull()) throw ConfigError(SourceLocation{file_, 1, 1}, "the file is empty");
        if (!root.IsMap()) {
            throw ConfigError(at(root.Mark()),
                              "a graph file is a map with keys graph, nodes and edges");
        }
        std::map<std::string, YAML::Mark> seen;
        for (const auto& entry : root) {
            const std::optional<std::string> key = read_key(entry.first, seen, "");
            if (!key) continue;
            if (*key == "graph") {
                if (auto name = value(entry.second, "graph")) graph.name = *name;
            } else if (*key == "version") {
                const std::optional<std::string> version = value(entry.second, "version");
                if (version && *version != "1") {
                    problem(entry.second.Mark(), "unsupported version '" + *version +
                                                     "'; this flowpool reads version 1");
                }
            } else if (*key == "nodes") {
                load_nodes(entry.second, graph);
            } else if (*key == "edges") {
                load_edges(entry.second, graph);
            } else if (*key == "plugins") {
                load_plugin_list(entry.second, graph);
            } else if (*key == "max_failures") {
                load_max_failures(entry.second, graph);
            } else {
                problem(entry.first.Mark(),
                        "unknown key '" + *key + "'" + detail::did_you_mean(*key, top_keys));
            }
        }
        if (seen.count("nodes") == 0) problem(root.Mark(), "the graph has no 'nodes'");
        detail::throw_problems(problems_);
        return graph;
    }

private:
    /// `max_failures: N` or `P%`: checked here, where its position is known.
    void load_max_failures(const YAML::Node& node, GraphSpec& graph) {
        const std::optional<std::string> text = value(node, "max_failures");
        if (!text) return;
        try {
            detail::FailureLimit{*text};
            graph.max_failures = *text;
            graph.max_failures_where = at(node.Mark());
        } catch (const std::invalid_argument& e) {
            problem(node.Mark(), std::string("max_failures ") + e.what());
        }
    }

    SourceLocation at(const YAML::Mark& mark) const { return detail::location(file_, mark); }
    void problem(const YAML::Mark& mark, std::string message) {
        problem(at(mark), std::move(message));
    }
    void problem(SourceLocation where, std::string message) {
        problems_.push_back({std::move(where), std::move(message)});
    }

    /// A hint for a YAML syntax error from the line it is on: a tab that indents it, or an
    /// unquoted `${VAR}` inside `{ ... }`, whose braces end the map early.
    std::string syntax_hint(const YAML::Mark& mark) const {
        if (mark.is_null()) return {};
        std::size_t start = 0;
        for (int line = 0; line < mark.line && start != std::string_view::npos; ++line) {
            start = text_.find('\n', start);
            if (start != std::string_view::npos) ++start;
        }
        if (start == std::string_view::npos) return {};
        const std::string_view line = text_.substr(start, text_.find('\n', start) - start);
        const std::size_t indent_end = line.find_first_not_of(" \t");
        if (line.substr(0, indent_end).find('\t') != std::string_view::npos) {
            return " (a tab indents this line; YAML indents with spaces)";
        }
        if (line.find("${") != std::string_view::npos) {
            return " (inside { }, quote a value that uses ${...}: \"${VAR}\")";
        }
        return {};
    }

    /// A map key as text, or nothing (and a problem) if it is not a scalar or was seen before.
    std::optional<std::string> read_key(const YAML::Node& key,
                                        std::map<std::string, YAML::Mark>& seen,
                                        const std::string& in) {
        if (!key.IsScalar()) {
            problem(key.Mark(), "a key" + in + " must be a name, not a " + shape(key));
            return std::nullopt;
        }
        // yaml-cpp reads a merge key as a key like any other ("unknown parameter '<<'").
        if (key.Scalar() == "<<" && key.Tag() == "?") {
            problem(key.Mark(), "YAML merge keys ('<<') are not supported" + in +
                                    ": write the keys out, or alias a whole map (name: *ANCHOR)");
            return std::nullopt;
        }
        // yaml-cpp keeps both entries of a repeated key; say so instead of taking either.
        const auto [first, inserted] = seen.emplace(key.Scalar(), key.Mark());
        if (!inserted) {
            problem(key.Mark(), "duplicate key '" + key.Scalar() + "'" + in + " (first on line " +
                                    std::to_string(first->second.line + 1) + ")");
            return std::nullopt;
        }
        return key.Scalar();
    }

    /// A scalar value with its variables expanded, or nothing (and a problem).
    std::optional<std::string> value(const YAML::Node& node, std::string_view what) {
        if (!node.IsScalar()) {
            problem(node.Mark(),
                    std::string(what) + " must be a single value, not a " + shape(node));
            return std::nullopt;
        }
        // Aliases repeat what they name without taking room in the file: 8 KiB of `*a` can
        // stand for millions of edges. Count what is read, each repetition again.
        expanded_bytes_ += node.Scalar().size() + 1;
        if (expanded_bytes_ > max_graph_file_bytes) {
            throw ConfigError(at(node.Mark()),
                              "the graph file's aliases (*NAME) repeat it to more than 1 MiB; a "
                              "graph file may be at most 1 MiB, what its aliases repeat included");
        }
        auto expanded = detail::interpolate(node.Scalar(), env_);
        if (auto* error = std::get_if<detail::InterpolationError>(&expanded)) {
            problem(where_written(node.Mark(), error->reference), error->message);
            return std::nullopt;
        }
        return std::get<std::string>(std::move(expanded));
    }

    /// Where @p written first appears in the file at or after @p mark (a scalar's start), so an
    /// error points at the `${` itself; the scalar's start if it is not found there as written.
    SourceLocation where_written(const YAML::Mark& mark, const std::string& written) const {
        SourceLocation where = at(mark);
        const auto start = static_cast<std::size_t>(std::max(mark.pos, 0));
        const std::size_t found = text_.find(written, start);
        if (mark.is_null() || found == std::string_view::npos) return where;
        for (std::size_t i = start; i < found; ++i) {
            if (text_[i] == '\n') {
                ++where.line;
                where.column = 1;
            } else {
                ++where.column;
            }
        }
        return where;
    }

    void load_nodes(const YAML::Node& nodes, GraphSpec& graph) {
        if (!nodes.IsMap()) {
            problem(nodes.Mark(),
                    "'nodes' must be a map from node names to nodes, not a " + shape(nodes));
            return;
        }
        for (const auto& entry : nodes) {
            if (!entry.first.IsScalar()) {
                problem(entry.first.Mark(),
                        "a node name must be a name, not a " + shape(entry.first));
                continue;
            }
            NodeSpec node;
            node.name = entry.first.Scalar();
            node.where = at(entry.first.Mark());
            node.kind_where = node.where;
            node.op_where = node.where;
            if (const std::optional<std::string> why = bad_node_name(node.name)) {
                problem(node.where, *why);
            }
            const YAML::Node& body = entry.second;
            if (!body.IsMap()) {
                problem(body.Mark(),
                        "node '" + node.name + "' must be a map with kind, op and parameters");
                continue;
            }
            std::map<std::string, YAML::Mark> seen;
            for (const auto& field : body) {
                const std::optional<std::string> key =
                    read_key(field.first, seen, " in node '" + node.name + "'");
                if (!key) continue;
                if (*key == "kind" || *key == "op") {
                    const std::optional<std::string> text =
                        value(field.second, "'" + *key + "' of node '" + node.name + "'");
                    if (!text) continue;
                    (*key == "kind" ? node.kind : node.op) = *text;
                    (*key == "kind" ? node.kind_where : node.op_where) = at(field.second.Mark());
                } else if (auto param = read_param(field.second, *key, node.name)) {
                    param->name = *key;
                    param->name_where = at(field.first.Mark());
                    node.params.push_back(std::move(*param));
                }
            }
            graph.nodes.push_back(std::move(node));
        }
    }

    /// A parameter's value, a scalar or a list or map of them, or nothing (and a problem);
    /// @p path names it in problems (`cases[0].when`). The caller sets its name.
    std::optional<ParamSpec> read_param(const YAML::Node& node, const std::string& path,
                                        const std::string& node_name) {
        const std::string what = "'" + path + "' of node '" + node_name + "'";
        ParamSpec param;
        param.where = at(node.Mark());
        if (node.IsSequence()) {
            param.shape = ParamSpec::Shape::list;
            for (const auto& element : node) {
                const std::string index = path + '[' + std::to_string(param.items.size()) + ']';
                auto item = read_param(element, index, node_name);
                if (!item) return std::nullopt;
                item->name_where = item->where;
                param.items.push_back(std::move(*item));
            }
        } else if (node.IsMap()) {
            param.shape = ParamSpec::Shape::map;
            std::map<std::string, YAML::Mark> seen;
            for (const auto& entry : node) {
                const std::optional<std::string> key = read_key(entry.first, seen, " in " + what);
                if (!key) return std::nullopt;
                auto item = read_param(entry.second, path + "." + *key, node_name);
                if (!item) return std::nullopt;
                item->name = *key;
                item->name_where = at(entry.first.Mark());
                param.items.push_back(std::move(*item));
            }
        } else if (node.IsNull()) {
            // Not "must be a single value": it may take a map or a list (`window: ~`).
            problem(node.Mark(), what + " has no value (YAML reads null, ~ and nothing as none; " +
                                     "for the text or the expression null, quote it: \"null\")");
            return std::nullopt;
        } else {
            std::optional<std::string> text = value(node, what);
            if (!text) return std::nullopt;
            param.value = std::move(*text);
            place_text(node, param);
        }
        return param;
    }

    /// Sets where @p param's text, @p node's value, is written, for ParamSpec::at.
    void place_text(const YAML::Node& node, ParamSpec& param) const {
        param.text_where = text_start(node, param.value);
        if (param.text_where.line == 0) param.text_places = quoted_places(node, param.value);
    }

    /// Where @p text, a scalar's value, starts in the file if it is written there as it reads, on
    /// one line; line 0 if not. yaml-cpp marks a quoted scalar at its opening quote and tags it
    /// "!" (a plain scalar "?"); a block scalar, also "!", is marked at its `|` or `>`.
    SourceLocation text_start(const YAML::Node& node, const std::string& text) const {
        const YAML::Mark mark = node.Mark();
        if (mark.is_null() || mark.pos < 0 || text.find('\n') != std::string::npos) return {};
        std::size_t start = static_cast<std::size_t>(mark.pos);
        if (start >= text_.size()) return {};
        const bool quoted = node.Tag() == "!" && start < text_.size() &&
                            (text_[start] == '"' || text_[start] == '\'');
        if (quoted) ++start;
        // Escapes, ${VAR}, folded lines, block scalars, anchors and tags all fail this.
        if (text_.compare(start, text.size(), text) != 0) return {};
        SourceLocation where = at(mark);
        if (quoted) ++where.column;
        return where;
    }

    /// Where each byte of @p text, a quoted scalar's value, is written, then its closing quote;
    /// empty for a scalar not quoted, or whose text read again through its escapes and folded
    /// lines is not @p text (a `${VAR}` expanded, say).
    std::vector<TextPlace> quoted_places(const YAML::Node& node, const std::string& text) const {
        const YAML::Mark mark = node.Mark();
        if (mark.is_null() || mark.pos < 0 || node.Tag() != "!") return {};
        const SourceLocation quote = at(mark);
        return detail::quoted_scalar_places(text_, static_cast<std::size_t>(mark.pos),
                                            {quote.line, quote.column}, text);
    }

    void load_edges(const YAML::Node& edges, GraphSpec& graph) {
        if (edges.IsNull()) return;
        if (!edges.IsSequence()) {
            problem(edges.Mark(), "'edges' must be a list of 'FROM -> TO', not a " + shape(edges));
            return;
        }
        // Every chain's text is read first, so that a file whose aliases repeat it beyond the
        // size limit is refused before any of its edges is built: 8 KiB of aliases refused
        // after building the 350,000 edges of the first 1 MiB took half a second.
        std::vector<std::pair<YAML::Node, std::string>> chains;
        for (const auto& edge : edges) {
            if (!edge.IsScalar()) {
                problem(edge.Mark(), "an edge is written 'FROM -> TO', not as a " + shape(edge));
            } else if (std::optional<std::string> text = value(edge, "an edge")) {
                chains.emplace_back(edge, std::move(*text));
            }
        }
        // An edge given twice is the validator's to report: a GraphSpec built in C++ can hold
        // one too.
        for (const auto& [edge, text] : chains) {
            const std::vector<ChainName> names = split_chain(text);
            const bool blank = std::any_of(names.begin(), names.end(),
                                           [](const ChainName& n) { return n.name.empty(); });
            if (names.size() < 2 || blank) {
                problem(edge.Mark(), "an edge is written 'FROM -> TO', not '" + text + "'");
                continue;
            }
            // The chain's text placed as a parameter's is, so each FROM can name its column.
            ParamSpec written;
            written.value = text;
            written.where = at(edge.Mark());
            place_text(edge, written);
            const bool known = written.text_where.line != 0 || !written.text_places.empty();
            for (std::size_t i = 0; i + 1 < names.size(); ++i) {
                graph.edges.push_back({names[i].name, names[i + 1].name, written.where,
                                       known ? written.at(names[i].offset) : SourceLocation{}});
            }
        }
    }

    void load_plugin_list(const YAML::Node& plugins, GraphSpec& graph) {
        if (plugins.IsNull()) return;
        if (!plugins.IsSequence()) {
            problem(plugins.Mark(),
                    "'plugins' must be a list of shared-library paths, not a " + shape(plugins));
            return;
        }
        for (const auto& plugin : plugins) {
            const std::optional<std::string> path = value(plugin, "a plugin");
            if (!path) continue;
            if (path->empty()) {
                problem(plugin.Mark(), "a plugin path is empty");
                continue;
            }
            graph.plugins.push_back({*path, at(plugin.Mark())});
        }
    }

    std::string file_;
    std::string_view text_;
    const detail::EnvLookup& env_;
    std::size_t expanded_bytes_ = 0;  // scalar bytes read so far, aliases counted each time
    std::vector<ConfigError::Problem> problems_;
};

}  // namespace

const ParamSpec* NodeSpec::param(std::string_view key) const noexcept {
    for (const ParamSpec& p : params) {
        if (p.name == key) return &p;
    }
    return nullptr;
}

SourceLocation ParamSpec::at(std::size_t offset) const {
    if (!text_places.empty()) {
        const TextPlace& place = text_places[std::min(offset, text_places.size() - 1)];
        return SourceLocation{where.file, place.line, place.column};
    }
    if (text_where.line == 0) return where;
    SourceLocation inside = text_where;
    inside.column += static_cast<int>(std::min(offset, value.size()));
    return inside;
}

GraphSpec parse_graph(std::string_view text, const std::string& file) {
    const detail::EnvLookup env = detail::process_env;
    return Loader(file, text, env).load();
}

GraphSpec load_graph_file(const std::string& path) {
    return parse_graph(detail::read_graph_text(path), path);
}

}  // namespace flowpool
