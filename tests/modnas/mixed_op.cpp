// The mixed operation of MODNAS's super-network: its forward pass against direct references of every
// candidate, its gradients (input, candidate weights, architecture parameters) against central finite
// differences in softmax and straight-through Gumbel modes, the softmax Jacobian, and the straight-through
// gradient against the soft one.
//
// Finite differences as in tests/train/gradients.cpp: loss = sum(R * y) for a fixed random R, accumulated
// in double; step h = 1e-2 on inputs and weights of magnitude ~1; per entry |analytic - numeric| <=
// 5e-4 + 5e-4 |numeric| (float32 forward passes; the loss is linear in every weight, and in x away from
// the ReLU and max-pool kinks: inputs are distinct values 0.05 apart and at least 0.025 from 0, so a step
// of 0.01 changes no ReLU sign and no window's winner). alpha: the loss is smooth in alpha and computed
// from float outputs, so h = 1e-3 with tolerance 1e-3 (1 + |numeric|); observed errors are printed.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "moo/core/rng.hpp"
#include "nas/modnas/mixed_op.hpp"
#include "nas/train/layer.hpp"
#include "support.hpp"

namespace mixed_op_test {

using nas::modnas::candidate;
using nas::modnas::mixed_op;
using nas::modnas::mixing;
using nas::train::shape4;
using nas::train::tensor;

static_assert(nas::train::layer_type<mixed_op>);

tensor random_tensor(const shape4& s, moo::rng& r) {
  tensor t = nas::train::zeros(s);
  for (auto& v : t) v = static_cast<float>(r.uniform(-1.0, 1.0));
  return t;
}

// Distinct values 0.05 apart, in random order, none closer than 0.025 to 0 (see the file comment).
tensor kink_free(const shape4& s, moo::rng& r) {
  tensor t = nas::train::zeros(s);
  std::vector<std::size_t> idx(t.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  r.shuffle(idx.begin(), idx.end());
  const double n = static_cast<double>(idx.size());
  for (std::size_t i = 0; i < idx.size(); ++i)
    t.data()[idx[i]] = static_cast<float>(0.05 * static_cast<double>(i) - 0.05 * (n / 2.0) + 0.025);
  return t;
}

double projected(const tensor& y, const tensor& r) {
  double s = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) s += static_cast<double>(y.data()[i]) * r.data()[i];
  return s;
}

struct fd_stats {
  double max_err = 0.0;
  std::size_t checked = 0, failed = 0;
  void compare(double analytic, double numeric, double abs_tol, double rel_tol) {
    const double err = std::abs(analytic - numeric);
    max_err = std::max(max_err, err / (1.0 + std::abs(numeric)));
    ++checked;
    if (err > abs_tol + rel_tol * std::abs(numeric)) ++failed;
  }
};

struct fd_result {
  fd_stats x, weights, alpha;
};

// Analytic gradients of loss = sum(R * op(x)) against central differences in x, every candidate weight and
// (if check_alpha) alpha.
fd_result check_gradients(mixed_op& op, tensor x, moo::rng& r, bool check_alpha) {
  const tensor* in = &x;
  tensor y;
  op.forward({&in, 1}, y);
  const tensor proj = random_tensor(nas::train::shape_of(y), r);
  tensor dx;
  tensor* gin = &dx;
  op.backward({&in, 1}, y, proj, {&gin, 1});
  const std::vector<double> da = op.alpha_grad();
  auto loss = [&] {
    tensor out;
    op.forward({&in, 1}, out);
    return projected(out, proj);
  };
  fd_result res;
  const double h = 1e-2;
  REQUIRE(nas::train::shape_of(dx) == nas::train::shape_of(x));
  for (std::size_t i = 0; i < x.size(); ++i) {
    float& v = x.data()[i];
    const float old = v;
    v = static_cast<float>(old + h);
    const double lp = loss();
    v = static_cast<float>(old - h);
    const double lm = loss();
    v = old;
    res.x.compare(dx.data()[i], (lp - lm) / (2 * h), 5e-4, 5e-4);
  }
  for (auto& p : op.parameters()) {
    const std::vector<float> g(p.grad.begin(), p.grad.end());
    for (std::size_t i = 0; i < p.value.size(); ++i) {
      const float old = p.value[i];
      p.value[i] = static_cast<float>(old + h);
      const double lp = loss();
      p.value[i] = static_cast<float>(old - h);
      const double lm = loss();
      p.value[i] = old;
      res.weights.compare(g[i], (lp - lm) / (2 * h), 5e-4, 5e-4);
    }
  }
  if (check_alpha) {
    std::vector<double> a = op.alpha();
    const double ha = 1e-3;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const double old = a[i];
      a[i] = old + ha;
      op.set_alpha(a);
      const double lp = loss();
      a[i] = old - ha;
      op.set_alpha(a);
      const double lm = loss();
      a[i] = old;
      op.set_alpha(a);
      res.alpha.compare(da[i], (lp - lm) / (2 * ha), 1e-3, 1e-3);
    }
  }
  return res;
}

