// Helpers shared by the morphism tests: random inputs and the eval-mode comparison of two networks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string_view>

#include "moo/core/rng.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/train/network.hpp"

namespace test {

// A batch of n standard-normal images of the architecture's input shape.
inline nas::train::tensor random_batch(const nas::graph::architecture& a, std::size_t n, moo::rng& r) {
  const auto& s = a.input_shape();
  nas::train::tensor x = nas::train::zeros({n, s[0], s[1], s[2]});
  for (auto& v : x) v = static_cast<float>(r.normal());
  return x;
}

// max |y_child - y_parent| / max |y_parent| over a batch, both networks in eval mode (batch norm with
// its running statistics, as function preservation is defined).
inline double relative_difference(const nas::graph::architecture& parent, const nas::graph::architecture& child,
                                  const nas::train::tensor& x) {
  auto np = parent.compile();
  auto nc = child.compile();
  np.eval();
  nc.eval();
  const nas::train::tensor yp = np.forward(x);
  const nas::train::tensor yc = nc.forward(x);
  if (nas::train::shape_of(yp) != nas::train::shape_of(yc)) return INFINITY;
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < yp.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(yc.data()[i]) - yp.data()[i]));
    scale = std::max(scale, std::abs(static_cast<double>(yp.data()[i])));
  }
  if (!std::isfinite(diff)) return INFINITY;
  return scale == 0.0 ? diff : diff / scale;
}

// The tolerance of the function-preservation checks (float32 outputs, relative to the largest output).
inline constexpr double preserve_tolerance = 1e-5;

// The number of nodes of a whose layer is of `kind`.
inline std::size_t count_kind(const nas::graph::architecture& a, std::string_view kind) {
  std::size_t n = 0;
  for (nas::graph::node_id v = 1; v < a.size(); ++v) n += a.kind(v) == kind ? 1 : 0;
  return n;
}

}  // namespace test
