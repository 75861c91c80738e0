// Network structure and errors, SGD and schedules against their formulas, the thread pool, metrics, a
// small end-to-end training run on generated data, determinism, and allocation-free steady state.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"
#include "nas/train/train.hpp"

using namespace nas::train;

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // the replacements below pair malloc and free

// Counts heap allocations in this test binary (to check that steady-state training allocates nothing).
namespace {
std::atomic<std::size_t> allocations{0};
}
void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

constexpr std::uint64_t training_seed = 777;

struct not_a_layer {
  int kind() const { return 0; }
};
static_assert(layer_type<conv2d>);
static_assert(layer_type<batch_norm>);
static_assert(layer_type<relu>);
static_assert(layer_type<max_pool2d>);
static_assert(layer_type<avg_pool2d>);
static_assert(layer_type<global_avg_pool>);
static_assert(layer_type<linear>);
static_assert(layer_type<add>);
static_assert(layer_type<concat>);
static_assert(layer_type<identity>);
static_assert(!layer_type<not_a_layer>);
static_assert(!layer_type<int>);

// A small conv net for 1 x 12 x 12 inputs with `classes` outputs.
network small_net(std::size_t classes, moo::rng& r) {
  return sequential(conv2d({.in_channels = 1, .out_channels = 8, .kernel = 3, .padding = 1, .bias = false}, r),
                    batch_norm({.channels = 8}), relu{}, max_pool2d({.kernel = 2}),
                    conv2d({.in_channels = 8, .out_channels = 16, .kernel = 3, .padding = 1, .bias = false}, r),
                    batch_norm({.channels = 16}), relu{}, global_avg_pool{},
                    linear({.in_features = 16, .out_features = classes}, r));
}

using test_support::error_of;

}  // namespace

TEST_CASE("network: shape errors name the node, the layer and both shapes") {
  std::printf("training tests: seed %llu\n", static_cast<unsigned long long>(training_seed));
  moo::rng r(training_seed);
  network net;
  net.add(conv2d({.in_channels = 1, .out_channels = 4, .kernel = 3, .padding = 1, .name = "stem"}, r));
  net.add(conv2d({.in_channels = 3, .out_channels = 4, .kernel = 3, .padding = 1, .name = "body"}, r));
  const tensor x = zeros({2, 1, 8, 8});
  const std::string msg = error_of([&] { net.forward(x); });
  CHECK(msg.find("network node 2") != std::string::npos);
  CHECK(msg.find("conv2d 'body'") != std::string::npos);
  CHECK(msg.find("[2, 4, 8, 8]") != std::string::npos);
  CHECK(msg.find("[N, 3, H, W]") != std::string::npos);
  CHECK_THROWS_AS(net.forward(x), shape_error);
  CHECK_THROWS_AS(net.output_shape({2, 1, 8, 8}), moo::dimension_error);

  network n2;
  const auto a = n2.add(identity{});
  const auto b = n2.add(max_pool2d({.kernel = 2}), {network::input});
  n2.add(add({.name = "sum"}), {a, b});
  const std::string m2 = error_of([&] { n2.forward(x); });
  CHECK(m2.find("add 'sum'") != std::string::npos);
  CHECK(m2.find("[2, 1, 4, 4]") != std::string::npos);
  CHECK(m2.find("[2, 1, 8, 8]") != std::string::npos);

  network n3 = sequential(linear({.in_features = 10, .out_features = 2, .name = "head"}));
  const std::string m3 = error_of([&] { n3.forward(x); });
  CHECK(m3.find("linear 'head'") != std::string::npos);
  CHECK(m3.find("[2, 1, 8, 8]") != std::string::npos);
  CHECK(m3.find("64") != std::string::npos);

  CHECK_THROWS_AS(net.add(relu{}, {7}), moo::value_error);
  CHECK_THROWS_AS(conv2d({.in_channels = 3, .out_channels = 4, .groups = 2}), moo::value_error);
  CHECK_THROWS_AS(network{}.forward(x), moo::value_error);
}

