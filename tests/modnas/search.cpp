// MODNAS's super-network, search loop and sweep (nas/modnas.hpp): the super-network's gradient in the
// architecture parameters against central differences through the whole network; exact MAC counts of
// discrete architectures; per-edge device tables; Adam against a hand computation; Dirichlet preferences;
// the search's checkpoints (bit-identical resume, other configurations and corrupt files refused, a
// diverging search stops with the last good checkpoint intact); the hardware objective steering the
// hypernetwork; the sweep, fronts against brute-force dominance, and random architectures.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "moo/core/rng.hpp"
#include "nas/modnas.hpp"
#include "nas/train/data.hpp"
#include "nas/train/optim.hpp"
#include "support.hpp"

namespace modnas_search_test {

using namespace nas::modnas;
using nas::train::shape4;
using nas::train::tensor;

supernet_options tiny_space() {
  return {.in_channels = 1, .height = 8, .width = 8, .classes = 3, .channels = 2, .cells = 2, .nodes = 2};
}

double dot_loss(const tensor& y, const tensor& r) {
  double s = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) s += static_cast<double>(y.data()[i]) * static_cast<double>(r.data()[i]);
  return s;
}

// A device with a hand-made per-candidate table: zero 0, skip 1, pool 2, conv3 5, conv5 10, sep 3.
device hand_device(std::string name, std::vector<double> features, double scale = 1.0) {
  device d{.name = std::move(name), .candidates = supernet_options{}.candidates};
  for (const double v : {0.0, 1.0, 2.0, 5.0, 10.0, 3.0}) d.latency.push_back(v * scale);
  d.features = std::move(features);
  return d;
}

// n_train + n_val samples of one synthetic task (the classes' patterns depend on the seed), split.
std::pair<nas::train::dataset, nas::train::dataset> tiny_data(std::size_t n_train, std::size_t n_val, std::uint64_t seed = 1) {
  const auto d = nas::train::synthetic_dataset({.samples = n_train + n_val, .classes = 3, .channels = 1, .height = 8,
                                                .width = 8, .seed = seed});
  auto [a, b] = nas::train::split(d, static_cast<double>(n_val) / static_cast<double>(n_train + n_val), seed);
  return {std::move(a), std::move(b)};
}

}  // namespace modnas_search_test

