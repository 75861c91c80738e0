// nas::train against libtorch (oneDNN) on the same two networks, both on 2 threads, batch 128:
//   BM_train_step/<moo|torch>/<A|B>       forward + backward + SGD step (momentum 0.9, wd 5e-4)
//   BM_infer/<moo|torch>/<A|B>/<1|256>    forward in evaluation mode
//   BM_sgemm/<moo|openblas>/<n>           n x n x n sgemm on 2 threads, the compute ceiling
// Net A: Conv3x3(1->32)-BN-ReLU, MaxPool2, Conv3x3(32->64)-BN-ReLU, MaxPool2, Conv3x3(64->128)-BN-ReLU,
// global average pool, Linear(128->10). Net B: Conv3x3(1->8)-BN-ReLU, MaxPool2, Conv3x3(8->16)-BN-ReLU,
// global average pool, Linear(16->10). Inputs 1x28x28. Counters: images/s and GFLOP/s (2 FLOPs per MAC;
// a training step counts forward, weight-gradient and input-gradient products), all per wall-clock second;
// wall_ms is the wall-clock time per iteration (the Time column too; CPU is the main thread's only).
#include <benchmark/benchmark.h>

#include <torch/torch.h>

#include <cblas.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "nas/train/train.hpp"

namespace {

namespace nt = nas::train;

constexpr std::size_t threads = 2;
constexpr std::int64_t train_batch = 128;

struct net_spec {
  const char* name;
  std::vector<std::pair<std::int64_t, std::int64_t>> convs;  // (in, out); a max pool follows all but the last
};

const net_spec net_a{"A", {{1, 32}, {32, 64}, {64, 128}}};
const net_spec net_b{"B", {{1, 8}, {8, 16}}};

nt::network make_moo(const net_spec& s, moo::rng& r) {
  nt::network net;
  for (std::size_t i = 0; i < s.convs.size(); ++i) {
    const auto [in, out] = s.convs[i];
    net.add(nt::conv2d({.in_channels = std::size_t(in), .out_channels = std::size_t(out), .kernel = 3, .padding = 1,
                        .bias = false}, r));
    net.add(nt::batch_norm({.channels = std::size_t(out)}));
    net.add(nt::relu{});
    if (i + 1 < s.convs.size()) net.add(nt::max_pool2d({.kernel = 2}));
  }
  net.add(nt::global_avg_pool{});
  net.add(nt::linear({.in_features = std::size_t(s.convs.back().second), .out_features = 10}, r));
  return net;
}

torch::nn::Sequential make_torch(const net_spec& s) {
  torch::nn::Sequential net;
  for (std::size_t i = 0; i < s.convs.size(); ++i) {
    const auto [in, out] = s.convs[i];
    net->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
    net->push_back(torch::nn::BatchNorm2d(out));
    net->push_back(torch::nn::ReLU());
    if (i + 1 < s.convs.size()) net->push_back(torch::nn::MaxPool2d(2));
  }
  net->push_back(torch::nn::AdaptiveAvgPool2d(1));
  net->push_back(torch::nn::Flatten());
  net->push_back(torch::nn::Linear(s.convs.back().second, 10));
  return net;
}

// FLOPs of one forward pass and of one training step for one image.
std::pair<double, double> flops_per_image(const net_spec& s) {
  moo::rng r(1);
  nt::network net = make_moo(s, r);
  const double fwd = 2.0 * double(net.macs({1, 1, 28, 28}));
  const double first = 2.0 * 28 * 28 * double(s.convs[0].second) * 9 * double(s.convs[0].first);
  return {fwd, 3.0 * fwd - first};  // no input gradient for the first convolution
}

void set_threads() {
  nt::set_num_threads(threads);
  torch::set_num_threads(int(threads));
}

// Wall-clock timing of the benchmark loop: both libraries run on two threads, so the main thread's CPU
// time (Google Benchmark's default clock) would understate the cost; timing by hand keeps the names free
// of the "/real_time" suffix.
struct wall_clock {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }
};

void report(benchmark::State& state, const wall_clock& clock, std::int64_t batch, double flops_per_item) {
  const double s = clock.seconds(), items = double(state.iterations()) * double(batch);
  state.counters["images/s"] = items / s;
  state.counters["GFLOP/s"] = items * flops_per_item / s / 1e9;
  state.counters["wall_ms"] = 1e3 * s / double(state.iterations());
}