TEST_CASE("network: copies own their weights; get_if exposes the concrete layer; shapes, params, MACs") {
  moo::rng r(training_seed + 1);
  network net = small_net(3, r);
  CHECK(net.size() == 10);
  CHECK(net.output_shape({5, 1, 12, 12}) == shape4{5, 3, 1, 1});
  CHECK(net.parameter_count() == 8 * 9 + 16 + 16 * 72 + 32 + 16 * 3 + 3);
  CHECK(net.macs({1, 1, 12, 12}) == 144 * 8 * 9 + 36 * 16 * 72 + 16 * 3);
  moo::rng rx(5);
  tensor x = zeros({4, 1, 12, 12});
  for (auto& v : x) v = float(rx.normal());
  net.eval();
  const tensor y = net.forward(x);
  network child = net;
  CHECK(!child.training());
  const tensor y2 = child.forward(x);
  CHECK(std::equal(y.begin(), y.end(), y2.begin()));
  auto* c = child.at(1).get_if<conv2d>();
  REQUIRE(c != nullptr);
  CHECK(child.at(1).get_if<linear>() == nullptr);
  c->weight()(0, 0, 1, 1) += 1.0f;
  const tensor y3 = child.forward(x);
  CHECK(!std::equal(y.begin(), y.end(), y3.begin()));
  const tensor y4 = net.forward(x);
  CHECK(std::equal(y.begin(), y.end(), y4.begin()));
  CHECK(net.parameters()[0].name == "node1.weight");
  CHECK(net.at(2).kind() == "batch_norm");
}

TEST_CASE("sgd: momentum, Nesterov, dampening and weight decay follow torch.optim.SGD") {
  std::vector<float> w{1.0f, -2.0f}, g{0.5f, 0.25f};
  const std::vector<parameter_ref> p{{"w", w, g, true}};
  // Plain SGD with weight decay: w -= lr (g + wd w).
  sgd plain({.lr = 0.1, .weight_decay = 0.01});
  plain.step(p);
  CHECK(w[0] == doctest::Approx(1.0 - 0.1 * (0.5 + 0.01)));
  // Momentum: v1 = g1, v2 = mu v1 + g2.
  w = {1.0f, -2.0f};
  sgd mom({.lr = 0.1, .momentum = 0.9});
  mom.step(p);
  CHECK(w[0] == doctest::Approx(1.0 - 0.1 * 0.5));
  mom.step(p);
  CHECK(w[0] == doctest::Approx(1.0 - 0.05 - 0.1 * (0.9 * 0.5 + 0.5)));
  // Nesterov: step with g + mu v.
  w = {1.0f, -2.0f};
  sgd nes({.lr = 0.1, .momentum = 0.9, .nesterov = true});
  nes.step(p);
  CHECK(w[1] == doctest::Approx(-2.0 - 0.1 * (0.25 + 0.9 * 0.25)));
  nes.step(p);
  const double v2 = 0.9 * 0.25 + 0.25;
  CHECK(w[1] == doctest::Approx(-2.0 - 0.1 * (0.25 + 0.9 * 0.25) - 0.1 * (0.25 + 0.9 * v2)));
  // Dampening applies from the second step on.
  w = {1.0f, -2.0f};
  sgd damp({.lr = 1.0, .momentum = 0.5, .dampening = 0.5});
  damp.step(p);
  damp.step(p);
  CHECK(w[0] == doctest::Approx(1.0 - 0.5 - (0.5 * 0.5 + 0.5 * 0.5)));
  // The parameter layout is fixed between steps.
  std::vector<float> w3{1, 2, 3}, g3{0, 0, 0};
  const std::vector<parameter_ref> other{{"w3", w3, g3, true}};
  CHECK_THROWS_AS(mom.step(other), moo::dimension_error);
  mom.reset();
  CHECK_NOTHROW(mom.step(other));
  CHECK_THROWS_AS(sgd({.lr = -1.0}), moo::value_error);
  CHECK_THROWS_AS(sgd({.lr = 0.1, .nesterov = true}), moo::value_error);
}

