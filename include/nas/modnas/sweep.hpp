// After a MODNAS search (search.hpp): the preference sweep and the measured fronts per device
// (Sukthanker et al., ICLR 2025, Sec. 4: "we sample K preference vectors, evaluate the architectures the
// hypernetwork gives for each, and report the Pareto front"). For each device, K preferences evenly
// spread over the simplex of {error, hardware} (Das-Dennis), each one's most likely architecture
// (argmax per edge); the distinct architectures are trained briefly from scratch on the training set,
// their test error measured once, and their latency measured on each device's hardware setting (the
// whole network, nas::train::measure_latency). A device's front is the non-dominated set of its
// sweep's architectures in (error, measured latency). A held-out device needs only its feature vector
// (measure_supernet_device): the hypernetwork is used zero-shot.
// Example:
//   auto sw = nas::modnas::sweep(s, devices, 8);                       // K = 8 per device
//   auto evals = nas::modnas::evaluate_architectures(space, sw.distinct, data, devices, {.epochs = 1});
//   auto front = nas::modnas::front_of(sw, evals, 0);                  // device 0's non-dominated set
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <numbers>
#include <span>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/pareto/sorting.hpp"
#include "moo/selection/reference_directions.hpp"
#include "nas/modnas/device.hpp"
#include "nas/modnas/search.hpp"
#include "nas/modnas/supernet.hpp"
#include "nas/train/data.hpp"
#include "nas/train/loss.hpp"
#include "nas/train/metrics.hpp"
#include "nas/train/optim.hpp"
#include "nas/train/parallel.hpp"

namespace nas::modnas {

struct sweep_result {
  moo::matrix preferences;                       // K x 2 (error, hardware)
  std::vector<std::vector<std::size_t>> chosen;  // per device, per preference: index into distinct
  std::vector<architecture> distinct;            // every architecture some (device, preference) chose
};

// K >= 2 preferences per device (Das-Dennis with K - 1 partitions: (1, 0), ..., (0, 1)); devices may
// include ones the search never saw (zero-shot: their feature vectors go through the hypernetwork).
inline sweep_result sweep(search& s, std::span<const device> devices, std::size_t k) {
  if (k < 2) throw moo::value_error(moo::detail::message("modnas sweep: ", k, " preferences (needs at least 2)"));
  if (devices.empty()) throw moo::value_error("modnas sweep: no devices");
  sweep_result r;
  r.preferences = moo::das_dennis(k - 1, 2);
  for (const device& d : devices) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < r.preferences.rows(); ++i) {
      const architecture a = s.architecture_for(r.preferences.row(i), d.features);
      auto it = std::find(r.distinct.begin(), r.distinct.end(), a);
      if (it == r.distinct.end()) {
        r.distinct.push_back(a);
        it = r.distinct.end() - 1;
      }
      idx.push_back(static_cast<std::size_t>(it - r.distinct.begin()));
    }
    r.chosen.push_back(std::move(idx));
  }
  return r;
}

// Brief training of a discrete architecture from scratch (SGD with momentum, cosine-annealed), then
// measurement.
struct evaluation_options {
  double epochs = 1.0;                // over the training set (fractional: part of an epoch)
  std::size_t batch_size = 64;
  double lr = 0.05;
  double momentum = 0.9;
  double weight_decay = 3e-4;
  std::size_t threads = 0;            // for training and the test error (0: leave the setting)
  nas::train::latency_options timing = {.warmup = 3, .repeats = 15};
  std::uint64_t seed = 1;
};

struct evaluated_architecture {
  architecture arch = {};
  double error = 0.0;                 // test error after the brief training
  std::vector<double> latency = {};   // measured seconds per forward pass, one per device (its setting)
  double macs = 0.0;                  // per image
  std::size_t parameters = 0;
  double train_seconds = 0.0;
};

