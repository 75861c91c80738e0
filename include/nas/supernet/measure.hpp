// Measuring a sub-network of a trained super-network: its validation error after batch-norm
// recalibration, its exact parameter count and multiply-accumulates, and its measured latency.
// The shared running statistics belong to the largest sub-network; a smaller one's activations have other
// statistics, so the extracted copy's running statistics are reset and re-estimated on a few training
// batches (train-mode forward passes, cumulative average over the batches) before it is evaluated in
// eval mode (Cai et al. 2020, "Once-for-All", sec. 3.3; Yu & Huang 2019, sec. 3.3). Recalibration
// changes only the copy, never the shared weights. Latency is the median of timed forward passes after a
// warm-up (nas::train::measure_latency) at a set batch size and thread count, both recorded with it.
// Example:
//   nas::measurement m = nas::measure(net, config, split.first, split.second, {.latency_batch = 1});
//   std::printf("%.4f %.0f us %zu MACs\n", m.error, 1e6 * m.latency, m.macs);
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/genome/integer.hpp"
#include "nas/supernet/supernet.hpp"
#include "nas/train/data.hpp"
#include "nas/train/metrics.hpp"
#include "nas/train/network.hpp"
#include "nas/train/parallel.hpp"

namespace nas {

struct measure_options {
  std::size_t calibration_batches = 20;  // training batches that re-estimate the batch-norm statistics
  std::size_t calibration_batch_size = 128;
  std::uint64_t calibration_seed = 1;    // the same batches for every sub-network
  std::size_t validation_batch_size = 256;
  bool latency = true;                   // false: skip the timing (latency is NaN)
  std::size_t latency_batch = 1;
  std::size_t latency_threads = 1;       // threads of the backend while timing (0: leave its setting)
  train::latency_options latency_timing = {.warmup = 5, .repeats = 25};

  // The settings that change a measured error, as text (a measurement cache records it).
  std::string description() const {
    return moo::detail::message("calibration ", calibration_batches, " batches of ", calibration_batch_size, " seed ",
                                calibration_seed);
  }
};

// What measuring one sub-network gives. latency is the median in seconds (NaN when not measured).
struct measurement {
  double error = 0.0;
  double latency = std::numeric_limits<double>::quiet_NaN();
  std::size_t macs = 0;
  std::size_t params = 0;
  std::size_t latency_batch = 0;
  std::size_t latency_threads = 0;
};

// Re-estimates the running statistics of every batch norm of net: each is reset, the network runs in
// training mode on `batches` batches of d (drawn with `seed`), each batch norm's statistics become the
// mean over the batches of the batch statistics (mean, unbiased variance), and the network is left in
// evaluation mode. Parameters are not changed.
inline void recalibrate(train::network& net, const train::dataset& d, std::size_t batches, std::size_t batch_size,
                        std::uint64_t seed) {
  if (batches == 0) {
    net.eval();
    return;
  }
  struct stats {
    std::size_t node;
    train::batch_norm original;
    std::vector<double> mean, var;
  };
  std::vector<stats> bns;
  for (std::size_t i = 1; i < net.size(); ++i)
    if (const auto* b = net.at(i).get_if<train::batch_norm>()) {
      bns.push_back({i, *b, std::vector<double>(b->options().channels, 0.0), std::vector<double>(b->options().channels, 0.0)});
      auto o = b->options();
      o.momentum = 1.0f;  // running statistics = the last batch's
      train::batch_norm once(o);
      once.gamma() = b->gamma();
      once.beta() = b->beta();
      net.at(i) = train::layer(std::move(once));
    }
  net.train();
  train::data_loader loader(d, {.batch_size = batch_size, .shuffle = true, .seed = seed});
  train::batch b;
  std::size_t seen = 0;
  while (seen < batches) {
    if (!loader.next(b)) {
      loader.reset();
      if (!loader.next(b)) break;
    }
    net.forward(b.images);
    ++seen;
    for (auto& s : bns) {
      const auto* bn = net.at(s.node).get_if<train::batch_norm>();
      for (std::size_t c = 0; c < s.mean.size(); ++c) {
        s.mean[c] += (bn->running_mean()[c] - s.mean[c]) / static_cast<double>(seen);
        s.var[c] += (bn->running_var()[c] - s.var[c]) / static_cast<double>(seen);
      }
    }
  }
  for (auto& s : bns) {
    for (std::size_t c = 0; c < s.mean.size(); ++c) {
      s.original.running_mean()[c] = static_cast<float>(s.mean[c]);
      s.original.running_var()[c] = static_cast<float>(s.var[c]);
    }
    net.at(s.node) = train::layer(std::move(s.original));
  }
  net.eval();
}

// The sub-network of net given by config, recalibrated on `calibration`, as a runnable network in eval
// mode (a copy: net is not changed).
inline train::network calibrated_sub_network(const supernet& net, const moo::integer_genome& config,
                                             const train::dataset& calibration, const measure_options& o = {}) {
  train::network sub = net.sub_network(config);
  recalibrate(sub, calibration, o.calibration_batches, o.calibration_batch_size, o.calibration_seed);
  return sub;
}

// The median forward latency of a network in seconds with o's batch size and thread count (the backend's
// thread count is restored afterwards; callers keep other work off the machine meanwhile).
inline double measure_sub_latency(train::network& sub, const graph::image_shape& input, const measure_options& o) {
  const std::size_t before = train::num_threads();
  if (o.latency_threads != 0) train::set_num_threads(o.latency_threads);
  double t = 0.0;
  try {
    t = train::measure_latency(sub, {o.latency_batch, input[0], input[1], input[2]}, o.latency_timing).median;
  } catch (...) {
    train::set_num_threads(before);
    throw;
  }
  train::set_num_threads(before);
  return t;
}

// The cheap part of a measurement (parameters and MACs, exact, nothing runs).
inline measurement count(const supernet& net, const moo::integer_genome& config) {
  measurement m;
  m.macs = net.macs(config);
  m.params = net.parameter_count(config);
  m.error = std::numeric_limits<double>::quiet_NaN();
  return m;
}

// Recalibrates a copy of the sub-network on `calibration`, measures its error on `validation`, counts
// its parameters and MACs, and (if o.latency) times it. Throws value_error for an empty data set.
inline measurement measure(const supernet& net, const moo::integer_genome& config, const train::dataset& calibration,
                           const train::dataset& validation, const measure_options& o = {}) {
  if (calibration.size() == 0 || validation.size() == 0)
    throw moo::value_error(moo::detail::message("measure: the ", calibration.size() == 0 ? "calibration" : "validation",
                                                " set is empty"));
  measurement m = count(net, config);
  train::network sub = calibrated_sub_network(net, config, calibration, o);
  m.error = train::evaluate(sub, validation, o.validation_batch_size).error();
  if (o.latency) {
    m.latency = measure_sub_latency(sub, net.options().input, o);
    m.latency_batch = o.latency_batch;
    m.latency_threads = o.latency_threads != 0 ? o.latency_threads : train::num_threads();
  }
  return m;
}

}  // namespace nas
