// Pooling layers: max pooling (remembers the arg-max for its backward pass), average pooling (with or
// without the padded zeros in the count) and global average pooling to N x C x 1 x 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "nas/train/kernels.hpp"
#include "nas/train/layers/window.hpp"
#include "nas/train/parallel.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

// Settings of max and average pooling; stride 0 means stride = kernel.
struct pool2d_options {
  std::size_t kernel = 2;
  std::size_t stride = 0;
  std::size_t padding = 0;
  bool count_include_pad = true;  // average pooling only: divide by k*k (PyTorch's default) or by the valid count
  std::string name = {};
};

namespace detail {

// Output shape of a pooling window over in[0]; throws shape_error naming the layer and the shape.
inline shape4 pool_output_shape(const std::string& label, const pool2d_options& o, std::span<const shape4> in) {
  require_inputs(label, in.size(), 1);
  const std::size_t stride = o.stride == 0 ? o.kernel : o.stride;
  if (o.kernel == 0 || 2 * o.padding > o.kernel)
    throw moo::value_error(moo::detail::message(label, ": kernel ", o.kernel, " must be positive and padding ",
                                                o.padding, " at most half of it"));
  const shape4& s = in[0];
  const std::size_t oh = window_out(s[2], o.kernel, stride, o.padding), ow = window_out(s[3], o.kernel, stride, o.padding);
  if (oh == 0 || ow == 0)
    throw shape_error(moo::detail::message(label, ": input shape ", to_string(s), " is smaller than the ", o.kernel,
                                           "x", o.kernel, " window"));
  return {s[0], s[1], oh, ow};
}

// The window of a pooling with these options from input shape xs to output shape ys (stride 0 = kernel).
inline window pool_window(const pool2d_options& o, const shape4& xs, const shape4& ys) {
  return {xs[2], xs[3], ys[2], ys[3], o.kernel, o.stride == 0 ? o.kernel : o.stride, o.padding};
}

}  // namespace detail

// Max pooling; padded positions never win (they count as -infinity).
class max_pool2d {
 public:
  max_pool2d() = default;
  explicit max_pool2d(pool2d_options o) : opt_(std::move(o)) {}

  std::string_view kind() const { return "max_pool2d"; }
  const pool2d_options& options() const { return opt_; }
  std::string label() const { return detail::layer_label(kind(), opt_.name); }
  shape4 output_shape(std::span<const shape4> in) const { return detail::pool_output_shape(label(), opt_, in); }

  void forward(std::span<const tensor* const> in, tensor& out) {
    const tensor& x = *in[0];
    const shape4 xs = shape_of(x);
    const shape4 ys = output_shape(std::span<const shape4>(&xs, 1));
    ensure_shape(out, ys);
    const detail::window g = detail::pool_window(opt_, xs, ys);
    argmax_.resize(out.size());
    const std::size_t planes = xs[0] * xs[1], parts = detail::plane_parts(planes, g.in_plane());
    default_pool().parallel_for(parts, [&](std::size_t part, std::size_t) {
      for (std::size_t p = part * planes / parts; p < (part + 1) * planes / parts; ++p) pool_plane(x, out, g, p);
    });
  }

  // Routes each output gradient to the input that won its window.
  void backward(std::span<const tensor* const> in, const tensor& out, const tensor& grad_out,
                std::span<tensor* const> grad_in) {
    if (grad_in.empty() || grad_in[0] == nullptr) return;
    const shape4 xs = shape_of(*in[0]);
    tensor& dx = *grad_in[0];
    ensure_shape(dx, xs);
    const std::size_t ip = xs[2] * xs[3], op = shape_of(out)[2] * shape_of(out)[3];
    const bool two = opt_.kernel == 2 && (opt_.stride == 0 || opt_.stride == 2) && opt_.padding == 0;
    const std::size_t planes = xs[0] * xs[1], parts = detail::plane_parts(planes, ip);
    default_pool().parallel_for(parts, [&](std::size_t part, std::size_t) {
      for (std::size_t p = part * planes / parts; p < (part + 1) * planes / parts; ++p) {
        float* d = dx.data() + p * ip;
        const float* dy = grad_out.data() + p * op;
        const std::uint32_t* ap = argmax_.data() + p * op;
        if (two) {
          detail::max_pool2x2_backward(dy, ap, xs[2], xs[3], d);
          continue;
        }
        std::fill(d, d + ip, 0.0f);
        for (std::size_t j = 0; j < op; ++j) d[ap[j]] += dy[j];
      }
    });
  }

