// 2-D convolution (kernel k x k, stride, zero padding, groups: depthwise when groups == in_channels)
// with a hand-written backward pass. Dense and grouped convolutions run as im2col + GEMM over chunks of
// output columns (a chunk's column matrix stays in L2), split over the thread pool; a depthwise
// convolution runs a direct kernel.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/train/gemm.hpp"
#include "nas/train/kernels.hpp"
#include "nas/train/layers/window.hpp"
#include "nas/train/parallel.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

// Settings of a convolution; padding = kernel / 2 with stride 1 keeps the spatial size ("same").
struct conv2d_options {
  std::size_t in_channels = 0;
  std::size_t out_channels = 0;
  std::size_t kernel = 3;
  std::size_t stride = 1;
  std::size_t padding = 0;
  std::size_t groups = 1;
  bool bias = true;
  std::string name = {};
};

// Convolution layer. weight is out x (in / groups) x k x k, bias has out elements (empty without bias).
// Example: conv2d c({.in_channels = 1, .out_channels = 32, .kernel = 3, .padding = 1, .bias = false}, rng);
class conv2d {
 public:
  conv2d() = default;

  // A convolution with zero weights (morphisms set them explicitly).
  explicit conv2d(conv2d_options o) : opt_(std::move(o)) {
    validate();
    weight_ = tensor::from_shape({opt_.out_channels, opt_.in_channels / opt_.groups, opt_.kernel, opt_.kernel});
    std::fill(weight_.begin(), weight_.end(), 0.0f);
    weight_grad_ = weight_;
    bias_ = zeros_vector(opt_.bias ? opt_.out_channels : 0);
    bias_grad_ = bias_;
  }

  // A convolution initialised like PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  conv2d(conv2d_options o, moo::rng& r) : conv2d(std::move(o)) { init(r); }

