// A mixed operation of a differentiable super-network (DARTS, Liu et al. 2019, Eq. 2; MODNAS, Sukthanker et
// al. 2025): y = sum_i w_i op_i(x) over candidate operations that keep the shape of x, with w computed from
// architecture parameters alpha either as softmax(alpha / tau) or as a straight-through Gumbel-softmax
// sample (Jang et al. 2017, Sec. 2.2): the forward pass uses the hard one-hot w = onehot(argmax(alpha + g))
// and the backward pass the gradient of the soft s = softmax((alpha + g) / tau).
// backward gives dL/dx, the candidates' weight gradients (parameters()) and dL/dalpha (alpha_grad()).
// alpha is not a trainable parameter of the layer: MODNAS's hypernetwork produces it, and alpha_grad() is
// what flows back into the hypernetwork.
// Example:
//   nas::modnas::mixed_op op({.channels = 8}, rng);
//   op.set_alpha(alpha);                       // one logit per candidate
//   op.forward(std::array{&x}, y);             // every candidate runs (dL/dalpha needs each output)
//   op.backward(std::array{&x}, y, dy, std::array{&dx});
//   auto da = op.alpha_grad();
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/train/layer.hpp"
#include "nas/train/tensor.hpp"

namespace nas::modnas {

using nas::train::shape4;
using nas::train::tensor;

// The candidate operations, all stride 1 with "same" padding, C channels in and out. The convolutions are
// DARTS's ReLU-conv order without the batch norm (conv with bias instead): ReLU, then a k x k conv; the
// separable conv is ReLU, depthwise 3x3, pointwise 1x1. max_pool_3x3 pads with -infinity.
enum class candidate { zero, skip, max_pool_3x3, conv_3x3, conv_5x5, sep_conv_3x3 };

inline std::string_view to_string(candidate c) {
  switch (c) {
    case candidate::zero: return "zero";
    case candidate::skip: return "skip";
    case candidate::max_pool_3x3: return "max_pool_3x3";
    case candidate::conv_3x3: return "conv_3x3";
    case candidate::conv_5x5: return "conv_5x5";
    case candidate::sep_conv_3x3: return "sep_conv_3x3";
  }
  return "?";
}

// softmax: w = softmax(alpha / tau), used in forward and backward.
// straight_through_gumbel: w = onehot(argmax(alpha + g)) forward (ties: the first), and the backward pass
// treats w as if it were s = softmax((alpha + g) / tau) (the straight-through estimator), g the Gumbel(0, 1)
// noise of the last sample() (0 before the first). dL/dalpha is then the soft gradient J_s^T dL/dw; the
// candidates' weights and x get gradients only through the selected candidate (w_i = 0 for the others).
enum class mixing { softmax, straight_through_gumbel };

struct mixed_op_options {
  std::size_t channels = 0;
  std::vector<candidate> candidates = {candidate::zero,     candidate::skip,     candidate::max_pool_3x3,
                                       candidate::conv_3x3, candidate::conv_5x5, candidate::sep_conv_3x3};
  mixing mode = mixing::softmax;
  double temperature = 1.0;  // tau > 0
  std::string name = {};
};

// s = softmax(z / tau), computed stably (the largest z subtracted first).
inline std::vector<double> softmax(std::span<const double> z, double tau = 1.0) {
  std::vector<double> s(z.size());
  if (z.empty()) return s;
  const double m = *std::max_element(z.begin(), z.end());
  double sum = 0.0;
  for (std::size_t i = 0; i < z.size(); ++i) sum += s[i] = std::exp((z[i] - m) / tau);
  for (double& v : s) v /= sum;
  return s;
}

// The gradient of L with respect to z, given s = softmax(z / tau) and g = dL/ds:
// dL/dz_j = sum_i g_i ds_i/dz_j = (s_j / tau) (g_j - sum_i s_i g_i)   (J_ij = s_i (delta_ij - s_j) / tau).
inline std::vector<double> softmax_backward(std::span<const double> s, std::span<const double> g, double tau = 1.0) {
  double dot = 0.0;
  for (std::size_t i = 0; i < s.size(); ++i) dot += s[i] * g[i];
  std::vector<double> dz(s.size());
  for (std::size_t j = 0; j < s.size(); ++j) dz[j] = s[j] / tau * (g[j] - dot);
  return dz;
}

// The mixed operation; a nas::train layer_type (kind "mixed_op") with one input of shape [N, C, H, W] and an
// output of the same shape. parameters() are the candidates' convolution weights and biases (not alpha).
class mixed_op {
 public:
  mixed_op() = default;

