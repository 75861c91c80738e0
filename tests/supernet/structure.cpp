// The elastic super-network's structure: the integer space and canonical configurations, extraction
// (weight slices written as known values; the extracted network against a direct reference forward on
// the shared tensors), exact parameter and MAC counts against a hand count, and the scatter of
// sub-network gradients into the shared weights against central finite differences.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/rng.hpp"
#include "nas/supernet/problem.hpp"
#include "nas/supernet/supernet.hpp"
#include "nas/supernet/training.hpp"
#include "nas/train/loss.hpp"
#include "support.hpp"

namespace {

constexpr std::uint64_t structure_seed = 20261202;

// A tiny super-network: 1x8x8 input, stem 2 channels pooled to 4x4, stages of at most 4 and 6 channels
// (the second at 2x2), depth 1..2, kernels 1 or 3, widths 1/2 or 1.
nas::supernet_options tiny_options() {
  return {.input = {1, 8, 8}, .classes = 3, .stem_channels = 2, .stem_pool = true, .stage_channels = {4, 6},
          .min_depth = 1, .max_depth = 2, .kernels = {1, 3}, .widths = {0.5, 1.0}};
}

// Random values for every shared array, running variances positive, so eval-mode batch norm is no identity.
void randomise(nas::supernet& net, moo::rng& r) {
  for (auto& [name, v] : net.state()) {
    const bool var = name.ends_with("running_var");
    for (auto& x : v) x = static_cast<float>(var ? r.uniform(0.5, 2.0) : r.uniform(-1.0, 1.0));
  }
}

// A direct reference of a sub-network's eval-mode forward pass for one image, reading the shared
// tensors with the slices of the configuration (first channels, centre kernels).
std::vector<double> reference_forward(const nas::supernet& net, const moo::integer_genome& x, const float* image) {
  const auto& o = net.options();
  std::size_t c = o.input[0], h = o.input[1], w = o.input[2];
  std::vector<double> a(image, image + c * h * w);
  auto conv = [&](const nas::shared_conv& sc, std::size_t out, std::size_t k) {
    const std::size_t kmax = sc.weight.shape()[2], off = (kmax - k) / 2, pad = k / 2;
    std::vector<double> y(out * h * w, 0.0);
    for (std::size_t oc = 0; oc < out; ++oc)
      for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) {
          double s = 0.0;
          for (std::size_t ic = 0; ic < c; ++ic)
            for (std::size_t kh = 0; kh < k; ++kh)
              for (std::size_t kw = 0; kw < k; ++kw) {
                const long ii = long(i + kh) - long(pad), jj = long(j + kw) - long(pad);
                if (ii < 0 || jj < 0 || ii >= long(h) || jj >= long(w)) continue;
                s += double(sc.weight(oc, ic, off + kh, off + kw)) * a[(ic * h + std::size_t(ii)) * w + std::size_t(jj)];
              }
          y[(oc * h + i) * w + j] = s;
        }
    a = y;
    c = out;
  };
  auto bn_relu = [&](const nas::shared_bn& b) {
    for (std::size_t ch = 0; ch < c; ++ch)
      for (std::size_t p = 0; p < h * w; ++p) {
        double& v = a[ch * h * w + p];
        v = double(b.gamma[ch]) * (v - double(b.running_mean[ch])) / std::sqrt(double(b.running_var[ch]) + double(o.bn_eps)) +
            double(b.beta[ch]);
        v = std::max(v, 0.0);
      }
  };
  auto pool = [&] {
    const std::size_t h2 = h / 2, w2 = w / 2;
    std::vector<double> y(c * h2 * w2);
    for (std::size_t ch = 0; ch < c; ++ch)
      for (std::size_t i = 0; i < h2; ++i)
        for (std::size_t j = 0; j < w2; ++j) {
          double m = a[(ch * h + 2 * i) * w + 2 * j];
          for (std::size_t di = 0; di < 2; ++di)
            for (std::size_t dj = 0; dj < 2; ++dj) m = std::max(m, a[(ch * h + 2 * i + di) * w + 2 * j + dj]);
          y[(ch * h2 + i) * w2 + j] = m;
        }
    a = y;
    h = h2;
    w = w2;
  };
  conv(net.stem_conv(), o.stem_channels, 3);
  bn_relu(net.stem_bn());
  if (o.stem_pool) pool();
  const auto cfg = net.decode(x);
  for (std::size_t s = 0; s < cfg.stages.size(); ++s) {
    if (s > 0) pool();
    for (std::size_t b = 0; b < cfg.stages[s].size(); ++b) {
      conv(net.block_conv(s, b), cfg.stages[s][b].channels, cfg.stages[s][b].kernel);
      bn_relu(net.block_bn(s, b));
    }
  }
  std::vector<double> logits(o.classes, 0.0);
  for (std::size_t k = 0; k < o.classes; ++k) {
    double z = net.classifier().bias[k];
    for (std::size_t ch = 0; ch < c; ++ch) {
      double mean = 0.0;
      for (std::size_t p = 0; p < h * w; ++p) mean += a[ch * h * w + p];
      z += double(net.classifier().weight(k, ch)) * mean / double(h * w);
    }
    logits[k] = z;
  }
  return logits;
}

