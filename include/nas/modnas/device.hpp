// Devices for MODNAS's differentiable search (Sukthanker et al., ICLR 2025): a device is a name, the
// hardware setting it stands for, a per-candidate latency table (seconds for one edge running candidate
// k at the search's channel count, spatial size and batch) and a feature vector (the hypernetwork's
// device input). The search's hardware objective is the expected cost of the mixture,
//   expected_latency(w) = sum_e sum_k w[e][k] * table[k],
// linear in the mixing weights w (so d/dw[e][k] = table[k]; the gradient in alpha is then
// softmax_backward(soft_weights, table, tau) per edge). The same for MACs, from exact per-candidate
// counts (candidate_macs). measure_latency_table times every candidate on this machine for a setting
// {threads, batch} with nas::train::measure_latency.
// Example:
//   const auto table = nas::modnas::measure_latency_table(cands, {.channels = 16, .height = 32, .width = 32},
//                                                         {.threads = 2, .batch = 1});
//   nas::modnas::device d{.name = "2t-b1", .setting = {2, 1}, .candidates = cands, .latency = table,
//                         .features = {...}};
//   const auto lat = d.expected_latency(weights);  // weights: E x K edge-major, lat.gradient likewise
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/modnas/mixed_op.hpp"
#include "nas/train/metrics.hpp"
#include "nas/train/network.hpp"
#include "nas/train/parallel.hpp"

namespace nas::modnas {

// The shape one edge works on: C channels in and out, H x W (stride 1, "same" padding).
struct edge_shape {
  std::size_t channels = 0;
  std::size_t height = 0;
  std::size_t width = 0;
};

// A hardware setting on this machine: the backend's thread count and the batch size of a forward pass.
struct hardware_setting {
  std::size_t threads = 1;
  std::size_t batch = 1;
};

// Multiply-accumulates of one forward pass of candidate c over `batch` images of shape s, counted as
// nas::train counts them (a convolution's output elements times its fan-in; biases, ReLU, pooling and
// copies are not MACs):
//   zero, skip, max_pool_3x3: 0
//   conv_3x3:     N H W C * C * 9          (ReLU, then a dense 3x3 convolution)
//   conv_5x5:     N H W C * C * 25
//   sep_conv_3x3: N H W C * 9 + N H W C * C (depthwise 3x3, then pointwise 1x1)
// The mixture's own work (w_i * op_i(x), summed) is the super-network's, not an architecture's: not counted.
inline std::size_t candidate_macs(candidate c, const edge_shape& s, std::size_t batch = 1) {
  const std::size_t nhw = batch * s.height * s.width, ch = s.channels;
  switch (c) {
    case candidate::zero:
    case candidate::skip:
    case candidate::max_pool_3x3: return 0;
    case candidate::conv_3x3: return nhw * ch * ch * 9;
    case candidate::conv_5x5: return nhw * ch * ch * 25;
    case candidate::sep_conv_3x3: return nhw * ch * 9 + nhw * ch * ch;
  }
  return 0;
}

// candidate_macs of each candidate, as doubles (a cost table).
inline std::vector<double> mac_table(std::span<const candidate> candidates, const edge_shape& s, std::size_t batch = 1) {
  std::vector<double> t;
  t.reserve(candidates.size());
  for (const candidate c : candidates) t.push_back(static_cast<double>(candidate_macs(c, s, batch)));
  return t;
}

// The expected cost sum_e sum_k w[e * K + k] table[k] and its gradient in w (the table, once per edge).
struct expected_cost {
  double value = 0.0;
  std::vector<double> gradient;  // E x K, edge-major, like the weights
};

// weights: E x K mixing weights, edge-major (E = weights.size() / K); dimension_error unless K divides
// their number.
inline expected_cost expected_cost_of(std::span<const double> table, std::span<const double> weights) {
  const std::size_t k = table.size();
  if (k == 0 || weights.size() % k != 0)
    throw moo::dimension_error(moo::detail::message("expected cost: ", weights.size(), " mixing weights for a table of ",
                                                    k, " candidates (expected a multiple of ", k, ")"));
  expected_cost r;
  r.gradient.resize(weights.size());
  for (std::size_t i = 0; i < weights.size(); ++i) {
    r.value += weights[i] * table[i % k];
    r.gradient[i] = table[i % k];
  }
  return r;
}

// The same for one weight vector per edge (e.g. each mixed_op's weights()); the gradient is flat, edge-major.
inline expected_cost expected_cost_of(std::span<const double> table, std::span<const std::vector<double>> edge_weights) {
  std::vector<double> flat;
  for (std::size_t e = 0; e < edge_weights.size(); ++e) {
    if (edge_weights[e].size() != table.size())
      throw moo::dimension_error(moo::detail::message("expected cost: edge ", e, " has ", edge_weights[e].size(),
                                                      " mixing weights for a table of ", table.size(), " candidates"));
    flat.insert(flat.end(), edge_weights[e].begin(), edge_weights[e].end());
  }
  if (table.empty()) throw moo::dimension_error("expected cost: a table of 0 candidates");
  return expected_cost_of(table, flat);
}

// A device of the search. latency[k] is candidates[k]'s seconds per edge (measure_latency_table), macs[k]
// its MACs per edge (mac_table; optional: empty if unused); features is the hypernetwork's device input.
struct device {
  std::string name = {};
  hardware_setting setting = {};
  std::vector<candidate> candidates = {};
  std::vector<double> latency = {};
  std::vector<double> macs = {};
  std::vector<double> features = {};

