// Tensors of the training backend: NCHW float32 activations on xtensor, their shapes, references to
// trainable parameters, and the reusable scratch buffers that keep steady-state training allocation-free.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "moo/core/error.hpp"

namespace nas::train {

// An activation or gradient: batch x channels x height x width, row-major float32. Fully connected
// layers use height = width = 1.
using tensor = xt::xtensor<float, 4>;

// The shape of a tensor: {n, c, h, w}.
using shape4 = std::array<std::size_t, 4>;

// A 1-D parameter tensor (bias, batch-norm gamma/beta/statistics).
using vector = xt::xtensor<float, 1>;

// Returns the shape of t as a shape4.
inline shape4 shape_of(const tensor& t) {
  const auto& s = t.shape();
  return {s[0], s[1], s[2], s[3]};
}

// Number of elements of a shape.
inline std::size_t numel(const shape4& s) { return s[0] * s[1] * s[2] * s[3]; }

// Formats a shape as "[n, c, h, w]" for error messages.
inline std::string to_string(const shape4& s) {
  return moo::detail::message("[", s[0], ", ", s[1], ", ", s[2], ", ", s[3], "]");
}

// Resizes t to s unless it already has that shape; storage is reused when the shape is unchanged,
// so a training loop with a fixed batch size does not allocate after its first step.
inline void ensure_shape(tensor& t, const shape4& s) {
  if (shape_of(t) != s) t.resize(s);
}

// Returns a zero tensor of shape s.
inline tensor zeros(const shape4& s) {
  tensor t(s);
  std::fill(t.begin(), t.end(), 0.0f);
  return t;
}

// Returns a zero 1-D tensor of n elements.
inline vector zeros_vector(std::size_t n) {
  auto v = vector::from_shape({n});
  std::fill(v.begin(), v.end(), 0.0f);
  return v;
}

// A trainable parameter seen by optimizers: its values and gradient as flat spans, a name for messages
// ("conv2d.weight"), and whether weight decay applies to it.
struct parameter_ref {
  std::string name;
  std::span<float> value;
  std::span<float> grad;
  bool decay = true;
};

// Thrown when the input shapes of a layer do not fit it; the message names the layer and the shapes.
class shape_error : public moo::dimension_error {
 public:
  using moo::dimension_error::dimension_error;
};

// The most values one tensor may hold: one layer's weights, or one image's output of one layer.
// 2^28 float32 values are 1 GiB, far beyond a searchable network; the cap keeps hostile or corrupt sizes
// from wrapping around in 64-bit products (in * out * k * k, c * h * w) and from huge allocations.
inline constexpr std::size_t max_tensor_values = std::size_t{1} << 28;

namespace detail {

// The product of sizes if it is at most `cap`, else nullopt. Each multiplication is checked before it
// is done, so the product never wraps around.
inline std::optional<std::size_t> product_within(std::initializer_list<std::size_t> sizes,
                                                 std::size_t cap = max_tensor_values) {
  for (const std::size_t s : sizes)
    if (s == 0) return 0;
  std::size_t p = 1;
  for (const std::size_t s : sizes) {
    if (p > cap / s) return std::nullopt;
    p *= s;
  }
  return p;
}


// A growable 64-byte aligned float buffer. Copying its owner does not copy the contents: a copied layer
// starts with empty scratch space (it holds no state between calls that matters to the copy).
class scratch {
 public:
  scratch() = default;
  scratch(const scratch&) {}
  scratch& operator=(const scratch&) { return *this; }
  scratch(scratch&&) noexcept = default;
  scratch& operator=(scratch&&) noexcept = default;

  // Returns at least n floats (contents unspecified); grows only when n exceeds the capacity.
  float* get(std::size_t n) {
    if (n > capacity_) {
      const std::size_t bytes = ((std::max<std::size_t>(n, 16) * sizeof(float) + 63) / 64) * 64;
      auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (p == nullptr) throw std::bad_alloc();
      data_.reset(p);
      capacity_ = bytes / sizeof(float);
    }
    return data_.get();
  }
  std::size_t capacity() const { return capacity_; }

 private:
  struct free_deleter {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, free_deleter> data_;
  std::size_t capacity_ = 0;
};

// One scratch buffer per worker thread; sized before a parallel region by prepare(threads).
class thread_scratch {
 public:
  void prepare(std::size_t threads) {
    if (buffers_.size() < threads) buffers_.resize(threads);
  }
  float* get(std::size_t thread, std::size_t n) { return buffers_[thread].get(n); }

 private:
  std::vector<scratch> buffers_;
};

// Throws shape_error unless exactly `expected` inputs were given (0 means "at least one").
inline void require_inputs(std::string_view layer, std::size_t given, std::size_t expected) {
  if (expected == 0 && given == 0)
    throw shape_error(moo::detail::message(layer, ": needs at least one input, got none"));
  if (expected != 0 && given != expected)
    throw shape_error(moo::detail::message(layer, ": expects ", expected, " input(s), got ", given));
}

// Formats the name of a layer for messages: "conv2d 'stem'" or just "conv2d".
inline std::string layer_label(std::string_view kind, const std::string& name) {
  return name.empty() ? std::string(kind) : moo::detail::message(kind, " '", name, "'");
}

}  // namespace detail
}  // namespace nas::train