  // Candidates built with PyTorch's default initialisation from r; alpha starts at 0 (uniform weights).
  mixed_op(mixed_op_options o, moo::rng& r) : opt_(std::move(o)) {
    const std::string l = label();
    if (opt_.channels == 0) throw moo::value_error(moo::detail::message(l, ": channels must be positive"));
    if (opt_.candidates.empty()) throw moo::value_error(moo::detail::message(l, ": no candidate operations"));
    if (!(opt_.temperature > 0.0) || !std::isfinite(opt_.temperature))
      throw moo::value_error(moo::detail::message(l, ": temperature ", opt_.temperature, " must be positive"));
    using namespace nas::train;
    const std::size_t c = opt_.channels;
    for (const candidate k : opt_.candidates) {
      const std::string n = opt_.name + "." + std::string(to_string(k));
      op o;
      o.kind = k;
      switch (k) {
        case candidate::zero:
        case candidate::skip: break;
        case candidate::max_pool_3x3:
          o.layers.emplace_back(max_pool2d({.kernel = 3, .stride = 1, .padding = 1, .name = n}));
          break;
        case candidate::conv_3x3:
        case candidate::conv_5x5: {
          const std::size_t ks = k == candidate::conv_3x3 ? 3 : 5;
          o.layers.emplace_back(relu({.name = n}));
          o.layers.emplace_back(conv2d({.in_channels = c, .out_channels = c, .kernel = ks, .padding = ks / 2, .name = n}, r));
          break;
        }
        case candidate::sep_conv_3x3:
          o.layers.emplace_back(relu({.name = n}));
          o.layers.emplace_back(conv2d(
              {.in_channels = c, .out_channels = c, .kernel = 3, .padding = 1, .groups = c, .name = n + ".depthwise"}, r));
          o.layers.emplace_back(conv2d({.in_channels = c, .out_channels = c, .kernel = 1, .name = n + ".pointwise"}, r));
          break;
      }
      o.acts.resize(o.layers.size());
      ops_.push_back(std::move(o));
    }
    alpha_.assign(ops_.size(), 0.0);
    noise_.assign(ops_.size(), 0.0);
    alpha_grad_.assign(ops_.size(), 0.0);
    update_weights();
  }

  std::string_view kind() const { return "mixed_op"; }
  std::string label() const { return nas::train::detail::layer_label(kind(), opt_.name); }
  const mixed_op_options& options() const { return opt_; }
  std::size_t size() const { return ops_.size(); }

  // Sets the architecture parameters, one finite logit per candidate (dimension_error / value_error).
  void set_alpha(std::span<const double> alpha) {
    if (alpha.size() != ops_.size())
      throw moo::dimension_error(moo::detail::message(label(), ": ", alpha.size(), " architecture parameters for ",
                                                      ops_.size(), " candidates"));
    for (std::size_t i = 0; i < alpha.size(); ++i)
      if (!std::isfinite(alpha[i]))
        throw moo::value_error(moo::detail::message(label(), ": architecture parameter ", i, " (",
                                                    to_string(opt_.candidates[i]), ") is ", alpha[i]));
    alpha_.assign(alpha.begin(), alpha.end());
    update_weights();
  }
  const std::vector<double>& alpha() const { return alpha_; }

