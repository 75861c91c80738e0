// Function-preserving morphisms: on many random graphs (seeded; the seeds are printed) and on chains of
// several operators, the child's eval-mode outputs agree with the parent's within 1e-5 relative.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "morphism/common.hpp"
#include "nas/graph/random.hpp"
#include "nas/morphism/branch.hpp"
#include "nas/morphism/insert.hpp"
#include "nas/morphism/sampler.hpp"
#include "nas/morphism/skip.hpp"
#include "nas/morphism/widen.hpp"

using namespace nas;
using graph::architecture;
using graph::node_id;
using morphism::site;

static_assert(morphism::network_operator<morphism::insert_conv_block>);
static_assert(morphism::network_operator<morphism::insert_separable_block>);
static_assert(morphism::network_operator<morphism::widen_conv>);
static_assert(morphism::network_operator<morphism::add_residual_skip>);
static_assert(morphism::network_operator<morphism::add_concat_skip>);
static_assert(morphism::network_operator<morphism::split_conv>);
static_assert(morphism::network_operator<morphism::add_convex_branch>);
static_assert(morphism::network_operator<morphism::remove_layer>);
static_assert(morphism::network_operator<morphism::shrink_conv>);
static_assert(morphism::network_operator<morphism::remove_skip>);
static_assert(!morphism::network_operator<int>);
static_assert(morphism::insert_conv_block::function_preserving && !morphism::shrink_conv::function_preserving);

using test::count_kind;

namespace {

constexpr std::uint64_t first_seed = 1000;
constexpr std::uint64_t graphs = 40;

// Applies op at up to `per_graph` random sites of random graphs and checks preservation; returns the
// number of children checked.
template <class Op>
std::size_t check_operator(const Op& op, std::size_t per_graph = 3) {
  std::size_t checked = 0;
  double worst = 0.0;
  for (std::uint64_t seed = first_seed; seed < first_seed + graphs; ++seed) {
    moo::rng r(seed);
    const architecture parent = graph::random_architecture({}, r);
    const auto sites = op.sites(parent);
    for (std::size_t k = 0; k < per_graph && !sites.empty(); ++k) {
      const site s = sites[r.index(sites.size())];
      INFO("operator ", op.name(), ", seed ", seed, ", site ", parent.label(s.node), " from ", s.from, " slot ", s.slot);
      const architecture child = op.apply(parent, s, r);
      CHECK_NOTHROW(child.validate());
      const auto x = test::random_batch(parent, 3, r);
      const double d = test::relative_difference(parent, child, x);
      CHECK(d <= test::preserve_tolerance);
      worst = std::max(worst, d);
      ++checked;
    }
  }
  MESSAGE(op.name(), ": ", checked, " children of random graphs (seeds ", first_seed, "..", first_seed + graphs - 1,
          "), largest relative difference ", worst);
  return checked;
}

// Conv(3x3, in->out)-BN-ReLU with random statistics.
node_id block(architecture& a, node_id from, std::size_t in, std::size_t out, moo::rng& r) {
  const node_id c = a.add(train::conv2d({.in_channels = in, .out_channels = out, .kernel = 3, .padding = 1}, r), {from});
  train::batch_norm bn({.channels = out});
  graph::detail::randomise(bn, r);
  const node_id b = a.add(std::move(bn), {c});
  return a.add(train::relu{}, {b});
}

}  // namespace

TEST_CASE("insert Conv-BN-ReLU after a ReLU preserves the function") {
  CHECK(check_operator(morphism::insert_conv_block{}) >= 60);
  CHECK(check_operator(morphism::insert_conv_block{{.kernels = {1, 3, 5, 7}}}) >= 60);
}

TEST_CASE("insert a depthwise-separable block preserves the function") {
  CHECK(check_operator(morphism::insert_separable_block{}) >= 60);
  CHECK(check_operator(morphism::insert_separable_block{{.kernels = {5}}}) >= 60);
}

TEST_CASE("widen a conv (Net2WiderNet) preserves the function") {
  CHECK(check_operator(morphism::widen_conv{}) >= 60);
  CHECK(check_operator(morphism::widen_conv{{.factor = 1.3}}) >= 60);
  CHECK(check_operator(morphism::widen_conv{{.factor = 3.0}}) >= 60);
}

TEST_CASE("skips by addition and by concatenation preserve the function") {
  CHECK(check_operator(morphism::add_residual_skip{}, 5) >= 100);
  CHECK(check_operator(morphism::add_concat_skip{}, 5) >= 100);
}

TEST_CASE("split a conv and merge by concat; add a convex branch with alpha = 1") {
  CHECK(check_operator(morphism::split_conv{}) >= 60);
  CHECK(check_operator(morphism::split_conv{{.factor = 0.25}}) >= 60);
  CHECK(check_operator(morphism::add_convex_branch{}) >= 60);
}

