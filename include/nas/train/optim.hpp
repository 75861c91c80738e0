// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, with PyTorch's
// update rule (torch.optim.SGD): g = grad + wd * p; v = mu * v + (1 - dampening) * g (v = g on the
// first step); p -= lr * (nesterov ? g + mu * v : v).
#pragma once

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

struct sgd_options {
  double lr = 0.01;
  double momentum = 0.0;
  double weight_decay = 0.0;
  double dampening = 0.0;
  bool nesterov = false;
};

// Example: sgd opt({.lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4}); opt.step(net.parameters());
class sgd {
 public:
  explicit sgd(sgd_options o = {}) : opt_(o) {
    if (!(o.lr >= 0.0) || !(o.momentum >= 0.0) || !(o.weight_decay >= 0.0))
      throw moo::value_error(moo::detail::message("sgd: lr ", o.lr, ", momentum ", o.momentum, " and weight_decay ",
                                                  o.weight_decay, " must be non-negative"));
    if (o.nesterov && (o.momentum <= 0.0 || o.dampening != 0.0))
      throw moo::value_error("sgd: Nesterov momentum needs momentum > 0 and dampening 0");
  }

  const sgd_options& options() const { return opt_; }
  double lr() const { return opt_.lr; }
  // Sets the learning rate (a schedule calls this before each step).
  void set_lr(double lr) { opt_.lr = lr; }

  // Updates every parameter from its gradient. The parameter list must keep its layout between steps
  // (same count and sizes); call reset() after changing the network.
  void step(std::span<const parameter_ref> params) {
    if (velocity_.empty() && opt_.momentum != 0.0) {
      velocity_.resize(params.size());
      for (std::size_t i = 0; i < params.size(); ++i) velocity_[i].assign(params[i].value.size(), 0.0f);
      first_ = true;
    } else if (opt_.momentum != 0.0) {
      if (velocity_.size() != params.size())
        throw moo::dimension_error(moo::detail::message("sgd: ", params.size(), " parameters, but the momentum "
                                                        "buffers hold ", velocity_.size(), "; call reset() after changing the network"));
      for (std::size_t i = 0; i < params.size(); ++i)
        if (velocity_[i].size() != params[i].value.size())
          throw moo::dimension_error(moo::detail::message("sgd: parameter ", params[i].name, " has ", params[i].value.size(),
                                                          " values, its momentum buffer ", velocity_[i].size(),
                                                          "; call reset() after changing the network"));
    }
    const float lr = static_cast<float>(opt_.lr), mu = static_cast<float>(opt_.momentum);
    const float damp = first_ ? 1.0f : static_cast<float>(1.0 - opt_.dampening);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const parameter_ref& p = params[i];
      if (p.grad.size() != p.value.size())
        throw moo::dimension_error(moo::detail::message("sgd: parameter ", p.name, " has ", p.value.size(),
                                                        " values but ", p.grad.size(), " gradients"));
      const float wd = p.decay ? static_cast<float>(opt_.weight_decay) : 0.0f;
      float* w = p.value.data();
      const float* g = p.grad.data();
      const std::size_t n = p.value.size();
      if (opt_.momentum == 0.0) {
        for (std::size_t e = 0; e < n; ++e) w[e] -= lr * (g[e] + wd * w[e]);
        continue;
      }
      float* v = velocity_[i].data();
      for (std::size_t e = 0; e < n; ++e) {
        const float ge = g[e] + wd * w[e];
        v[e] = first_ ? ge : mu * v[e] + damp * ge;
        w[e] -= lr * (opt_.nesterov ? ge + mu * v[e] : v[e]);
      }
    }
    first_ = false;
  }

  // The momentum buffers, one per parameter in the parameter list's order (empty before the first step
  // or without momentum), so training can stop and continue later bit for bit (set_momentum).
  const std::vector<std::vector<float>>& momentum() const { return velocity_; }
  // Continues with buffers momentum() gave (empty: a fresh start, the first step sets them).
  void set_momentum(std::vector<std::vector<float>> v) {
    velocity_ = std::move(v);
    first_ = velocity_.empty();
  }

  // Forgets the momentum buffers.
  void reset() {
    velocity_.clear();
    first_ = true;
  }

 private:
  sgd_options opt_;
  std::vector<std::vector<float>> velocity_;
  bool first_ = true;
};

}  // namespace nas::train