nas::train::tensor random_images(std::size_t n, const nas::supernet_options& o, moo::rng& r) {
  auto t = nas::train::zeros({n, o.input[0], o.input[1], o.input[2]});
  for (auto& v : t) v = static_cast<float>(r.uniform(-1.0, 1.0));
  return t;
}

}  // namespace

static_assert(moo::described_space<nas::supernet_space>);
static_assert(moo::plain_problem<nas::supernet_problem>);

TEST_CASE("supernet space: one depth gene per stage, kernel and width genes per block, canonical forms") {
  const nas::supernet net(tiny_options(), structure_seed);
  const auto& s = net.space();
  REQUIRE(net.genes() == 2 * (1 + 2 * 2));
  CHECK(s.lower == std::vector<long>{1, 0, 0, 0, 0, 1, 0, 0, 0, 0});
  CHECK(s.upper == std::vector<long>{2, 1, 1, 1, 1, 2, 1, 1, 1, 1});
  CHECK(net.gene_names()[0] == "depth1");
  CHECK(net.gene_names()[3] == "kernel1_2");
  CHECK(net.gene_names()[9] == "width2_2");
  CHECK(s.description().find(net.description()) != std::string::npos);
  CHECK(net.description().find("kernels [1, 3] widths [0.5, 1]") != std::string::npos);

  // Genes of blocks beyond the depth are ignored and zeroed.
  const moo::integer_genome x{1, 1, 1, 1, 1, 2, 0, 1, 1, 0};
  CHECK(net.canonical(x) == moo::integer_genome{1, 1, 1, 0, 0, 2, 0, 1, 1, 0});
  static_assert(moo::canonical_space<nas::supernet_space>);  // the space itself knows the canonical form
  CHECK(s.canonical(x) == net.canonical(x));
  const nas::supernet_space copy = s;
  CHECK(copy.canonical(x) == net.canonical(x));
  CHECK(net.macs(x) == net.macs(net.canonical(x)));
  CHECK(net.describe(x) == "3k4 | 1k6 3k3");
  CHECK(net.smallest() == moo::integer_genome{1, 0, 0, 0, 0, 1, 0, 0, 0, 0});
  CHECK(net.largest() == s.upper);
  moo::rng r(structure_seed);
  for (int i = 0; i < 20; ++i) {
    const auto c = net.random(r);
    CHECK(net.canonical(c) == c);
  }
  CHECK(test_support::error_of([&] { (void)net.canonical({1, 2, 0, 0, 0, 1, 0, 0, 0, 0}); }).find("gene 1 = 2") !=
        std::string::npos);
  auto bad = tiny_options();
  bad.kernels = {3, 4};
  CHECK(test_support::error_of([&] { nas::supernet(bad, 1); }).find("kernels [3, 4] must be odd") != std::string::npos);
  bad = tiny_options();
  bad.widths = {0.5, 0.75};
  CHECK(test_support::error_of([&] { nas::supernet(bad, 1); }).find("must end with 1") != std::string::npos);
  bad = tiny_options();
  bad.input = {1, 2, 2};
  CHECK(test_support::error_of([&] { nas::supernet(bad, 1); }).find("too small for 2 2x2 max pools") != std::string::npos);
}

