// MODNAS's differentiable super-network (Sukthanker et al., ICLR 2025; the cell of DARTS, Liu et al.
// 2019, Sec. 2.1, reduced to a size this machine trains in minutes): a stem, `cells` cells, and a head.
//   stem:  conv 3x3 (stride 2) -> batch norm -> ReLU           [N, in, H, W] -> [N, C, H/2, W/2]
//   cell:  node 0 is the cell's input; node j = 1..nodes sums one mixed operation (mixed_op.hpp) per
//          earlier node i: n_j = sum_{i<j} op_{ij}(n_i). The cell's output is its last node, batch-normalised
//          (cell_batch_norm).
//          A 2x2 max pool (stride 2) follows every cell but the last (fixed, not searched).
//   head:  global average pool -> linear to the classes.
// The E = cells * nodes (nodes + 1) / 2 edges are numbered cell by cell, and within a cell by target
// node, then source node: (1<-0), (2<-0), (2<-1), (3<-0), ... The architecture parameters are one flat
// vector of E x K logits, edge-major (alpha[e * K + k]), as the hypernetwork produces them.
// An architecture is one candidate index per edge; discrete_network builds it (each edge a one-candidate
// mixed_op: the same layers with fresh weights; a `zero` edge contributes nothing).
// Example:
//   nas::modnas::supernet net({.channels = 8, .cells = 2, .nodes = 2}, rng);
//   net.set_alpha(alpha);  net.sample(rng);            // straight-through Gumbel sample of one architecture
//   const auto& logits = net.network().forward(images);
//   ... loss backward ...;  auto dalpha = net.alpha_grad();  // E x K, into hypernetwork::backward
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/modnas/device.hpp"
#include "nas/modnas/mixed_op.hpp"
#include "nas/train/layer.hpp"
#include "nas/train/network.hpp"

