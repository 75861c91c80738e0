// Every layer's forward pass against a direct reference and its backward pass against central finite
// differences; the losses' gradients likewise; the GEMM kernel against a naive product.
//
// Finite differences: loss = sum(R * y) for a fixed random R, accumulated in double; step h = 1e-2 on
// inputs and weights of magnitude ~1. Tolerance: |analytic - numeric| <= 5e-4 + 5e-4 * |numeric| per
// entry (float32 forward passes; layers linear in the perturbed value have no truncation error, batch
// norm's is O(h^2)); the observed maximum is ~4e-5. Inputs of ReLU and max pooling are kept further than
// h from their kinks. Losses: h = 1e-3, absolute tolerance 1e-4 (observed ~2e-5).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "moo/core/rng.hpp"
#include "nas/train/gemm.hpp"
#include "nas/train/layer.hpp"
#include "nas/train/loss.hpp"
#include "nas/train/network.hpp"
#include "nas/train/parallel.hpp"

using namespace nas::train;

namespace {

constexpr std::uint64_t seed = 20240611;

tensor random_tensor(const shape4& s, moo::rng& r, double scale = 1.0) {
  tensor t = zeros(s);
  for (auto& v : t) v = static_cast<float>(scale * r.uniform(-1.0, 1.0));
  return t;
}

// Values whose magnitude is at least 0.2 (for ReLU: no input within h of the kink).
tensor away_from_zero(const shape4& s, moo::rng& r) {
  tensor t = zeros(s);
  for (auto& v : t) v = static_cast<float>((r.bernoulli(0.5) ? 1.0 : -1.0) * r.uniform(0.2, 1.0));
  return t;
}

// Distinct values 0.05 apart in random order (for max pooling: every window has a clear winner).
tensor distinct_values(const shape4& s, moo::rng& r) {
  tensor t = zeros(s);
  std::vector<std::size_t> idx(t.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  r.shuffle(idx.begin(), idx.end());
  for (std::size_t i = 0; i < idx.size(); ++i) t.data()[idx[i]] = 0.05f * static_cast<float>(i) - 0.025f * static_cast<float>(idx.size());
  return t;
}

double projected(const tensor& y, const tensor& r) {
  double s = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) s += static_cast<double>(y.data()[i]) * r.data()[i];
  return s;
}

struct grad_stats {
  double max_err = 0.0;
  std::size_t checked = 0;
  std::size_t failed = 0;
};

void compare(double analytic, double numeric, grad_stats& st) {
  const double err = std::abs(analytic - numeric);
  st.max_err = std::max(st.max_err, err / (1.0 + std::abs(numeric)));
  ++st.checked;
  if (err > 5e-4 + 5e-4 * std::abs(numeric)) ++st.failed;
}

// Checks input and parameter gradients of l at the given inputs by central differences.
grad_stats check_layer(layer& l, std::vector<tensor> inputs, moo::rng& r, double h = 1e-2) {
  std::vector<const tensor*> in;
  for (auto& t : inputs) in.push_back(&t);
  tensor y;
  l.forward(in, y);
  const tensor proj = random_tensor(shape_of(y), r);
  std::vector<tensor> grads(inputs.size());
  std::vector<tensor*> gin;
  for (auto& g : grads) gin.push_back(&g);
  l.backward(in, y, proj, gin);
  auto loss = [&] {
    tensor out;
    l.forward(in, out);
    return projected(out, proj);
  };
  grad_stats st;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    REQUIRE(shape_of(grads[k]) == shape_of(inputs[k]));
    for (std::size_t i = 0; i < inputs[k].size(); ++i) {
      float& v = inputs[k].data()[i];
      const float old = v;
      v = static_cast<float>(old + h);
      const double lp = loss();
      v = static_cast<float>(old - h);
      const double lm = loss();
      v = old;
      compare(grads[k].data()[i], (lp - lm) / (2 * h), st);
    }
  }
  // Parameters: copy the analytic gradients first (forward passes below do not change them).
  auto params = l.parameters();
  for (auto& p : params) {
    const std::vector<float> g(p.grad.begin(), p.grad.end());
    for (std::size_t i = 0; i < p.value.size(); ++i) {
      const float old = p.value[i];
      p.value[i] = static_cast<float>(old + h);
      const double lp = loss();
      p.value[i] = static_cast<float>(old - h);
      const double lm = loss();
      p.value[i] = old;
      compare(g[i], (lp - lm) / (2 * h), st);
    }
  }
  return st;
}