// Direct references in double, one image-plane loop each.
double at(const tensor& t, std::size_t n, std::size_t c, std::ptrdiff_t i, std::ptrdiff_t j) {
  const shape4 s = nas::train::shape_of(t);
  if (i < 0 || j < 0 || i >= std::ptrdiff_t(s[2]) || j >= std::ptrdiff_t(s[3])) return 0.0;
  return t(n, c, std::size_t(i), std::size_t(j));
}

tensor relu_of(const tensor& x) {
  tensor y = x;
  for (auto& v : y) v = std::max(v, 0.0f);
  return y;
}

// Dense or depthwise k x k "same" convolution with weight (out, in / groups, k, k) and bias.
tensor conv_ref(const tensor& x, const nas::train::parameter_ref& w, const nas::train::parameter_ref& b,
                std::size_t cout, std::size_t k, bool depthwise) {
  const shape4 s = nas::train::shape_of(x);
  tensor y = nas::train::zeros({s[0], cout, s[2], s[3]});
  const std::size_t cin = s[1], per = depthwise ? 1 : cin;
  const std::ptrdiff_t p = std::ptrdiff_t(k / 2);
  for (std::size_t n = 0; n < s[0]; ++n)
    for (std::size_t o = 0; o < cout; ++o)
      for (std::size_t i = 0; i < s[2]; ++i)
        for (std::size_t j = 0; j < s[3]; ++j) {
          double acc = b.value[o];
          for (std::size_t ci = 0; ci < per; ++ci) {
            const std::size_t c = depthwise ? o : ci;
            for (std::size_t u = 0; u < k; ++u)
              for (std::size_t v = 0; v < k; ++v)
                acc += w.value[((o * per + ci) * k + u) * k + v] *
                       at(x, n, c, std::ptrdiff_t(i) + std::ptrdiff_t(u) - p, std::ptrdiff_t(j) + std::ptrdiff_t(v) - p);
          }
          y(n, o, i, j) = static_cast<float>(acc);
        }
  return y;
}

tensor max_pool_ref(const tensor& x) {
  const shape4 s = nas::train::shape_of(x);
  tensor y = nas::train::zeros(s);
  for (std::size_t n = 0; n < s[0]; ++n)
    for (std::size_t c = 0; c < s[1]; ++c)
      for (std::size_t i = 0; i < s[2]; ++i)
        for (std::size_t j = 0; j < s[3]; ++j) {
          float m = -std::numeric_limits<float>::infinity();
          for (int u = -1; u <= 1; ++u)
            for (int v = -1; v <= 1; ++v) {
              const std::ptrdiff_t a = std::ptrdiff_t(i) + u, bb = std::ptrdiff_t(j) + v;
              if (a >= 0 && bb >= 0 && a < std::ptrdiff_t(s[2]) && bb < std::ptrdiff_t(s[3]))
                m = std::max(m, x(n, c, std::size_t(a), std::size_t(bb)));
            }
          y(n, c, i, j) = m;
        }
  return y;
}

std::vector<double> random_alpha(std::size_t k, moo::rng& r) {
  std::vector<double> a(k);
  for (double& v : a) v = r.uniform(-1.0, 1.0);
  return a;
}

}  // namespace mixed_op_test

using namespace mixed_op_test;