namespace nas::modnas {

struct supernet_options {
  std::size_t in_channels = 1;   // image shape (Fashion-MNIST: 1 x 28 x 28) and classes
  std::size_t height = 28;
  std::size_t width = 28;
  std::size_t classes = 10;
  std::size_t channels = 8;      // C: stem output and every edge
  std::size_t cells = 2;         // >= 1
  std::size_t nodes = 2;         // intermediate nodes per cell, >= 1
  std::vector<candidate> candidates = {candidate::zero,     candidate::skip,     candidate::max_pool_3x3,
                                       candidate::conv_3x3, candidate::conv_5x5, candidate::sep_conv_3x3};
  mixing mode = mixing::straight_through_gumbel;
  double temperature = 1.0;
  // A batch norm on every cell's output (fixed, not searched): the sum of a cell's sampled operations
  // changes scale from one architecture to the next (zero, skip, convolutions without batch norm), and
  // without it the super-network hardly trained (Fashion-MNIST cross-entropy still ln 10 after 200 steps).
  bool cell_batch_norm = true;
};

// One candidate index per edge.
using architecture = std::vector<std::size_t>;

namespace detail {

inline void check_supernet_options(const supernet_options& o) {
  if (o.in_channels == 0 || o.height < 2 || o.width < 2 || o.classes < 2)
    throw moo::value_error(moo::detail::message("modnas supernet: input ", o.in_channels, " x ", o.height, " x ", o.width,
                                                " with ", o.classes, " classes (needs channels >= 1, H, W >= 2, classes >= 2)"));
  if (o.channels == 0 || o.cells == 0 || o.nodes == 0)
    throw moo::value_error(moo::detail::message("modnas supernet: channels ", o.channels, ", cells ", o.cells, ", nodes ",
                                                o.nodes, " must be positive"));
  if (o.candidates.empty()) throw moo::value_error("modnas supernet: no candidate operations");
  std::size_t h = (o.height + 1) / 2, w = (o.width + 1) / 2;
  for (std::size_t c = 1; c < o.cells; ++c) {
    if (h < 2 || w < 2)
      throw moo::value_error(moo::detail::message("modnas supernet: ", o.cells, " cells halve a ", o.height, " x ", o.width,
                                                  " image below 1 x 1"));
    h /= 2;
    w /= 2;
  }
}

// Builds the network; cands(e) gives edge e's candidate list. Returns the network and fills op_nodes with
// the network node of each edge's mixed_op.
template <class Candidates>
nas::train::network build_cell_network(const supernet_options& o, Candidates cands, moo::rng& r,
                                       std::vector<std::size_t>& op_nodes) {
  using namespace nas::train;
  check_supernet_options(o);
  network net;
  std::size_t cur = net.add(conv2d({.in_channels = o.in_channels, .out_channels = o.channels, .kernel = 3, .stride = 2,
                                    .padding = 1, .name = "stem"}, r));
  cur = net.add(batch_norm({.channels = o.channels, .name = "stem.bn"}));
  cur = net.add(relu({.name = "stem.relu"}));
  op_nodes.clear();
  std::size_t e = 0;
  for (std::size_t c = 0; c < o.cells; ++c) {
    std::vector<std::size_t> node{cur};
    for (std::size_t j = 1; j <= o.nodes; ++j) {
      std::vector<std::size_t> terms;
      for (std::size_t i = 0; i < j; ++i, ++e) {
        const std::string name = moo::detail::message("cell", c, ".edge", i, "-", j);
        terms.push_back(net.add(mixed_op({.channels = o.channels, .candidates = cands(e), .mode = o.mode,
                                          .temperature = o.temperature, .name = name}, r),
                                {node[i]}));
        op_nodes.push_back(terms.back());
      }
      node.push_back(terms.size() == 1 ? terms[0] : net.add(add({.name = moo::detail::message("cell", c, ".node", j)}), terms));
    }
    cur = node.back();
    if (o.cell_batch_norm)
      cur = net.add(batch_norm({.channels = o.channels, .name = moo::detail::message("cell", c, ".bn")}), {cur});
    if (c + 1 < o.cells)
      cur = net.add(max_pool2d({.kernel = 2, .stride = 2, .name = moo::detail::message("reduce", c)}), {cur});
  }
  net.add(global_avg_pool({.name = "head.pool"}), {cur});
  net.add(linear({.in_features = o.channels, .out_features = o.classes, .name = "head.fc"}, r));
  return net;
}

}  // namespace detail

// Number of edges: cells * nodes (nodes + 1) / 2.
inline std::size_t edge_count(const supernet_options& o) { return o.cells * o.nodes * (o.nodes + 1) / 2; }

// The shape edge e works on (C x H x W of its cell).
inline edge_shape shape_of_edge(const supernet_options& o, std::size_t e) {
  detail::check_supernet_options(o);
  const std::size_t per = o.nodes * (o.nodes + 1) / 2;
  if (e >= edge_count(o))
    throw moo::value_error(moo::detail::message("modnas supernet: edge ", e, " of ", edge_count(o)));
  std::size_t h = (o.height + 1) / 2, w = (o.width + 1) / 2;
  for (std::size_t c = 0; c < e / per; ++c) {
    h /= 2;
    w /= 2;
  }
  return {o.channels, h, w};
}

// The candidate with the largest logit on each edge (the first on ties): the architecture a preference
// selects. alpha: E x K edge-major.
inline architecture most_likely(std::span<const double> alpha, std::size_t candidates) {
  if (candidates == 0 || alpha.size() % candidates != 0)
    throw moo::dimension_error(moo::detail::message("most_likely: ", alpha.size(), " logits are not a whole number of edges of ",
                                                    candidates, " candidates"));
  architecture a(alpha.size() / candidates);
  for (std::size_t e = 0; e < a.size(); ++e) {
    const auto* b = alpha.data() + e * candidates;
    a[e] = static_cast<std::size_t>(std::max_element(b, b + candidates) - b);
  }
  return a;
}

inline void check_architecture(const supernet_options& o, const architecture& a) {
  if (a.size() != edge_count(o))
    throw moo::dimension_error(moo::detail::message("modnas architecture: ", a.size(), " edges, the space has ", edge_count(o)));
  for (std::size_t e = 0; e < a.size(); ++e)
    if (a[e] >= o.candidates.size())
      throw moo::value_error(moo::detail::message("modnas architecture: edge ", e, " names candidate ", a[e], " of ",
                                                  o.candidates.size()));
}

// "conv_3x3 skip zero | ..." (cells separated by '|').
inline std::string to_string(const supernet_options& o, const architecture& a) {
  check_architecture(o, a);
  const std::size_t per = o.nodes * (o.nodes + 1) / 2;
  std::string s;
  for (std::size_t e = 0; e < a.size(); ++e) {
    if (e > 0) s += e % per == 0 ? " | " : " ";
    s += to_string(o.candidates[a[e]]);
  }
  return s;
}

// The architecture as a runnable network with fresh weights from r: each edge a one-candidate mixed_op.
inline nas::train::network discrete_network(const supernet_options& o, const architecture& a, moo::rng& r) {
  check_architecture(o, a);
  std::vector<std::size_t> nodes;
  supernet_options one = o;
  one.mode = mixing::softmax;
  return detail::build_cell_network(one, [&](std::size_t e) { return std::vector<candidate>{o.candidates[a[e]]}; }, r,
                                    nodes);
}

// The super-network: every edge mixes all candidates. Parameters are the operations' weights (the
// architecture parameters come from outside: set_alpha).
class supernet {
 public:
  supernet() = default;
  supernet(supernet_options o, moo::rng& r) : opt_(std::move(o)) {
    net_ = detail::build_cell_network(opt_, [&](std::size_t) { return opt_.candidates; }, r, ops_);
  }