  // dimension_error / value_error unless the tables have one finite, non-negative value per candidate.
  void validate() const {
    const std::string l = moo::detail::message("device '", name, "'");
    if (candidates.empty()) throw moo::value_error(moo::detail::message(l, ": no candidate operations"));
    if (latency.empty() || latency.size() % candidates.size() != 0)
      throw moo::dimension_error(moo::detail::message(l, ": latency table of ", latency.size(), " values for ",
                                                      candidates.size(), " candidates (one per candidate, or per edge and candidate)"));
    if (!macs.empty() && macs.size() % candidates.size() != 0)
      throw moo::dimension_error(moo::detail::message(l, ": MAC table of ", macs.size(), " values for ",
                                                      candidates.size(), " candidates (one per candidate, or per edge and candidate)"));
    auto check = [&](const std::vector<double>& t, const char* what) {
      for (std::size_t k = 0; k < t.size(); ++k)
        if (!(t[k] >= 0.0) || !std::isfinite(t[k]))
          throw moo::value_error(moo::detail::message(l, ": ", what, " of ", to_string(candidates[k % candidates.size()]),
                                                      " is ", t[k], " (entry ", k, ")"));
    };
    check(latency, "latency");
    check(macs, "MAC count");
    for (std::size_t i = 0; i < features.size(); ++i)
      if (!std::isfinite(features[i]))
        throw moo::value_error(moo::detail::message(l, ": feature ", i, " is ", features[i]));
  }

  // Expected seconds of the mixture (weights E x K edge-major, or one vector per edge) and its gradient.
  expected_cost expected_latency(std::span<const double> weights) const {
    validate();
    return expected_cost_of(latency, weights);
  }
  expected_cost expected_latency(std::span<const std::vector<double>> edge_weights) const {
    validate();
    return expected_cost_of(latency, flatten(edge_weights));
  }
  // The most and the least an architecture can cost: per edge the largest (smallest) table entry, summed
  // over `edges` edges (a per-edge table gives its own count; a per-candidate table needs it).
  double max_latency(std::size_t edges = 0) const { return extreme(latency, edges, true); }
  double min_latency(std::size_t edges = 0) const { return extreme(latency, edges, false); }
  double max_macs(std::size_t edges = 0) const { return extreme(macs, edges, true); }
  double min_macs(std::size_t edges = 0) const { return extreme(macs, edges, false); }
  // The cost of one architecture (a candidate index per edge) from the table.
  double latency_of(std::span<const std::size_t> arch) const { return cost_of(latency, arch); }
  double macs_of(std::span<const std::size_t> arch) const {
    if (macs.empty()) throw moo::value_error(moo::detail::message("device '", name, "': no MAC table"));
    return cost_of(macs, arch);
  }
  // Expected MACs; value_error if the device has no MAC table.
  expected_cost expected_macs(std::span<const double> weights) const {
    validate();
    if (macs.empty()) throw moo::value_error(moo::detail::message("device '", name, "': no MAC table"));
    return expected_cost_of(macs, weights);
  }
  expected_cost expected_macs(std::span<const std::vector<double>> edge_weights) const {
    validate();
    if (macs.empty()) throw moo::value_error(moo::detail::message("device '", name, "': no MAC table"));
    return expected_cost_of(macs, flatten(edge_weights));
  }

