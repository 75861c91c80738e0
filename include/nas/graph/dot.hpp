// Graphviz export of an architecture through boost::write_graphviz: each node is labelled with its name,
// its layer (kind and settings) and its output shape, each edge with the input slot when a node has
// several inputs. Render with `dot -Tsvg net.dot -o net.svg`.
#pragma once

#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/graph/graphviz.hpp>

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
  auto vertex_writer = [&](std::ostream& out, node_id v) {
    std::string text = detail::dot_escape(a.name(v)) + "\\n" +
                       detail::dot_escape(a.has_layer(v) ? describe(a.layer(v)) : std::string("input"));
    if (!shapes.empty()) {
      const auto& s = shapes[v];
      text += moo::detail::message("\\n[", s[1], ", ", s[2], ", ", s[3], "]");
    }
    out << "[label=\"" << text << "\"";
    if (v == a.input() || v == a.output()) out << ", shape=box, style=bold";
    else if (a.kind(v) == "conv2d" || a.kind(v) == "linear") out << ", shape=box";
    else out << ", shape=ellipse";
    out << "]";
  };
  auto edge_writer = [&](std::ostream& out, const boost_graph::edge_descriptor& e) {
    if (boost::in_degree(boost::target(e, g), g) > 1) out << "[label=\"" << g[e].slot << "\"]";
  };
  auto graph_writer = [](std::ostream& out) { out << "rankdir=TB;\nnode [fontname=\"Helvetica\"];\n"; };
  boost::write_graphviz(os, g, vertex_writer, edge_writer, graph_writer);
}

// The DOT text of a.
inline std::string to_dot(const architecture& a) {
  std::ostringstream os;
  write_dot(os, a);
  return os.str();
}

}  // namespace nas::graph