  const supernet_options& options() const { return opt_; }
  std::size_t edges() const { return ops_.size(); }
  std::size_t candidates() const { return opt_.candidates.size(); }
  nas::train::network& network() { return net_; }
  const nas::train::network& network() const { return net_; }
  mixed_op& edge(std::size_t e) { return *net_.at(ops_.at(e)).get_if<mixed_op>(); }
  const mixed_op& edge(std::size_t e) const { return *net_.at(ops_.at(e)).get_if<mixed_op>(); }

  // alpha: E x K logits, edge-major (dimension_error / value_error from the edges otherwise).
  void set_alpha(std::span<const double> alpha) {
    const std::size_t k = candidates();
    if (alpha.size() != edges() * k)
      throw moo::dimension_error(moo::detail::message("modnas supernet: ", alpha.size(), " architecture parameters for ",
                                                      edges(), " edges x ", k, " candidates"));
    for (std::size_t e = 0; e < edges(); ++e) edge(e).set_alpha(alpha.subspan(e * k, k));
  }
  void set_mixing(mixing m) {
    opt_.mode = m;
    for (std::size_t e = 0; e < edges(); ++e) edge(e).set_mixing(m);
  }
  // New Gumbel noise on every edge (straight-through mode; a no-op with softmax mixing).
  void sample(moo::rng& r) {
    for (std::size_t e = 0; e < edges(); ++e) edge(e).sample(r);
  }
  // Soft weights (whose Jacobian the backward pass uses) and dL/dalpha of the last backward, E x K.
  std::vector<double> soft_weights() const { return gather([](const mixed_op& m) -> const auto& { return m.soft_weights(); }); }
  std::vector<double> weights() const { return gather([](const mixed_op& m) -> const auto& { return m.weights(); }); }
  std::vector<double> alpha_grad() const { return gather([](const mixed_op& m) -> const auto& { return m.alpha_grad(); }); }
  // The candidates selected by the forward weights (the current sample, or the argmax with softmax).
  architecture selected() const {
    architecture a(edges());
    for (std::size_t e = 0; e < edges(); ++e) a[e] = edge(e).selected();
    return a;
  }

  std::vector<nas::train::parameter_ref> parameters() { return net_.parameters(); }

 private:
  template <class F>
  std::vector<double> gather(F f) const {
    std::vector<double> v;
    v.reserve(edges() * candidates());
    for (std::size_t e = 0; e < edges(); ++e) {
      const auto& w = f(edge(e));
      v.insert(v.end(), w.begin(), w.end());
    }
    return v;
  }

  supernet_options opt_;
  nas::train::network net_;
  std::vector<std::size_t> ops_;
};

// A device's E x K latency table for the super-network's edges (seconds per edge and candidate): each
// distinct edge shape is measured once with measure_latency_table at the device's setting. The MAC table
// likewise (exact counts). Features: the measured latencies, in log10(milliseconds), of the reference
// architectures' whole networks at that setting (MODNAS's hardware embedding: how this device runs a few
// known networks).
inline device measure_supernet_device(std::string name, const supernet_options& o, const hardware_setting& setting,
                                      std::span<const architecture> references,
                                      nas::train::latency_options timing = {}, std::uint64_t seed = 1) {
  detail::check_supernet_options(o);
  device d;
  d.name = std::move(name);
  d.setting = setting;
  d.candidates = o.candidates;
  std::vector<std::pair<std::size_t, std::vector<double>>> measured;  // (height, table)
  for (std::size_t e = 0; e < edge_count(o); ++e) {
    const edge_shape s = shape_of_edge(o, e);
    auto it = std::find_if(measured.begin(), measured.end(), [&](const auto& m) { return m.first == s.height; });
    if (it == measured.end()) {
      measured.emplace_back(s.height, measure_latency_table(o.candidates, s, setting, timing, seed));
      it = measured.end() - 1;
    }
    d.latency.insert(d.latency.end(), it->second.begin(), it->second.end());
    const auto m = mac_table(o.candidates, s, setting.batch);
    d.macs.insert(d.macs.end(), m.begin(), m.end());
  }
  const std::size_t before = nas::train::num_threads();
  try {
    nas::train::set_num_threads(setting.threads);
    moo::rng r(seed);
    for (const architecture& a : references) {
      auto net = discrete_network(o, a, r);
      const double t = nas::train::measure_latency(net, {setting.batch, o.in_channels, o.height, o.width}, timing).median;
      d.features.push_back(std::log10(t * 1e3));
    }
  } catch (...) {
    nas::train::set_num_threads(before);
    throw;
  }
  nas::train::set_num_threads(before);
  d.validate();
  return d;
}

}  // namespace nas::modnas
