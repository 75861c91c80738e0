// Objectives of architecture search, all minimised: cheap ones computed from the graph alone (exact
// parameter count, multiply-accumulates per image) and expensive ones that run the network (validation
// error, measured latency). Each type declares `static constexpr bool cheap`, so a search can split a
// compile-time tuple of objectives with Boost.Hana: LEMONADE samples children by the density of the cheap
// objectives before paying for the expensive ones (Elsken et al. 2019, sec. 4, Algorithm 1).
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include <boost/hana/filter.hpp>
#include <boost/hana/tuple.hpp>

#include "moo/core/error.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/train/data.hpp"
#include "nas/train/metrics.hpp"

namespace nas {

// An objective of an architecture: a name, whether it is cheap (no network run), and a value to minimise.
template <class O>
concept objective = requires(const O& o, const graph::architecture& a) {
  { o(a) } -> std::convertible_to<double>;
  { O::cheap } -> std::convertible_to<bool>;
  { O::name } -> std::convertible_to<std::string_view>;
};

// True for objectives that must be measured with the machine to themselves (timings).
template <objective O>
inline constexpr bool is_exclusive = requires { requires O::exclusive; };

// True for objectives that need no network run.
template <objective O>
inline constexpr bool is_cheap = O::cheap;

// Number of trainable parameters (cheap, exact).
struct parameter_count {
  static constexpr bool cheap = true;
  static constexpr std::string_view name = "params";
  double operator()(const graph::architecture& a) const { return static_cast<double>(a.parameter_count()); }
};

// Multiply-accumulates of one forward pass for one image (cheap, exact; convolutions and linear layers).
struct mac_count {
  static constexpr bool cheap = true;
  static constexpr std::string_view name = "macs";
  double operator()(const graph::architecture& a) const { return static_cast<double>(a.macs()); }
};

// Error rate (1 - accuracy) on a validation set with the architecture's current weights (expensive).
// The architecture is expected to be trained; this objective only measures.
// Example: validation_error err{.data = &split.second}; double e = err(child);
struct validation_error {
  static constexpr bool cheap = false;
  static constexpr std::string_view name = "error";
  const train::dataset* data = nullptr;
  std::size_t batch_size = 256;
  // Compiles a and evaluates it in eval mode on *data.
  double operator()(const graph::architecture& a) const {
    if (data == nullptr) throw moo::value_error("validation_error: no validation data set given");
    auto net = a.compile();
    return train::evaluate(net, *data, batch_size).error();
  }
};

// Median forward latency in seconds at a fixed batch size, after warm-up (expensive, noisy: see
// nas::train::measure_latency for the measurement; the thread count is the backend's setting). It is
// `exclusive`: a search measures it while no other network trains on the machine (nas::measurement_gate).
struct measured_latency {
  static constexpr bool cheap = false;
  static constexpr bool exclusive = true;
  static constexpr std::string_view name = "latency";
  std::size_t batch = 1;
  train::latency_options options = {};
  // Compiles a and times its forward pass on a batch of `batch` images.
  double operator()(const graph::architecture& a) const {
    auto net = a.compile();
    const auto& s = a.input_shape();
    return train::measure_latency(net, {batch, s[0], s[1], s[2]}, options).median;
  }
};

// The cheap objectives of a hana::tuple of objectives, as a hana::tuple (filtered at compile time).
// Example: auto c = cheap_objectives(boost::hana::make_tuple(validation_error{}, parameter_count{}));
template <class... O>
constexpr auto cheap_objectives(const boost::hana::tuple<O...>& all) {
  return boost::hana::filter(all, [](const auto& o) { return boost::hana::bool_c<std::remove_cvref_t<decltype(o)>::cheap>; });
}

// The expensive objectives of a hana::tuple of objectives.
template <class... O>
constexpr auto expensive_objectives(const boost::hana::tuple<O...>& all) {
  return boost::hana::filter(all, [](const auto& o) { return boost::hana::bool_c<!std::remove_cvref_t<decltype(o)>::cheap>; });
}

}  // namespace nas
