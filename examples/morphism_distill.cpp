// Network morphisms on a trained network: the function-preserving ones keep its accuracy exactly, the
// approximate ones (remove a layer, shrink a conv, remove a skip) lose some, and a short knowledge
// distillation from the parent (LEMONADE, Elsken et al. 2019, sec. 3.2) wins most of it back. For
// comparison, the same budget of plain fine-tuning on the labels (cross-entropy only) is run too.
//
// Data: a subset of Fashion-MNIST (Debian's dataset-fashion-mnist); without it, a generated data set.
//   morphism_distill --help   prints the options (`usage` below); unknown ones are refused.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <nas/graph/architecture.hpp>
#include <nas/morphism/distill.hpp>
#include <nas/morphism/sampler.hpp>
#include <nas/train/train.hpp>

#include "args.hpp"

namespace {

using example::arg;

using nas::graph::architecture;
using nas::graph::node_id;
namespace nt = nas::train;

// Conv3x3-BN(-ReLU) appended to `from`, named `name` (conv), name_bn, name_relu.
node_id conv_bn(architecture& a, node_id from, std::size_t in, std::size_t out, const std::string& name, bool relu,
                moo::rng& r) {
  node_id x = a.add(nt::conv2d({.in_channels = in, .out_channels = out, .padding = 1, .bias = false}, r), {from}, name);
  x = a.add(nt::batch_norm({.channels = out}), {x}, name + "_bn");
  return relu ? a.add(nt::relu{}, {x}, name + "_relu") : x;
}

// The parent: a stem, one residual block, two downsampling stages, global pooling and a classifier.
architecture make_parent(moo::rng& r) {
  architecture a({1, 28, 28});
  node_id x = conv_bn(a, a.input(), 1, 16, "stem", true, r);
  node_id y = conv_bn(a, x, 16, 16, "res_a", true, r);
  y = conv_bn(a, y, 16, 16, "res_b", false, r);
  x = a.add(nt::add{}, {x, y}, "residual");  // input 0 is the skip
  x = a.add(nt::relu{}, {x}, "residual_relu");
  x = a.add(nt::max_pool2d({.kernel = 2}), {x}, "pool1");
  x = conv_bn(a, x, 16, 32, "conv2", true, r);
  x = a.add(nt::max_pool2d({.kernel = 2}), {x}, "pool2");
  x = conv_bn(a, x, 32, 32, "conv3", true, r);
  x = a.add(nt::global_avg_pool{}, {x}, "gap");
  a.add(nt::linear({.in_features = 32, .out_features = 10}, r), {x}, "classifier");
  return a;
}

double accuracy(const architecture& a, const nt::dataset& test) {
  auto net = a.compile();
  return nt::evaluate(net, test).accuracy;
}

}  // namespace

// The options (printed by --help; anything else is refused before the program starts).
constexpr std::string_view usage = R"([--train-limit 12000] [--test-limit 2000] [--epochs 3] [--kd-epochs 1]
    [--threads 2] [--seed 1] [--data DIR])";

