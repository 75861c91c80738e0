// A random walk of function-preserving network morphisms, as LEMONADE's mutation step draws them: each
// step picks a random applicable operator at a random site, redraws children over the parameter cap,
// and checks that the child still computes the parent's function (eval mode, random inputs). The final
// architecture is written as JSON + weights (and read back) and as a Graphviz drawing.
//   morphism_chain [--steps 12] [--seed 1] [--max-params 100000] [--out DIR]
//   dot -Tsvg DIR/child.dot -o child.svg
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <nas/graph/architecture.hpp>
#include <nas/graph/dot.hpp>
#include <nas/graph/serialize.hpp>
#include <nas/morphism/sampler.hpp>

namespace {

std::string arg(int argc, char** argv, std::string_view name, std::string fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

using nas::graph::architecture;
using nas::graph::node_id;
namespace nt = nas::train;

// Net B of the backend issue: Conv3x3(1->8)-BN-ReLU, MaxPool2, Conv3x3(8->16)-BN-ReLU, GAP, Linear(16->10).
architecture net_b(moo::rng& r) {
  architecture a({1, 28, 28});
  node_id x = a.input();
  std::size_t in = 1;
  for (std::size_t out : {8, 16}) {
    x = a.add(nt::conv2d({.in_channels = in, .out_channels = out, .padding = 1, .bias = false}, r), {x});
    x = a.add(nt::batch_norm({.channels = out}), {x});
    x = a.add(nt::relu{}, {x});
    if (out == 8) x = a.add(nt::max_pool2d({.kernel = 2}), {x});
    in = out;
  }
  x = a.add(nt::global_avg_pool{}, {x});
  a.add(nt::linear({.in_features = 16, .out_features = 10}, r), {x}, "classifier");
  return a;
}

// max |a - b| / max |a| of two networks' eval-mode outputs on x.
double deviation(const architecture& parent, const architecture& child, const nt::tensor& x) {
  auto p = parent.compile(), c = child.compile();
  p.eval();
  c.eval();
  const nt::tensor yp = p.forward(x);
  const nt::tensor& yc = c.forward(x);
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < yp.size(); ++i) {
    diff = std::max(diff, std::abs(double(yc.data()[i]) - yp.data()[i]));
    scale = std::max(scale, std::abs(double(yp.data()[i])));
  }
  return diff / scale;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t steps = std::stoul(arg(argc, argv, "--steps", "12"));
  const std::size_t seed = std::stoul(arg(argc, argv, "--seed", "1"));
  const std::size_t cap = std::stoul(arg(argc, argv, "--max-params", "100000"));
  const std::filesystem::path out = arg(argc, argv, "--out", "out_morphism_chain");
  moo::rng r(seed);

  architecture cur = net_b(r);
  nt::tensor x = nt::zeros({4, 1, 28, 28});
  for (auto& v : x) v = static_cast<float>(r.normal());
  std::printf("%-4s %-24s %8s %10s %6s %11s\n", "step", "operator", "params", "MACs", "nodes", "deviation");
  std::printf("%-4d %-24s %8zu %10zu %6zu %11s\n", 0, "(net B)", cur.parameter_count(), cur.macs(), cur.size(), "");

  // Uniform over the seven function-preserving operators; children above the cap are redrawn.
  const auto sampler = nas::morphism::function_preserving_sampler({.max_parameters = cap});
  for (std::size_t step = 1; step <= steps; ++step) {
    auto o = sampler(cur, r);
    if (!o) {
      std::printf("no applicable operator within the cap; stopping\n");
      break;
    }
    const double d = deviation(cur, o->child, x);
    std::printf("%-4zu %-24s %8zu %10zu %6zu %11.2e\n", step, o->operator_name.c_str(), o->child.parameter_count(),
                o->child.macs(), o->child.size(), d);
    if (!(d <= 1e-5)) {
      std::fprintf(stderr, "operator %s changed the function (deviation %g)\n", o->operator_name.c_str(), d);
      return 1;
    }
    cur = std::move(o->child);
  }

  // Save, reload, and check that the reloaded network is the same bit for bit; draw it.
  std::filesystem::create_directories(out);
  nas::graph::save(cur, out / "child.json", out / "child.weights");
  const architecture back = nas::graph::load(out / "child.json", out / "child.weights");
  if (deviation(cur, back, x) != 0.0) {
    std::fprintf(stderr, "the reloaded network differs\n");
    return 1;
  }
  std::ofstream(out / "child.dot") << nas::graph::to_dot(cur);
  std::printf("wrote %s/child.json, child.weights and child.dot\n", out.string().c_str());
  return 0;
}