 private:
  std::vector<double> flatten(std::span<const std::vector<double>> edge_weights) const {
    std::vector<double> flat;
    for (std::size_t e = 0; e < edge_weights.size(); ++e) {
      if (edge_weights[e].size() != candidates.size())
        throw moo::dimension_error(moo::detail::message("device '", name, "': edge ", e, " has ", edge_weights[e].size(),
                                                        " mixing weights for a table of ", candidates.size(), " candidates"));
      flat.insert(flat.end(), edge_weights[e].begin(), edge_weights[e].end());
    }
    return flat;
  }
  double extreme(const std::vector<double>& t, std::size_t edges, bool largest) const {
    validate();
    const std::size_t k = candidates.size();
    const std::size_t rows = t.size() / k;
    if (rows == 1 ? edges == 0 : (edges != 0 && edges != rows))
      throw moo::dimension_error(moo::detail::message("device '", name, "': ", edges, " edges for a table of ", rows, " rows"));
    const std::size_t n = rows == 1 ? edges : rows;
    double total = 0.0;
    for (std::size_t e = 0; e < n; ++e) {
      const auto* b = t.data() + (rows == 1 ? 0 : e * k);
      total += largest ? *std::max_element(b, b + k) : *std::min_element(b, b + k);
    }
    return total;
  }
  double cost_of(const std::vector<double>& t, std::span<const std::size_t> arch) const {
    validate();
    const std::size_t k = candidates.size();
    const std::size_t rows = t.size() / k;
    if (rows != 1 && arch.size() != rows)
      throw moo::dimension_error(moo::detail::message("device '", name, "': an architecture of ", arch.size(),
                                                      " edges for a table of ", rows));
    double total = 0.0;
    for (std::size_t e = 0; e < arch.size(); ++e) {
      if (arch[e] >= k)
        throw moo::value_error(moo::detail::message("device '", name, "': edge ", e, " names candidate ", arch[e], " of ", k));
      total += t[(rows == 1 ? 0 : e * k) + arch[e]];
    }
    return total;
  }
};

// Measures each candidate's latency per edge on this machine: a network holding one mixed_op with that
// candidate alone (so each includes what an edge of the super-network's node does besides the operation:
// clearing its output and adding the candidate's output into it; zero is that alone), run by
// nas::train::measure_latency (median of `timing.repeats` forward passes after `timing.warmup`) on
// {setting.batch, C, H, W} with setting.threads backend threads (the previous thread count is restored).
// Seconds, one per candidate. Weights are drawn from `seed` (latency does not depend on their values).
// Callers keep other work off the machine meanwhile.
inline std::vector<double> measure_latency_table(std::span<const candidate> candidates, const edge_shape& s,
                                                 const hardware_setting& setting,
                                                 nas::train::latency_options timing = {}, std::uint64_t seed = 1) {
  if (s.channels == 0 || s.height == 0 || s.width == 0)
    throw moo::value_error(moo::detail::message("measure_latency_table: edge shape ", s.channels, " x ", s.height,
                                                " x ", s.width, " must be positive"));
  if (setting.threads == 0 || setting.batch == 0)
    throw moo::value_error(moo::detail::message("measure_latency_table: threads ", setting.threads, " and batch ",
                                                setting.batch, " must be positive"));
  moo::rng r(seed);
  std::vector<nas::train::network> nets;
  for (const candidate c : candidates) {
    nas::train::network net;
    net.add(mixed_op({.channels = s.channels, .candidates = {c}, .name = std::string(to_string(c))}, r));
    nets.push_back(std::move(net));
  }
  const std::size_t before = nas::train::num_threads();
  std::vector<double> t;
  t.reserve(candidates.size());
  try {
    nas::train::set_num_threads(setting.threads);
    for (auto& net : nets)
      t.push_back(nas::train::measure_latency(net, {setting.batch, s.channels, s.height, s.width}, timing).median);
  } catch (...) {
    nas::train::set_num_threads(before);
    throw;
  }
  nas::train::set_num_threads(before);
  return t;
}

// A device measured here: the latency table from measure_latency_table, the MAC table for the setting's
// batch, and the given features.
inline device measure_device(std::string name, std::span<const candidate> candidates, const edge_shape& s,
                             const hardware_setting& setting, std::vector<double> features,
                             nas::train::latency_options timing = {}, std::uint64_t seed = 1) {
  device d;
  d.name = std::move(name);
  d.setting = setting;
  d.candidates.assign(candidates.begin(), candidates.end());
  d.latency = measure_latency_table(candidates, s, setting, timing, seed);
  d.macs = mac_table(candidates, s, setting.batch);
  d.features = std::move(features);
  d.validate();
  return d;
}

}  // namespace nas::modnas
