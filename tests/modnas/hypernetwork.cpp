// MODNAS's hypernetwork: gradients of every weight, bias and input against central differences (ReLU and
// tanh), the chain hypernetwork -> alpha -> softmax -> mixed operations (a DARTS node summing two edges
// that read the same input) against central differences of the whole loss, accumulation, an SGD step
// through parameters(), deterministic initialisation, save/load and its errors, and input-size errors.
//
// Finite differences: the weights are float32 but the passes compute in double, so the loss is a smooth
// double function of the stored weights; a perturbed weight is stored as float, and the difference
// quotient divides by the stored difference (float(w + h) - float(w - h)), so the only errors are the
// O(h^2) truncation and the loss's rounding. MLP alone (double loss): h = 1e-3, per entry
// |analytic - numeric| <= 1e-6 + 1e-5 |numeric| (the analytic weight gradients are rounded to float;
// observed <= 2e-7).
// Through mixed_op the loss comes from float32 outputs: h = 1e-2 and 2e-4 (1 + |numeric|) (observed
// <= 3e-5; tests/modnas/mixed_op.cpp allows 1e-3 for alpha).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "moo/core/rng.hpp"
#include "nas/modnas/hypernetwork.hpp"
#include "nas/modnas/mixed_op.hpp"
#include "nas/train/optim.hpp"
#include "support.hpp"

namespace hypernetwork_test {

using nas::modnas::hidden_activation;
using nas::modnas::hypernetwork;
using nas::modnas::hypernetwork_options;

struct fd_check {
  double max_err = 0.0;
  std::size_t checked = 0, failed = 0;
  void compare(double analytic, double numeric, double abs_tol, double rel_tol) {
    const double err = std::abs(analytic - numeric);
    max_err = std::max(max_err, err / (1.0 + std::abs(numeric)));
    ++checked;
    if (err > abs_tol + rel_tol * std::abs(numeric)) ++failed;
  }
};

std::vector<double> uniform_vector(std::size_t n, moo::rng& r, double lo = -1.0, double hi = 1.0) {
  std::vector<double> v(n);
  for (double& x : v) x = r.uniform(lo, hi);
  return v;
}

// Central difference of f in one float32 parameter, divided by the stored difference.
template <class F>
double float_difference(float& w, double h, F&& f) {
  const float old = w;
  const float up = static_cast<float>(old + h), down = static_cast<float>(old - h);
  w = up;
  const double lp = f();
  w = down;
  const double lm = f();
  w = old;
  return (lp - lm) / (static_cast<double>(up) - static_cast<double>(down));
}

// loss(alpha) = sum_j R_j alpha_j + 0.5 sum_j alpha_j^2 (nonlinear in alpha, so the check also sees how
// dL/dalpha depends on the forward pass): dL/dalpha = R + alpha.
struct mlp_loss {
  std::vector<double> r;
  double value(const std::vector<double>& a) const {
    double s = 0.0;
    for (std::size_t j = 0; j < a.size(); ++j) s += r[j] * a[j] + 0.5 * a[j] * a[j];
    return s;
  }
  std::vector<double> grad(const std::vector<double>& a) const {
    std::vector<double> g(a.size());
    for (std::size_t j = 0; j < a.size(); ++j) g[j] = r[j] + a[j];
    return g;
  }
};

struct mlp_fd {
  fd_check weights, biases, input;
};

mlp_fd check_mlp(hypernetwork& h, const std::vector<double>& pref, const std::vector<double>& feat, moo::rng& r) {
  mlp_loss L{uniform_vector(h.output_size(), r)};
  h.zero_grad();
  const std::vector<double> a = h.forward(pref, feat);
  const std::vector<double> dx = h.backward(L.grad(a));
  auto loss = [&] { return L.value(h.forward(pref, feat)); };
  mlp_fd res;
  for (std::size_t l = 0; l < h.layers(); ++l) {
    const std::vector<float> gw(h.weight_grad(l).begin(), h.weight_grad(l).end());
    const std::vector<float> gb(h.bias_grad(l).begin(), h.bias_grad(l).end());
    for (std::size_t i = 0; i < gw.size(); ++i)
      res.weights.compare(gw[i], float_difference(h.weight(l)[i], 1e-3, loss), 1e-6, 1e-5);
    for (std::size_t i = 0; i < gb.size(); ++i)
      res.biases.compare(gb[i], float_difference(h.bias(l)[i], 1e-3, loss), 1e-6, 1e-5);
  }
  REQUIRE(dx.size() == pref.size() + feat.size());
  std::vector<double> x = pref;
  x.insert(x.end(), feat.begin(), feat.end());
  const double hx = 1e-5;
  for (std::size_t i = 0; i < x.size(); ++i) {
    std::vector<double> xp = x, xm = x;
    xp[i] += hx;
    xm[i] -= hx;
    const double num = (L.value(h.forward(xp)) - L.value(h.forward(xm))) / (2 * hx);
    res.input.compare(dx[i], num, 1e-6, 1e-5);
  }
  return res;
}

}  // namespace hypernetwork_test

