// An architecture as a DAG on Boost.Graph: an input node, layer nodes that own their layer (and so their
// weights) as a bundled property, and a designated output node. It validates itself (cycles, dangling
// nodes, channel and spatial mismatches, each reported with the node's name), counts its parameters and
// multiply-accumulates without running anything, and compiles to a runnable nas::train::network in
// topological order. Copying an architecture copies every weight: a child starts as its parent
// (Lamarckian inheritance, Elsken et al. 2019), and morphisms change only what they touch.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <functional>
#include <initializer_list>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "moo/core/error.hpp"
#include "nas/graph/convex_merge.hpp"
#include "nas/graph/layers.hpp"
#include "nas/train/layer.hpp"
#include "nas/train/network.hpp"
#include "nas/train/tensor.hpp"

namespace nas::graph {

// A node of the graph: a unique name and its layer (empty only for the input node).
struct node {
  std::string name;
  std::optional<train::layer> op;
};

// An edge u -> v: u's output is input number `slot` of v (the order matters for concat and merges).
struct edge {
  std::size_t slot = 0;
};

// The Boost.Graph type underneath: vertices in a vector (descriptors are indices), in-edges kept so a
// node's inputs are found directly.
using boost_graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, node, edge>;

// A node's index. Removing nodes renumbers the later ones.
using node_id = std::size_t;

// "No node".
inline constexpr node_id no_node = static_cast<node_id>(-1);

// Shape of one input image: channels, height, width.
using image_shape = std::array<std::size_t, 3>;

// The most values one tensor of an architecture may hold (train::max_tensor_values, 2^28).
using train::max_tensor_values;

namespace detail {
using train::detail::product_within;
}  // namespace detail

// A DAG of layers with one input and one output.
// Example:
//   architecture a({1, 28, 28});
//   auto c = a.add(train::conv2d({.in_channels = 1, .out_channels = 8, .padding = 1}, rng), {a.input()}, "conv1");
//   auto r = a.add(train::relu{}, {c});
//   a.add(train::global_avg_pool{}, {r});  // the last node added is the output unless set_output says otherwise
//   train::network net = a.compile();
class architecture {
 public:
  // An architecture with only its input node, for images of shape `input`.
  explicit architecture(image_shape input, std::string input_name = "input") : input_shape_(input) {
    if (input[0] == 0 || input[1] == 0 || input[2] == 0)
      throw moo::value_error(moo::detail::message("architecture: input shape [", input[0], ", ", input[1], ", ",
                                                  input[2], "] must be positive"));
    if (!detail::product_within({input[0], input[1], input[2]}))
      throw moo::value_error(moo::detail::message("architecture: input shape [", input[0], ", ", input[1], ", ",
                                                  input[2], "] holds more than ", max_tensor_values,
                                                  " (2^28) values per image"));
    boost::add_vertex(node{std::move(input_name), std::nullopt}, g_);
  }

  // The input node (always node 0).
  node_id input() const { return 0; }
  // The node whose output is the network's output.
  node_id output() const { return output_; }
  void set_output(node_id v) { output_ = check(v); }
  // Shape of one input image.
  const image_shape& input_shape() const { return input_shape_; }
  // Number of nodes including the input.
  std::size_t size() const { return boost::num_vertices(g_); }

  // Adds a node reading `inputs` in that order; it becomes the output. An empty name is replaced by a
  // unique one made from the layer's kind. Throws value_error on a duplicate name or unknown input.
  node_id add(train::layer l, std::vector<node_id> inputs, std::string name = {}) {
    if (name.empty()) name = unique_name(l.kind());
    if (find(name)) throw moo::value_error(moo::detail::message("architecture: duplicate node name '", name, "'"));
    for (node_id u : inputs) check(u);
    const node_id v = boost::add_vertex(node{std::move(name), std::move(l)}, g_);
    for (std::size_t k = 0; k < inputs.size(); ++k) boost::add_edge(inputs[k], v, edge{k}, g_);
    output_ = v;
    return v;
  }

  // The layer of a node other than the input (throws value_error for the input).
  const train::layer& layer(node_id v) const {
    const auto& n = g_[check(v)];
    if (!n.op) throw moo::value_error(moo::detail::message("architecture: node '", n.name, "' has no layer"));
    return *n.op;
  }
  // The mutable layer of a node, to edit its weights in place.
  train::layer& layer(node_id v) {
    auto& n = g_[check(v)];
    if (!n.op) throw moo::value_error(moo::detail::message("architecture: node '", n.name, "' has no layer"));
    return *n.op;
  }
  // Replaces a node's layer (its name and edges stay).
  void set_layer(node_id v, train::layer l) {
    if (check(v) == input()) throw moo::value_error("architecture: the input node has no layer");
    g_[v].op = std::move(l);
  }
  // False only for the input node.
  bool has_layer(node_id v) const { return g_[check(v)].op.has_value(); }

