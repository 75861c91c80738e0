// MODNAS devices: the expected latency / MACs of a mixture and their gradients (the table, per edge), the
// chain to alpha through softmax_backward against central differences, the MAC count of every candidate
// against a hand count and against nas::train's own layer counts, errors naming sizes, and a tiny latency
// measurement (finite, positive; zero and skip cheaper than conv 5x5 -- no timing asserted tightly).
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "moo/core/rng.hpp"
#include "nas/modnas/device.hpp"
#include "nas/modnas/mixed_op.hpp"
#include "nas/train/layers/conv2d.hpp"
#include "nas/train/parallel.hpp"
#include "support.hpp"

namespace device_test {

using nas::modnas::candidate;
using nas::modnas::device;
using nas::modnas::edge_shape;

const std::vector<candidate> all_candidates = {candidate::zero,     candidate::skip,     candidate::max_pool_3x3,
                                               candidate::conv_3x3, candidate::conv_5x5, candidate::sep_conv_3x3};

TEST_CASE("device: MACs of every candidate against a hand count and nas::train's conv2d counts") {
  const edge_shape s{.channels = 3, .height = 4, .width = 5};
  // N H W = 2 * 4 * 5 = 40 output positions per channel.
  CHECK(nas::modnas::candidate_macs(candidate::zero, s, 2) == 0);
  CHECK(nas::modnas::candidate_macs(candidate::skip, s, 2) == 0);
  CHECK(nas::modnas::candidate_macs(candidate::max_pool_3x3, s, 2) == 0);
  CHECK(nas::modnas::candidate_macs(candidate::conv_3x3, s, 2) == 40 * 3 * 3 * 9);       // 3240
  CHECK(nas::modnas::candidate_macs(candidate::conv_5x5, s, 2) == 40 * 3 * 3 * 25);      // 9000
  CHECK(nas::modnas::candidate_macs(candidate::sep_conv_3x3, s, 2) == 40 * 3 * 9 + 40 * 3 * 3);  // 1080 + 360
  CHECK(nas::modnas::candidate_macs(candidate::conv_3x3, s) == 20 * 3 * 3 * 9);          // batch 1 by default

  // The convolutions mixed_op builds, counted by the layers themselves.
  moo::rng r(1);
  const nas::train::shape4 in{2, 8, 6, 7};
  const edge_shape s8{.channels = 8, .height = 6, .width = 7};
  using nas::train::conv2d;
  const conv2d c3({.in_channels = 8, .out_channels = 8, .kernel = 3, .padding = 1}, r);
  const conv2d c5({.in_channels = 8, .out_channels = 8, .kernel = 5, .padding = 2}, r);
  const conv2d dw({.in_channels = 8, .out_channels = 8, .kernel = 3, .padding = 1, .groups = 8}, r);
  const conv2d pw({.in_channels = 8, .out_channels = 8, .kernel = 1}, r);
  CHECK(nas::modnas::candidate_macs(candidate::conv_3x3, s8, 2) == c3.macs({&in, 1}));
  CHECK(nas::modnas::candidate_macs(candidate::conv_5x5, s8, 2) == c5.macs({&in, 1}));
  CHECK(nas::modnas::candidate_macs(candidate::sep_conv_3x3, s8, 2) == dw.macs({&in, 1}) + pw.macs({&in, 1}));

  const std::vector<double> t = nas::modnas::mac_table(all_candidates, s, 2);
  CHECK(t == std::vector<double>{0, 0, 0, 3240, 9000, 1440});
}

TEST_CASE("device: expected latency and MACs, their gradient is the table per edge") {
  moo::rng r(3);
  device d{.name = "test", .candidates = all_candidates, .latency = {1e-6, 2e-6, 5e-6, 4e-5, 9e-5, 3e-5},
           .macs = nas::modnas::mac_table(all_candidates, {.channels = 4, .height = 8, .width = 8}),
           .features = {0.1, 0.2}};
  const std::size_t edges = 3, k = all_candidates.size();
  std::vector<std::vector<double>> per_edge(edges);
  std::vector<double> flat;
  double want_lat = 0.0, want_macs = 0.0;
  for (std::size_t e = 0; e < edges; ++e) {
    std::vector<double> a(k);
    for (double& v : a) v = r.uniform(-2.0, 2.0);
    per_edge[e] = nas::modnas::softmax(a);
    for (std::size_t j = 0; j < k; ++j) {
      want_lat += per_edge[e][j] * d.latency[j];
      want_macs += per_edge[e][j] * d.macs[j];
    }
    flat.insert(flat.end(), per_edge[e].begin(), per_edge[e].end());
  }
  const auto lat = d.expected_latency(flat);
  const auto lat2 = d.expected_latency(per_edge);
  const auto macs = d.expected_macs(flat);
  CHECK(lat.value == doctest::Approx(want_lat).epsilon(1e-12));
  CHECK(lat2.value == lat.value);
  CHECK(macs.value == doctest::Approx(want_macs).epsilon(1e-12));
  REQUIRE(lat.gradient.size() == edges * k);
  REQUIRE(lat2.gradient.size() == edges * k);
  REQUIRE(macs.gradient.size() == edges * k);
  for (std::size_t e = 0; e < edges; ++e)
    for (std::size_t j = 0; j < k; ++j) {
      CHECK(lat.gradient[e * k + j] == d.latency[j]);
      CHECK(lat2.gradient[e * k + j] == d.latency[j]);
      CHECK(macs.gradient[e * k + j] == d.macs[j]);
    }
  // Against central differences in the weights (the cost is linear: differences are exact up to rounding).
  for (std::size_t i = 0; i < flat.size(); ++i) {
    std::vector<double> p = flat, m = flat;
    p[i] += 1e-3;
    m[i] -= 1e-3;
    const double num = (d.expected_latency(p).value - d.expected_latency(m).value) / 2e-3;
    CHECK(lat.gradient[i] == doctest::Approx(num).epsilon(1e-6));
  }
}

// The search's hardware gradient in alpha: the expected latency of the mixed_ops' weights, differentiated
// through softmax(alpha / tau) with softmax_backward, against central differences in alpha.
TEST_CASE("device: expected latency gradient in alpha through mixed_op's softmax") {
  moo::rng r(5);
  const std::vector<double> table = {1e-6, 2e-6, 5e-6, 4e-5, 9e-5, 3e-5};
  const device d{.name = "t", .candidates = all_candidates, .latency = table};
  const double tau = 0.7;
  std::vector<nas::modnas::mixed_op> ops;
  for (int e = 0; e < 2; ++e) {
    ops.emplace_back(nas::modnas::mixed_op_options{.channels = 2, .temperature = tau}, r);
    std::vector<double> a(table.size());
    for (double& v : a) v = r.uniform(-1.0, 1.0);
    ops.back().set_alpha(a);
  }
  auto value = [&] {
    std::vector<std::vector<double>> w;
    for (const auto& op : ops) w.push_back(op.weights());
    return d.expected_latency(w);
  };
  const auto c = value();
  for (std::size_t e = 0; e < ops.size(); ++e) {
    const std::vector<double> g(c.gradient.begin() + std::ptrdiff_t(e * table.size()),
                                c.gradient.begin() + std::ptrdiff_t((e + 1) * table.size()));
    const std::vector<double> da = nas::modnas::softmax_backward(ops[e].soft_weights(), g, tau);
    std::vector<double> a = ops[e].alpha();
    for (std::size_t j = 0; j < a.size(); ++j) {
      const double old = a[j];
      a[j] = old + 1e-5;
      ops[e].set_alpha(a);
      const double lp = value().value;
      a[j] = old - 1e-5;
      ops[e].set_alpha(a);
      const double lm = value().value;
      a[j] = old;
      ops[e].set_alpha(a);
      CHECK(da[j] == doctest::Approx((lp - lm) / 2e-5).epsilon(1e-6).scale(1e-9));
    }
  }
}

TEST_CASE("device: errors name the sizes") {
  using test_support::error_of;
  device d{.name = "dev", .candidates = all_candidates, .latency = {1, 2, 3, 4, 5, 6}};
  std::string m = error_of<moo::dimension_error>([&] { d.expected_latency(std::vector<double>(7, 0.1)); });
  CHECK(m.find("7 mixing weights for a table of 6 candidates") != std::string::npos);
  m = error_of<moo::dimension_error>([&] {
    d.expected_latency(std::vector<std::vector<double>>{std::vector<double>(6, 0.1), std::vector<double>(5, 0.2)});
  });
  CHECK(m.find("edge 1 has 5 mixing weights for a table of 6 candidates") != std::string::npos);
  CHECK(error_of<moo::value_error>([&] { d.expected_macs(std::vector<double>(6, 0.1)); }).find("no MAC table") !=
        std::string::npos);
  d.latency.pop_back();
  CHECK(error_of<moo::dimension_error>([&] { d.validate(); }).find("latency table of 5 values for 6 candidates") !=
        std::string::npos);
  d.latency = {1, 2, 3, 4, -5, 6};
  CHECK(error_of<moo::value_error>([&] { d.validate(); }).find("latency of conv_5x5 is -5") != std::string::npos);
  CHECK_THROWS_AS(nas::modnas::measure_latency_table(all_candidates, {.channels = 0, .height = 4, .width = 4}, {}),
                  moo::value_error);
  CHECK_THROWS_AS(nas::modnas::measure_latency_table(all_candidates, {.channels = 2, .height = 4, .width = 4},
                                                     {.threads = 1, .batch = 0}),
                  moo::value_error);
}

// A tiny measurement with very few repeats: only sanity, never tight timings (other work may share the
// machine). conv 5x5 at 8 channels on 8 x 8 does 102,400 MACs; zero clears 512 floats, skip copies them.
TEST_CASE("device: a tiny measured latency table is finite, positive, and zero/skip are cheaper than conv 5x5") {
  const std::size_t threads_before = nas::train::num_threads();
  const device d = nas::modnas::measure_device("1 thread, batch 1", all_candidates,
                                               {.channels = 8, .height = 8, .width = 8}, {.threads = 1, .batch = 1},
                                               {0.5}, {.warmup = 1, .repeats = 5});
  CHECK(nas::train::num_threads() == threads_before);
  REQUIRE(d.latency.size() == all_candidates.size());
  for (std::size_t k = 0; k < d.latency.size(); ++k) {
    CAPTURE(nas::modnas::to_string(all_candidates[k]));
    CHECK(std::isfinite(d.latency[k]));
    CHECK(d.latency[k] > 0.0);
  }
  MESSAGE("seconds per edge: zero ", d.latency[0], ", skip ", d.latency[1], ", max_pool ", d.latency[2], ", conv_3x3 ",
          d.latency[3], ", conv_5x5 ", d.latency[4], ", sep_conv_3x3 ", d.latency[5]);
  CHECK(d.latency[0] < d.latency[4]);
  CHECK(d.latency[1] < d.latency[4]);
  CHECK(d.macs == nas::modnas::mac_table(all_candidates, {.channels = 8, .height = 8, .width = 8}));
  CHECK(d.features == std::vector<double>{0.5});
  CHECK(d.setting.threads == 1);
}

}  // namespace device_test
