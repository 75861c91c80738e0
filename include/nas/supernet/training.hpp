// Training a super-network with weight sharing by the sandwich rule: per batch the largest, the smallest
// and n random sub-networks run forward and backward, their gradients add up in the shared weights, and
// one SGD-momentum step updates them (Yu & Huang 2019, "Universally Slimmable Networks", sec. 3.2; the
// progressive shrinking of Cai et al. 2020, "Once-for-All", sec. 3.2, trains the same shared weights).
// Optionally the smaller sub-networks learn from the largest one's logits (in-place distillation).
// Each sub-network is materialised as a train::network holding copies of its weight slices
// (supernet::sub_network), and its parameter gradients are scattered back (supernet::add_gradients):
// simple and exactly the gradient of the summed losses. The shared batch-norm running statistics are
// those of the largest sub-network; a smaller one is recalibrated before it is measured (measure.hpp).
// Example:
//   nas::supernet net({}, 1);
//   auto stats = nas::train_supernet(net, data.train, {.epochs = 2, .random_subnets = 2, .threads = 2});
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "moo/genome/integer.hpp"
#include "nas/supernet/supernet.hpp"
#include "nas/train/data.hpp"
#include "nas/train/loss.hpp"
#include "nas/train/optim.hpp"
#include "nas/train/parallel.hpp"
#include "nas/train/schedule.hpp"

namespace nas {

struct supernet_training_options {
  double epochs = 1.0;             // fractional epochs stop part-way through the last one
  std::size_t batch_size = 128;
  std::size_t random_subnets = 2;  // random sub-networks per batch besides the largest and the smallest
  double lr = 0.05;                // cosine-annealed per step to 0 over the epochs
  double momentum = 0.9;
  double weight_decay = 5e-5;
  bool distill = false;            // smaller sub-networks learn from the largest one's logits
  train::distillation_options distillation = {.temperature = 1.0, .alpha = 0.5};
  std::size_t threads = 0;         // threads of the training backend (0: leave its setting)
  std::uint64_t seed = 1;          // batch order and random sub-networks
};

// What one epoch (or the part of it that ran) measured: mean training losses of the largest and the
// smallest sub-network, and the time it took.
struct supernet_epoch {
  std::size_t epoch = 0;
  std::size_t steps = 0;
  double loss_largest = 0.0;
  double loss_smallest = 0.0;
  double seconds = 0.0;
};

// One sandwich step on one batch, the pieces of train_supernet for callers with their own loop.
class sandwich_step {
 public:
  explicit sandwich_step(const supernet_training_options& o)
      : opt_(o), sgd_({.lr = o.lr, .momentum = o.momentum, .weight_decay = o.weight_decay}), distill_(o.distillation) {}

  // Sums the gradients of the losses of `configs` (configs[0] is the teacher when distilling) on b into
  // net's shared gradients (zeroed first) and returns each sub-network's loss, without an update.
  // configs[0]'s batch-norm running statistics become the shared ones when it is the largest.
  std::vector<double> gradients(supernet& net, const std::vector<moo::integer_genome>& configs, const train::batch& b) {
    net.zero_grad();
    std::vector<double> losses;
    const moo::integer_genome largest = net.largest();
    for (std::size_t i = 0; i < configs.size(); ++i) {
      train::network sub = net.sub_network(configs[i]);
      sub.train();
      const train::tensor& logits = sub.forward(b.images);
      double l;
      if (opt_.distill && i > 0) {
        l = distill_(logits, teacher_, b.labels, grad_);
      } else {
        l = ce_(logits, b.labels, grad_);
        if (opt_.distill && i == 0) teacher_ = logits;
      }
      sub.backward(grad_);
      net.add_gradients(configs[i], sub);
      if (i == 0 && configs[0] == largest) net.set_running_statistics(configs[0], sub);
      losses.push_back(l);
    }
    return losses;
  }

  // gradients() for the largest, the smallest and options.random_subnets random sub-networks, then one
  // SGD step at learning rate lr; returns the losses in that order.
  std::vector<double> operator()(supernet& net, const train::batch& b, double lr, moo::rng& r) {
    std::vector<moo::integer_genome> configs{net.largest(), net.smallest()};
    for (std::size_t i = 0; i < opt_.random_subnets; ++i) configs.push_back(net.random(r));
    auto losses = gradients(net, configs, b);
    sgd_.set_lr(lr);
    sgd_.step(net.parameters());
    return losses;
  }

  train::sgd& optimizer() { return sgd_; }

 private:
  supernet_training_options opt_;
  train::sgd sgd_;
  train::softmax_cross_entropy ce_;
  train::distillation_loss distill_;
  train::tensor grad_, teacher_;
};

// Trains the shared weights of net on d by the sandwich rule for options.epochs epochs; calls
// on_epoch (if set) after each epoch. Returns the statistics of every epoch.
inline std::vector<supernet_epoch> train_supernet(supernet& net, const train::dataset& d,
                                                  const supernet_training_options& o,
                                                  const std::function<void(const supernet_epoch&)>& on_epoch = {}) {
  if (!(o.epochs >= 0.0))
    throw moo::value_error(moo::detail::message("train_supernet: epochs ", o.epochs, " must be non-negative"));
  if (d.size() == 0) throw moo::value_error("train_supernet: the training set is empty");
  if (o.threads != 0) train::set_num_threads(o.threads);
  moo::rng r(o.seed);
  train::data_loader loader(d, {.batch_size = o.batch_size, .shuffle = true, .drop_last = d.size() > o.batch_size,
                                .seed = o.seed});
  sandwich_step step(o);
  const train::cosine_annealing schedule{.lr_max = o.lr, .lr_min = 0.0, .t_max = o.epochs};
  const double per_epoch = static_cast<double>(loader.batches());
  const auto total = static_cast<std::size_t>(o.epochs * per_epoch + 0.5);
  std::vector<supernet_epoch> out;
  std::size_t done = 0;
  for (std::size_t e = 0; done < total; ++e) {
    loader.reset();
    supernet_epoch s{.epoch = e};
    const auto t0 = std::chrono::steady_clock::now();
    train::batch b;
    while (done < total && loader.next(b)) {
      const auto losses = step(net, b, schedule(static_cast<double>(done) / per_epoch), r);
      s.loss_largest += losses[0];
      s.loss_smallest += losses[1];
      ++s.steps;
      ++done;
    }
    s.loss_largest /= static_cast<double>(std::max<std::size_t>(1, s.steps));
    s.loss_smallest /= static_cast<double>(std::max<std::size_t>(1, s.steps));
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.push_back(s);
    if (on_epoch) on_epoch(s);
  }
  return out;
}

}  // namespace nas