inline evaluated_architecture evaluate_architecture(const supernet_options& space, const architecture& a,
                                                    const nas::train::dataset& train, const nas::train::dataset& test,
                                                    std::span<const device> devices, const evaluation_options& o) {
  check_architecture(space, a);
  if (!(o.epochs > 0.0)) throw moo::value_error(moo::detail::message("evaluate_architecture: epochs ", o.epochs, " must be positive"));
  moo::rng r(o.seed);
  nas::train::network net = discrete_network(space, a, r);
  evaluated_architecture out{.arch = a};
  out.macs = static_cast<double>(net.macs({1, space.in_channels, space.height, space.width}));
  out.parameters = net.parameter_count();
  const std::size_t before = nas::train::num_threads();
  try {
    if (o.threads != 0) nas::train::set_num_threads(o.threads);
    const auto t0 = std::chrono::steady_clock::now();
    detail::epoch_batches batches(train, o.batch_size, o.seed);
    const auto steps = static_cast<std::size_t>(std::max(1.0, std::round(o.epochs * static_cast<double>(train.size() / o.batch_size))));
    nas::train::sgd opt({.lr = o.lr, .momentum = o.momentum, .weight_decay = o.weight_decay});
    nas::train::softmax_cross_entropy ce;
    nas::train::batch b;
    nas::train::tensor g;
    auto params = net.parameters();
    net.train();
    for (std::size_t i = 0; i < steps; ++i) {
      batches.get(i, b);
      const double l = ce(net.forward(b.images), b.labels, g);
      if (!std::isfinite(l))
        throw moo::value_error(moo::detail::message("evaluate_architecture: ", to_string(space, a), ": loss ", l, " at step ", i));
      net.backward(g);
      opt.set_lr(0.5 * o.lr * (1.0 + std::cos(std::numbers::pi * static_cast<double>(i) / static_cast<double>(steps))));
      opt.step(params);
    }
    out.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.error = nas::train::evaluate(net, test).error();
    for (const device& d : devices) {
      nas::train::set_num_threads(d.setting.threads);
      out.latency.push_back(
          nas::train::measure_latency(net, {d.setting.batch, space.in_channels, space.height, space.width}, o.timing).median);
    }
  } catch (...) {
    nas::train::set_num_threads(before);
    throw;
  }
  nas::train::set_num_threads(before);
  return out;
}

// Evaluates each architecture (on_done, if set, after each: for progress and for saving partial results).
inline std::vector<evaluated_architecture> evaluate_architectures(
    const supernet_options& space, std::span<const architecture> archs, const nas::train::dataset& train,
    const nas::train::dataset& test, std::span<const device> devices, const evaluation_options& o,
    const std::function<void(const evaluated_architecture&)>& on_done = {}) {
  std::vector<evaluated_architecture> out;
  for (const architecture& a : archs) {
    out.push_back(evaluate_architecture(space, a, train, test, devices, o));
    if (on_done) on_done(out.back());
  }
  return out;
}

// The non-dominated subset, in (error, latency on device d), of the given evaluated architectures
// (indices into evals, sorted by latency; duplicates of a point are kept once).
inline std::vector<std::size_t> front_of(std::span<const evaluated_architecture> evals, std::span<const std::size_t> which,
                                         std::size_t d) {
  moo::matrix f;
  f.reserve(which.size(), 2);
  for (const std::size_t i : which) {
    if (i >= evals.size() || d >= evals[i].latency.size())
      throw moo::value_error(moo::detail::message("modnas front: architecture ", i, " or device ", d, " was not evaluated"));
    f.push_back(std::vector<double>{evals[i].error, evals[i].latency[d]});
  }
  std::vector<std::size_t> out;
  if (f.rows() == 0) return out;
  for (const std::size_t j : moo::non_dominated_front(f)) {
    const std::size_t i = which[j];
    const bool dup = std::any_of(out.begin(), out.end(), [&](std::size_t k) {
      return evals[k].error == evals[i].error && evals[k].latency[d] == evals[i].latency[d];
    });
    if (!dup) out.push_back(i);
  }
  std::sort(out.begin(), out.end(), [&](std::size_t a, std::size_t b) { return evals[a].latency[d] < evals[b].latency[d]; });
  return out;
}

// Uniformly random architectures of the space (the random-search baseline), distinct.
inline std::vector<architecture> random_architectures(const supernet_options& space, std::size_t n, moo::rng& r) {
  std::vector<architecture> out;
  const std::size_t e = edge_count(space), k = space.candidates.size();
  double total = 1.0;
  for (std::size_t i = 0; i < e && total < 1e18; ++i) total *= static_cast<double>(k);
  if (static_cast<double>(n) > total)
    throw moo::value_error(moo::detail::message("random_architectures: ", n, " distinct architectures of a space of ", total));
  while (out.size() < n) {
    architecture a(e);
    for (auto& c : a) c = static_cast<std::size_t>(r.index(k));
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(std::move(a));
  }
  return out;
}

}  // namespace nas::modnas