  const std::string& name(node_id v) const { return g_[check(v)].name; }
  // The layer kind, or "input" for the input node.
  std::string kind(node_id v) const { return has_layer(v) ? std::string(layer(v).kind()) : std::string("input"); }
  // "'conv1' (conv2d)" for messages.
  std::string label(node_id v) const { return moo::detail::message("'", name(v), "' (", kind(v), ")"); }

  // The node called `name`, if any.
  std::optional<node_id> find(std::string_view name) const {
    for (node_id v = 0; v < size(); ++v)
      if (g_[v].name == name) return v;
    return std::nullopt;
  }

  // A name not yet used: stem_1, stem_2, ...
  std::string unique_name(std::string_view stem) const {
    for (std::size_t k = 1;; ++k) {
      std::string s = moo::detail::message(stem, "_", k);
      if (!find(s)) return s;
    }
  }

  // The inputs of v in slot order.
  std::vector<node_id> inputs(node_id v) const {
    std::vector<std::pair<std::size_t, node_id>> in;
    for (auto [e, end] = boost::in_edges(check(v), g_); e != end; ++e) in.emplace_back(g_[*e].slot, boost::source(*e, g_));
    std::sort(in.begin(), in.end());
    std::vector<node_id> out;
    out.reserve(in.size());
    for (const auto& p : in) out.push_back(p.second);
    return out;
  }

  // The distinct nodes that read v, in increasing order.
  std::vector<node_id> consumers(node_id v) const {
    std::vector<node_id> out;
    for (auto [e, end] = boost::out_edges(check(v), g_); e != end; ++e) out.push_back(boost::target(*e, g_));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  // Makes `inputs` the inputs of v (in slot order), replacing the previous ones.
  void set_inputs(node_id v, const std::vector<node_id>& inputs) {
    check(v);
    for (node_id u : inputs) check(u);
    boost::clear_in_edges(v, g_);
    for (std::size_t k = 0; k < inputs.size(); ++k) boost::add_edge(inputs[k], v, edge{k}, g_);
  }

  // Every reader of `from` except `except` reads `to` instead, in the same slots; the output moves too.
  void redirect_consumers(node_id from, node_id to, node_id except = no_node) {
    check(from);
    check(to);
    std::vector<std::pair<node_id, std::size_t>> moved;
    std::vector<boost_graph::edge_descriptor> gone;
    for (auto [e, end] = boost::out_edges(from, g_); e != end; ++e) {
      const node_id c = boost::target(*e, g_);
      if (c == except) continue;
      moved.emplace_back(c, g_[*e].slot);
      gone.push_back(*e);
    }
    for (const auto& e : gone) boost::remove_edge(e, g_);
    for (const auto& [c, slot] : moved) boost::add_edge(to, c, edge{slot}, g_);
    if (output_ == from && except != from) output_ = to;
  }

  // Inserts a node reading v; v's readers (and the output, if v was it) read the new node instead.
  node_id insert_after(node_id v, train::layer l, std::string name = {}) {
    const node_id keep_output = output_;
    const node_id w = add(std::move(l), {check(v)}, std::move(name));
    output_ = keep_output;
    redirect_consumers(v, w, w);
    return w;
  }

  // Removes the given nodes and their edges; nodes after them are renumbered. The input and output
  // cannot be removed. Callers make sure nothing still reads a removed node (validate() will tell).
  void remove_nodes(std::vector<node_id> nodes) {
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
    for (node_id v : nodes)
      if (check(v) == input() || v == output_)
        throw moo::value_error(moo::detail::message("architecture: cannot remove the ", v == input() ? "input" : "output",
                                                    " node ", label(v)));
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      boost::clear_vertex(*it, g_);
      boost::remove_vertex(*it, g_);
      if (output_ > *it) --output_;
    }
  }

  // Removes every node (other than the input) from which the output cannot be reached, repeatedly.
  void prune() {
    const auto reach = reaches_output();
    std::vector<node_id> dead;
    for (node_id v = 1; v < size(); ++v)
      if (!reach[v]) dead.push_back(v);
    if (!dead.empty()) remove_nodes(dead);
  }

