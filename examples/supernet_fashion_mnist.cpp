// Training an elastic super-network (once-for-all style) on Fashion-MNIST and measuring some of its
// sub-networks without training them: the setting of LINAS (Cummings et al. 2022), whose search then
// only measures sub-networks of one trained super-network (Cai et al. 2020, "Once-for-All").
//
// The super-network: a 3x3 stem (16 channels, max-pooled to 14x14), three stages of up to three blocks
// conv(k x k) -> batch norm -> ReLU with k in {3, 5, 7} and 50%, 75% or 100% of 16 / 32 / 64 channels,
// a 2x2 max pool between stages, global average pooling and a linear classifier. Every sub-network
// shares its weights: a smaller kernel is the centre of the 7x7 one, a narrower block the first channels.
// Training follows the sandwich rule: per batch the largest, the smallest and --random-subnets random
// sub-networks add their gradients, then one SGD step. The trained super-network is saved (--out),
// loaded back, and a few sub-networks are measured: validation error after batch-norm recalibration,
// latency (median of timed forward passes at batch 1 on one thread), exact MACs and parameters.
//   supernet_fashion_mnist --help   prints the options (`usage` below); unknown ones are refused.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <moo/core/rng.hpp>

#include <nas/supernet/measure.hpp>
#include <nas/supernet/serialize.hpp>
#include <nas/supernet/supernet.hpp>
#include <nas/supernet/training.hpp>
#include <nas/train/data.hpp>
#include <nas/train/parallel.hpp>

#include "args.hpp"

// The options (printed by --help; anything else is refused before the program starts).
constexpr std::string_view usage = R"([--epochs 2] [--batch 128] [--random-subnets 2] [--distill]
    [--threads 2] [--seed 1] [--train-limit N] [--validation 5000] [--samples 3] [--calibration-batches 20]
    [--out supernet.bin] [--data DIR])";

int main(int argc, char** argv) try {
  example::check(argc, argv, usage);
  using example::arg;
  namespace nt = nas::train;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::size_t seed = arg(argc, argv, "--seed", 1);
  const std::size_t threads = arg(argc, argv, "--threads", 2);
  const std::string out = arg(argc, argv, "--out", "supernet.bin");

  // 1. Data: the training images split into a training part and a validation part (the search's
  //    objective); the test set is not used here.
  nt::fashion_mnist data;
  try {
    data = nt::load_fashion_mnist(arg(argc, argv, "--data", nt::fashion_mnist_dir),
                                  {.limit = arg(argc, argv, "--train-limit", 0)}, {.limit = 1});
  } catch (const moo::io_error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  const double validation = static_cast<double>(arg(argc, argv, "--validation", 5000));
  const auto [train, val] = nt::split(data.train, std::min(0.5, validation / static_cast<double>(data.train.size())), seed);

  // 2. The super-network (default options: the shape described above) and its search space.
  nas::supernet net({}, seed);
  std::printf("%s\n%zu genes; largest sub-network %zu parameters %.2f MMACs, smallest %zu parameters %.3f MMACs\n",
              net.description().c_str(), net.genes(), net.parameter_count(net.largest()),
              static_cast<double>(net.macs(net.largest())) / 1e6, net.parameter_count(net.smallest()),
              static_cast<double>(net.macs(net.smallest())) / 1e6);

  // 3. Training with weight sharing (sandwich rule), one line per epoch.
  const nas::supernet_training_options topt{.epochs = example::arg_real(argc, argv, "--epochs", 2.0),
                                            .batch_size = arg(argc, argv, "--batch", 128),
                                            .random_subnets = arg(argc, argv, "--random-subnets", 2),
                                            .distill = example::flag(argc, argv, "--distill"),
                                            .threads = threads,
                                            .seed = seed};
  std::printf("training on %zu images (validation %zu), %.2f epochs, batch %zu, %zu random sub-networks per batch, "
              "%zu threads\n", train.size(), val.size(), topt.epochs, topt.batch_size, topt.random_subnets, threads);
  const auto t0 = std::chrono::steady_clock::now();
  nas::train_supernet(net, train, topt, [](const nas::supernet_epoch& e) {
    std::printf("epoch %zu: %zu steps, loss largest %.4f smallest %.4f, %.1f s\n", e.epoch + 1, e.steps,
                e.loss_largest, e.loss_smallest, e.seconds);
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("trained in %.1f s\n", seconds);

  // 4. Save, and load back (bit for bit; a damaged file would be refused with its name).
  nas::save_supernet(net, out);
  const nas::supernet loaded = nas::load_supernet(out);
  std::printf("saved to %s and loaded back\n", out.c_str());

  // 5. Measure the largest, the smallest and --samples random sub-networks of the loaded copy.
  const nas::measure_options mopt{.calibration_batches = arg(argc, argv, "--calibration-batches", 20),
                                  .latency_batch = 1, .latency_threads = 1};
  moo::rng rng(seed);
  std::vector<std::pair<std::string, moo::integer_genome>> picks{{"largest", loaded.largest()},
                                                                 {"smallest", loaded.smallest()}};
  for (std::size_t i = 0, n = arg(argc, argv, "--samples", 3); i < n; ++i)
    picks.emplace_back("random " + std::to_string(i + 1), loaded.random(rng));
  std::printf("%-10s %7s %12s %9s %8s  %s\n", "sub-net", "error", "latency", "MMACs", "params", "blocks (kernel k channels)");
  for (const auto& [name, config] : picks) {
    const nas::measurement m = nas::measure(loaded, config, train, val, mopt);
    std::printf("%-10s %7.4f %9.1f us %9.3f %8zu  %s\n", name.c_str(), m.error, 1e6 * m.latency,
                static_cast<double>(m.macs) / 1e6, m.params, loaded.describe(config).c_str());
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "supernet_fashion_mnist: %s\n", e.what());
  return 1;
}