TEST_CASE("chains of several function-preserving operators preserve the function") {
  const auto sampler = morphism::function_preserving_sampler({.max_parameters = 60000});
  std::map<std::string, std::size_t> used;
  double worst = 0.0;
  MESSAGE("chains of 8 operators on random graphs with seeds 2000..2029");
  for (std::uint64_t seed = 2000; seed < 2030; ++seed) {
    moo::rng r(seed);
    const architecture root = graph::random_architecture({}, r);
    architecture cur = root;
    std::string history;
    for (int step = 0; step < 8; ++step) {
      auto o = sampler(cur, r);
      REQUIRE(o.has_value());
      history += o->operator_name + " ";
      ++used[o->operator_name];
      cur = std::move(o->child);
    }
    INFO("seed ", seed, ": ", history);
    const auto x = test::random_batch(root, 3, r);
    const double d = test::relative_difference(root, cur, x);
    CHECK(d <= test::preserve_tolerance);
    worst = std::max(worst, d);
  }
  MESSAGE("largest relative difference after 8 operators: ", worst);
  for (const auto& name : sampler.names()) CHECK(used[name] > 0);
}

TEST_CASE("widening reaches the BN after the conv, both sides of an add, a concat's consumers and a flatten") {
  const std::uint64_t seed = 7;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  architecture a({2, 8, 8});
  const node_id x = block(a, a.input(), 2, 4, r);
  const node_id y = block(a, x, 4, 4, r);                     // conv2d_2 -> bn -> relu
  const node_id sum = a.add(train::add{}, {x, y}, "sum");     // x and y in lockstep
  const node_id z = block(a, sum, 4, 3, r);
  const node_id cat = a.add(train::concat{}, {sum, z}, "cat");  // 4 + 3 channels
  const node_id pool = a.add(train::max_pool2d({.kernel = 2}), {cat});
  a.add(train::linear({.in_features = 7 * 4 * 4, .out_features = 5}, r), {pool}, "head");  // flatten
  a.validate();
  const node_id conv2 = *a.find("conv2d_2");
  morphism::widen_conv w{{.factor = 2.0}};
  const auto sites = w.sites(a);
  REQUIRE(std::find(sites.begin(), sites.end(), site{conv2}) != sites.end());
  const architecture child = w.apply(a, {conv2}, r);
  // Both convolutions feeding the add were widened, the concat now has 8 + 3 channels, the head reads 11*16.
  CHECK(child.layer(*child.find("conv2d_1")).get_if<train::conv2d>()->options().out_channels == 8);
  CHECK(child.layer(*child.find("conv2d_2")).get_if<train::conv2d>()->options().out_channels == 8);
  CHECK(child.layer(*child.find("conv2d_2")).get_if<train::conv2d>()->options().in_channels == 8);
  CHECK(child.layer(*child.find("conv2d_3")).get_if<train::conv2d>()->options().in_channels == 8);
  CHECK(child.layer(*child.find("batch_norm_2")).get_if<train::batch_norm>()->options().channels == 8);
  CHECK(child.shape(*child.find("cat"))[1] == 11);
  CHECK(child.layer(*child.find("head")).get_if<train::linear>()->options().in_features == 11 * 16);
  const auto in = test::random_batch(a, 4, r);
  CHECK(test::relative_difference(a, child, in) <= test::preserve_tolerance);
  // The concat's own input conv (3 channels) is widened through the concat as well.
  const architecture child2 = w.apply(child, {*child.find("conv2d_3")}, r);
  CHECK(child2.shape(*child2.find("cat"))[1] == 14);
  CHECK(test::relative_difference(a, child2, in) <= test::preserve_tolerance);
}

TEST_CASE("the output's width and the input's width are fixed") {
  moo::rng r(8);
  architecture a({3, 6, 6});
  const node_id c1 = a.add(train::conv2d({.in_channels = 3, .out_channels = 4, .padding = 1}, r), {a.input()});
  const node_id s = a.add(train::add{}, {c1, a.input()}, "adds_input");  // 4 vs 3 channels: invalid
  (void)s;
  CHECK_THROWS_AS(a.validate(), moo::dimension_error);
  architecture b({3, 6, 6});
  const node_id d1 = b.add(train::conv2d({.in_channels = 3, .out_channels = 3, .padding = 1}, r), {b.input()});
  const node_id sum = b.add(train::add{}, {d1, b.input()});
  const node_id d2 = b.add(train::conv2d({.in_channels = 3, .out_channels = 2, .padding = 1}, r), {sum});
  b.add(train::global_avg_pool{}, {d2});
  // d1 is joined to the input by the add, d2 feeds the output (through a channel-wise pooling): no sites.
  CHECK(morphism::widen_conv{}.sites(b).empty());
  CHECK_THROWS_AS(morphism::widen_conv{}.apply(b, {d1}, r), moo::value_error);
}