namespace hypernetwork_test {

TEST_CASE("hypernetwork: weight, bias and input gradients against central differences") {
  moo::rng r(11);
  for (const hidden_activation act : {hidden_activation::tanh, hidden_activation::relu}) {
    for (const std::vector<std::size_t>& hidden : {std::vector<std::size_t>{7, 5}, std::vector<std::size_t>{}}) {
      CAPTURE(nas::modnas::to_string(act));
      CAPTURE(hidden.size());
      hypernetwork h({.objectives = 3, .device_features = 2, .hidden = hidden, .activation = act, .edges = 2,
                      .candidates = 4, .seed = 5});
      const std::vector<double> pref = {0.2, 0.5, 0.3}, feat = uniform_vector(2, r);
      const mlp_fd res = check_mlp(h, pref, feat, r);
      MESSAGE(nas::modnas::to_string(act), " hidden layers ", hidden.size(), ": max error weights ",
              res.weights.max_err, ", biases ", res.biases.max_err, ", input ", res.input.max_err);
      CHECK(res.weights.checked == (hidden.empty() ? 5u * 8 : 5u * 7 + 7 * 5 + 5 * 8));
      CHECK(res.weights.failed == 0);
      CHECK(res.biases.failed == 0);
      CHECK(res.input.checked == 5);
      CHECK(res.input.failed == 0);
    }
  }
}

TEST_CASE("hypernetwork: forward matches a direct evaluation; gradients accumulate until zero_grad") {
  hypernetwork h({.objectives = 2, .device_features = 1, .hidden = {3}, .activation = hidden_activation::tanh,
                  .edges = 1, .candidates = 2, .seed = 3});
  const std::vector<double> x = {0.7, 0.3, -0.4};
  std::vector<double> a1(3);
  for (std::size_t o = 0; o < 3; ++o) {
    double s = h.bias(0)[o];
    for (std::size_t i = 0; i < 3; ++i) s += double(h.weight(0)[o * 3 + i]) * x[i];
    a1[o] = std::tanh(s);
  }
  const std::vector<double>& alpha = h.forward({x.data(), 2}, {x.data() + 2, 1});
  REQUIRE(alpha.size() == 2);
  for (std::size_t o = 0; o < 2; ++o) {
    double s = h.bias(1)[o];
    for (std::size_t i = 0; i < 3; ++i) s += double(h.weight(1)[o * 3 + i]) * a1[i];
    CHECK(alpha[o] == doctest::Approx(s).epsilon(1e-12));
  }
  CHECK(h.edge_alpha(0).size() == 2);
  CHECK(h.edge_alpha(0)[1] == alpha[1]);

  const std::vector<double> da = {0.5, -1.5};
  h.zero_grad();
  h.backward(da);
  const std::vector<float> once(h.weight_grad(0).begin(), h.weight_grad(0).end());
  h.backward(da);
  for (std::size_t i = 0; i < once.size(); ++i) CHECK(h.weight_grad(0)[i] == doctest::Approx(2.0 * once[i]));
  h.zero_grad();
  for (std::size_t l = 0; l < h.layers(); ++l) {
    for (float g : h.weight_grad(l)) CHECK(g == 0.0f);
    for (float g : h.bias_grad(l)) CHECK(g == 0.0f);
  }
}

// A DARTS node: y = op_0(x) + op_1(x), two edges reading x, each a mixed operation whose alpha is the
// hypernetwork's edge_alpha(e); loss = sum(R * y). dL/dalpha of edge e is op_e.alpha_grad(), gathered
// edge-major into the hypernetwork's backward. Checked against central differences of the whole chain in
// every hypernetwork weight and bias and in the preference.
TEST_CASE("hypernetwork: chain through softmax mixed operations against central differences") {
  using nas::modnas::candidate;
  using nas::modnas::mixed_op;
  using nas::train::tensor;
  moo::rng r(23);
  const std::vector<candidate> cands = {candidate::zero, candidate::skip, candidate::max_pool_3x3,
                                        candidate::conv_3x3};
  for (const double tau : {1.0, 0.5}) {
    CAPTURE(tau);
    std::vector<mixed_op> ops;
    for (std::size_t e = 0; e < 2; ++e)
      ops.emplace_back(nas::modnas::mixed_op_options{.channels = 2, .candidates = cands, .temperature = tau,
                                                     .name = "edge" + std::to_string(e)},
                       r);
    hypernetwork h({.objectives = 2, .device_features = 2, .hidden = {6}, .activation = hidden_activation::tanh,
                    .edges = 2, .candidates = cands.size(), .seed = 17});
    tensor x = nas::train::zeros({1, 2, 4, 4});
    for (auto& v : x) v = static_cast<float>(r.uniform(-1.0, 1.0));
    tensor proj = nas::train::zeros({1, 2, 4, 4});
    for (auto& v : proj) v = static_cast<float>(r.uniform(-1.0, 1.0));
    std::vector<double> pref = {0.3, 0.7};
    const std::vector<double> feat = {0.5, -0.2};
    const tensor* in = &x;

    auto loss = [&] {
      h.forward(pref, feat);
      double s = 0.0;
      for (std::size_t e = 0; e < ops.size(); ++e) {
        ops[e].set_alpha(h.edge_alpha(e));
        tensor y;
        ops[e].forward({&in, 1}, y);
        for (std::size_t i = 0; i < y.size(); ++i) s += double(y.data()[i]) * double(proj.data()[i]);
      }
      return s;
    };

    // Analytic: forward, each edge's backward from dL/dy = R, gather alpha_grad, hypernetwork backward.
    loss();
    std::vector<double> da;
    for (mixed_op& op : ops) {
      tensor y, dx;
      op.forward({&in, 1}, y);
      tensor* gin = &dx;
      op.backward({&in, 1}, y, proj, {&gin, 1});
      da.insert(da.end(), op.alpha_grad().begin(), op.alpha_grad().end());
    }
    h.zero_grad();
    const std::vector<double> dinput = h.backward(da);

    fd_check w, p;
    for (std::size_t l = 0; l < h.layers(); ++l) {
      const std::vector<float> gw(h.weight_grad(l).begin(), h.weight_grad(l).end());
      const std::vector<float> gb(h.bias_grad(l).begin(), h.bias_grad(l).end());
      for (std::size_t i = 0; i < gw.size(); ++i) w.compare(gw[i], float_difference(h.weight(l)[i], 1e-2, loss), 2e-4, 2e-4);
      for (std::size_t i = 0; i < gb.size(); ++i) w.compare(gb[i], float_difference(h.bias(l)[i], 1e-2, loss), 2e-4, 2e-4);
    }
    for (std::size_t i = 0; i < pref.size(); ++i) {
      const double old = pref[i];
      pref[i] = old + 1e-2;
      const double lp = loss();
      pref[i] = old - 1e-2;
      const double lm = loss();
      pref[i] = old;
      p.compare(dinput[i], (lp - lm) / 2e-2, 2e-4, 2e-4);
    }
    MESSAGE("tau ", tau, ": max error hypernetwork parameters ", w.max_err, ", preference ", p.max_err);
    CHECK(w.checked == h.parameter_count());
    CHECK(w.failed == 0);
    CHECK(p.failed == 0);
    // The gradient is not trivially zero.
    double norm = 0.0;
    for (double g : da) norm += g * g;
    CHECK(norm > 1e-6);
  }
}

TEST_CASE("hypernetwork: parameters() drive nas::train::sgd toward a target alpha") {
  hypernetwork h({.objectives = 2, .device_features = 1, .hidden = {8}, .edges = 2, .candidates = 3, .seed = 2});
  const auto params = h.parameters();
  REQUIRE(params.size() == 4);
  CHECK(params[0].name == "hypernetwork.layer0.weight");
  CHECK(params[3].name == "hypernetwork.layer1.bias");
  CHECK(params[0].decay);
  CHECK_FALSE(params[1].decay);
  std::size_t n = 0;
  for (const auto& p : params) n += p.value.size();
  CHECK(n == h.parameter_count());
  CHECK(n == 3u * 8 + 8 + 8 * 6 + 6);

  const std::vector<double> pref = {0.6, 0.4}, feat = {1.0}, target = {1, -1, 0, 0.5, 0.5, -2};
  auto objective = [&] {
    const auto& a = h.forward(pref, feat);
    double s = 0.0;
    for (std::size_t j = 0; j < a.size(); ++j) s += 0.5 * (a[j] - target[j]) * (a[j] - target[j]);
    return s;
  };
  nas::train::sgd opt({.lr = 0.05, .momentum = 0.9});
  const double first = objective();
  for (int step = 0; step < 100; ++step) {
    const auto& a = h.forward(pref, feat);
    std::vector<double> g(a.size());
    for (std::size_t j = 0; j < a.size(); ++j) g[j] = a[j] - target[j];
    h.zero_grad();
    h.backward(g);
    auto ps = h.parameters();
    opt.step(ps);
  }
  const double last = objective();
  MESSAGE("0.5 |alpha - target|^2: ", first, " -> ", last, " after 100 SGD steps");
  CHECK(last < 1e-3 * first);
}

TEST_CASE("hypernetwork: deterministic initialisation within PyTorch's bounds; output_scale") {
  const hypernetwork_options o{.objectives = 3, .device_features = 4, .hidden = {16, 9}, .edges = 3, .candidates = 5, .seed = 42};
  hypernetwork a(o), b(o);
  hypernetwork_options o2 = o;
  o2.seed = 43;
  hypernetwork c(o2);
  hypernetwork_options o3 = o;
  o3.output_scale = 0.01;
  hypernetwork d(o3);
  bool differs = false;
  const std::array<std::size_t, 3> fan_in = {7, 16, 9};
  for (std::size_t l = 0; l < a.layers(); ++l) {
    CHECK(std::equal(a.weight(l).begin(), a.weight(l).end(), b.weight(l).begin(), b.weight(l).end()));
    CHECK(std::equal(a.bias(l).begin(), a.bias(l).end(), b.bias(l).begin(), b.bias(l).end()));
    differs = differs || !std::equal(a.weight(l).begin(), a.weight(l).end(), c.weight(l).begin());
    const double bound = 1.0 / std::sqrt(double(fan_in[l]));
    for (float v : a.weight(l)) CHECK(std::abs(v) <= bound);
    for (float v : a.bias(l)) CHECK(std::abs(v) <= bound);
  }
  CHECK(differs);
  // Same draws, the last layer scaled.
  for (std::size_t i = 0; i < a.weight(2).size(); ++i)
    CHECK(d.weight(2)[i] == doctest::Approx(0.01 * a.weight(2)[i]));
  CHECK(std::equal(a.weight(0).begin(), a.weight(0).end(), d.weight(0).begin()));
}

TEST_CASE("hypernetwork: save and load round trip; corrupt files are rejected") {
  hypernetwork h({.objectives = 2, .device_features = 3, .hidden = {5, 4}, .activation = hidden_activation::tanh,
                  .edges = 2, .candidates = 6, .output_scale = 0.5, .seed = 9, .name = "hn"});
  h.weight(1)[3] = 0.125f;  // not the initialisation: the file must carry the weights
  const std::string bytes = nas::modnas::hypernetwork_to_bytes(h);
  hypernetwork g = nas::modnas::hypernetwork_from_bytes(bytes);
  CHECK(g.options().name == "hn");
  CHECK(g.options().activation == hidden_activation::tanh);
  CHECK(g.options().hidden == std::vector<std::size_t>{5, 4});
  CHECK(g.options().output_scale == 0.5);
  CHECK(g.weight(1)[3] == 0.125f);
  CHECK(nas::modnas::hypernetwork_to_bytes(g) == bytes);
  const std::vector<double> pref = {0.1, 0.9}, feat = {1, 2, 3};
  const std::vector<double> ah = h.forward(pref, feat), ag = g.forward(pref, feat);
  CHECK(ah == ag);

  test_support::temp_dir dir("modnas_hypernetwork");
  nas::modnas::save_hypernetwork(h, dir / "h.bin");
  CHECK(nas::modnas::hypernetwork_to_bytes(nas::modnas::load_hypernetwork(dir / "h.bin")) == bytes);

  using test_support::error_of;
  std::string bad = bytes;
  bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x10);
  CHECK(error_of<moo::io_error>([&] { nas::modnas::hypernetwork_from_bytes(bad, "x.bin"); }).find("checksum") != std::string::npos);
  CHECK(error_of<moo::io_error>([&] { nas::modnas::hypernetwork_from_bytes(bytes.substr(0, 10), "x.bin"); }).find("x.bin") !=
        std::string::npos);
  bad = bytes;
  bad[0] = 'X';
  CHECK(error_of<moo::io_error>([&] { nas::modnas::hypernetwork_from_bytes(bad); }).find("bad magic") != std::string::npos);
  CHECK(error_of<moo::io_error>([&] { nas::modnas::load_hypernetwork(dir / "missing.bin"); }).find("missing.bin") !=
        std::string::npos);
  // Every truncation is an io_error, never a crash or another exception.
  for (std::size_t n = 0; n < bytes.size(); ++n)
    CHECK_THROWS_AS(nas::modnas::hypernetwork_from_bytes(bytes.substr(0, n)), moo::io_error);
}