TEST_CASE("mixed_op: softmax and its Jacobian against central differences") {
  const std::uint64_t seed = 17;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  for (double tau : {1.0, 0.5, 3.0}) {
    const std::vector<double> z = random_alpha(5, r);
    const auto s = nas::modnas::softmax(z, tau);
    double sum = 0.0;
    for (double v : s) sum += v;
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-14));
    // Shift invariance.
    std::vector<double> shifted = z;
    for (double& v : shifted) v += 100.0;
    const auto s2 = nas::modnas::softmax(shifted, tau);
    for (std::size_t i = 0; i < 5; ++i) CHECK(s2[i] == doctest::Approx(s[i]).epsilon(1e-12));
    // J_ij = ds_i / dz_j by central differences (double, h = 1e-6) against s_i (delta_ij - s_j) / tau, and
    // softmax_backward(s, g) against J^T g.
    const std::vector<double> g = random_alpha(5, r);
    for (std::size_t j = 0; j < 5; ++j) {
      std::vector<double> zp = z, zm = z;
      zp[j] += 1e-6;
      zm[j] -= 1e-6;
      const auto sp = nas::modnas::softmax(zp, tau), sm = nas::modnas::softmax(zm, tau);
      double jtg = 0.0;
      for (std::size_t i = 0; i < 5; ++i) {
        const double numeric = (sp[i] - sm[i]) / 2e-6;
        const double analytic = s[i] * ((i == j ? 1.0 : 0.0) - s[j]) / tau;
        CHECK(analytic == doctest::Approx(numeric).scale(1.0).epsilon(1e-8));
        jtg += numeric * g[i];
      }
      CHECK(nas::modnas::softmax_backward(s, g, tau)[j] == doctest::Approx(jtg).scale(1.0).epsilon(1e-8));
    }
  }
  // Large logits do not overflow.
  const std::vector<double> big{1000.0, 999.0};
  const auto sb = nas::modnas::softmax(big);
  CHECK(sb[0] == doctest::Approx(1.0 / (1.0 + std::exp(-1.0))));
}

TEST_CASE("mixed_op: forward is sum_i w_i op_i(x) against direct references of every candidate") {
  const std::uint64_t seed = 3;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  mixed_op op({.channels = 3, .name = "e0"}, r);
  REQUIRE(op.size() == 6);
  const std::vector<double> alpha = random_alpha(6, r);
  op.set_alpha(alpha);
  const tensor x = random_tensor({2, 3, 5, 6}, r);
  const tensor* in = &x;
  tensor y;
  op.forward({&in, 1}, y);
  REQUIRE(nas::train::shape_of(y) == shape4{2, 3, 5, 6});
  // parameters(): conv_3x3 weight, bias; conv_5x5 weight, bias; sep_conv depthwise weight, bias, pointwise
  // weight, bias.
  auto p = op.parameters();
  REQUIRE(p.size() == 8);
  CHECK(p[0].name == "e0.conv_3x3.weight");
  CHECK(p[4].name == "e0.sep_conv_3x3.depthwise.weight");
  const tensor xr = relu_of(x);
  std::vector<tensor> ref(6);
  ref[1] = x;
  ref[2] = max_pool_ref(x);
  ref[3] = conv_ref(xr, p[0], p[1], 3, 3, false);
  ref[4] = conv_ref(xr, p[2], p[3], 3, 5, false);
  ref[5] = conv_ref(conv_ref(xr, p[4], p[5], 3, 3, true), p[6], p[7], 3, 1, false);
  const auto w = nas::modnas::softmax(alpha);
  double max_err = 0.0;
  for (std::size_t i = 1; i < 6; ++i)
    for (std::size_t e = 0; e < x.size(); ++e)
      max_err = std::max(max_err, std::abs(double(op.candidate_output(i).data()[e]) - ref[i].data()[e]));
  CHECK(max_err < 1e-5);
  double out_err = 0.0;
  for (std::size_t e = 0; e < x.size(); ++e) {
    double v = 0.0;
    for (std::size_t i = 1; i < 6; ++i) v += w[i] * ref[i].data()[e];
    out_err = std::max(out_err, std::abs(v - y.data()[e]));
  }
  CHECK(out_err < 1e-5);
  // Held in a nas::train::layer, it computes the same.
  nas::train::layer l = op;
  tensor y2;
  l.forward({&in, 1}, y2);
  CHECK(y2 == y);
  CHECK(l.kind() == "mixed_op");
}

