// Training a small CNN on Fashion-MNIST with nas::train, the backend that measures the expensive
// objectives (validation error, latency) of every architecture the searches propose.
//
// Net A: Conv3x3(1->32)-BN-ReLU, MaxPool2, Conv3x3(32->64)-BN-ReLU, MaxPool2, Conv3x3(64->128)-BN-ReLU,
// global average pool, Linear(128->10); SGD with momentum 0.9, weight decay 5e-4, batch 128, learning
// rate 0.05 annealed to 0 with a cosine per step, no augmentation. Five epochs reach about 90-91% test
// accuracy. Data: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
//   train_fashion_mnist --help   prints the options (`usage` below); unknown ones are refused.
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>

#include <nas/train/train.hpp>

#include "args.hpp"

namespace {

using example::arg;

// Peak resident memory of this process in MiB (Linux; 0 elsewhere).
double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0.0;
}

}  // namespace

// The options (printed by --help; anything else is refused before the program starts).
constexpr std::string_view usage = R"([--epochs 5] [--batch 128] [--threads 2] [--seed 1]
    [--train-limit N] [--test-limit N] [--data DIR])";

int main(int argc, char** argv) try {
  example::check(argc, argv, usage);
  namespace nt = nas::train;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines appear as they are printed
  const std::size_t epochs = arg(argc, argv, "--epochs", 5);
  const std::size_t batch_size = arg(argc, argv, "--batch", 128);
  const std::size_t seed = arg(argc, argv, "--seed", 1);
  nt::set_num_threads(arg(argc, argv, "--threads", 2));

  // 1. Data: normalised 1x28x28 images; --train-limit/--test-limit keep a prefix for quick runs.
  nt::fashion_mnist data;
  try {
    data = nt::load_fashion_mnist(arg(argc, argv, "--data", nt::fashion_mnist_dir),
                                  {.limit = arg(argc, argv, "--train-limit", 0)},
                                  {.limit = arg(argc, argv, "--test-limit", 0)});
  } catch (const moo::io_error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("Fashion-MNIST: %zu training and %zu test images; %zu epochs, batch %zu, %zu threads\n",
              data.train.size(), data.test.size(), epochs, batch_size, nt::num_threads());

  // 2. The network: a chain of layers, each reading the previous one (network::add builds DAGs too).
  moo::rng rng(seed);
  auto conv = [&](std::size_t in, std::size_t out) {
    return nt::conv2d({.in_channels = in, .out_channels = out, .kernel = 3, .padding = 1, .bias = false}, rng);
  };
  nt::network net = nt::sequential(
      conv(1, 32), nt::batch_norm({.channels = 32}), nt::relu{}, nt::max_pool2d({.kernel = 2}),
      conv(32, 64), nt::batch_norm({.channels = 64}), nt::relu{}, nt::max_pool2d({.kernel = 2}),
      conv(64, 128), nt::batch_norm({.channels = 128}), nt::relu{},
      nt::global_avg_pool{}, nt::linear({.in_features = 128, .out_features = 10}, rng));
  std::printf("net A: %zu parameters, %.2f MMACs per image\n", net.parameter_count(),
              static_cast<double>(net.macs({1, 1, 28, 28})) / 1e6);

  // 3. Loss, optimiser, schedule (a function of fractional epochs), loader.
  nt::softmax_cross_entropy loss;
  nt::sgd opt({.lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4});
  const nt::cosine_annealing schedule{.lr_max = 0.05, .lr_min = 0.0, .t_max = static_cast<double>(epochs)};
  nt::data_loader loader(data.train, {.batch_size = batch_size, .shuffle = true, .seed = seed});

  // 4. Train; evaluate on the test set after each epoch (evaluation mode: running BN statistics).
  double accuracy = 0.0;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t e = 0; e < epochs; ++e) {
    const auto t0 = std::chrono::steady_clock::now();
    const nt::epoch_stats s = nt::train_epoch(net, loader, loss, opt, schedule, e);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const nt::evaluation test = nt::evaluate(net, data.test);
    accuracy = test.accuracy;
    std::printf("epoch %zu  lr %.4f  train loss %.4f  train acc %.2f%%  test loss %.4f  test acc %.2f%%  "
                "%.1f s (%.0f images/s)\n",
                e + 1, opt.lr(), s.loss, 100 * s.accuracy, test.loss, 100 * test.accuracy, seconds,
                static_cast<double>(data.train.size()) / seconds);
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // 5. Latency, the second expensive objective: median of timed forward passes after a warm-up.
  const nt::latency one = nt::measure_latency(net, {1, 1, 28, 28});
  const nt::latency many = nt::measure_latency(net, {256, 1, 28, 28}, {.warmup = 2, .repeats = 7});
  std::printf("test accuracy %.2f%% (error %.4f) after %zu epochs in %.1f s; latency %.0f us at batch 1, "
              "%.2f ms at batch 256; peak resident memory %.0f MiB\n",
              100 * accuracy, 1 - accuracy, epochs, total, 1e6 * one.median, 1e3 * many.median, peak_rss_mib());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "train_fashion_mnist: %s\n", e.what());
  return 1;
}