namespace modnas_search_test {

TEST_CASE("modnas supernet: structure, edges, shapes and the alpha gradient through the whole network") {
  const std::uint64_t seed = 20261202;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  supernet_options o = tiny_space();
  o.mode = mixing::softmax;
  supernet net(o, r);
  CHECK(net.edges() == 6);
  CHECK(edge_count(o) == 6);
  CHECK(shape_of_edge(o, 0).height == 4);
  CHECK(shape_of_edge(o, 3).height == 2);
  CHECK_THROWS_AS(shape_of_edge(o, 6), moo::value_error);
  std::vector<double> alpha(6 * 6);
  for (double& a : alpha) a = r.uniform(-1.0, 1.0);
  net.set_alpha(alpha);
  tensor x = nas::train::zeros({2, 1, 8, 8});
  for (auto& v : x) v = static_cast<float>(r.uniform(-1.0, 1.0));
  auto& n = net.network();
  n.train();
  tensor y = n.forward(x);
  REQUIRE(nas::train::shape_of(y) == shape4{2, 3, 1, 1});
  tensor R = nas::train::zeros(nas::train::shape_of(y));
  for (auto& v : R) v = static_cast<float>(r.uniform(-1.0, 1.0));
  n.backward(R);
  const std::vector<double> analytic = net.alpha_grad();
  REQUIRE(analytic.size() == alpha.size());
  double worst = 0.0;
  const double h = 1e-3;
  for (std::size_t i = 0; i < alpha.size(); ++i) {
    auto a = alpha;
    a[i] += h;
    net.set_alpha(a);
    const double up = dot_loss(n.forward(x), R);
    a[i] -= 2 * h;
    net.set_alpha(a);
    const double down = dot_loss(n.forward(x), R);
    const double numeric = (up - down) / (2 * h);
    worst = std::max(worst, std::abs(numeric - analytic[i]) / (1.0 + std::abs(numeric)));
    CHECK(std::abs(numeric - analytic[i]) <= 3e-3 * (1.0 + std::abs(numeric)));
  }
  MESSAGE("worst relative alpha-gradient error " << worst);
  // The hard (straight-through) mode selects one candidate per edge.
  net.set_mixing(mixing::straight_through_gumbel);
  net.sample(r);
  const auto w = net.weights();
  for (std::size_t e = 0; e < 6; ++e) {
    double s = 0.0;
    for (std::size_t k = 0; k < 6; ++k) s += w[e * 6 + k];
    CHECK(s == 1.0);
    CHECK(w[e * 6 + net.selected()[e]] == 1.0);
  }
  CHECK_THROWS_AS(net.set_alpha(std::vector<double>(35)), moo::dimension_error);
  CHECK_THROWS_AS(supernet({.height = 8, .width = 8, .cells = 4}, r), moo::value_error);
}

TEST_CASE("modnas supernet: discrete architectures, exact MACs, names, most likely") {
  moo::rng r(7);
  const supernet_options o = tiny_space();
  // conv_3x3 everywhere in cell 0, sep_conv in cell 1 (indices 3 and 5 of the default candidates).
  const architecture a{3, 3, 3, 5, 5, 5};
  auto net = discrete_network(o, a, r);
  const std::size_t stem = 4 * 4 * 2 * 1 * 9;           // 2 x 4 x 4 outputs, fan-in 1 x 3 x 3
  const std::size_t cell0 = 3 * (4 * 4 * 2 * 2 * 9);    // three dense 3x3 convolutions at 4 x 4
  const std::size_t cell1 = 3 * (2 * 2 * 2 * 9 + 2 * 2 * 2 * 2);  // depthwise + pointwise at 2 x 2
  const std::size_t head = 2 * 3;
  CHECK(net.macs({1, 1, 8, 8}) == stem + cell0 + cell1 + head);
  const device d = hand_device("hand", {});
  CHECK(d.latency_of(a) == doctest::Approx(3 * 5 + 3 * 3));
  CHECK(d.max_latency(6) == doctest::Approx(60));
  CHECK(d.min_latency(6) == doctest::Approx(0));
  CHECK(to_string(o, a) == "conv_3x3 conv_3x3 conv_3x3 | sep_conv_3x3 sep_conv_3x3 sep_conv_3x3");
  CHECK(most_likely(std::vector<double>{0, 2, 1, 5, 5, -1}, 3) == architecture{1, 0});
  CHECK_THROWS_AS(most_likely(std::vector<double>{0, 1}, 3), moo::dimension_error);
  CHECK_THROWS_AS(discrete_network(o, architecture{0, 0}, r), moo::dimension_error);
  CHECK_THROWS_AS(discrete_network(o, architecture{0, 0, 0, 0, 0, 6}, r), moo::value_error);
  // An all-zero architecture still runs (its logits are the head's bias).
  auto z = discrete_network(o, architecture(6, 0), r);
  tensor x = nas::train::zeros({1, 1, 8, 8});
  CHECK(nas::train::shape_of(z.forward(x)) == shape4{1, 3, 1, 1});
}

TEST_CASE("modnas supernet: a measured per-edge device table and reference features") {
  const supernet_options o = tiny_space();
  const std::vector<architecture> refs{architecture(6, 4), architecture(6, 1)};
  const device d = measure_supernet_device("1t-b1", o, {.threads = 1, .batch = 1}, refs, {.warmup = 1, .repeats = 3});
  CHECK(d.latency.size() == 36);
  CHECK(d.macs.size() == 36);
  CHECK(d.features.size() == 2);
  for (const double v : d.latency) CHECK(std::isfinite(v));
  // Edges of one cell share a table; conv 5x5 costs more MACs in cell 0 (4 x 4) than in cell 1 (2 x 2).
  CHECK(d.latency[0 * 6 + 4] == d.latency[1 * 6 + 4]);
  CHECK(d.macs[0 * 6 + 4] == 4 * d.macs[3 * 6 + 4]);
  CHECK(d.macs[4] == static_cast<double>(candidate_macs(candidate::conv_5x5, {2, 4, 4})));
}

TEST_CASE("adam: two steps against a hand computation, state round trip") {
  std::vector<float> w{1.0f, -2.0f}, g{0.5f, 0.1f};
  std::vector<nas::train::parameter_ref> p{{"w", w, g}};
  nas::train::adam opt({.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01});
  opt.step(p);
  // t = 1: m = 0.1 g', v = 0.001 g'^2, m_hat = g', v_hat = g'^2: the step is lr * sign(g') (up to eps).
  const double g0 = 0.5 + 0.01 * 1.0, g1 = 0.1 + 0.01 * -2.0;
  CHECK(w[0] == doctest::Approx(1.0 - 0.1 * g0 / (std::abs(g0) + 1e-8)).epsilon(1e-6));
  CHECK(w[1] == doctest::Approx(-2.0 - 0.1 * g1 / (std::abs(g1) + 1e-8)).epsilon(1e-6));
  const double w0 = w[0];
  const double g0b = 0.5 + 0.01 * w0;
  const double m = 0.9 * 0.1 * g0 + 0.1 * g0b, v = 0.999 * 0.001 * g0 * g0 + 0.001 * g0b * g0b;
  const double expected = w0 - 0.1 * (m / (1 - 0.81)) / (std::sqrt(v / (1 - 0.999 * 0.999)) + 1e-8);
  nas::train::adam copy({.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01});
  copy.set_state(opt.steps(), opt.first_moment(), opt.second_moment());
  std::vector<float> w2 = w, g2 = g;
  std::vector<nas::train::parameter_ref> p2{{"w", w2, g2}};
  opt.step(p);
  copy.step(p2);
  CHECK(w[0] == doctest::Approx(expected).epsilon(1e-6));
  CHECK(w == w2);
  CHECK_THROWS_AS(nas::train::adam({.beta1 = 1.0}), moo::value_error);
}

TEST_CASE("dirichlet: on the simplex, mean 1/m, concentration shapes the spread") {
  moo::rng r(11);
  for (const double c : {0.3, 1.0, 5.0}) {
    double mean0 = 0.0, var0 = 0.0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
      const auto p = dirichlet(3, c, r);
      double s = 0.0;
      for (const double v : p) {
        CHECK(v >= 0.0);
        s += v;
      }
      CHECK(s == doctest::Approx(1.0));
      mean0 += p[0];
      var0 += p[0] * p[0];
    }
    mean0 /= n;
    var0 = var0 / n - mean0 * mean0;
    // Dirichlet(c, c, c): E p_0 = 1/3, Var p_0 = (1/3)(2/3) / (3c + 1).
    CHECK(mean0 == doctest::Approx(1.0 / 3.0).epsilon(0.02));
    CHECK(var0 == doctest::Approx(2.0 / 9.0 / (3 * c + 1)).epsilon(0.06));
  }
  CHECK_THROWS_AS(dirichlet(2, 0.0, r), moo::value_error);
  CHECK_THROWS_AS(dirichlet(0, 1.0, r), moo::value_error);
}