  void set_mixing(mixing m) {
    opt_.mode = m;
    update_weights();
  }

  // straight_through_gumbel: draws new Gumbel(0, 1) noise g_i = -log(-log(u_i)); the sample (and so the
  // selected candidate) stays fixed until the next call. A no-op in softmax mode.
  void sample(moo::rng& r) {
    if (opt_.mode != mixing::straight_through_gumbel) return;
    for (double& g : noise_) {
      double u = r.uniform();
      while (u <= 0.0) u = r.uniform();
      g = -std::log(-std::log(u));
    }
    update_weights();
  }
  const std::vector<double>& gumbel_noise() const { return noise_; }

  // The weights of the forward pass (softmax, or the hard one-hot sample) and the soft weights whose
  // Jacobian the backward pass uses (equal to weights() in softmax mode).
  const std::vector<double>& weights() const { return weights_; }
  const std::vector<double>& soft_weights() const { return soft_; }
  // The candidate with the largest forward weight (the first on ties).
  std::size_t selected() const {
    return static_cast<std::size_t>(std::max_element(weights_.begin(), weights_.end()) - weights_.begin());
  }

  // dL/dalpha and dL/dw_i = <dL/dy, op_i(x)> from the last backward pass.
  const std::vector<double>& alpha_grad() const { return alpha_grad_; }
  const std::vector<double>& weight_grad() const { return weight_grad_; }
  // op_i(x) from the last forward pass (unscaled; empty for zero).
  const tensor& candidate_output(std::size_t i) const { return ops_[i].out; }

  shape4 output_shape(std::span<const shape4> in) const {
    nas::train::detail::require_inputs(label(), in.size(), 1);
    if (in[0][1] != opt_.channels)
      throw nas::train::shape_error(moo::detail::message(label(), ": input shape ", nas::train::to_string(in[0]), " has ",
                                                         in[0][1], " channels, the layer expects [N, ", opt_.channels,
                                                         ", H, W]"));
    for (const op& o : ops_)
      if (!o.layers.empty()) {
        shape4 s = in[0];
        for (const auto& l : o.layers) s = l.output_shape({&s, 1});
      }
    return in[0];
  }

  // Multiply-accumulates of one forward pass: every candidate's layers (the whole mixture's work; for a
  // one-candidate mixed_op, exactly that candidate's). The weighted sum itself is not counted.
  std::size_t macs(std::span<const shape4> in) const {
    output_shape(in);
    std::size_t total = 0;
    for (const op& o : ops_) {
      shape4 s = in[0];
      for (const auto& l : o.layers) {
        total += l.macs({&s, 1});
        s = l.output_shape({&s, 1});
      }
    }
    return total;
  }

  std::vector<nas::train::parameter_ref> parameters() {
    std::vector<nas::train::parameter_ref> p;
    for (op& o : ops_)
      for (auto& l : o.layers)
        for (auto& q : l.parameters()) p.push_back(std::move(q));
    return p;
  }

  void set_training(bool on) {
    for (op& o : ops_)
      for (auto& l : o.layers) l.set_training(on);
  }

  // y = sum_i w_i op_i(x); every candidate with layers runs and keeps its output for the backward pass.
  void forward(std::span<const tensor* const> in, tensor& out) {
    const tensor& x = *in[0];
    const shape4 xs = nas::train::shape_of(x);
    output_shape({&xs, 1});
    nas::train::ensure_shape(out, xs);
    std::fill(out.begin(), out.end(), 0.0f);
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      op& o = ops_[i];
      const float w = static_cast<float>(weights_[i]);
      if (o.kind == candidate::zero) continue;
      if (o.kind == candidate::skip) {
        nas::train::ensure_shape(o.out, xs);
        std::copy(x.begin(), x.end(), o.out.begin());
      } else {
        const tensor* src = &x;
        for (std::size_t j = 0; j < o.layers.size(); ++j) {
          tensor& dst = j + 1 == o.layers.size() ? o.out : o.acts[j];
          o.layers[j].forward({&src, 1}, dst);
          src = &dst;
        }
      }
      if (w == 0.0f) continue;
      const float* y = o.out.data();
      float* d = out.data();
      for (std::size_t e = 0; e < out.size(); ++e) d[e] += w * y[e];
    }
  }