TEST_CASE("mixed_op: softmax-mode gradients of x, candidate weights and alpha against finite differences") {
  const std::uint64_t seed = 20250101;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  for (double tau : {1.0, 0.4}) {
    mixed_op op({.channels = 2, .temperature = tau}, r);
    op.set_alpha(random_alpha(op.size(), r));
    const auto res = check_gradients(op, kink_free({2, 2, 4, 5}, r), r, true);
    MESSAGE("tau ", tau, ": max relative errors x ", res.x.max_err, ", weights ", res.weights.max_err, ", alpha ",
            res.alpha.max_err);
    CHECK(res.x.checked == 80);
    CHECK(res.x.failed == 0);
    CHECK(res.weights.checked == 2 * 2 * 9 + 2 + 2 * 2 * 25 + 2 + 2 * 9 + 2 + 2 * 2 + 2);
    CHECK(res.weights.failed == 0);
    CHECK(res.alpha.checked == 6);
    CHECK(res.alpha.failed == 0);
  }
  // dL/dw_i = <dL/dy, op_i(x)>, and the zero candidate's is 0.
  mixed_op op({.channels = 2}, r);
  const tensor x = random_tensor({1, 2, 3, 3}, r);
  const tensor* in = &x;
  tensor y;
  op.forward({&in, 1}, y);
  const tensor g = random_tensor({1, 2, 3, 3}, r);
  op.backward({&in, 1}, y, g, {});
  CHECK(op.weight_grad()[0] == 0.0);
  CHECK(op.weight_grad()[1] == doctest::Approx(projected(x, g)));
  CHECK(op.weight_grad()[3] == doctest::Approx(projected(op.candidate_output(3), g)));
}

TEST_CASE("mixed_op: a subset of candidates") {
  moo::rng r(8);
  mixed_op op({.channels = 2, .candidates = {candidate::skip, candidate::sep_conv_3x3, candidate::zero}}, r);
  op.set_alpha(std::vector<double>{0.3, -0.2, 0.1});
  const auto res = check_gradients(op, kink_free({1, 2, 4, 4}, r), r, true);
  CHECK(res.x.failed == 0);
  CHECK(res.weights.failed == 0);
  CHECK(res.alpha.failed == 0);
  CHECK(res.weights.checked == 2 * 9 + 2 + 2 * 2 + 2);
}

TEST_CASE("mixed_op: straight-through Gumbel: hard forward, soft alpha gradient") {
  const std::uint64_t seed = 555;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  std::vector<std::size_t> seen(6, 0);
  for (int trial = 0; trial < 12; ++trial) {
    INFO("trial ", trial);
    mixed_op op({.channels = 2, .mode = mixing::straight_through_gumbel, .temperature = 0.7}, r);
    // Candidate trial % 6 gets a head start, so that every candidate is selected in some trial.
    std::vector<double> alpha = random_alpha(op.size(), r);
    alpha[static_cast<std::size_t>(trial) % 6] += 4.0;
    op.set_alpha(alpha);
    op.sample(r);
    const std::size_t k = op.selected();
    ++seen[k];
    // The forward weights are one-hot at argmax(alpha + g); the soft weights are softmax((alpha + g) / tau).
    std::vector<double> z = op.alpha();
    for (std::size_t i = 0; i < z.size(); ++i) z[i] += op.gumbel_noise()[i];
    CHECK(k == static_cast<std::size_t>(std::max_element(z.begin(), z.end()) - z.begin()));
    for (std::size_t i = 0; i < 6; ++i) CHECK(op.weights()[i] == (i == k ? 1.0 : 0.0));
    const auto soft = nas::modnas::softmax(z, 0.7);
    for (std::size_t i = 0; i < 6; ++i) CHECK(op.soft_weights()[i] == doctest::Approx(soft[i]).epsilon(1e-14));

    const tensor x = kink_free({1, 2, 4, 4}, r);
    const tensor* in = &x;
    tensor y;
    op.forward({&in, 1}, y);
    if (k == 0) {
      for (float v : y) CHECK(v == 0.0f);
    } else {
      CHECK(y == op.candidate_output(k));  // exactly the selected candidate's output
    }
    const tensor g = random_tensor(nas::train::shape_of(y), r);
    tensor dx;
    tensor* gin = &dx;
    op.backward({&in, 1}, y, g, {&gin, 1});
    // The straight-through alpha gradient equals the softmax-mode gradient at logits alpha + g.
    mixed_op soft_op = op;
    soft_op.set_mixing(mixing::softmax);
    soft_op.set_alpha(z);
    tensor ys, dxs;
    soft_op.forward({&in, 1}, ys);
    tensor* gins = &dxs;
    soft_op.backward({&in, 1}, ys, g, {&gins, 1});
    for (std::size_t i = 0; i < 6; ++i) {
      CHECK(op.weight_grad()[i] == soft_op.weight_grad()[i]);
      CHECK(op.alpha_grad()[i] == doctest::Approx(soft_op.alpha_grad()[i]).scale(1.0).epsilon(1e-12));
    }
    // ... and is J_s^T dL/dw written out.
    const auto expect = nas::modnas::softmax_backward(soft, op.weight_grad(), 0.7);
    for (std::size_t i = 0; i < 6; ++i) CHECK(op.alpha_grad()[i] == doctest::Approx(expect[i]).scale(1.0).epsilon(1e-12));
    // Unselected candidates get zero weight gradients.
    std::size_t pi = 0;
    const std::vector<std::size_t> owner{3, 3, 4, 4, 5, 5, 5, 5};  // candidate of each parameter
    for (auto& p : op.parameters()) {
      if (owner[pi] != k)
        for (float v : p.grad) CHECK(v == 0.0f);
      ++pi;
    }
    // x and the weights against finite differences of the hard forward pass (alpha's true derivative is
    // 0 almost everywhere: the straight-through gradient is not checked by differences).
    const auto res = check_gradients(op, x, r, false);
    CHECK(res.x.failed == 0);
    CHECK(res.weights.failed == 0);
  }
  MESSAGE("selected candidates: ", seen[0], " ", seen[1], " ", seen[2], " ", seen[3], " ", seen[4], " ", seen[5]);
  for (std::size_t i = 0; i < 6; ++i) CHECK(seen[i] > 0);
}