TEST_CASE("modnas search: resume is bit-identical; other configurations and corrupt files are refused") {
  const test_support::temp_dir tmp("modnas_search");
  const std::filesystem::path dir = tmp.path;
  const auto [train, val] = tiny_data(96, 48);
  const std::vector<device> devs{hand_device("a", {0.0, 1.0}), hand_device("b", {1.0, 0.0}, 2.0)};
  const search_options opt{.steps = 6, .batch_size = 16, .warmup_steps = 1, .checkpoint = dir / "ck", .checkpoint_every = 3,
                           .seed = 5};
  search full(tiny_space(), {.hidden = {8}}, devs, train, val, opt);
  std::vector<search_step> recs;
  full.run([&](const search_step& s) { recs.push_back(s); });
  REQUIRE(recs.size() == 6);
  CHECK(recs[0].val_loss.empty());
  CHECK(recs[1].val_loss.size() == 2);
  CHECK(recs[1].device_weights.size() == 2);
  const std::string final_bytes = hypernetwork_to_bytes(full.hyper());

  // Stop after 3 steps (a kill), then a new process resumes from the checkpoint written at step 3.
  search part(tiny_space(), {.hidden = {8}}, devs, train, val, opt);
  for (int i = 0; i < 3; ++i) part.step();
  part.save(dir / "ck2");
  search resumed(tiny_space(), {.hidden = {8}}, devs, train, val, [&] {
    auto o = opt;
    o.checkpoint = dir / "ck3";
    return o;
  }());
  REQUIRE(resumed.resume(dir / "ck2"));
  CHECK(resumed.steps_done() == 3);
  resumed.run();
  CHECK(hypernetwork_to_bytes(resumed.hyper()) == final_bytes);
  auto a = detail::network_state(full.super_network().network()), b = detail::network_state(resumed.super_network().network());
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(std::equal(a[i].second.begin(), a[i].second.end(), b[i].second.begin()));

  // Another configuration: refused by name, the search unchanged.
  auto other = opt;
  other.lr = 0.01;
  search wrong(tiny_space(), {.hidden = {8}}, devs, train, val, other);
  const std::string before = hypernetwork_to_bytes(wrong.hyper());
  CHECK_THROWS_WITH_AS(wrong.load(dir / "ck"), doctest::Contains("another configuration"), moo::io_error);
  CHECK(hypernetwork_to_bytes(wrong.hyper()) == before);
  CHECK(wrong.steps_done() == 0);
  // A flipped byte and a truncated file.
  std::string bytes = moo::io::read_file(dir / "ck");
  bytes[bytes.size() / 2] ^= 0x10;
  moo::io::write_atomically(dir / "bad", bytes);
  CHECK_THROWS_WITH_AS(full.load(dir / "bad"), doctest::Contains("checksum"), moo::io_error);
  moo::io::write_atomically(dir / "short", bytes.substr(0, 20));
  CHECK_THROWS_AS(full.load(dir / "short"), moo::io_error);
  CHECK_THROWS_AS(full.load(dir / "missing"), moo::io_error);
  // An all-zero random state behind a valid checksum (the generator would return 0 forever and the
  // Gumbel and Dirichlet samplers, which redraw u = 0, would never return): refused.
  std::string zero = moo::io::read_file(dir / "ck");
  std::fill(zero.begin() + 24, zero.begin() + 56, '\0');  // magic 8, version 4, fingerprint 4, step 8, then the state
  const std::uint32_t crc = moo::io::codec::crc32(std::string_view(zero).substr(0, zero.size() - 4));
  for (int i = 0; i < 4; ++i) zero[zero.size() - 4 + static_cast<std::size_t>(i)] = static_cast<char>((crc >> (8 * i)) & 0xff);
  moo::io::write_atomically(dir / "zero", zero);
  CHECK_THROWS_WITH_AS(full.load(dir / "zero"), doctest::Contains("all-zero random state"), moo::io_error);
  CHECK_FALSE(full.resume(dir / "missing"));
}