TEST_CASE("hypernetwork: input and gradient sizes are checked, naming the sizes") {
  using test_support::error_of;
  hypernetwork h({.objectives = 2, .device_features = 3, .hidden = {4}, .edges = 2, .candidates = 6});
  const std::vector<double> p3 = {0.2, 0.3, 0.5}, p2 = {0.5, 0.5}, f3 = {1, 2, 3}, f2 = {1, 2};
  std::string m = error_of<moo::dimension_error>([&] { h.forward(p3, f3); });
  CHECK(m.find("3 values, expected 2") != std::string::npos);
  m = error_of<moo::dimension_error>([&] { h.forward(p2, f2); });
  CHECK(m.find("2 values, expected 3") != std::string::npos);
  m = error_of<moo::dimension_error>([&] { h.forward(std::vector<double>(4, 0.0)); });
  CHECK(m.find("4 values, expected 5") != std::string::npos);
  CHECK(error_of<moo::value_error>([&] { h.backward(std::vector<double>(12, 0.0)); }).find("before forward") != std::string::npos);
  CHECK(error_of<moo::value_error>([&] { h.forward(p2, std::vector<double>{1, NAN, 3}); }).find("input value 3") !=
        std::string::npos);
  h.forward(p2, f3);
  m = error_of<moo::dimension_error>([&] { h.backward(std::vector<double>(11, 0.0)); });
  CHECK(m.find("11 values, expected 12 (2 edges x 6 candidates)") != std::string::npos);
  CHECK_THROWS_AS(h.edge_alpha(2), moo::value_error);
  CHECK_THROWS_AS((hypernetwork({.objectives = 0})), moo::value_error);
  CHECK_THROWS_AS((hypernetwork({.hidden = {3, 0}})), moo::value_error);
  CHECK_THROWS_AS((hypernetwork({.edges = 0})), moo::value_error);
  CHECK_THROWS_AS((hypernetwork({.output_scale = -1.0})), moo::value_error);
}

}  // namespace hypernetwork_test
