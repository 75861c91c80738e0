// Measurements of a trained network: accuracy and error on a data set, and latency as the median of
// timed forward passes after a warm-up (medians resist the noise of a shared machine; the batch size
// and thread count are part of the result because the fastest network depends on both).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "moo/core/error.hpp"
#include "nas/train/data.hpp"
#include "nas/train/loss.hpp"
#include "nas/train/network.hpp"
#include "nas/train/parallel.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

// Number of rows of N x K x 1 x 1 logits whose arg-max equals the label (ties: the first maximum).
inline std::size_t correct(const tensor& logits, std::span<const std::int32_t> labels) {
  const shape4 s = shape_of(logits);
  if (labels.size() != s[0])
    throw shape_error(moo::detail::message("accuracy: ", labels.size(), " labels for logits of shape ", to_string(s)));
  const std::size_t k = s[1] * s[2] * s[3];
  std::size_t hits = 0;
  for (std::size_t i = 0; i < s[0]; ++i) {
    const float* z = logits.data() + i * k;
    const auto best = static_cast<std::size_t>(std::max_element(z, z + k) - z);
    hits += best == static_cast<std::size_t>(labels[i]) ? 1 : 0;
  }
  return hits;
}

// Fraction of correct predictions in [0, 1].
inline double accuracy(const tensor& logits, std::span<const std::int32_t> labels) {
  return labels.empty() ? 0.0 : static_cast<double>(correct(logits, labels)) / static_cast<double>(labels.size());
}

// Loss and accuracy of a network on a data set; error = 1 - accuracy (the minimised objective).
struct evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
  double error() const { return 1.0 - accuracy; }
};

// Evaluates net on d in evaluation mode (batch norm uses running statistics), batch by batch, and
// restores the network's mode afterwards.
inline evaluation evaluate(network& net, const dataset& d, std::size_t batch_size = 256) {
  const bool was_training = net.training();
  net.eval();
  data_loader loader(d, {.batch_size = batch_size, .shuffle = false});
  softmax_cross_entropy ce;
  batch b;
  double loss = 0.0;
  std::size_t hits = 0;
  try {
    while (loader.next(b)) {
      const tensor& z = net.forward(b.images);
      loss += ce.value(z, b.labels) * static_cast<double>(b.size());
      hits += correct(z, b.labels);
    }
  } catch (...) {
    net.set_training(was_training);
    throw;
  }
  net.set_training(was_training);
  const auto n = static_cast<double>(d.size());
  return {loss / n, static_cast<double>(hits) / n};
}

struct latency_options {
  std::size_t warmup = 5;
  std::size_t repeats = 25;
};

// Forward-pass latency for one batch shape.
struct latency {
  double median = 0.0;  // seconds
  double min = 0.0;
  double max = 0.0;
  std::size_t batch = 0;
  std::size_t threads = 0;
};

// Times `repeats` forward passes in evaluation mode on a constant input of shape `input` after `warmup`
// untimed ones and returns the median (and extremes). The network's mode is restored.
inline latency measure_latency(network& net, const shape4& input, latency_options o = {}) {
  if (o.repeats == 0) throw moo::value_error("measure_latency: repeats must be positive");
  const bool was_training = net.training();
  net.eval();
  tensor x = zeros(input);
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 7919) % 255) / 255.0f - 0.5f;
  std::vector<double> times;
  times.reserve(o.repeats);
  for (std::size_t i = 0; i < o.warmup; ++i) net.forward(x);
  for (std::size_t i = 0; i < o.repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    net.forward(x);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  net.set_training(was_training);
  std::sort(times.begin(), times.end());
  const std::size_t m = times.size();
  const double median = m % 2 == 1 ? times[m / 2] : 0.5 * (times[m / 2 - 1] + times[m / 2]);
  return {median, times.front(), times.back(), input[0], num_threads()};
}

}  // namespace nas::train