TEST_CASE("schedules: cosine annealing and SGDR warm restarts") {
  const cosine_annealing cos{.lr_max = 0.05, .lr_min = 0.0, .t_max = 5.0};
  CHECK(cos(0.0) == doctest::Approx(0.05));
  CHECK(cos(2.5) == doctest::Approx(0.025));
  CHECK(cos(5.0) == doctest::Approx(0.0));
  CHECK(cos(1.0) == doctest::Approx(0.025 * (1 + std::cos(M_PI / 5))));
  CHECK(cos(7.0) == 0.0);
  const sgdr s{.lr_max = 1.0, .lr_min = 0.1, .t_0 = 1.0, .t_mult = 2.0};
  // Cycles [0,1), [1,3), [3,7), [7,15): each starts at lr_max and reaches its midpoint halfway.
  for (double start : {0.0, 1.0, 3.0, 7.0}) CHECK(s(start) == doctest::Approx(1.0));
  CHECK(s(0.5) == doctest::Approx(0.55));
  CHECK(s(2.0) == doctest::Approx(0.55));
  CHECK(s(5.0) == doctest::Approx(0.55));
  CHECK(s(2.999999) == doctest::Approx(0.1).epsilon(1e-3));
  const sgdr flat{.lr_max = 1.0, .lr_min = 0.0, .t_0 = 2.0, .t_mult = 1.0};
  CHECK(flat(1.0) == doctest::Approx(0.5));
  CHECK(flat(3.0) == doctest::Approx(0.5));
  CHECK(flat(4.0) == doctest::Approx(1.0));
  CHECK_THROWS_AS(sgdr{.t_0 = 0.0}(1.0), moo::value_error);
}

TEST_CASE("thread pool: every item once, exceptions propagate, nested calls run serially") {
  thread_pool pool(2);
  CHECK(pool.size() == 2);
  for (std::size_t n : {1u, 2u, 7u, 1000u}) {
    std::vector<std::atomic<int>> hits(n);
    pool.parallel_for(n, [&](std::size_t i, std::size_t t) {
      CHECK(t < 2);
      hits[i].fetch_add(1);
    });
    int bad = 0;
    for (auto& h : hits) bad += h.load() != 1;
    CHECK(bad == 0);
  }
  CHECK_THROWS_AS(pool.parallel_for(10, [](std::size_t i, std::size_t) {
    if (i == 3) throw std::runtime_error("boom");
  }), std::runtime_error);
  // Many short jobs back to back, and two user threads sharing the pool (one of them runs serially).
  std::atomic<long> total{0};
  auto hammer = [&] {
    for (int rep = 0; rep < 2000; ++rep) pool.parallel_for(5, [&](std::size_t i, std::size_t) { total += long(i); });
  };
  std::thread other(hammer);
  hammer();
  other.join();
  CHECK(total.load() == 2 * 2000 * 10);
  std::atomic<int> inner{0};
  pool.parallel_for(4, [&](std::size_t, std::size_t) { pool.parallel_for(3, [&](std::size_t, std::size_t t) { inner += t == 0; }); });
  CHECK(inner.load() == 12);
  set_num_threads(1);
  CHECK(num_threads() == 1);
  set_num_threads(2);
  CHECK(num_threads() == 2);
}

TEST_CASE("training on generated data: loss falls, accuracy high, eval mode, latency, determinism") {
  const dataset all = synthetic_dataset({.samples = 600, .classes = 4, .height = 12, .width = 12, .noise = 0.8, .seed = training_seed});
  auto [train, val] = split(all, 0.25, training_seed);
  auto run = [&](std::size_t threads, std::size_t epochs) {
    set_num_threads(threads);
    moo::rng r(training_seed);
    network net = small_net(4, r);
    data_loader loader(train, {.batch_size = 32, .seed = training_seed});
    softmax_cross_entropy ce;
    sgd opt({.lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4});
    const cosine_annealing sched{.lr_max = 0.05, .t_max = double(epochs)};
    std::vector<double> losses;
    for (std::size_t e = 0; e < epochs; ++e) losses.push_back(train_epoch(net, loader, ce, opt, sched, e).loss);
    return std::pair{std::move(net), losses};
  };
  auto [net, losses] = run(2, 6);
  CHECK(losses.back() < 0.5 * losses.front());
  const evaluation ev = evaluate(net, val);
  CHECK(net.training());  // restored
  CHECK(ev.accuracy >= 0.95);
  CHECK(ev.error() == doctest::Approx(1.0 - ev.accuracy));
  MESSAGE("synthetic: loss " << losses.front() << " -> " << losses.back() << ", validation accuracy " << ev.accuracy);

  const latency lat = measure_latency(net, {1, 1, 12, 12}, {.warmup = 2, .repeats = 9});
  CHECK(lat.median > 0.0);
  CHECK(lat.min <= lat.median);
  CHECK(lat.median <= lat.max);
  CHECK(lat.batch == 1);
  CHECK(lat.threads == 2);

  // One thread: same seed, bit-identical weights.
  auto [a, la] = run(1, 2);
  auto [b, lb] = run(1, 2);
  CHECK(la == lb);
  const auto pa = a.parameters(), pb = b.parameters();
  bool same = true;
  for (std::size_t i = 0; i < pa.size(); ++i) same = same && std::equal(pa[i].value.begin(), pa[i].value.end(), pb[i].value.begin());
  CHECK(same);
  set_num_threads(0);
}