TEST_CASE("a skip across a pooling gets the same pooling on its path") {
  const std::uint64_t seed = 9;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  architecture a({1, 8, 8});
  const node_id x = block(a, a.input(), 1, 4, r);
  const node_id p = a.add(train::avg_pool2d({.kernel = 2}), {x}, "pool");
  const node_id y = block(a, p, 4, 6, r);
  const node_id g = a.add(train::global_avg_pool{}, {y});
  a.add(train::linear({.in_features = 6, .out_features = 3}, r), {g});
  const auto in = test::random_batch(a, 4, r);
  const architecture child1 = morphism::add_residual_skip{}.apply(a, {y, x}, r);
  CHECK(count_kind(child1, "avg_pool2d") == 2);
  CHECK(count_kind(child1, "add") == 1);
  CHECK(test::relative_difference(a, child1, in) <= test::preserve_tolerance);
  // Parameters grow by the zero 1x1 convolution of the skip path (4 -> 6 channels).
  CHECK(child1.parameter_count() == a.parameter_count() + 4 * 6);
  // The reader of y is the global pooling, so y is no concat site; g is (its reader is the linear head),
  // and the skip path gets copies of both poolings it crosses.
  const site s2{g, x};
  const auto concat_sites = morphism::add_concat_skip{}.sites(a);
  CHECK(std::find(concat_sites.begin(), concat_sites.end(), site{y, x}) == concat_sites.end());
  REQUIRE(std::find(concat_sites.begin(), concat_sites.end(), s2) != concat_sites.end());
  const architecture child = morphism::add_concat_skip{}.apply(a, s2, r);
  CHECK(count_kind(child, "avg_pool2d") == 2);
  CHECK(count_kind(child, "global_avg_pool") == 2);
  CHECK(child.layer(child.output()).get_if<train::linear>()->options().in_features == 10);
  CHECK(child.parameter_count() == a.parameter_count() + 4 * 3);
  CHECK(test::relative_difference(a, child, in) <= test::preserve_tolerance);
}

TEST_CASE("a convex branch starts switched off and becomes live when alpha moves") {
  moo::rng r(10);
  const architecture a = graph::random_architecture({}, r);
  const auto sites = morphism::add_convex_branch{}.sites(a);
  REQUIRE(!sites.empty());
  architecture child = morphism::add_convex_branch{}.apply(a, sites.front(), r);
  const auto in = test::random_batch(a, 3, r);
  CHECK(test::relative_difference(a, child, in) == 0.0);  // alpha = 1 and 0 * branch: exact
  node_id m = graph::no_node;
  for (node_id v = 1; v < child.size(); ++v)
    if (child.kind(v) == "convex_merge") m = v;
  REQUIRE(m != graph::no_node);
  CHECK(child.layer(m).get_if<graph::convex_merge>()->alpha() == 1.0f);
  CHECK(child.layer(m).parameters().size() == 1);
  child.layer(m).get_if<graph::convex_merge>()->set_alpha(0.5f);
  CHECK(test::relative_difference(a, child, in) > 1e-3);
}

TEST_CASE("the new batch norm takes the parent's statistics at the site") {
  moo::rng r(11);
  architecture a({2, 6, 6});
  const node_id x = block(a, a.input(), 2, 3, r);
  const node_id g = a.add(train::global_avg_pool{}, {x});
  a.add(train::linear({.in_features = 3, .out_features = 2}, r), {g});
  const auto calib = test::random_batch(a, 64, r);
  const architecture child = morphism::insert_conv_block{{.calibration = &calib}}.apply(a, {x}, r);
  // Measured: the running mean is the mean of the ReLU's output on the calibration batch.
  auto net = a.compile();
  net.eval();
  net.forward(calib);
  const auto order = a.compile_order();
  const auto& act = net.activation(static_cast<std::size_t>(std::find(order.begin(), order.end(), x) - order.begin()));
  double mean0 = 0.0;
  for (std::size_t n = 0; n < 64; ++n)
    for (std::size_t j = 0; j < 36; ++j) mean0 += act(n, 0, j / 6, j % 6);
  mean0 /= 64.0 * 36.0;
  const auto* bn = child.layer(*child.find("batch_norm_2")).get_if<train::batch_norm>();
  REQUIRE(bn != nullptr);
  CHECK(bn->running_mean()[0] == doctest::Approx(mean0).epsilon(1e-4));
  CHECK(bn->gamma()[0] == doctest::Approx(std::sqrt(bn->running_var()[0] + 1e-5)).epsilon(1e-6));
  CHECK(test::relative_difference(a, child, calib) <= test::preserve_tolerance);
  // Estimated without data: a rectified Gaussian from the BN before the ReLU (positive mean).
  const architecture est = morphism::insert_conv_block{}.apply(a, {x}, r);
  CHECK(est.layer(*est.find("batch_norm_2")).get_if<train::batch_norm>()->running_mean()[0] > 0.0f);
  CHECK(test::relative_difference(a, est, calib) <= test::preserve_tolerance);
}

TEST_CASE("a site that is not in the operator's list is refused") {
  moo::rng r(12);
  const architecture a = graph::random_architecture({}, r);
  CHECK_THROWS_AS(morphism::insert_conv_block{}.apply(a, {a.output()}, r), moo::value_error);
  CHECK_THROWS_AS(morphism::split_conv{}.apply(a, {a.input()}, r), moo::value_error);
  CHECK_THROWS_AS(morphism::add_residual_skip{}.apply(a, {a.output(), a.input()}, r), moo::value_error);
}