  // Nodes in topological order (input first, output last for a valid graph); throws value_error naming
  // a node on a cycle. Kahn's algorithm taking the smallest ready id first, so the order is canonical:
  // a graph whose ids already are a topological order (as after loading) gets the ids in order, and a
  // saved and reloaded architecture lists its nodes exactly as the original did.
  std::vector<node_id> topological_order() const {
    const std::size_t n = size();
    std::vector<std::size_t> missing(n, 0);
    for (node_id v = 0; v < n; ++v) missing[v] = boost::in_degree(v, g_);
    std::priority_queue<node_id, std::vector<node_id>, std::greater<>> ready;
    for (node_id v = 0; v < n; ++v)
      if (missing[v] == 0) ready.push(v);
    std::vector<node_id> order;
    order.reserve(n);
    while (!ready.empty()) {
      const node_id v = ready.top();
      ready.pop();
      order.push_back(v);
      for (auto [e, end] = boost::out_edges(v, g_); e != end; ++e)
        if (--missing[boost::target(*e, g_)] == 0) ready.push(boost::target(*e, g_));
    }
    if (order.size() != n)
      throw moo::value_error(moo::detail::message("architecture: the graph has a cycle through node ",
                                                  label(node_on_cycle())));
    return order;
  }

  // Checks the whole graph: no cycle, the input has no inputs, every other node has a layer and at least
  // one input, every node is reachable from the input and reaches the output (no dangling node), every
  // layer accepts the shapes of its inputs, and no node's output holds more than max_tensor_values per
  // image. Throws a moo::error that names the offending node.
  void validate() const { (void)shapes(); }

  // Output shape (batch 1) of every node, indexed by node id; validates the graph on the way.
  std::vector<train::shape4> shapes() const {
    const auto order = topological_order();
    check_structure();
    std::vector<train::shape4> s(size());
    std::vector<train::shape4> args;
    for (node_id v : order) {
      if (v == input()) {
        s[v] = {1, input_shape_[0], input_shape_[1], input_shape_[2]};
        continue;
      }
      args.clear();
      for (node_id u : inputs(v)) args.push_back(s[u]);
      s[v] = infer(v, args);
      if (!detail::product_within({s[v][1], s[v][2], s[v][3]}))
        throw moo::value_error(moo::detail::message("architecture: node ", label(v), ": its output shape ",
                                                    train::to_string(s[v]), " holds more than ", max_tensor_values,
                                                    " (2^28) values per image"));
    }
    return s;
  }

  // Output shape of one node (batch 1).
  train::shape4 shape(node_id v) const { return shapes().at(check(v)); }

  // Shape of the output for one image.
  train::shape4 output_shape() const { return shapes()[output_]; }

  // The runnable network: nodes in topological order, node i of the network is compile_order()[i].
  train::network compile() const {
    const auto order = topological_order();
    (void)shapes();
    std::vector<std::size_t> index(size(), 0);
    train::network net;
    for (std::size_t i = 1; i < order.size(); ++i) {
      index[order[i]] = i;
      std::vector<std::size_t> in;
      for (node_id u : inputs(order[i])) in.push_back(index[u]);
      net.add(layer(order[i]), std::move(in));
    }
    return net;
  }

  // Node ids in the order compile() lays them out (index 0 is the input).
  std::vector<node_id> compile_order() const { return topological_order(); }

  // Copies the layers (trained weights, statistics) of a network compiled from this architecture back
  // into its nodes, so children inherit what the parent learned.
  void update_from(const train::network& net) {
    const auto order = topological_order();
    if (net.size() != order.size())
      throw moo::dimension_error(moo::detail::message("architecture: network has ", net.size(), " nodes, the graph ",
                                                      order.size()));
    for (std::size_t i = 1; i < order.size(); ++i) {
      if (net.at(i).kind() != layer(order[i]).kind())
        throw moo::dimension_error(moo::detail::message("architecture: network node ", i, " is a ", net.at(i).kind(),
                                                        ", graph node ", label(order[i]), " is not"));
      g_[order[i]].op = net.at(i);
    }
  }

  // Number of trainable scalars (exact; batch-norm running statistics are not trainable).
  std::size_t parameter_count() const {
    std::size_t n = 0;
    for (node_id v = 1; v < size(); ++v) n += parameter_count(v);
    return n;
  }

  // Trainable scalars of one node.
  std::size_t parameter_count(node_id v) const {
    if (!has_layer(v)) return 0;
    // parameters() is non-const in the backend's interface but only builds views; the node is not a
    // const object, so looking through const here is well defined.
    auto& l = const_cast<train::layer&>(layer(v));
    std::size_t n = 0;
    for (const auto& p : l.parameters()) n += p.value.size();
    return n;
  }

  // Multiply-accumulates for one image (convolutions and linear layers, as the backend counts them).
  std::size_t macs() const {
    const auto s = shapes();
    std::size_t total = 0;
    std::vector<train::shape4> args;
    for (node_id v = 1; v < size(); ++v) {
      args.clear();
      for (node_id u : inputs(v)) args.push_back(s[u]);
      total += layer(v).macs(args);
    }
    return total;
  }