// Direct convolution in double, the reference for conv2d's forward pass.
tensor reference_conv(const tensor& x, const conv2d& c) {
  const auto& o = c.options();
  const shape4 xs = shape_of(x);
  const shape4 ys = c.output_shape(std::span<const shape4>(&xs, 1));
  tensor y = zeros(ys);
  const std::size_t cg = o.in_channels / o.groups, og = o.out_channels / o.groups;
  for (std::size_t n = 0; n < ys[0]; ++n)
    for (std::size_t oc = 0; oc < ys[1]; ++oc)
      for (std::size_t oh = 0; oh < ys[2]; ++oh)
        for (std::size_t ow = 0; ow < ys[3]; ++ow) {
          double s = o.bias ? c.bias()(oc) : 0.0;
          const std::size_t g = oc / og;
          for (std::size_t ic = 0; ic < cg; ++ic)
            for (std::size_t kh = 0; kh < o.kernel; ++kh)
              for (std::size_t kw = 0; kw < o.kernel; ++kw) {
                const auto ih = std::ptrdiff_t(oh * o.stride + kh) - std::ptrdiff_t(o.padding);
                const auto iw = std::ptrdiff_t(ow * o.stride + kw) - std::ptrdiff_t(o.padding);
                if (ih < 0 || iw < 0 || ih >= std::ptrdiff_t(xs[2]) || iw >= std::ptrdiff_t(xs[3])) continue;
                s += double(c.weight()(oc, ic, kh, kw)) * x(n, g * cg + ic, std::size_t(ih), std::size_t(iw));
              }
          y(n, oc, oh, ow) = static_cast<float>(s);
        }
  return y;
}

double max_abs_diff(const tensor& a, const tensor& b) {
  REQUIRE(shape_of(a) == shape_of(b));
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a.data()[i]) - b.data()[i]));
  return m;
}

}  // namespace