TEST_CASE("modnas search: a diverging search stops with a clear error, the last checkpoint intact") {
  const test_support::temp_dir tmp("modnas_nan");
  const std::filesystem::path dir = tmp.path;
  auto [train, val] = tiny_data(96, 48);
  const std::vector<device> devs{hand_device("a", {0.0})};
  const search_options opt{.steps = 40, .batch_size = 16, .checkpoint = dir / "ck", .checkpoint_every = 1, .seed = 3};
  search s(tiny_space(), {.hidden = {8}}, devs, train, val, opt);
  for (int i = 0; i < 3; ++i) {
    s.step();
    s.save(opt.checkpoint);
  }
  // The training data turn to NaN (as a diverging loss would): the next step stops with a clear error.
  for (auto& v : train.images) v = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(s.run(), doctest::Contains("diverged"), moo::value_error);
  CHECK(s.steps_done() == 3);
  search again(tiny_space(), {.hidden = {8}}, devs, train, val, opt);
  REQUIRE(again.resume(dir / "ck"));
  CHECK(again.steps_done() == 3);
  for (const auto& [name, v] : detail::network_state(again.super_network().network()))
    for (const float x : v) REQUIRE(std::isfinite(x));
}

TEST_CASE("modnas search: errors name the input") {
  const auto [train, val] = tiny_data(96, 48);
  std::vector<device> devs{hand_device("a", {0.0})};
  CHECK_THROWS_AS(search(tiny_space(), {}, {}, train, val, {}), moo::value_error);
  CHECK_THROWS_WITH_AS(search(tiny_space(), {}, {hand_device("a", {0.0}), hand_device("b", {})}, train, val, {.batch_size = 16}),
                       doctest::Contains("'b'"), moo::dimension_error);
  CHECK_THROWS_AS(search(tiny_space(), {}, devs, train, val, {.batch_size = 200}), moo::value_error);
  CHECK_THROWS_AS(search(tiny_space(), {}, devs, train, val, {.batch_size = 16, .hardware = hardware_objective::macs}),
                  moo::value_error);
  auto short_macs = devs;
  short_macs[0].macs.assign(12, 1.0);  // two edges' worth for a space of six
  CHECK_THROWS_WITH_AS(search(tiny_space(), {}, short_macs, train, val, {.batch_size = 16, .hardware = hardware_objective::macs}),
                       doctest::Contains("MAC table of 12 values"), moo::dimension_error);
  auto five = tiny_space();
  five.candidates.pop_back();
  CHECK_THROWS_WITH_AS(search(five, {}, devs, train, val, {.batch_size = 16}), doctest::Contains("other candidates"), moo::value_error);
}