TEST_CASE("extraction copies the first channels and the centre of the kernels") {
  std::printf("supernet structure seed %llu\n", static_cast<unsigned long long>(structure_seed));
  nas::supernet net(tiny_options(), structure_seed);
  // Known values: a weight names its indices.
  auto code = [](std::size_t o, std::size_t i, std::size_t kh, std::size_t kw) { return float(o * 1000 + i * 100 + kh * 10 + kw); };
  auto& w = net.block_conv(1, 1).weight;  // stage 2, block 2: 6 x 6 x 3 x 3
  for (std::size_t o = 0; o < 6; ++o)
    for (std::size_t i = 0; i < 6; ++i)
      for (std::size_t kh = 0; kh < 3; ++kh)
        for (std::size_t kw = 0; kw < 3; ++kw) w(o, i, kh, kw) = code(o, i, kh, kw);
  auto& bn = net.block_bn(1, 1);
  for (std::size_t c = 0; c < 6; ++c) {
    bn.gamma[c] = float(c) + 0.5f;
    bn.beta[c] = -float(c);
    bn.running_mean[c] = float(10 + c);
    bn.running_var[c] = float(20 + c);
  }
  for (std::size_t k = 0; k < 3; ++k)
    for (std::size_t j = 0; j < 6; ++j) net.classifier().weight(k, j) = float(10 * k + j);

  // Stage 2 at depth 2: block 1 width 1 (6 channels), block 2 kernel 1, width 1/2 (3 channels).
  const moo::integer_genome x{1, 1, 1, 0, 0, 2, 1, 1, 0, 0};
  const nas::graph::architecture a = net.extract(x);
  a.validate();
  const auto& conv = *a.layer(*a.find("s2b2_conv")).get_if<nas::train::conv2d>();
  REQUIRE(conv.options().out_channels == 3);
  REQUIRE(conv.options().in_channels == 6);
  REQUIRE(conv.options().kernel == 1);
  CHECK(conv.options().padding == 0);
  for (std::size_t o = 0; o < 3; ++o)
    for (std::size_t i = 0; i < 6; ++i) CHECK(conv.weight()(o, i, 0, 0) == code(o, i, 1, 1));
  const auto& b = *a.layer(*a.find("s2b2_bn")).get_if<nas::train::batch_norm>();
  REQUIRE(b.options().channels == 3);
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(b.gamma()[c] == float(c) + 0.5f);
    CHECK(b.beta()[c] == -float(c));
    CHECK(b.running_mean()[c] == float(10 + c));
    CHECK(b.running_var()[c] == float(20 + c));
  }
  const auto& fc = *a.layer(*a.find("classifier")).get_if<nas::train::linear>();
  REQUIRE(fc.options().in_features == 3);
  for (std::size_t k = 0; k < 3; ++k)
    for (std::size_t j = 0; j < 3; ++j) CHECK(fc.weight()(k, j) == float(10 * k + j));

  // The same configuration with kernel 3: the whole 3x3, first 3 of 6 output channels.
  const auto big = net.extract({1, 1, 1, 0, 0, 2, 1, 1, 1, 0});
  const auto& conv3 = *big.layer(*big.find("s2b2_conv")).get_if<nas::train::conv2d>();
  CHECK(conv3.options().padding == 1);
  for (std::size_t o = 0; o < 3; ++o)
    for (std::size_t i = 0; i < 6; ++i)
      for (std::size_t kh = 0; kh < 3; ++kh)
        for (std::size_t kw = 0; kw < 3; ++kw) CHECK(conv3.weight()(o, i, kh, kw) == code(o, i, kh, kw));
  // Extraction copies: changing the extracted weights leaves the shared ones.
  auto copy = net.extract(x);
  copy.layer(*copy.find("s2b2_conv")).get_if<nas::train::conv2d>()->weight()(0, 0, 0, 0) = -1.0f;
  CHECK(w(0, 0, 1, 1) == code(0, 0, 1, 1));
}

TEST_CASE("extracted sub-networks compute what a direct forward pass on the shared weights computes") {
  nas::supernet net(tiny_options(), structure_seed);
  moo::rng r(structure_seed + 1);
  randomise(net, r);
  const auto images = random_images(3, net.options(), r);
  std::vector<moo::integer_genome> configs{net.largest(), net.smallest()};
  for (int i = 0; i < 6; ++i) configs.push_back(net.random(r));
  double worst = 0.0;
  for (const auto& x : configs) {
    auto sub = net.extract(x).compile();
    sub.eval();
    const auto& y = sub.forward(images);
    auto direct = net.sub_network(x);
    direct.eval();
    const auto& y2 = direct.forward(images);
    for (std::size_t n = 0; n < 3; ++n) {
      const auto ref = reference_forward(net, x, images.data() + n * 64);
      for (std::size_t k = 0; k < 3; ++k) {
        const double got = y(n, k, 0, 0);
        worst = std::max(worst, std::abs(got - ref[k]) / (1.0 + std::abs(ref[k])));
        CHECK(got == doctest::Approx(ref[k]).epsilon(1e-4));
        CHECK(y2(n, k, 0, 0) == y(n, k, 0, 0));
      }
    }
  }
  std::printf("extracted vs direct reference forward: largest relative difference %.2g\n", worst);
}