 private:
  // Pools plane p of x into out, recording the arg-max of every window.
  void pool_plane(const tensor& x, tensor& out, const detail::window& g, std::size_t p) {
    const float* xp = x.data() + p * g.in_plane();
    float* yp = out.data() + p * g.out_plane();
    std::uint32_t* ap = argmax_.data() + p * g.out_plane();
    if (g.k == 2 && g.stride == 2 && g.pad == 0) {
      detail::max_pool2x2(xp, g.h, g.w, yp, ap);
      return;
    }
    for (std::size_t oh = 0; oh < g.oh; ++oh)
      for (std::size_t ow = 0; ow < g.ow; ++ow) {
        float m = -std::numeric_limits<float>::infinity();
        std::size_t best = 0;
        bool any = false;
        for (std::size_t kh = 0; kh < g.k; ++kh) {
          const std::ptrdiff_t ih = static_cast<std::ptrdiff_t>(oh * g.stride + kh) - static_cast<std::ptrdiff_t>(g.pad);
          if (ih < 0 || ih >= static_cast<std::ptrdiff_t>(g.h)) continue;
          for (std::size_t kw = 0; kw < g.k; ++kw) {
            const std::ptrdiff_t iw = static_cast<std::ptrdiff_t>(ow * g.stride + kw) - static_cast<std::ptrdiff_t>(g.pad);
            if (iw < 0 || iw >= static_cast<std::ptrdiff_t>(g.w)) continue;
            const std::size_t idx = static_cast<std::size_t>(ih) * g.w + static_cast<std::size_t>(iw);
            if (!any || xp[idx] > m) {
              m = xp[idx];
              best = idx;
              any = true;
            }
          }
        }
        yp[oh * g.ow + ow] = m;
        ap[oh * g.ow + ow] = static_cast<std::uint32_t>(best);
      }
  }

  pool2d_options opt_;
  std::vector<std::uint32_t> argmax_;  // index within the input plane, per output element
};

// Average pooling.
class avg_pool2d {
 public:
  avg_pool2d() = default;
  explicit avg_pool2d(pool2d_options o) : opt_(std::move(o)) {}

  std::string_view kind() const { return "avg_pool2d"; }
  const pool2d_options& options() const { return opt_; }
  std::string label() const { return detail::layer_label(kind(), opt_.name); }
  shape4 output_shape(std::span<const shape4> in) const { return detail::pool_output_shape(label(), opt_, in); }

  void forward(std::span<const tensor* const> in, tensor& out) {
    const tensor& x = *in[0];
    const shape4 xs = shape_of(x);
    const shape4 ys = output_shape(std::span<const shape4>(&xs, 1));
    ensure_shape(out, ys);
    const detail::window g = detail::pool_window(opt_, xs, ys);
    const std::size_t planes = xs[0] * xs[1], parts = detail::plane_parts(planes, g.in_plane());
    default_pool().parallel_for(parts, [&](std::size_t part, std::size_t) {
      for (std::size_t p = part * planes / parts; p < (part + 1) * planes / parts; ++p) {
        const float* xp = x.data() + p * g.in_plane();
        float* yp = out.data() + p * g.out_plane();
        for_each_window(g, [&](std::size_t o, std::size_t ih0, std::size_t ih1, std::size_t iw0, std::size_t iw1, float inv) {
          float s = 0.0f;
          for (std::size_t ih = ih0; ih < ih1; ++ih)
            for (std::size_t iw = iw0; iw < iw1; ++iw) s += xp[ih * g.w + iw];
          yp[o] = s * inv;
        });
      }
    });
  }

