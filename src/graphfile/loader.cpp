// Reads a graph file into a GraphSpec: the shape of the YAML only (which keys, which scalars),
// every value remembering its FILE:LINE:COL. What the values mean is the validator's business.

#include <flowpool/graph.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "suggest.hpp"

namespace flowpool {
namespace {

class Loader {
public:
    explicit Loader(std::string file) : file_(std::move(file)) {}

    GraphSpec load(std::string_view text) {
        GraphSpec graph;
        graph.file = file_;
        YAML::Node root;
        try {
            root = YAML::Load(std::string(text));
        } catch (const YAML::Exception& e) {
            throw ConfigError(at(e.mark), yaml_message(e));
        }
        if (root.IsNull()) throw ConfigError(SourceLocation{file_, 1, 1}, "the file is empty");
        if (!root.IsMap()) {
            throw ConfigError(at(root.Mark()), "a graph file is a map with keys graph, nodes and edges");
        }
        for (const auto& entry : root) {
            const std::string key = entry.first.Scalar();
            if (key == "graph") {
                if (scalar(entry.second, "graph")) graph.name = entry.second.Scalar();
            } else if (key == "version") {
                if (scalar(entry.second, "version") && entry.second.Scalar() != "1") {
                    problem(entry.second.Mark(), "unsupported version '" + entry.second.Scalar() +
                                                     "'; this flowpool reads version 1");
                }
            } else if (key == "nodes") {
                load_nodes(entry.second, graph);
            } else if (key == "edges") {
                load_edges(entry.second, graph);
            } else {
                problem(entry.first.Mark(), "unknown key '" + key + "'" +
                                                detail::did_you_mean(key, {"graph", "version", "nodes", "edges"}));
            }
        }
        if (!root["nodes"]) problem(root.Mark(), "the graph has no 'nodes'");
        if (!problems_.empty()) throw ConfigError(std::move(problems_));
        return graph;
    }

private:
    SourceLocation at(const YAML::Mark& mark) const {
        if (mark.is_null()) return SourceLocation{file_, 1, 1};
        return SourceLocation{file_, mark.line + 1, mark.column + 1};
    }
    void problem(const YAML::Mark& mark, std::string message) {
        problems_.push_back({at(mark), std::move(message)});
    }
    bool scalar(const YAML::Node& node, std::string_view what) {
        if (node.IsScalar()) return true;
        problem(node.Mark(), std::string(what) + " must be a single value, not a " + shape(node));
        return false;
    }
    static std::string shape(const YAML::Node& node) {
        if (node.IsMap()) return "map";
        if (node.IsSequence()) return "list";
        if (node.IsNull()) return "missing value";
        return "value";
    }
    static std::string yaml_message(const YAML::Exception& e) {
        // yaml-cpp's texts for some failures mislead; say what happened instead.
        if (e.msg.find("recursion") != std::string::npos || e.msg.find("deep") != std::string::npos) {
            return "YAML nested too deeply";
        }
        return "invalid YAML: " + e.msg;
    }

    void load_nodes(const YAML::Node& nodes, GraphSpec& graph) {
        if (!nodes.IsMap()) {
            problem(nodes.Mark(), "'nodes' must be a map from node names to nodes, not a " + shape(nodes));
            return;
        }
        for (const auto& entry : nodes) {
            NodeSpec node;
            node.name = entry.first.Scalar();
            node.where = at(entry.first.Mark());
            node.kind_where = node.where;
            node.op_where = node.where;
            const YAML::Node& body = entry.second;
            if (!body.IsMap()) {
                problem(body.Mark(), "node '" + node.name + "' must be a map with kind, op and parameters");
                continue;
            }
            for (const auto& field : body) {
                const std::string key = field.first.Scalar();
                if (!scalar(field.second, "'" + key + "' of node '" + node.name + "'")) continue;
                if (key == "kind") {
                    node.kind = field.second.Scalar();
                    node.kind_where = at(field.second.Mark());
                } else if (key == "op") {
                    node.op = field.second.Scalar();
                    node.op_where = at(field.second.Mark());
                } else {
                    node.params.push_back({key, at(field.first.Mark()), field.second.Scalar(),
                                           at(field.second.Mark())});
                }
            }
            graph.nodes.push_back(std::move(node));
        }
    }