  // From dL/dy: dL/dw_i = <dL/dy, op_i(x)>, dL/dalpha = softmax_backward(soft_weights, dL/dw, tau), the
  // candidates' parameter gradients (those of a candidate with w_i = 0 are set to 0) and, if grad_in[0] is
  // not null, dL/dx = sum_i w_i dop_i/dx^T dL/dy. Uses the activations of the last forward pass.
  void backward(std::span<const tensor* const> in, const tensor& out, const tensor& grad_out,
                std::span<tensor* const> grad_in) {
    (void)out;
    const tensor& x = *in[0];
    const shape4 xs = nas::train::shape_of(x);
    tensor* dx = grad_in.empty() ? nullptr : grad_in[0];
    if (dx != nullptr) {
      nas::train::ensure_shape(*dx, xs);
      std::fill(dx->begin(), dx->end(), 0.0f);
    }
    weight_grad_.assign(ops_.size(), 0.0);
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      op& o = ops_[i];
      if (o.kind == candidate::zero) continue;
      double s = 0.0;
      for (std::size_t e = 0; e < grad_out.size(); ++e)
        s += static_cast<double>(grad_out.data()[e]) * static_cast<double>(o.out.data()[e]);
      weight_grad_[i] = s;
      const float w = static_cast<float>(weights_[i]);
      if (o.kind == candidate::skip) {
        if (dx != nullptr && w != 0.0f)
          for (std::size_t e = 0; e < dx->size(); ++e) dx->data()[e] += w * grad_out.data()[e];
        continue;
      }
      if (w == 0.0f) {
        for (auto& l : o.layers)
          for (auto& p : l.parameters()) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
        continue;
      }
      nas::train::ensure_shape(o.grad, xs);
      for (std::size_t e = 0; e < o.grad.size(); ++e) o.grad.data()[e] = w * grad_out.data()[e];
      // Back through the chain: the gradient of layer j's output is in o.grad; its input's goes to o.tmp.
      for (std::size_t j = o.layers.size(); j-- > 0;) {
        const tensor* src = j == 0 ? &x : &o.acts[j - 1];
        const tensor& y = j + 1 == o.layers.size() ? o.out : o.acts[j];
        tensor* gin = &o.tmp;
        o.layers[j].backward({&src, 1}, y, o.grad, {&gin, 1});
        std::swap(o.grad, o.tmp);
      }
      if (dx != nullptr)
        for (std::size_t e = 0; e < dx->size(); ++e) dx->data()[e] += o.grad.data()[e];
    }
    alpha_grad_ = softmax_backward(soft_, weight_grad_, opt_.temperature);
  }

 private:
  struct op {
    candidate kind = candidate::zero;
    std::vector<nas::train::layer> layers;
    std::vector<tensor> acts;  // outputs of all layers but the last
    tensor out;                // op(x)
    tensor grad, tmp;          // backward scratch
  };

  void update_weights() {
    std::vector<double> z = alpha_;
    if (opt_.mode == mixing::straight_through_gumbel)
      for (std::size_t i = 0; i < z.size(); ++i) z[i] += noise_[i];
    soft_ = softmax(z, opt_.temperature);
    if (opt_.mode == mixing::softmax) {
      weights_ = soft_;
    } else {
      weights_.assign(z.size(), 0.0);
      if (!z.empty()) weights_[static_cast<std::size_t>(std::max_element(z.begin(), z.end()) - z.begin())] = 1.0;
    }
  }

  mixed_op_options opt_;
  std::vector<op> ops_;
  std::vector<double> alpha_, noise_, soft_, weights_, alpha_grad_, weight_grad_;
};

}  // namespace nas::modnas