  void backward(std::span<const tensor* const> in, const tensor& out, const tensor& grad_out,
                std::span<tensor* const> grad_in) {
    if (grad_in.empty() || grad_in[0] == nullptr) return;
    const shape4 xs = shape_of(*in[0]);
    tensor& dx = *grad_in[0];
    ensure_shape(dx, xs);
    const detail::window g = detail::pool_window(opt_, xs, shape_of(out));
    const std::size_t planes = xs[0] * xs[1], parts = detail::plane_parts(planes, g.in_plane());
    default_pool().parallel_for(parts, [&](std::size_t part, std::size_t) {
      for (std::size_t p = part * planes / parts; p < (part + 1) * planes / parts; ++p) {
        float* d = dx.data() + p * g.in_plane();
        std::fill(d, d + g.in_plane(), 0.0f);
        const float* dy = grad_out.data() + p * g.out_plane();
        for_each_window(g, [&](std::size_t o, std::size_t ih0, std::size_t ih1, std::size_t iw0, std::size_t iw1, float inv) {
          const float v = dy[o] * inv;
          for (std::size_t ih = ih0; ih < ih1; ++ih)
            for (std::size_t iw = iw0; iw < iw1; ++iw) d[ih * g.w + iw] += v;
        });
      }
    });
  }

 private:
  // Calls f(output index, ih0, ih1, iw0, iw1, 1 / count) for each window clipped to the input.
  template <class F>
  void for_each_window(const detail::window& g, F&& f) const {
    for (std::size_t oh = 0; oh < g.oh; ++oh)
      for (std::size_t ow = 0; ow < g.ow; ++ow) {
        const std::ptrdiff_t h0 = static_cast<std::ptrdiff_t>(oh * g.stride) - static_cast<std::ptrdiff_t>(g.pad);
        const std::ptrdiff_t w0 = static_cast<std::ptrdiff_t>(ow * g.stride) - static_cast<std::ptrdiff_t>(g.pad);
        const auto k = static_cast<std::ptrdiff_t>(g.k);
        const std::size_t ih0 = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, h0));
        const std::size_t ih1 = static_cast<std::size_t>(std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(g.h), h0 + k));
        const std::size_t iw0 = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, w0));
        const std::size_t iw1 = static_cast<std::size_t>(std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(g.w), w0 + k));
        const std::size_t count = opt_.count_include_pad ? g.k * g.k : (ih1 - ih0) * (iw1 - iw0);
        f(oh * g.ow + ow, ih0, ih1, iw0, iw1, 1.0f / static_cast<float>(count));
      }
  }

  pool2d_options opt_;
};

struct global_avg_pool_options {
  std::string name = {};
};

// Mean over each channel plane: N x C x H x W -> N x C x 1 x 1.
class global_avg_pool {
 public:
  global_avg_pool() = default;
  explicit global_avg_pool(global_avg_pool_options o) : opt_(std::move(o)) {}

  std::string_view kind() const { return "global_avg_pool"; }
  std::string label() const { return detail::layer_label(kind(), opt_.name); }

  shape4 output_shape(std::span<const shape4> in) const {
    detail::require_inputs(label(), in.size(), 1);
    return {in[0][0], in[0][1], 1, 1};
  }

  void forward(std::span<const tensor* const> in, tensor& out) {
    const tensor& x = *in[0];
    const shape4 xs = shape_of(x);
    ensure_shape(out, {xs[0], xs[1], 1, 1});
    const std::size_t plane = xs[2] * xs[3], planes = xs[0] * xs[1];
    const std::size_t parts = std::min(planes, std::max<std::size_t>(1, planes * plane / 16384));
    default_pool().parallel_for(parts, [&](std::size_t part, std::size_t) {
      for (std::size_t p = part * planes / parts; p < (part + 1) * planes / parts; ++p)
        out.data()[p] = static_cast<float>(detail::sum(x.data() + p * plane, plane) / static_cast<double>(plane));
    });
  }

  void backward(std::span<const tensor* const> in, const tensor& out, const tensor& grad_out,
                std::span<tensor* const> grad_in) {
    (void)out;
    if (grad_in.empty() || grad_in[0] == nullptr) return;
    const shape4 xs = shape_of(*in[0]);
    tensor& dx = *grad_in[0];
    ensure_shape(dx, xs);
    const std::size_t plane = xs[2] * xs[3], planes = xs[0] * xs[1];
    const float inv = 1.0f / static_cast<float>(plane);
    const std::size_t parts = std::min(planes, std::max<std::size_t>(1, planes * plane / 16384));
    default_pool().parallel_for(parts, [&](std::size_t part, std::size_t) {
      for (std::size_t p = part * planes / parts; p < (part + 1) * planes / parts; ++p) {
        const float v = grad_out.data()[p] * inv;
        std::fill(dx.data() + p * plane, dx.data() + (p + 1) * plane, v);
      }
    });
  }

 private:
  global_avg_pool_options opt_;
};

}  // namespace nas::train
