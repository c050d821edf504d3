// Pictures of a validated graph: Graphviz DOT and Mermaid flowcharts, each node labelled with
// its name, kind, op and concurrency.

#include <flowpool/graph.hpp>
#include <map>

#include "resolve.hpp"

namespace flowpool {
namespace {

/// The concurrency a node runs with, as a label line: sources and sinks are serial.
std::string concurrency_text(const detail::ResolvedNode& node) {
    if (node.kind == NodeKind::source || node.kind == NodeKind::sink) return "serial";
    if (node.concurrency == unlimited) return "concurrency unlimited";
    if (node.concurrency == 1) return "serial";
    return "concurrency " + std::to_string(node.concurrency);
}

/// The label lines of a node: name, `kind: op`, concurrency.
std::vector<std::string> label_lines(const detail::ResolvedNode& node) {
    return {node.spec->name, std::string(to_string(node.kind)) + ": " + node.op->name,
            concurrency_text(node)};
}

/// Each node's index by name, for the edges.
std::map<std::string, std::size_t, std::less<>> index_of(
    const std::vector<detail::ResolvedNode>& nodes) {
    std::map<std::string, std::size_t, std::less<>> index;
    for (std::size_t i = 0; i < nodes.size(); ++i) index.emplace(nodes[i].spec->name, i);
    return index;
}

/// A DOT double-quoted string.
std::string dot_quote(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}

std::string_view dot_shape(NodeKind kind) {
    switch (kind) {
        case NodeKind::source:
            return "shape=box, style=rounded";
        case NodeKind::function:
            return "shape=box";
        case NodeKind::filter:
            return "shape=hexagon";
        case NodeKind::sink:
            return "shape=box, style=rounded, peripheries=2";
    }
    return "shape=box";
}

/// Mermaid label text: inside `"..."`, a quote is written `#quot;` and `<` / `>` as entities.
std::string mermaid_text(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '"')
            out += "#quot;";
        else if (c == '<')
            out += "#lt;";
        else if (c == '>')
            out += "#gt;";
        else
            out += c;
    }
    return out;
}

/// Mermaid's opening and closing brackets for a node of @p kind.
std::pair<std::string_view, std::string_view> mermaid_shape(NodeKind kind) {
    switch (kind) {
        case NodeKind::source:
            return {"([", "])"};
        case NodeKind::function:
            return {"[", "]"};
        case NodeKind::filter:
            return {"{{", "}}"};
        case NodeKind::sink:
            return {"[(", ")]"};
    }
    return {"[", "]"};
}

}  // namespace

std::string to_dot(const GraphSpec& graph, const OpRegistry& ops) {
    const std::vector<detail::ResolvedNode> nodes = detail::resolve(graph, ops);
    std::string out = "digraph " + dot_quote(graph.name.empty() ? "flowpool" : graph.name) + " {\n";
    out += "    rankdir=LR;\n    node [fontname=\"Helvetica\"];\n";
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        std::string label;
        for (const std::string& line : label_lines(nodes[i]))
            label += (label.empty() ? "" : "\n") + line;
        // dot_quote escapes backslashes, so the line breaks are written as DOT's own "\n".
        std::string quoted = dot_quote(label);
        for (std::size_t at = quoted.find('\n'); at != std::string::npos;
             at = quoted.find('\n', at)) {
            quoted.replace(at, 1, "\\n");
        }
        out += "    " + dot_quote(nodes[i].spec->name) + " [label=" + quoted + ", " +
               std::string(dot_shape(nodes[i].kind)) + "];\n";
    }
    for (const EdgeSpec& edge : graph.edges) {
        out += "    " + dot_quote(edge.from) + " -> " + dot_quote(edge.to) + ";\n";
    }
    return out + "}\n";
}

std::string to_mermaid(const GraphSpec& graph, const OpRegistry& ops) {
    const std::vector<detail::ResolvedNode> nodes = detail::resolve(graph, ops);
    const auto index = index_of(nodes);
    // Ids n0, n1, ...: node names may be Mermaid keywords (`end`) or hold characters it reserves.
    std::string out = "flowchart LR\n";
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        std::string label;
        for (const std::string& line : label_lines(nodes[i]))
            label += (label.empty() ? "" : "<br/>") + mermaid_text(line);
        const auto [open, close] = mermaid_shape(nodes[i].kind);
        out += "    n" + std::to_string(i) + std::string(open) + "\"" + label + "\"" +
               std::string(close) + "\n";
    }
    for (const EdgeSpec& edge : graph.edges) {
        out += "    n" + std::to_string(index.at(edge.from)) + " --> n" +
               std::to_string(index.at(edge.to)) + "\n";
    }
    return out;
}

}  // namespace flowpool