  // The underlying Boost.Graph (read-only; edit through the members above so names and slots stay valid).
  const boost_graph& graph() const { return g_; }

 private:
  // v, or value_error when it is no node.
  node_id check(node_id v) const {
    if (v >= size())
      throw moo::value_error(moo::detail::message("architecture: node ", v, " does not exist (", size(), " nodes)"));
    return v;
  }

  // Per node: 1 if the output can be reached from it.
  std::vector<char> reaches_output() const {
    std::vector<char> seen(size(), 0);
    std::vector<node_id> stack{output_};
    seen[output_] = 1;
    while (!stack.empty()) {
      const node_id v = stack.back();
      stack.pop_back();
      for (auto [e, end] = boost::in_edges(v, g_); e != end; ++e) {
        const node_id u = boost::source(*e, g_);
        if (!seen[u]) {
          seen[u] = 1;
          stack.push_back(u);
        }
      }
    }
    return seen;
  }

  // Per node: 1 if it can be reached from the input.
  std::vector<char> reachable_from_input() const {
    std::vector<char> seen(size(), 0);
    std::vector<node_id> stack{input()};
    seen[input()] = 1;
    while (!stack.empty()) {
      const node_id v = stack.back();
      stack.pop_back();
      for (auto [e, end] = boost::out_edges(v, g_); e != end; ++e) {
        const node_id w = boost::target(*e, g_);
        if (!seen[w]) {
          seen[w] = 1;
          stack.push_back(w);
        }
      }
    }
    return seen;
  }

  // Inputs, layers, slots and reachability (the graph is known to be acyclic).
  void check_structure() const {
    if (boost::in_degree(input(), g_) != 0)
      throw moo::value_error(moo::detail::message("architecture: the input node ", label(input()), " has inputs"));
    const auto from_in = reachable_from_input();
    const auto to_out = reaches_output();
    for (node_id v = 1; v < size(); ++v) {
      if (!g_[v].op) throw moo::value_error(moo::detail::message("architecture: node '", g_[v].name, "' has no layer"));
      const std::size_t deg = boost::in_degree(v, g_);
      if (deg == 0)
        throw moo::value_error(moo::detail::message("architecture: node ", label(v), " has no inputs (dangling node)"));
      std::vector<char> slot(deg, 0);
      for (auto [e, end] = boost::in_edges(v, g_); e != end; ++e) {
        const std::size_t k = g_[*e].slot;
        if (k >= deg || slot[k])
          throw moo::value_error(moo::detail::message("architecture: node ", label(v), " has inconsistent input slots"));
        slot[k] = 1;
      }
      if (!from_in[v])
        throw moo::value_error(moo::detail::message("architecture: node ", label(v),
                                                    " is not reachable from the input (dangling node)"));
      if (!to_out[v])
        throw moo::value_error(moo::detail::message("architecture: node ", label(v), " does not reach the output node ",
                                                    label(output_), " (dangling node)"));
    }
  }

  // Output shape of v's layer for the given input shapes; errors name the node.
  train::shape4 infer(node_id v, std::span<const train::shape4> args) const {
    try {
      return layer(v).output_shape(args);
    } catch (const moo::dimension_error& e) {
      throw moo::dimension_error(moo::detail::message("architecture: node ", label(v), ": ", e.what()));
    } catch (const moo::value_error& e) {
      throw moo::value_error(moo::detail::message("architecture: node ", label(v), ": ", e.what()));
    }
  }

  // Some node on a cycle (called only when there is one): depth-first search for a back edge.
  node_id node_on_cycle() const {
    std::vector<char> state(size(), 0);  // 0 new, 1 on the stack, 2 done
    for (node_id s = 0; s < size(); ++s) {
      if (state[s]) continue;
      std::vector<std::pair<node_id, std::vector<node_id>>> stack;
      auto push = [&](node_id v) {
        state[v] = 1;
        std::vector<node_id> next;
        for (auto [e, end] = boost::out_edges(v, g_); e != end; ++e) next.push_back(boost::target(*e, g_));
        stack.emplace_back(v, std::move(next));
      };
      push(s);
      while (!stack.empty()) {
        auto& [v, next] = stack.back();
        if (next.empty()) {
          state[v] = 2;
          stack.pop_back();
          continue;
        }
        const node_id w = next.back();
        next.pop_back();
        if (state[w] == 1) return w;
        if (state[w] == 0) push(w);
      }
    }
    return 0;
  }

  boost_graph g_;
  node_id output_ = 0;
  image_shape input_shape_;
};

}  // namespace nas::graph
