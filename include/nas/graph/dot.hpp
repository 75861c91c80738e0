// Graphviz export of an architecture: each node is labelled with its name, its layer (kind and settings)
// and its output shape, each edge with the input slot when a node has several inputs. Render with
// `dot -Tsvg net.dot -o net.svg`. The text is the layout boost::write_graphviz gives (vertices by index,
// then edges in the graph's edge order), written here directly: <boost/graph/graphviz.hpp> (Spirit,
// property maps, the DOT reader) cost every translation unit that includes nas/graph.hpp seconds of
// compile time for these few lines.
#pragma once

#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "nas/graph/architecture.hpp"
#include "nas/graph/layers.hpp"
#include "nas/train/tensor.hpp"

namespace nas::graph {

namespace detail {

// Escapes a label for a double-quoted DOT string.
inline std::string dot_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace detail

// Writes a in DOT. Shapes are included when the graph is valid (an invalid graph is still drawn, so it
// can be inspected).
// Example: std::ofstream f("net.dot"); write_dot(f, arch);
inline void write_dot(std::ostream& os, const architecture& a) {
  std::vector<train::shape4> shapes;
  try {
    shapes = a.shapes();
  } catch (const moo::error&) {
    shapes.clear();
  }
  const boost_graph& g = a.graph();
  os << "digraph G {\n";
  os << "rankdir=TB;\nnode [fontname=\"Helvetica\"];\n";
  for (node_id v = 0; v < boost::num_vertices(g); ++v) {
    std::string text = detail::dot_escape(a.name(v)) + "\\n" +
                       detail::dot_escape(a.has_layer(v) ? describe(a.layer(v)) : std::string("input"));
    if (!shapes.empty()) {
      const auto& s = shapes[v];
      text += moo::detail::message("\\n[", s[1], ", ", s[2], ", ", s[3], "]");
    }
    os << v << "[label=\"" << text << "\"";
    if (v == a.input() || v == a.output()) os << ", shape=box, style=bold";
    else if (a.kind(v) == "conv2d" || a.kind(v) == "linear") os << ", shape=box";
    else os << ", shape=ellipse";
    os << "];\n";
  }
  for (auto [e, end] = boost::edges(g); e != end; ++e) {
    os << boost::source(*e, g) << "->" << boost::target(*e, g) << " ";
    if (boost::in_degree(boost::target(*e, g), g) > 1) os << "[label=\"" << g[*e].slot << "\"]";
    os << ";\n";
  }
  os << "}\n";
}

// The DOT text of a.
inline std::string to_dot(const architecture& a) {
  std::ostringstream os;
  write_dot(os, a);
  return os.str();
}

}  // namespace nas::graph