int main(int argc, char** argv) try {
  example::check(argc, argv, usage);
  const std::size_t seed = arg(argc, argv, "--seed", 1);
  const std::size_t epochs = arg(argc, argv, "--epochs", 3);
  const std::size_t kd_epochs = arg(argc, argv, "--kd-epochs", 1);
  nt::set_num_threads(arg(argc, argv, "--threads", 2));
  moo::rng r(seed);

  // 1. Data: a Fashion-MNIST subset, or a generated stand-in when the package is not installed.
  nt::fashion_mnist data;
  try {
    data = nt::load_fashion_mnist(arg(argc, argv, "--data", nt::fashion_mnist_dir),
                                  {.limit = arg(argc, argv, "--train-limit", 12000)},
                                  {.limit = arg(argc, argv, "--test-limit", 2000)});
  } catch (const moo::io_error& e) {
    std::printf("%s\nusing a generated data set instead\n", e.what());
    const auto all = nt::synthetic_dataset({.samples = 3000, .classes = 10, .channels = 1, .height = 28, .width = 28,
                                            .noise = 1.0, .seed = seed});
    std::tie(data.train, data.test) = nt::split(all, 0.25, seed);
  }
  std::printf("%zu training and %zu test images, parent trained %zu epochs, distillation budget %zu epoch(s)\n",
              data.train.size(), data.test.size(), epochs, kd_epochs);

  // 2. Train the parent (SGD, momentum 0.9, cosine-annealed learning rate) and copy its weights back into
  //    the graph, so every child inherits them.
  architecture parent = make_parent(r);
  {
    auto net = parent.compile();
    nt::data_loader loader(data.train, {.batch_size = 128, .seed = seed});
    nt::sgd opt({.lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4});
    nt::softmax_cross_entropy ce;
    const nt::cosine_annealing schedule{.lr_max = 0.05, .t_max = double(epochs)};
    for (std::size_t e = 0; e < epochs; ++e) nt::train_epoch(net, loader, ce, opt, schedule, e);
    parent.update_from(net);
  }
  const double parent_acc = accuracy(parent, data.test);
  std::printf("parent: %zu parameters, %zu MACs, test accuracy %.4f\n\n", parent.parameter_count(), parent.macs(),
              parent_acc);

  // 3. Function-preserving morphisms: the child's accuracy equals the parent's.
  using namespace nas::morphism;
  std::printf("%-24s %10s %10s %9s\n", "function-preserving", "params", "MACs", "accuracy");
  const std::vector<std::pair<std::string, architecture>> same = {
      {"widen conv2 (x2)", widen_conv{}.apply(parent, {*parent.find("conv2")}, r)},
      {"insert conv-BN-ReLU", insert_conv_block{}.apply(parent, {*parent.find("conv2_relu")}, r)},
      {"insert separable block", insert_separable_block{}.apply(parent, {*parent.find("stem_relu")}, r)},
      {"skip pool1 -> conv3", add_residual_skip{}.apply(parent, {*parent.find("conv3_relu"), *parent.find("pool1")}, r)},
  };
  for (const auto& [what, child] : same)
    std::printf("%-24s %10zu %10zu %9.4f\n", what.c_str(), child.parameter_count(), child.macs(), accuracy(child, data.test));

  // 4. Approximate morphisms, then the same budget of distillation (soft targets of the parent, T = 4,
  //    alpha = 0.9) or of plain fine-tuning (alpha = 0: cross-entropy on the labels only).
  std::printf("\n%-24s %10s %9s %9s %9s %9s\n", "approximate", "params", "child", "+KD", "+CE", "recovered");
  const std::vector<std::pair<std::string, architecture>> cut = {
      {"remove layer conv3", remove_layer{}.apply(parent, {*parent.find("conv3")}, r)},
      {"shrink conv2 by 50%", shrink_conv{{.fraction = 0.5}}.apply(parent, {*parent.find("conv2")}, r)},
      {"remove the residual skip", remove_skip{}.apply(parent, {*parent.find("residual"), nas::graph::no_node, 0}, r)},
  };
  const distill_options kd{.epochs = kd_epochs, .batch_size = 128, .lr = 0.02, .seed = seed};
  distill_options ce = kd;
  ce.alpha = 0.0;
  for (const auto& [what, child] : cut) {
    const double before = accuracy(child, data.test);
    architecture by_kd = child, by_ce = child;
    distill(by_kd, parent, data.train, kd);
    distill(by_ce, parent, data.train, ce);
    const double after_kd = accuracy(by_kd, data.test), after_ce = accuracy(by_ce, data.test);
    // Share of the accuracy lost by the morphism that distillation won back.
    const double recovered = parent_acc > before ? (after_kd - before) / (parent_acc - before) : 1.0;
    std::printf("%-24s %10zu %9.4f %9.4f %9.4f %8.0f%%\n", what.c_str(), child.parameter_count(), before, after_kd,
                after_ce, 100.0 * recovered);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "morphism_distill: %s\n", e.what());
  return 1;
}