TEST_CASE("gemm: own kernel and BLAS fallback match a naive product for all transposes and edge sizes") {
  std::printf("gradients tests: seed %llu\n", static_cast<unsigned long long>(seed));
  moo::rng r(seed);
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (int m : {1, 7, 8, 9, 33, 150})
        for (int n : {1, 15, 16, 17, 31, 33, 70})
          for (int k : {1, 5, 16, 17, 400}) {
            const int lda = ta ? m + 3 : k + 2, ldb = tb ? k + 1 : n + 5, ldc = n + 2;
            std::vector<float> a(std::size_t((ta ? k : m) * lda)), b(std::size_t((tb ? n : k) * ldb)),
                c(std::size_t(m * ldc)), c2;
            for (auto& v : a) v = float(r.uniform(-1, 1));
            for (auto& v : b) v = float(r.uniform(-1, 1));
            for (auto& v : c) v = float(r.uniform(-1, 1));
            c2 = c;
            const float beta = (m + n + k) % 3 == 0 ? 0.0f : (m + n + k) % 3 == 1 ? 1.0f : -0.5f;
            detail::sgemm(ta, tb, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
            detail::sgemm_blas(ta, tb, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, beta, c2.data(), ldc);
            double err = 0.0;
            for (int i = 0; i < m; ++i)
              for (int j = 0; j < n; ++j) err = std::max(err, double(std::abs(c[std::size_t(i * ldc + j)] - c2[std::size_t(i * ldc + j)])));
            CHECK_MESSAGE(err < 1e-4 * (1 + k), "ta=" << ta << " tb=" << tb << " m=" << m << " n=" << n << " k=" << k);
          }
}

TEST_CASE("conv2d: forward matches a direct convolution; backward matches finite differences") {
  moo::rng r(seed + 1);
  struct config {
    conv2d_options o;
    shape4 in;
  };
  const std::vector<config> configs = {
      {{.in_channels = 3, .out_channels = 4, .kernel = 3, .padding = 1}, {2, 3, 6, 5}},
      {{.in_channels = 2, .out_channels = 3, .kernel = 1}, {3, 2, 4, 4}},
      {{.in_channels = 2, .out_channels = 2, .kernel = 5, .padding = 2, .bias = false}, {1, 2, 7, 6}},
      {{.in_channels = 1, .out_channels = 2, .kernel = 7, .padding = 3}, {2, 1, 8, 8}},
      {{.in_channels = 3, .out_channels = 4, .kernel = 3, .stride = 2, .padding = 1}, {2, 3, 7, 7}},
      {{.in_channels = 4, .out_channels = 6, .kernel = 3, .padding = 1, .groups = 2}, {2, 4, 5, 5}},
      {{.in_channels = 4, .out_channels = 4, .kernel = 3, .padding = 1, .groups = 4}, {2, 4, 5, 6}},       // depthwise
      {{.in_channels = 3, .out_channels = 6, .kernel = 5, .stride = 2, .padding = 2, .groups = 3}, {1, 3, 9, 9}},
      {{.in_channels = 2, .out_channels = 3, .kernel = 3, .padding = 1}, {8, 2, 4, 4}},                   // multi-image chunks
  };
  for (const auto& [o, in] : configs) {
    CAPTURE(o.kernel);
    CAPTURE(o.stride);
    CAPTURE(o.groups);
    conv2d c(o, r);
    const tensor x = random_tensor(in, r);
    layer l = c;
    std::vector<const tensor*> args{&x};
    tensor y;
    l.forward(args, y);
    CHECK(max_abs_diff(y, reference_conv(x, c)) < 1e-5);
    const grad_stats st = check_layer(l, {x}, r);
    CHECK_MESSAGE(st.failed == 0, "max rel error " << st.max_err << " over " << st.checked);
  }
}

TEST_CASE("conv2d: large shapes split into chunks give the same result with 1 and 2 threads") {
  moo::rng r(seed + 2);
  conv2d c({.in_channels = 16, .out_channels = 32, .kernel = 3, .padding = 1}, r);
  for (std::size_t n : {1u, 3u, 17u}) {
    const tensor x = random_tensor({n, 16, 28, 28}, r);
    const tensor dy = random_tensor({n, 32, 28, 28}, r);
    tensor y1, y2, dx1, dx2;
    std::vector<const tensor*> args{&x};
    set_num_threads(1);
    c.forward(args, y1);
    std::vector<tensor*> g1{&dx1};
    c.backward(args, y1, dy, g1);
    const tensor w1 = c.weight_grad();
    set_num_threads(2);
    c.forward(args, y2);
    std::vector<tensor*> g2{&dx2};
    c.backward(args, y2, dy, g2);
    CHECK(max_abs_diff(y1, y2) < 1e-4);
    CHECK(max_abs_diff(dx1, dx2) < 1e-4);
    CHECK(max_abs_diff(w1, c.weight_grad()) < 1e-2);
    if (n == 3) CHECK(max_abs_diff(y1, reference_conv(x, c)) < 1e-4);
  }
  set_num_threads(0);
}

TEST_CASE("batch_norm: training-mode statistics, running updates and gradients; evaluation mode") {
  moo::rng r(seed + 3);
  batch_norm bn({.channels = 3});
  for (std::size_t c = 0; c < 3; ++c) {
    bn.gamma()(c) = float(r.uniform(0.5, 1.5));
    bn.beta()(c) = float(r.uniform(-0.5, 0.5));
  }
  tensor x = random_tensor({4, 3, 3, 2}, r, 2.0);
  for (auto& v : x) v += 1.0f;
  tensor y;
  std::vector<const tensor*> args{&x};
  bn.forward(args, y);
  // Normalised per channel: mean beta, (biased) std gamma.
  for (std::size_t c = 0; c < 3; ++c) {
    double s = 0, s2 = 0, xm = 0, xs2 = 0;
    for (std::size_t n = 0; n < 4; ++n)
      for (std::size_t i = 0; i < 6; ++i) {
        const double v = y.data()[(n * 3 + c) * 6 + i], u = x.data()[(n * 3 + c) * 6 + i];
        s += v; s2 += v * v; xm += u; xs2 += u * u;
      }
    const double mean = s / 24, var = s2 / 24 - mean * mean;
    CHECK(mean == doctest::Approx(bn.beta()(c)).epsilon(1e-4));
    CHECK(std::sqrt(var) == doctest::Approx(bn.gamma()(c)).epsilon(1e-3));
    const double xmean = xm / 24, xvar = xs2 / 24 - xmean * xmean;
    CHECK(bn.running_mean()(c) == doctest::Approx(0.1 * xmean).epsilon(1e-4));
    CHECK(bn.running_var()(c) == doctest::Approx(0.9 + 0.1 * xvar * 24 / 23).epsilon(1e-4));
  }
  {
    layer l = bn;
    const grad_stats st = check_layer(l, {x}, r);
    CHECK_MESSAGE(st.failed == 0, "train mode: max rel error " << st.max_err << " over " << st.checked);
  }
  {
    batch_norm e = bn;
    e.set_training(false);
    e.running_mean()(1) = 0.3f;
    e.running_var()(1) = 2.0f;
    tensor ye;
    e.forward(args, ye);
    const float v = x(1, 1, 2, 1);
    CHECK(ye(1, 1, 2, 1) == doctest::Approx((v - 0.3) / std::sqrt(2.0 + 1e-5) * e.gamma()(1) + e.beta()(1)).epsilon(1e-5));
    layer l = e;
    const grad_stats st = check_layer(l, {x}, r);
    CHECK_MESSAGE(st.failed == 0, "eval mode: max rel error " << st.max_err << " over " << st.checked);
    // Evaluation mode leaves the running statistics alone.
    CHECK(l.get_if<batch_norm>()->running_mean()(1) == 0.3f);
  }
}

TEST_CASE("relu, pooling, linear, add, concat, identity: backward matches finite differences") {
  moo::rng r(seed + 4);
  auto run = [&](layer l, std::vector<tensor> inputs, const std::string& what) {
    const grad_stats st = check_layer(l, std::move(inputs), r);
    CHECK_MESSAGE(st.failed == 0, what << ": max rel error " << st.max_err << " over " << st.checked);
    CHECK(st.checked > 0);
  };
  run(relu{}, {away_from_zero({2, 3, 4, 5}, r)}, "relu");
  run(max_pool2d({.kernel = 2}), {distinct_values({2, 3, 6, 4}, r)}, "max_pool2d 2x2");
  run(max_pool2d({.kernel = 2}), {distinct_values({1, 2, 7, 5}, r)}, "max_pool2d 2x2 odd sizes");
  run(max_pool2d({.kernel = 3, .stride = 2, .padding = 1}), {distinct_values({2, 2, 7, 6}, r)}, "max_pool2d 3x3/2 pad 1");
  run(avg_pool2d({.kernel = 2}), {random_tensor({2, 3, 4, 6}, r)}, "avg_pool2d 2x2");
  run(avg_pool2d({.kernel = 3, .stride = 1, .padding = 1}), {random_tensor({2, 2, 5, 4}, r)}, "avg_pool2d 3x3 pad 1");
  run(avg_pool2d({.kernel = 3, .stride = 1, .padding = 1, .count_include_pad = false}), {random_tensor({1, 2, 5, 4}, r)},
      "avg_pool2d exclude pad");
  run(global_avg_pool{}, {random_tensor({3, 4, 5, 3}, r)}, "global_avg_pool");
  run(linear({.in_features = 12, .out_features = 5}, r), {random_tensor({3, 3, 2, 2}, r)}, "linear");
  run(linear({.in_features = 6, .out_features = 4, .bias = false}, r), {random_tensor({2, 6, 1, 1}, r)}, "linear no bias");
  run(add{}, {random_tensor({2, 3, 2, 2}, r), random_tensor({2, 3, 2, 2}, r), random_tensor({2, 3, 2, 2}, r)}, "add");
  run(concat{}, {random_tensor({2, 3, 2, 2}, r), random_tensor({2, 1, 2, 2}, r)}, "concat");
  run(identity{}, {random_tensor({2, 3, 2, 2}, r)}, "identity");
}

TEST_CASE("pooling and linear forward values") {
  tensor x = zeros({1, 1, 4, 4});
  for (std::size_t i = 0; i < 16; ++i) x.data()[i] = float(i);
  std::vector<const tensor*> args{&x};
  tensor y;
  max_pool2d mp({.kernel = 2});
  mp.forward(args, y);
  CHECK(shape_of(y) == shape4{1, 1, 2, 2});
  CHECK(y(0, 0, 0, 0) == 5.0f);
  CHECK(y(0, 0, 1, 1) == 15.0f);
  avg_pool2d ap({.kernel = 3, .stride = 1, .padding = 1});
  ap.forward(args, y);
  CHECK(y(0, 0, 0, 0) == doctest::Approx((0 + 1 + 4 + 5) / 9.0));
  avg_pool2d ap2({.kernel = 3, .stride = 1, .padding = 1, .count_include_pad = false});
  ap2.forward(args, y);
  CHECK(y(0, 0, 0, 0) == doctest::Approx((0 + 1 + 4 + 5) / 4.0));
  global_avg_pool gp;
  gp.forward(args, y);
  CHECK(y(0, 0, 0, 0) == doctest::Approx(7.5));
  linear fc({.in_features = 16, .out_features = 2});
  fc.weight()(1, 3) = 2.0f;
  fc.bias()(1) = 0.5f;
  fc.forward(args, y);
  CHECK(shape_of(y) == shape4{1, 2, 1, 1});
  CHECK(y(0, 1, 0, 0) == doctest::Approx(6.5));
  CHECK(y(0, 0, 0, 0) == 0.0f);
}

TEST_CASE("network: backward through a DAG with fan-out matches finite differences") {
  moo::rng r(seed + 5);
  network net;
  const auto c1 = net.add(conv2d({.in_channels = 2, .out_channels = 4, .kernel = 3, .padding = 1}, r));
  const auto b1 = net.add(batch_norm({.channels = 4}));
  const auto a1 = net.add(identity{});  // smooth: ReLU kinks under batch statistics would blur the differences
  const auto c2 = net.add(conv2d({.in_channels = 4, .out_channels = 4, .kernel = 1}, r), {a1});
  const auto s = net.add(add{}, {c2, a1, c1});  // c1 and a1 feed two consumers each
  const auto cat = net.add(concat{}, {s, c2});
  const auto p = net.add(global_avg_pool{}, {cat});
  net.add(linear({.in_features = 8, .out_features = 3}, r), {p});
  (void)b1;
  net.set_input_gradient(true);
  tensor x = random_tensor({3, 2, 5, 5}, r);
  const tensor& y = net.forward(x);
  const tensor proj = random_tensor(shape_of(y), r);
  net.backward(proj);
  const tensor dx = net.input_gradient();
  auto params = net.parameters();
  std::vector<std::vector<float>> grads;
  for (auto& q : params) grads.emplace_back(q.grad.begin(), q.grad.end());
  auto loss = [&] { return projected(net.forward(x), proj); };
  grad_stats st;
  const double h = 1e-2;
  for (std::size_t i = 0; i < x.size(); i += 3) {
    const float old = x.data()[i];
    x.data()[i] = float(old + h);
    const double lp = loss();
    x.data()[i] = float(old - h);
    const double lm = loss();
    x.data()[i] = old;
    compare(dx.data()[i], (lp - lm) / (2 * h), st);
  }
  for (std::size_t k = 0; k < params.size(); ++k)
    for (std::size_t i = 0; i < params[k].value.size(); i += 2) {
      const float old = params[k].value[i];
      params[k].value[i] = float(old + h);
      const double lp = loss();
      params[k].value[i] = float(old - h);
      const double lm = loss();
      params[k].value[i] = old;
      compare(grads[k][i], (lp - lm) / (2 * h), st);
    }
  CHECK_MESSAGE(st.failed == 0, "max rel error " << st.max_err << " over " << st.checked);
}

TEST_CASE("losses: cross-entropy (with label smoothing) and distillation gradients match finite differences") {
  moo::rng r(seed + 6);
  tensor z = random_tensor({4, 5, 1, 1}, r, 3.0);
  const tensor teacher = random_tensor({4, 5, 1, 1}, r, 3.0);
  const std::vector<std::int32_t> labels{0, 3, 4, 1};
  auto fd = [&](const std::function<double()>& f, const tensor& g) {
    grad_stats st;
    const double h = 1e-3;
    for (std::size_t i = 0; i < z.size(); ++i) {
      const float old = z.data()[i];
      z.data()[i] = float(old + h);
      const double lp = f();
      z.data()[i] = float(old - h);
      const double lm = f();
      z.data()[i] = old;
      const double num = (lp - lm) / (2 * h);
      st.max_err = std::max(st.max_err, std::abs(num - g.data()[i]));
      if (std::abs(num - g.data()[i]) > 1e-4) ++st.failed;
    }
    return st;
  };
  for (float eps : {0.0f, 0.1f}) {
    softmax_cross_entropy ce({.label_smoothing = eps});
    tensor g;
    const double l = ce(z, labels, g);
    CHECK(l > 0.0);
    const auto st = fd([&] { return ce.value(z, labels); }, g);
    CHECK_MESSAGE(st.failed == 0, "label smoothing " << eps << ": max error " << st.max_err);
  }
  {
    // Known value: uniform logits give log K.
    softmax_cross_entropy ce;
    const tensor u = zeros({2, 4, 1, 1});
    const std::vector<std::int32_t> lab{1, 2};
    CHECK(ce.value(u, lab) == doctest::Approx(std::log(4.0)));
  }
  for (double alpha : {1.0, 0.7}) {
    distillation_loss kd({.temperature = 3.0, .alpha = alpha});
    tensor g;
    const std::vector<std::int32_t> none;
    const auto lab = alpha < 1.0 ? std::span<const std::int32_t>(labels) : std::span<const std::int32_t>(none);
    kd(z, teacher, lab, g);
    const auto st = fd([&] { return kd.value(z, teacher, lab); }, g);
    CHECK_MESSAGE(st.failed == 0, "alpha " << alpha << ": max error " << st.max_err);
    // A student equal to its teacher has zero soft loss.
    CHECK(distillation_loss({.temperature = 3.0, .alpha = 1.0}).value(teacher, teacher, none) == doctest::Approx(0.0).epsilon(1e-9));
  }
}

TEST_CASE("portable kernels (no AVX-512) give the same network outputs and gradients") {
  moo::rng r(seed + 7);
  network net;
  net.add(conv2d({.in_channels = 2, .out_channels = 8, .kernel = 3, .padding = 1}, r));
  net.add(batch_norm({.channels = 8}));
  net.add(relu{});
  net.add(max_pool2d({.kernel = 2}));
  net.add(conv2d({.in_channels = 8, .out_channels = 8, .kernel = 5, .padding = 2, .groups = 8}, r));
  net.add(relu{});
  net.add(conv2d({.in_channels = 8, .out_channels = 6, .kernel = 3, .stride = 2, .padding = 1}, r));
  net.add(batch_norm({.channels = 6}));
  net.add(global_avg_pool{});
  net.add(linear({.in_features = 6, .out_features = 3}, r));
  net.set_input_gradient(true);
  const tensor x = random_tensor({5, 2, 14, 13}, r);
  const tensor g = random_tensor({5, 3, 1, 1}, r);
  auto run = [&](bool simd) {
    const bool before = detail::set_avx512(simd);
    network copy = net;
    copy.set_input_gradient(true);
    std::vector<tensor> out{copy.forward(x)};
    copy.backward(g);
    out.push_back(copy.input_gradient());
    for (auto& p : copy.parameters()) {
      tensor t = zeros({1, 1, 1, p.grad.size()});
      std::copy(p.grad.begin(), p.grad.end(), t.begin());
      out.push_back(t);
    }
    detail::set_avx512(before);
    return out;
  };
  const auto a = run(true), b = run(false);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(max_abs_diff(a[i], b[i]) < 1e-4);
  MESSAGE("AVX-512 available: " << detail::cpu_has_avx512());
}