TEST_CASE("parameters and MACs: hand count, and equal to the extracted architecture's counts") {
  const nas::supernet net(tiny_options(), structure_seed);
  // Smallest: stem conv 1->2 3x3 at 8x8 + BN(2); pool to 4x4; s1b1 conv 3->... kernel 1, 2 channels
  // (0.5 * 4) from 2 at 4x4 + BN(2); pool to 2x2; s2b1 kernel 1, 3 channels from 2 at 2x2 + BN(3);
  // linear 3 -> 3 with bias.
  const std::size_t params = 2 * 1 * 9 + 4 + 2 * 2 * 1 + 4 + 3 * 2 * 1 + 6 + 3 * 3 + 3;
  const std::size_t macs = 2 * 1 * 9 * 64 + 2 * 2 * 1 * 16 + 3 * 2 * 1 * 4 + 3 * 3;
  const auto small = net.smallest();
  CHECK(net.parameter_count(small) == params);
  CHECK(net.macs(small) == macs);
  // Largest: stem 18 + 4; s1b1 4x2x9 + 8, s1b2 4x4x9 + 8; s2b1 6x4x9 + 12, s2b2 6x6x9 + 12; linear 18 + 3.
  const std::size_t lp = 22 + 72 + 8 + 144 + 8 + 216 + 12 + 324 + 12 + 21;
  const std::size_t lm = 18 * 64 + (72 + 144) * 16 + (216 + 324) * 4 + 18;
  CHECK(net.parameter_count(net.largest()) == lp);
  CHECK(net.macs(net.largest()) == lm);
  moo::rng r(structure_seed + 2);
  std::vector<moo::integer_genome> configs{small, net.largest()};
  for (int i = 0; i < 10; ++i) configs.push_back(net.random(r));
  for (const auto& x : configs) {
    const auto a = net.extract(x);
    CHECK(a.parameter_count() == net.parameter_count(x));
    CHECK(a.macs() == net.macs(x));
  }
}

TEST_CASE("sandwich gradients scattered into the shared weights match central finite differences") {
  std::printf("supernet gradient seed %llu\n", static_cast<unsigned long long>(structure_seed + 3));
  nas::supernet net(tiny_options(), structure_seed + 3);
  moo::rng r(structure_seed + 3);
  nas::train::batch b;
  b.images = random_images(6, net.options(), r);
  b.labels = {0, 1, 2, 0, 1, 2};
  // Not the largest: entries outside every slice (corners of s1b1's kernels, s1b2's last channels, ...)
  // must get exactly zero.
  const std::vector<moo::integer_genome> configs{{2, 0, 1, 1, 0, 2, 1, 0, 0, 1}, net.smallest(), {1, 1, 0, 0, 0, 2, 0, 1, 1, 0}};
  nas::sandwich_step step({});
  step.gradients(net, configs, b);
  auto params = net.parameters();
  std::vector<std::vector<float>> analytic;
  for (const auto& p : params) analytic.emplace_back(p.grad.begin(), p.grad.end());

  // The summed training-mode losses of the configurations (batch statistics; parameters only).
  auto total_loss = [&] {
    double l = 0.0;
    nas::train::softmax_cross_entropy ce;
    for (const auto& x : configs) {
      auto sub = net.sub_network(x);
      sub.train();
      l += ce.value(sub.forward(b.images), b.labels);
    }
    return l;
  };
  // h = 1e-3: batch norm centres the pre-activations at the ReLU's kink, so a larger step crosses kinks
  // (with h = 1e-2 a tenth of the entries differ by up to 0.07); float32 rounding in the loss is ~1e-4 / h.
  const double h = 1e-3;
  std::size_t checked = 0, zero = 0;
  double worst = 0.0;
  for (std::size_t pi = 0; pi < params.size(); ++pi) {
    auto& v = params[pi].value;
    // Every entry of small arrays, a sample of the larger ones (centre, corners, first and last channels).
    const std::size_t stride = v.size() <= 24 ? 1 : v.size() / 17 + 1;
    for (std::size_t e = 0; e < v.size(); e += stride) {
      const float keep = v[e];
      v[e] = keep + float(h);
      const double up = total_loss();
      v[e] = keep - float(h);
      const double down = total_loss();
      v[e] = keep;
      const double numeric = (up - down) / (2 * h);
      const double a = analytic[pi][e];
      worst = std::max(worst, std::abs(a - numeric));
      INFO(params[pi].name, "[", e, "]: analytic ", a, ", numeric ", numeric);
      CHECK(std::abs(a - numeric) <= 2e-3 + 2e-2 * std::abs(numeric));
      ++checked;
      if (a == 0.0) ++zero;
    }
  }
  std::printf("finite differences: %zu shared entries, %zu with zero gradient (outside every slice), largest "
              "difference %.2g\n", checked, zero, worst);
  CHECK(zero > 0);
  CHECK(zero < checked);
}