TEST_CASE("modnas search: the hardware preference steers the hypernetwork toward cheap architectures") {
  const std::uint64_t seed = 4;
  MESSAGE("seed " << seed);
  const auto [train, val] = tiny_data(256, 128);
  const std::vector<device> devs{hand_device("a", {0.0, 1.0}), hand_device("b", {1.0, 0.0}, 3.0)};
  // Without the pretraining fit the preference has no say yet; with it, (1, 0) gives the costly end and
  // (0, 1) the cheap end, on every device.
  const std::vector<double> cheap{0.0, 1.0}, accurate{1.0, 0.0};
  {
    search fit(tiny_space(), {.hidden = {16}}, devs, train, val, {.steps = 0, .batch_size = 32, .pretrain_steps = 1500, .seed = seed});
    for (const auto& d : devs) {
      const double hi = fit.hardware_cost(d, fit.architecture_for(accurate, d.features));
      const double lo = fit.hardware_cost(d, fit.architecture_for(cheap, d.features));
      const double mid = fit.hardware_cost(d, fit.architecture_for(std::vector<double>{0.5, 0.5}, d.features));
      MESSAGE("pretrained, device " << d.name << ": cost of (1, 0) " << hi << ", (0.5, 0.5) " << mid << ", (0, 1) " << lo);
      // The expected cost is what is fitted; the argmax architecture's cost is close to it here.
      CHECK(hi > 0.7);
      CHECK(lo < 0.3);
      CHECK(lo < mid);
      CHECK(mid < hi);
    }
  }
  search s(tiny_space(), {.hidden = {16}}, devs, train, val,
           {.steps = 60, .batch_size = 32, .hyper_lr = 0.03, .pretrain_steps = 0, .seed = seed});
  const double start = s.hardware_cost(devs[0], s.architecture_for(cheap, devs[0].features));
  std::vector<double> hw;
  s.run([&](const search_step& r) { hw.push_back(r.hardware[0]); });
  const double end_cheap = s.hardware_cost(devs[0], s.architecture_for(cheap, devs[0].features));
  const double end_accurate = s.hardware_cost(devs[0], s.architecture_for(accurate, devs[0].features));
  MESSAGE("hardware cost of the (0, 1) architecture: " << start << " -> " << end_cheap << "; of (1, 0): " << end_accurate);
  CHECK(end_cheap <= 0.2);
  CHECK(end_cheap <= end_accurate);
  CHECK(end_cheap < start);
}