void train_moo(benchmark::State& state, const net_spec& s) {
  set_threads();
  moo::rng r(7);
  nt::network net = make_moo(s, r);
  nt::batch b;
  b.images = nt::tensor::from_shape({std::size_t(train_batch), 1, 28, 28});
  for (auto& v : b.images) v = float(r.normal());
  for (std::int64_t i = 0; i < train_batch; ++i) b.labels.push_back(std::int32_t(r.index(10)));
  nt::softmax_cross_entropy loss;
  nt::sgd opt({.lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4});
  const auto params = net.parameters();
  nt::tensor grad;
  for (int i = 0; i < 3; ++i) nt::train_step(net, b, loss, opt, params, grad);
  const wall_clock clock;
  for (auto _ : state) benchmark::DoNotOptimize(nt::train_step(net, b, loss, opt, params, grad));
  report(state, clock, train_batch, flops_per_image(s).second);
}

void train_torch(benchmark::State& state, const net_spec& s) {
  set_threads();
  torch::manual_seed(7);
  auto net = make_torch(s);
  net->train();
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(5e-4));
  const auto x = torch::randn({train_batch, 1, 28, 28});
  const auto y = torch::randint(0, 10, {train_batch}, torch::kLong);
  auto step = [&] {
    opt.zero_grad();
    auto l = torch::nn::functional::cross_entropy(net->forward(x), y);
    l.backward();
    opt.step();
    return l.item<float>();
  };
  for (int i = 0; i < 3; ++i) step();
  const wall_clock clock;
  for (auto _ : state) benchmark::DoNotOptimize(step());
  report(state, clock, train_batch, flops_per_image(s).second);
}

void infer_moo(benchmark::State& state, const net_spec& s, std::int64_t batch) {
  set_threads();
  moo::rng r(7);
  nt::network net = make_moo(s, r);
  net.eval();
  nt::tensor x = nt::tensor::from_shape({std::size_t(batch), 1, 28, 28});
  for (auto& v : x) v = float(r.normal());
  for (int i = 0; i < 3; ++i) net.forward(x);
  const wall_clock clock;
  for (auto _ : state) benchmark::DoNotOptimize(net.forward(x).data());
  report(state, clock, batch, flops_per_image(s).first);
}

void infer_torch(benchmark::State& state, const net_spec& s, std::int64_t batch) {
  set_threads();
  torch::manual_seed(7);
  auto net = make_torch(s);
  net->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({batch, 1, 28, 28});
  for (int i = 0; i < 3; ++i) net->forward(x);
  const wall_clock clock;
  for (auto _ : state) benchmark::DoNotOptimize(net->forward(x).data_ptr());
  report(state, clock, batch, flops_per_image(s).first);
}

void sgemm_moo(benchmark::State& state, int n) {
  set_threads();
  std::vector<float> a(std::size_t(n) * n, 1.0f), b(a), c(a);
  // Two threads, each one half of the rows: the layers split their products the same way.
  auto run = [&] {
    nt::parallel_for(2, [&](std::size_t part, std::size_t) {
      const int m0 = int(part) * n / 2, m1 = int(part + 1) * n / 2;
      nt::detail::sgemm(false, false, m1 - m0, n, n, 1.0f, a.data() + std::size_t(m0) * n, n, b.data(), n, 0.0f,
                        c.data() + std::size_t(m0) * n, n);
    });
  };
  run();
  const wall_clock clock;
  for (auto _ : state) run();
  state.counters["GFLOP/s"] = double(state.iterations()) * 2.0 * n * n * n / 1e9 / clock.seconds();
}

void sgemm_openblas(benchmark::State& state, int n) {
  openblas_set_num_threads(int(threads));
  std::vector<float> a(std::size_t(n) * n, 1.0f), b(a), c(a);
  auto run = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  };
  run();
  const wall_clock clock;
  for (auto _ : state) run();
  state.counters["GFLOP/s"] = double(state.iterations()) * 2.0 * n * n * n / 1e9 / clock.seconds();
  state.SetLabel(openblas_get_corename());
  openblas_set_num_threads(1);
}

const int registered = [] {
  for (const net_spec* s : {&net_a, &net_b}) {
    const std::string n = s->name;
    benchmark::RegisterBenchmark(("BM_train_step/moo/" + n).c_str(), train_moo, *s)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_train_step/torch/" + n).c_str(), train_torch, *s)->Unit(benchmark::kMillisecond);
  }
  for (const net_spec* s : {&net_a, &net_b})
    for (std::int64_t batch : {1, 256}) {
      const std::string n = std::string(s->name) + "/" + std::to_string(batch);
      benchmark::RegisterBenchmark(("BM_infer/moo/" + n).c_str(), infer_moo, *s, batch)->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("BM_infer/torch/" + n).c_str(), infer_torch, *s, batch)->Unit(benchmark::kMicrosecond);
    }
  benchmark::RegisterBenchmark("BM_sgemm/moo/2048", sgemm_moo, 2048)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_sgemm/openblas/2048", sgemm_openblas, 2048)->Unit(benchmark::kMillisecond);
  return 0;
}();

}  // namespace