  // Redraws the weights and bias uniformly in +-1/sqrt(fan_in).
  void init(moo::rng& r) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in()));
    for (auto& v : weight_) v = static_cast<float>(r.uniform(-bound, bound));
    for (auto& v : bias_) v = static_cast<float>(r.uniform(-bound, bound));
  }

  std::string_view kind() const { return "conv2d"; }
  const conv2d_options& options() const { return opt_; }
  std::string label() const { return detail::layer_label(kind(), opt_.name); }
  std::size_t fan_in() const { return opt_.in_channels / opt_.groups * opt_.kernel * opt_.kernel; }

  tensor& weight() { return weight_; }
  const tensor& weight() const { return weight_; }
  vector& bias() { return bias_; }
  const vector& bias() const { return bias_; }
  const tensor& weight_grad() const { return weight_grad_; }
  const vector& bias_grad() const { return bias_grad_; }

  // Output shape for one input of shape in; throws shape_error naming the layer and both shapes.
  shape4 output_shape(std::span<const shape4> in) const {
    detail::require_inputs(label(), in.size(), 1);
    const shape4& s = in[0];
    if (s[1] != opt_.in_channels)
      throw shape_error(moo::detail::message(label(), ": input shape ", to_string(s), " has ", s[1],
                                             " channels, the layer expects [N, ", opt_.in_channels, ", H, W]"));
    const std::size_t oh = detail::window_out(s[2], opt_.kernel, opt_.stride, opt_.padding);
    const std::size_t ow = detail::window_out(s[3], opt_.kernel, opt_.stride, opt_.padding);
    if (oh == 0 || ow == 0)
      throw shape_error(moo::detail::message(label(), ": input shape ", to_string(s), " is smaller than the ",
                                             opt_.kernel, "x", opt_.kernel, " kernel with padding ", opt_.padding));
    return {s[0], opt_.out_channels, oh, ow};
  }

  // Multiply-accumulates of one forward pass.
  std::size_t macs(std::span<const shape4> in) const {
    const shape4 o = output_shape(in);
    return numel(o) * fan_in();
  }

  std::vector<parameter_ref> parameters() {
    std::vector<parameter_ref> p{{opt_.name + ".weight", {weight_.data(), weight_.size()},
                                  {weight_grad_.data(), weight_grad_.size()}, true}};
    if (opt_.bias) p.push_back({opt_.name + ".bias", {bias_.data(), bias_.size()}, {bias_grad_.data(), bias_grad_.size()}, true});
    return p;
  }

  // y = conv(x) + bias.
  void forward(std::span<const tensor* const> in, tensor& out) {
    const tensor& x = *in[0];
    const shape4 xs = shape_of(x);
    const shape4 ys = output_shape({&xs, 1});
    ensure_shape(out, ys);
    const detail::window g = geometry(xs, ys);
    if (depthwise()) {
      forward_depthwise(x, out, g);
      return;
    }
    const std::size_t kk = opt_.kernel * opt_.kernel, cin = opt_.in_channels, cout = opt_.out_channels;
    const std::size_t krows = cin * kk;  // rows of the column matrix (all groups)
    const std::size_t target = std::max<std::size_t>(16, detail::chunk_bytes / sizeof(float) / krows);
    auto& pool = default_pool();
    detail::plan_chunks(xs[0], g.out_plane(), target, pool.size(), true, chunks_);
    std::size_t max_cols = 0;
    for (const auto& c : chunks_) max_cols = std::max(max_cols, c.j1 - c.j0);
    col_.prepare(pool.size());
    tmp_.prepare(pool.size());
    const bool pointwise = opt_.kernel == 1 && opt_.stride == 1 && opt_.padding == 0;
    const std::size_t plane = g.out_plane(), og = cout / opt_.groups, cg = cin / opt_.groups, kg = cg * kk;
    // C(og x cols) = W_g (og x kg) * B_g (kg x cols) for every group.
    auto product = [&](const float* b, std::size_t ldb, float* c, std::size_t ldc, std::size_t cols) {
      for (std::size_t gi = 0; gi < opt_.groups; ++gi)
        detail::sgemm(false, false, int(og), int(cols), int(kg), 1.0f, weight_.data() + gi * og * kg, int(kg),
                      b + gi * kg * ldb, int(ldb), 0.0f, c + gi * og * ldc, int(ldc));
    };
    pool.parallel_for(chunks_.size(), [&](std::size_t ci, std::size_t t) {
      const auto [j0, j1] = chunks_[ci];
      const std::size_t cols = j1 - j0, n0 = j0 / plane, n1 = (j1 - 1) / plane + 1, p0 = j0 % plane;
      float* y = out.data();
      if (n1 - n0 == 1) {  // a piece of one image: write its output rows in place
        float* c = y + n0 * cout * plane + p0;
        if (pointwise) {
          product(x.data() + n0 * cin * plane + p0, plane, c, plane, cols);
        } else {
          float* col = col_.get(t, krows * max_cols);
          detail::im2col(x.data(), cin, g, 0, cin, j0, j1, col, cols);
          product(col, cols, c, plane, cols);
        }
        add_bias(c, plane, cols);
        return;
      }
      if (pointwise || plane >= direct_plane) {  // whole images, each written in place by its own product
        float* col = pointwise ? nullptr : col_.get(t, krows * max_cols);
        if (!pointwise) detail::im2col(x.data(), cin, g, 0, cin, j0, j1, col, cols);
        for (std::size_t n = n0; n < n1; ++n) {
          float* c = y + n * cout * plane;
          if (pointwise)
            product(x.data() + n * cin * plane, plane, c, plane, plane);
          else
            product(col + (n - n0) * plane, cols, c, plane, plane);
          add_bias(c, plane, plane);
        }
        return;
      }
      // Small planes: one product over all images of the chunk, then scattered into NCHW.
      float* col = col_.get(t, krows * max_cols);
      detail::im2col(x.data(), cin, g, 0, cin, j0, j1, col, cols);
      float* c = tmp_.get(t, cout * max_cols);
      product(col, cols, c, cols, cols);
      for (std::size_t n = n0; n < n1; ++n)
        for (std::size_t o = 0; o < cout; ++o) {
          const float* src = c + o * cols + (n - n0) * plane;
          float* dst = y + (n * cout + o) * plane;
          const float b = opt_.bias ? bias_[o] : 0.0f;
          for (std::size_t j = 0; j < plane; ++j) dst[j] = src[j] + b;
        }
    });
  }

  // Computes weight/bias gradients and, when grad_in[0] is not null, the input gradient.
  void backward(std::span<const tensor* const> in, const tensor& out, const tensor& grad_out,
                std::span<tensor* const> grad_in) {
    (void)out;
    const tensor& x = *in[0];
    const shape4 xs = shape_of(x), ys = shape_of(grad_out);
    const detail::window g = geometry(xs, ys);
    tensor* dx = grad_in.empty() ? nullptr : grad_in[0];
    if (dx != nullptr) ensure_shape(*dx, xs);
    if (depthwise()) {
      backward_depthwise(x, grad_out, dx, g);
      return;
    }
    const std::size_t kk = opt_.kernel * opt_.kernel, cin = opt_.in_channels, cout = opt_.out_channels;
    const std::size_t krows = cin * kk, og = cout / opt_.groups, cg = cin / opt_.groups, kg = cg * kk;
    const std::size_t plane = g.out_plane(), in_plane = g.in_plane();
    const std::size_t target = std::max<std::size_t>(16, detail::chunk_bytes / sizeof(float) / krows);
    auto& pool = default_pool();
    const std::size_t threads = pool.size();
    // Whole images per chunk: col2im of neighbouring columns overlaps, so a thread owns its images.
    detail::plan_chunks(xs[0], plane, target, threads, false, chunks_);
    std::size_t max_cols = 0;
    for (const auto& c : chunks_) max_cols = std::max(max_cols, c.j1 - c.j0);
    col_.prepare(threads);
    tmp_.prepare(threads);
    acc_.prepare(threads);
    const std::size_t wsize = weight_.size();
    std::vector<char>& used = used_;
    used.assign(threads, 0);
    pool.parallel_for(chunks_.size(), [&](std::size_t ci, std::size_t t) {
      const auto [j0, j1] = chunks_[ci];
      const std::size_t cols = j1 - j0, n0 = j0 / plane, n1 = j1 / plane;
      float* acc = acc_.get(t, wsize + cout);
      if (!used[t]) {
        std::fill(acc, acc + wsize + cout, 0.0f);
        used[t] = 1;
      }
      float* col = col_.get(t, krows * max_cols);
      detail::im2col(x.data(), cin, g, 0, cin, j0, j1, col, cols);
      // dW_g += dY_g * col_g^T, db += row sums of dY, dcol_g = W_g^T * dY_g over a block of columns whose
      // output gradient is dy (cout x w, row stride ldd) and whose column matrix starts at col + off.
      auto block = [&](const float* dy, std::size_t ldd, std::size_t off, std::size_t w) {
        for (std::size_t gi = 0; gi < opt_.groups; ++gi)
          detail::sgemm(false, true, int(og), int(kg), int(w), 1.0f, dy + gi * og * ldd, int(ldd),
                        col + gi * kg * cols + off, int(cols), 1.0f, acc + gi * og * kg, int(kg));
        if (opt_.bias)
          for (std::size_t o = 0; o < cout; ++o) acc[wsize + o] += static_cast<float>(detail::sum(dy + o * ldd, w));
        if (dx != nullptr)
          for (std::size_t gi = 0; gi < opt_.groups; ++gi)
            detail::sgemm(true, false, int(kg), int(w), int(og), 1.0f, weight_.data() + gi * og * kg, int(kg),
                          dy + gi * og * ldd, int(ldd), 0.0f, col + gi * kg * cols + off, int(cols));
      };
      if (n1 - n0 == 1 || plane >= direct_plane) {
        for (std::size_t n = n0; n < n1; ++n) block(grad_out.data() + n * cout * plane, plane, (n - n0) * plane, plane);
      } else {  // small planes: gather the chunk's output gradient into one cout x cols matrix
        float* d = tmp_.get(t, cout * max_cols);
        for (std::size_t n = n0; n < n1; ++n)
          for (std::size_t o = 0; o < cout; ++o)
            std::memcpy(d + o * cols + (n - n0) * plane, grad_out.data() + (n * cout + o) * plane, plane * sizeof(float));
        block(d, cols, 0, cols);
      }
      if (dx != nullptr) {
        std::fill(dx->data() + n0 * cin * in_plane, dx->data() + n1 * cin * in_plane, 0.0f);
        detail::col2im_add(col, cols, cin, g, 0, cin, j0, j1, dx->data());
      }
    });
    std::fill(weight_grad_.begin(), weight_grad_.end(), 0.0f);
    std::fill(bias_grad_.begin(), bias_grad_.end(), 0.0f);
    for (std::size_t t = 0; t < threads; ++t) {
      if (!used[t]) continue;
      const float* acc = acc_.get(t, wsize + cout);
      float* wg = weight_grad_.data();
      for (std::size_t i = 0; i < wsize; ++i) wg[i] += acc[i];
      if (opt_.bias)
        for (std::size_t o = 0; o < cout; ++o) bias_grad_[o] += acc[wsize + o];
    }
  }

 private:
  void validate() const {
    const auto& o = opt_;
    const std::string l = detail::layer_label("conv2d", o.name);
    if (o.in_channels == 0 || o.out_channels == 0 || o.kernel == 0 || o.stride == 0 || o.groups == 0)
      throw moo::value_error(moo::detail::message(l, ": in_channels, out_channels, kernel, stride and groups must be "
                                                     "positive, got ", o.in_channels, ", ", o.out_channels, ", ",
                                                  o.kernel, ", ", o.stride, ", ", o.groups));
    if (o.in_channels % o.groups != 0 || o.out_channels % o.groups != 0)
      throw moo::value_error(moo::detail::message(l, ": groups ", o.groups, " must divide in_channels ",
                                                  o.in_channels, " and out_channels ", o.out_channels));
    if (!detail::product_within({o.out_channels, o.in_channels / o.groups, o.kernel, o.kernel}))
      throw moo::value_error(moo::detail::message(l, ": a weight of out_channels x in_channels / groups x kernel x "
                                                     "kernel = ", o.out_channels, " x ", o.in_channels / o.groups,
                                                  " x ", o.kernel, " x ", o.kernel, " holds more than ",
                                                  max_tensor_values, " (2^28) values"));
  }

  bool depthwise() const { return opt_.groups > 1 && opt_.groups == opt_.in_channels; }

  detail::window geometry(const shape4& xs, const shape4& ys) const {
    return {xs[2], xs[3], ys[2], ys[3], opt_.kernel, opt_.stride, opt_.padding};
  }

  // Adds the bias to cout rows of `cols` outputs (row stride ld).
  void add_bias(float* c, std::size_t ld, std::size_t cols) const {
    if (!opt_.bias) return;
    for (std::size_t o = 0; o < opt_.out_channels; ++o) {
      const float b = bias_[o];
      float* r = c + o * ld;
      for (std::size_t j = 0; j < cols; ++j) r[j] += b;
    }
  }

  // Output planes at least this large get one product per image (written in place); smaller ones are
  // batched into one product per chunk and scattered, since a product over 49 columns runs slowly.
  static constexpr std::size_t direct_plane = 256;

  // Direct depthwise convolution: output channel o reads input channel o / multiplier.
  void forward_depthwise(const tensor& x, tensor& y, const detail::window& g) const {
    const std::size_t cout = opt_.out_channels, n = shape_of(x)[0];
    const std::size_t planes = n * cout, parts = detail::plane_parts(planes, g.in_plane());
    default_pool().parallel_for(parts, [&](std::size_t part, std::size_t) {
      for (std::size_t item = part * planes / parts; item < (part + 1) * planes / parts; ++item)
        depthwise_plane(x, y, g, item);
    });
  }

  // Output plane `item` (image item / out_channels, channel item % out_channels) of a depthwise convolution.
  void depthwise_plane(const tensor& x, tensor& y, const detail::window& g, std::size_t item) const {
    const std::size_t cin = opt_.in_channels, cout = opt_.out_channels, mult = cout / cin, k = opt_.kernel;
    const std::size_t img = item / cout, o = item % cout, c = o / mult;
    const float* xp = x.data() + (img * cin + c) * g.in_plane();
    float* yp = y.data() + (img * cout + o) * g.out_plane();
    const float* w = weight_.data() + o * k * k;
    const float b = opt_.bias ? bias_[o] : 0.0f;
    for (std::size_t oh = 0; oh < g.oh; ++oh) {
      float* yr = yp + oh * g.ow;
      std::fill(yr, yr + g.ow, b);
      for (std::size_t kh = 0; kh < k; ++kh) {
        const std::ptrdiff_t ih = static_cast<std::ptrdiff_t>(oh * g.stride + kh) - static_cast<std::ptrdiff_t>(g.pad);
        if (ih < 0 || ih >= static_cast<std::ptrdiff_t>(g.h)) continue;
        const float* xr = xp + static_cast<std::size_t>(ih) * g.w;
        for (std::size_t kw = 0; kw < k; ++kw) {
          const float wv = w[kh * k + kw];
          std::size_t t0, t1;
          detail::valid_run(g, 0, g.ow, kw, t0, t1);
          const std::ptrdiff_t base = static_cast<std::ptrdiff_t>(kw) - static_cast<std::ptrdiff_t>(g.pad);
          if (g.stride == 1) {
            const float* xs = xr + base;
            for (std::size_t t = t0; t < t1; ++t) yr[t] += wv * xs[t];
          } else {
            for (std::size_t t = t0; t < t1; ++t) yr[t] += wv * xr[static_cast<std::ptrdiff_t>(t * g.stride) + base];
          }
        }
      }
    }
  }

  // Backward pass of a depthwise convolution; one work item per range of (image, input channel) planes.
  void backward_depthwise(const tensor& x, const tensor& dy, tensor* dx, const detail::window& g) {
    const std::size_t cin = opt_.in_channels, cout = opt_.out_channels, n = shape_of(x)[0];
    auto& pool = default_pool();
    const std::size_t threads = pool.size();
    const std::size_t wsize = weight_.size();
    acc_.prepare(threads);
    used_.assign(threads, 0);
    // One item per (image, input channel): it owns that plane of dx and all multiplier outputs of it.
    const std::size_t planes = n * cin, parts = detail::plane_parts(planes, g.in_plane());
    pool.parallel_for(parts, [&](std::size_t part, std::size_t t) {
      float* acc = acc_.get(t, wsize + cout);
      if (!used_[t]) {
        std::fill(acc, acc + wsize + cout, 0.0f);
        used_[t] = 1;
      }
      for (std::size_t item = part * planes / parts; item < (part + 1) * planes / parts; ++item)
        depthwise_plane_backward(x, dy, dx, g, item, acc);
    });
    std::fill(weight_grad_.begin(), weight_grad_.end(), 0.0f);
    std::fill(bias_grad_.begin(), bias_grad_.end(), 0.0f);
    for (std::size_t t = 0; t < threads; ++t) {
      if (!used_[t]) continue;
      const float* acc = acc_.get(t, wsize + cout);
      for (std::size_t i = 0; i < wsize; ++i) weight_grad_.data()[i] += acc[i];
      if (opt_.bias)
        for (std::size_t o = 0; o < cout; ++o) bias_grad_[o] += acc[wsize + o];
    }
  }

  // Input plane `item` (image item / in_channels) of a depthwise convolution's backward pass: its input
  // gradient and its contributions to the weight and bias gradients (accumulated into acc).
  void depthwise_plane_backward(const tensor& x, const tensor& dy, tensor* dx, const detail::window& g,
                                std::size_t item, float* acc) const {
    const std::size_t cin = opt_.in_channels, cout = opt_.out_channels, mult = cout / cin, k = opt_.kernel;
    const std::size_t wsize = weight_.size();
    const std::size_t img = item / cin, c = item % cin;
    const float* xp = x.data() + (img * cin + c) * g.in_plane();
    float* dxp = dx != nullptr ? dx->data() + (img * cin + c) * g.in_plane() : nullptr;
    if (dxp != nullptr) std::fill(dxp, dxp + g.in_plane(), 0.0f);
    for (std::size_t m = 0; m < mult; ++m) {
      const std::size_t o = c * mult + m;
      const float* dyp = dy.data() + (img * cout + o) * g.out_plane();
      const float* w = weight_.data() + o * k * k;
      float* dw = acc + o * k * k;
      float db = 0.0f;
      for (std::size_t oh = 0; oh < g.oh; ++oh) {
        const float* dyr = dyp + oh * g.ow;
        for (std::size_t t2 = 0; t2 < g.ow; ++t2) db += dyr[t2];
        for (std::size_t kh = 0; kh < k; ++kh) {
          const std::ptrdiff_t ih = static_cast<std::ptrdiff_t>(oh * g.stride + kh) - static_cast<std::ptrdiff_t>(g.pad);
          if (ih < 0 || ih >= static_cast<std::ptrdiff_t>(g.h)) continue;
          const float* xr = xp + static_cast<std::size_t>(ih) * g.w;
          float* dxr = dxp != nullptr ? dxp + static_cast<std::size_t>(ih) * g.w : nullptr;
          for (std::size_t kw = 0; kw < k; ++kw) {
            std::size_t t0, t1;
            detail::valid_run(g, 0, g.ow, kw, t0, t1);
            const std::ptrdiff_t base = static_cast<std::ptrdiff_t>(kw) - static_cast<std::ptrdiff_t>(g.pad);
            const float wv = w[kh * k + kw];
            float s = 0.0f;
            for (std::size_t t2 = t0; t2 < t1; ++t2) {
              const std::ptrdiff_t iw = static_cast<std::ptrdiff_t>(t2 * g.stride) + base;
              s += dyr[t2] * xr[iw];
              if (dxr != nullptr) dxr[iw] += wv * dyr[t2];
            }
            dw[kh * k + kw] += s;
          }
        }
      }
      acc[wsize + o] += db;
    }
  }

  conv2d_options opt_;
  tensor weight_, weight_grad_;
  vector bias_, bias_grad_;
  std::vector<detail::column_chunk> chunks_;
  std::vector<char> used_;
  detail::thread_scratch col_, tmp_, acc_;
};

}  // namespace nas::train