    void load_edges(const YAML::Node& edges, GraphSpec& graph) {
        if (edges.IsNull()) return;
        if (!edges.IsSequence()) {
            problem(edges.Mark(), "'edges' must be a list of 'FROM -> TO', not a " + shape(edges));
            return;
        }
        for (const auto& edge : edges) {
            if (!edge.IsScalar()) {
                problem(edge.Mark(), "an edge is written 'FROM -> TO', not as a " + shape(edge));
                continue;
            }
            // "a -> b -> c" is two edges.
            const std::string& text = edge.Scalar();
            std::vector<std::string> names;
            std::size_t start = 0;
            for (;;) {
                const std::size_t arrow = text.find("->", start);
                std::string name = text.substr(start, arrow == std::string::npos ? std::string::npos : arrow - start);
                name.erase(0, name.find_first_not_of(" \t"));
                name.erase(name.find_last_not_of(" \t") + 1);
                names.push_back(std::move(name));
                if (arrow == std::string::npos) break;
                start = arrow + 2;
            }
            const bool blank = std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.empty(); });
            if (names.size() < 2 || blank) {
                problem(edge.Mark(), "an edge is written 'FROM -> TO', not '" + text + "'");
                continue;
            }
            for (std::size_t i = 0; i + 1 < names.size(); ++i) {
                graph.edges.push_back({names[i], names[i + 1], at(edge.Mark())});
            }
        }
    }

    std::string file_;
    std::vector<ConfigError::Problem> problems_;
};

}  // namespace

const ParamSpec* NodeSpec::param(std::string_view key) const noexcept {
    for (const ParamSpec& p : params) {
        if (p.name == key) return &p;
    }
    return nullptr;
}

GraphSpec parse_graph(std::string_view text, const std::string& file) {
    return Loader(file).load(text);
}

GraphSpec load_graph_file(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        throw ConfigError(SourceLocation{path}, std::string("cannot open: ") + std::strerror(errno));
    }
    if (S_ISDIR(info.st_mode)) throw ConfigError(SourceLocation{path}, "is a directory, not a graph file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(SourceLocation{path}, std::string("cannot open: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ConfigError(SourceLocation{path}, "cannot read the file");
    return parse_graph(text.str(), path);
}

void set_param(GraphSpec& graph, std::string_view assignment) {
    const SourceLocation where{"--set " + std::string(assignment)};
    const std::size_t equals = assignment.find('=');
    const std::size_t dot = assignment.substr(0, equals).find('.');
    if (equals == std::string_view::npos || dot == std::string_view::npos || dot == 0 ||
        dot + 1 == equals) {
        throw ConfigError(where, "expected NODE.PARAM=VALUE");
    }
    const std::string node_name(assignment.substr(0, dot));
    const std::string key(assignment.substr(dot + 1, equals - dot - 1));
    const std::string value(assignment.substr(equals + 1));
    for (NodeSpec& node : graph.nodes) {
        if (node.name != node_name) continue;
        if (key == "kind") {
            node.kind = value;
            node.kind_where = where;
        } else if (key == "op") {
            node.op = value;
            node.op_where = where;
        } else {
            auto same = [&](const ParamSpec& p) { return p.name == key; };
            const auto found = std::find_if(node.params.begin(), node.params.end(), same);
            if (found == node.params.end()) {
                node.params.push_back({key, where, value, where});
            } else {
                found->value = value;
                found->where = where;
            }
        }
        return;
    }
    std::vector<std::string> names;
    for (const NodeSpec& node : graph.nodes) names.push_back(node.name);
    throw ConfigError(where, "no node named '" + node_name + "'" + detail::did_you_mean(node_name, names));
}

}  // namespace flowpool