TEST_CASE("steady-state training steps allocate nothing") {
  moo::rng r(training_seed + 2);
  network net = sequential(conv2d({.in_channels = 1, .out_channels = 8, .kernel = 3, .padding = 1}, r),
                           batch_norm({.channels = 8}), relu{}, max_pool2d({.kernel = 2}),
                           conv2d({.in_channels = 8, .out_channels = 8, .kernel = 3, .padding = 1, .groups = 8}, r),
                           avg_pool2d({.kernel = 2}), global_avg_pool{}, linear({.in_features = 8, .out_features = 4}, r));
  const dataset d = synthetic_dataset({.samples = 64, .classes = 4, .height = 12, .width = 12});
  data_loader loader(d, {.batch_size = 16, .crop_padding = 2, .horizontal_flip = true});
  softmax_cross_entropy ce;
  sgd opt({.lr = 0.01, .momentum = 0.9});
  const auto params = net.parameters();
  tensor grad;
  batch b;
  for (int warm = 0; warm < 2; ++warm) {
    loader.next(b);
    train_step(net, b, ce, opt, params, grad);
  }
  const std::size_t before = allocations.load();
  loader.next(b);
  train_step(net, b, ce, opt, params, grad);
  loader.next(b);
  train_step(net, b, ce, opt, params, grad);
  CHECK(allocations.load() - before == 0);
}

TEST_CASE("network: a batch norm fused with its ReLU gives the same outputs and gradients as unfused") {
  moo::rng r(training_seed + 3);
  network fused = small_net(3, r);
  network plain = fused;
  plain.set_fusion(false);
  fused.set_input_gradient(true);
  plain.set_input_gradient(true);
  tensor x = zeros({6, 1, 12, 12});
  for (auto& v : x) v = float(r.normal());
  tensor g = zeros({6, 3, 1, 1});
  for (auto& v : g) v = float(r.normal());
  for (bool train : {true, false}) {
    fused.set_training(train);
    plain.set_training(train);
    const tensor yf = fused.forward(x);
    const tensor yp = plain.forward(x);
    CHECK(std::equal(yf.begin(), yf.end(), yp.begin()));
    fused.backward(g);
    plain.backward(g);
    const tensor& df = fused.input_gradient();
    const tensor& dp = plain.input_gradient();
    double diff = 0.0;
    for (std::size_t i = 0; i < df.size(); ++i) diff = std::max(diff, double(std::abs(df.data()[i] - dp.data()[i])));
    CHECK(diff < 1e-6);
    const auto pf = fused.parameters(), pp = plain.parameters();
    for (std::size_t k = 0; k < pf.size(); ++k)
      for (std::size_t i = 0; i < pf[k].grad.size(); ++i) CHECK(pf[k].grad[i] == doctest::Approx(pp[k].grad[i]).epsilon(1e-5));
    CHECK(fused.activation(2).size() == 0);  // the fused batch norm's output is not stored
    CHECK(plain.activation(2).size() == x.size() / 1 * 8);
  }
}

TEST_CASE("network: replacing a layer through at() is picked up by the next forward and backward pass") {
  moo::rng r(training_seed + 4);
  network net;
  net.add(identity{});
  net.add(conv2d({.in_channels = 1, .out_channels = 2, .kernel = 1}, r));
  const tensor x = zeros({2, 1, 3, 3}) + 1.0f;
  const tensor g = zeros({2, 2, 3, 3}) + 1.0f;
  net.forward(x);
  net.backward(g);
  net.at(1) = conv2d({.in_channels = 1, .out_channels = 1, .kernel = 1, .bias = false}, r);  // now trainable
  net.forward(x);
  net.backward(g);
  auto* first = net.at(1).get_if<conv2d>();
  REQUIRE(first != nullptr);
  CHECK(first->weight_grad()(0, 0, 0, 0) != 0.0f);  // the gradient reached the replaced layer
}

