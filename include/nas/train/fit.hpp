// The training step and epoch built from the pieces: forward, loss, backward, SGD update with a
// per-step learning-rate schedule.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "nas/train/data.hpp"
#include "nas/train/loss.hpp"
#include "nas/train/metrics.hpp"
#include "nas/train/network.hpp"
#include "nas/train/optim.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

// One SGD step on a batch with the given parameter list (net.parameters(), fetched once by the caller);
// returns the batch loss. grad is a reused buffer for the loss gradient.
inline double train_step(network& net, const batch& b, softmax_cross_entropy& loss, sgd& opt,
                         std::span<const parameter_ref> params, tensor& grad) {
  const tensor& logits = net.forward(b.images);
  const double l = loss(logits, b.labels, grad);
  net.backward(grad);
  opt.step(params);
  return l;
}

// Statistics of one epoch.
struct epoch_stats {
  double loss = 0.0;      // mean training loss over the epoch's samples
  double accuracy = 0.0;  // training accuracy measured on the fly (train-mode batch norm)
};

// Trains net for one epoch over `loader` (reset first), setting the learning rate from `schedule`
// (a function of fractional epochs, see schedule.hpp) before each step.
inline epoch_stats train_epoch(network& net, data_loader& loader, softmax_cross_entropy& loss, sgd& opt,
                               const std::function<double(double)>& schedule, std::size_t epoch) {
  net.train();
  loader.reset();
  const auto params = net.parameters();
  const double steps = static_cast<double>(loader.batches());
  tensor grad;
  batch b;
  double total = 0.0;
  std::size_t seen = 0, hits = 0, step = 0;
  while (loader.next(b)) {
    if (schedule) opt.set_lr(schedule(static_cast<double>(epoch) + static_cast<double>(step) / steps));
    const tensor& logits = net.forward(b.images);
    const double l = loss(logits, b.labels, grad);
    const std::size_t k = correct(logits, b.labels);
    net.backward(grad);
    opt.step(params);
    total += l * static_cast<double>(b.size());
    seen += b.size();
    hits += k;
    ++step;
  }
  return {seen == 0 ? 0.0 : total / static_cast<double>(seen), seen == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(seen)};
}

}  // namespace nas::train