TEST_CASE("mixed_op: Gumbel-max samples follow softmax(alpha)") {
  // P(argmax(alpha + g) = i) = softmax(alpha)_i whatever tau is (the Gumbel-max trick).
  const std::uint64_t seed = 99;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  mixed_op op({.channels = 1, .mode = mixing::straight_through_gumbel, .temperature = 2.0}, r);
  const std::vector<double> alpha{0.5, -1.0, 0.0, 1.2, -0.3, 0.7};
  op.set_alpha(alpha);
  const auto p = nas::modnas::softmax(alpha);
  const int n = 20000;
  std::vector<int> count(6, 0);
  for (int t = 0; t < n; ++t) {
    op.sample(r);
    ++count[op.selected()];
  }
  for (std::size_t i = 0; i < 6; ++i) {
    const double sd = std::sqrt(p[i] * (1 - p[i]) / n);
    INFO("candidate ", i, ": ", count[i], " of ", n, ", expected p = ", p[i]);
    CHECK(std::abs(count[i] / double(n) - p[i]) < 4.5 * sd);
  }
  // Softmax mode ignores sample().
  mixed_op soft({.channels = 1}, r);
  soft.set_alpha(alpha);
  const auto before = soft.weights();
  soft.sample(r);
  CHECK(soft.weights() == before);
  CHECK(soft.gumbel_noise() == std::vector<double>(6, 0.0));
}

TEST_CASE("mixed_op: errors") {
  using test_support::error_of;
  moo::rng r(1);
  CHECK(error_of<moo::value_error>([&] { mixed_op({.channels = 0}, r); }) == "mixed_op: channels must be positive");
  CHECK(error_of<moo::value_error>([&] { mixed_op({.channels = 2, .candidates = {}, .name = "e1"}, r); }) ==
        "mixed_op 'e1': no candidate operations");
  CHECK(error_of<moo::value_error>([&] { mixed_op({.channels = 2, .temperature = 0.0}, r); }) ==
        "mixed_op: temperature 0 must be positive");
  mixed_op op({.channels = 2}, r);
  CHECK(error_of<moo::dimension_error>([&] { op.set_alpha(std::vector<double>{1, 2}); }) ==
        "mixed_op: 2 architecture parameters for 6 candidates");
  CHECK(error_of<moo::value_error>([&] {
          op.set_alpha(std::vector<double>{0, 0, std::numeric_limits<double>::quiet_NaN(), 0, 0, 0});
        }) == "mixed_op: architecture parameter 2 (max_pool_3x3) is nan");
  const tensor x = nas::train::zeros({1, 3, 4, 4});
  const tensor* in = &x;
  tensor y;
  CHECK(error_of<nas::train::shape_error>([&] { op.forward({&in, 1}, y); }) ==
        "mixed_op: input shape [1, 3, 4, 4] has 3 channels, the layer expects [N, 2, H, W]");
}