TEST_CASE("an empty batch (N = 0) is refused by forward, backward, the training step and the losses") {
  moo::rng r(training_seed + 5);
  network net = small_net(4, r);
  const tensor empty = zeros({0, 1, 12, 12});
  for (bool training : {true, false}) {
    net.set_training(training);
    CAPTURE(training);
    std::string m = error_of([&] { net.forward(empty); });
    CHECK(m.find("empty batch") != std::string::npos);
    CHECK(m.find("[0, 1, 12, 12]") != std::string::npos);
  }
  net.train();
  // backward after a good forward, with an empty output gradient
  (void)net.forward(zeros({2, 1, 12, 12}));
  std::string m = error_of([&] { net.backward(zeros({0, 4, 1, 1})); });
  CHECK(m.find("empty batch") != std::string::npos);

  softmax_cross_entropy ce;
  distillation_loss kd;
  tensor grad;
  const std::vector<std::int32_t> none;
  m = error_of([&] { (void)ce(zeros({0, 4, 1, 1}), none, grad); });
  CHECK(m.find("softmax_cross_entropy") != std::string::npos);
  CHECK(m.find("empty batch") != std::string::npos);
  CHECK(error_of([&] { (void)ce.value(zeros({0, 4, 1, 1}), none); }).find("empty batch") != std::string::npos);
  m = error_of([&] { (void)kd(zeros({0, 4, 1, 1}), zeros({0, 4, 1, 1}), none, grad); });
  CHECK(m.find("distillation_loss") != std::string::npos);
  CHECK(m.find("empty batch") != std::string::npos);

  sgd opt({.lr = 0.01});
  const auto params = net.parameters();
  batch b;
  b.images = empty;
  m = error_of([&] { (void)train_step(net, b, ce, opt, params, grad); });
  CHECK(m.find("empty batch") != std::string::npos);
}

TEST_CASE("layers called directly on an empty batch give empty outputs and gradients, without touching memory") {
  moo::rng r(training_seed + 6);
  std::vector<std::pair<layer, shape4>> cases = {
      {conv2d({.in_channels = 2, .out_channels = 4, .kernel = 3, .padding = 1}, r), {0, 2, 6, 6}},
      {conv2d({.in_channels = 4, .out_channels = 4, .kernel = 3, .padding = 1, .groups = 4}, r), {0, 4, 6, 6}},
      {max_pool2d({.kernel = 2}), {0, 3, 6, 6}},
      {max_pool2d({.kernel = 3, .stride = 2, .padding = 1}), {0, 3, 7, 7}},
      {avg_pool2d({.kernel = 2}), {0, 3, 6, 6}},
      {avg_pool2d({.kernel = 3, .stride = 1, .padding = 1}), {0, 3, 6, 6}},
      {global_avg_pool{}, {0, 3, 6, 6}},
      {linear({.in_features = 12, .out_features = 5}, r), {0, 3, 2, 2}},
      {relu{}, {0, 3, 4, 4}},
      {identity{}, {0, 3, 4, 4}},
  };
  for (auto& [l, s] : cases) {
    CAPTURE(l.label());
    l.set_training(false);
    const tensor x = zeros(s);
    const tensor* in[] = {&x};
    tensor y, dx;
    l.forward(in, y);
    const shape4 expected = l.output_shape(std::span<const shape4>(&s, 1));
    CHECK(shape_of(y) == expected);
    CHECK(y.size() == 0);
    tensor* gin[] = {&dx};
    l.backward(in, y, y, gin);
    CHECK(shape_of(dx) == s);
  }
}

TEST_CASE("layers built directly refuse weight sizes whose product wraps or exceeds the cap") {
  using nas::train::conv2d;
  using nas::train::linear;
  // in * k * k = 2^24 * 2^20 * 2^20 = 2^64 wraps to 0 in 64 bits: refused before any allocation.
  CHECK_THROWS_WITH_AS(conv2d({.in_channels = std::size_t{1} << 24, .out_channels = 1, .kernel = std::size_t{1} << 20}),
                       doctest::Contains("holds more than 268435456"), moo::value_error);
  CHECK_THROWS_AS(conv2d({.in_channels = 1 << 15, .out_channels = 1 << 14, .kernel = 1}), moo::value_error);
  CHECK_THROWS_WITH_AS(linear({.in_features = std::size_t{1} << 40, .out_features = std::size_t{1} << 30}),
                       doctest::Contains("out_features x in_features"), moo::value_error);
  CHECK_NOTHROW(conv2d({.in_channels = 64, .out_channels = 64, .kernel = 3}));
  CHECK_NOTHROW(linear({.in_features = 1024, .out_features = 10}));
}