TEST_CASE("modnas sweep: preferences, distinct architectures, fronts against brute force, random architectures") {
  const auto [train, val] = tiny_data(96, 48);
  const std::vector<device> devs{hand_device("a", {0.0, 1.0}), hand_device("b", {1.0, 0.0}, 2.0)};
  search s(tiny_space(), {.hidden = {8}}, devs, train, val, {.steps = 2, .batch_size = 16});
  s.run();
  const device held_out = hand_device("c", {0.5, 0.5}, 1.5);
  const std::vector<device> all{devs[0], devs[1], held_out};
  const sweep_result sw = sweep(s, all, 4);
  CHECK(sw.preferences.rows() == 4);
  CHECK(sw.preferences(0, 0) == 1.0);
  CHECK(sw.chosen.size() == 3);
  for (std::size_t d = 0; d < 3; ++d)
    for (std::size_t i = 0; i < 4; ++i)
      CHECK(sw.distinct[sw.chosen[d][i]] == s.architecture_for(sw.preferences.row(i), all[d].features));
  for (std::size_t i = 0; i < sw.distinct.size(); ++i)
    for (std::size_t j = i + 1; j < sw.distinct.size(); ++j) CHECK(sw.distinct[i] != sw.distinct[j]);
  CHECK_THROWS_AS(sweep(s, all, 1), moo::value_error);

  // Fronts: brute-force non-domination over random points with ties and duplicates.
  moo::rng r(9);
  std::vector<evaluated_architecture> evals;
  for (int i = 0; i < 40; ++i)
    evals.push_back({.arch = {}, .error = static_cast<double>(r.index(6)), .latency = {static_cast<double>(r.index(6))}});
  std::vector<std::size_t> all_idx(40);
  for (std::size_t i = 0; i < 40; ++i) all_idx[i] = i;
  const auto front = front_of(evals, all_idx, 0);
  auto dominated = [&](std::size_t i) {
    for (std::size_t j = 0; j < 40; ++j)
      if (evals[j].error <= evals[i].error && evals[j].latency[0] <= evals[i].latency[0] &&
          (evals[j].error < evals[i].error || evals[j].latency[0] < evals[i].latency[0]))
        return true;
    return false;
  };
  std::vector<std::pair<double, double>> expected, got;
  for (std::size_t i = 0; i < 40; ++i)
    if (!dominated(i)) expected.emplace_back(evals[i].latency[0], evals[i].error);
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  for (const std::size_t i : front) got.emplace_back(evals[i].latency[0], evals[i].error);
  CHECK(got == expected);

  moo::rng rr(3);
  const auto ra = random_architectures(tiny_space(), 20, rr);
  CHECK(ra.size() == 20);
  for (std::size_t i = 0; i < ra.size(); ++i) {
    check_architecture(tiny_space(), ra[i]);
    for (std::size_t j = i + 1; j < ra.size(); ++j) CHECK(ra[i] != ra[j]);
  }
  supernet_options small = tiny_space();
  small.cells = 1;
  small.nodes = 1;
  small.candidates = {candidate::zero, candidate::skip};
  CHECK_THROWS_AS(random_architectures(small, 3, rr), moo::value_error);
}

TEST_CASE("modnas sweep: brief training and measurement of one architecture") {
  const auto [train, test] = tiny_data(128, 64);
  const std::vector<device> devs{hand_device("a", {}), [] {
                                   auto d = hand_device("b", {});
                                   d.setting = {.threads = 1, .batch = 4};
                                   return d;
                                 }()};
  const architecture a{3, 1, 5, 4, 2, 3};
  const auto e = evaluate_architecture(tiny_space(), a, train, test, devs,
                                       {.epochs = 2, .batch_size = 16, .threads = 1, .timing = {.warmup = 1, .repeats = 3}});
  CHECK(e.error >= 0.0);
  CHECK(e.error < 2.0 / 3.0);  // better than chance on the synthetic classes after 16 steps
  REQUIRE(e.latency.size() == 2);
  CHECK(e.latency[0] > 0.0);
  moo::rng r(1);
  CHECK(e.macs == static_cast<double>(discrete_network(tiny_space(), a, r).macs({1, 1, 8, 8})));
  CHECK(e.parameters > 0);
  MESSAGE("error " << e.error << ", latency b1 " << e.latency[0] << " s, b4 " << e.latency[1] << " s");
}

}  // namespace modnas_search_test
