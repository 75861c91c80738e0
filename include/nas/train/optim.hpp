// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, with PyTorch's
// update rule (torch.optim.SGD): g = grad + wd * p; v = mu * v + (1 - dampening) * g (v = g on the
// first step); p -= lr * (nesterov ? g + mu * v : v).
#pragma once

#include <cmath>
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

struct adam_options {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // L2, added to the gradient (torch.optim.Adam's weight_decay, not AdamW's)
};

// Adam (Kingma & Ba 2015, Algorithm 1) with PyTorch's update rule (torch.optim.Adam): g = grad + wd * p;
// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
// DARTS and MODNAS step their architecture parameters (MODNAS: the hypernetwork) with it. The moments are
// kept in double.
// Example: adam opt({.lr = 3e-4, .beta1 = 0.5, .weight_decay = 1e-3}); opt.step(hyper.parameters());
class adam {
 public:
  explicit adam(adam_options o = {}) : opt_(o) {
    if (!(o.lr >= 0.0) || !(o.weight_decay >= 0.0) || !(o.eps > 0.0) || !(o.beta1 >= 0.0 && o.beta1 < 1.0) ||
        !(o.beta2 >= 0.0 && o.beta2 < 1.0))
      throw moo::value_error(moo::detail::message("adam: lr ", o.lr, ", weight_decay ", o.weight_decay, " (>= 0), eps ", o.eps,
                                                  " (> 0), beta1 ", o.beta1, ", beta2 ", o.beta2, " (in [0, 1))"));
  }

  const adam_options& options() const { return opt_; }
  void set_lr(double lr) { opt_.lr = lr; }

  void step(std::span<const parameter_ref> params) {
    if (m_.empty()) {
      m_.resize(params.size());
      v_.resize(params.size());
      for (std::size_t i = 0; i < params.size(); ++i) {
        m_[i].assign(params[i].value.size(), 0.0);
        v_[i].assign(params[i].value.size(), 0.0);
      }
    }
    if (m_.size() != params.size())
      throw moo::dimension_error(moo::detail::message("adam: ", params.size(), " parameters, but the moments hold ", m_.size(),
                                                      "; call reset() after changing the parameters"));
    ++t_;
    const double c1 = 1.0 - std::pow(opt_.beta1, static_cast<double>(t_));
    const double c2 = 1.0 - std::pow(opt_.beta2, static_cast<double>(t_));
    for (std::size_t i = 0; i < params.size(); ++i) {
      const parameter_ref& p = params[i];
      if (p.grad.size() != p.value.size() || m_[i].size() != p.value.size())
        throw moo::dimension_error(moo::detail::message("adam: parameter ", p.name, " has ", p.value.size(), " values, ",
                                                        p.grad.size(), " gradients and moments of ", m_[i].size()));
      const double wd = p.decay ? opt_.weight_decay : 0.0;
      for (std::size_t e = 0; e < p.value.size(); ++e) {
        const double g = static_cast<double>(p.grad[e]) + wd * static_cast<double>(p.value[e]);
        m_[i][e] = opt_.beta1 * m_[i][e] + (1.0 - opt_.beta1) * g;
        v_[i][e] = opt_.beta2 * v_[i][e] + (1.0 - opt_.beta2) * g * g;
        const double step = opt_.lr * (m_[i][e] / c1) / (std::sqrt(v_[i][e] / c2) + opt_.eps);
        p.value[e] = static_cast<float>(static_cast<double>(p.value[e]) - step);
      }
    }
  }

  // The state (step count and both moments) for checkpoints; set_state continues bit for bit.
  std::size_t steps() const { return t_; }
  const std::vector<std::vector<double>>& first_moment() const { return m_; }
  const std::vector<std::vector<double>>& second_moment() const { return v_; }
  void set_state(std::size_t steps, std::vector<std::vector<double>> m, std::vector<std::vector<double>> v) {
    if (m.size() != v.size())
      throw moo::dimension_error(moo::detail::message("adam: ", m.size(), " first and ", v.size(), " second moments"));
    t_ = steps;
    m_ = std::move(m);
    v_ = std::move(v);
  }
  void reset() {
    t_ = 0;
    m_.clear();
    v_.clear();
  }

 private:
  adam_options opt_;
  std::size_t t_ = 0;
  std::vector<std::vector<double>> m_, v_;
};

}  // namespace nas::train
