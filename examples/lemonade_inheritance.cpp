// Inheritance (Elsken et al. 2019, RQ2): a child made by a function-preserving network morphism starts
// with its parent's accuracy, so it needs little training; the same architecture trained from scratch
// needs much more. For a trained parent and one child per function-preserving operator (plus the
// approximate ones, distilled first), this measures the child's validation accuracy at birth, and the
// epochs of training (in quarter epochs) after which the child, and the same architecture with redrawn
// weights, first reach the parent's accuracy (capped at --max-epochs). Writes inheritance.csv to --out.
//   lemonade_inheritance --help   prints the options (`usage` below); unknown ones are refused.
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include <moo/io/file.hpp>
#include <nas/lemonade.hpp>
#include <nas/search/baselines.hpp>
#include <nas/train/data.hpp>
#include <nas/train/parallel.hpp>

#include "args.hpp"

namespace {

// Trains c in quarter epochs (a fresh shuffle and cosine cycle each) until its validation accuracy is
// at least `target`; returns the epochs used, or -1 if it did not get there within max_epochs.
double epochs_to_reach(nas::candidate c, double target, double max_epochs, const nas::train::dataset& train,
                       const nas::validation_error& err, nas::training_options o) {
  o.epochs = 0.25;
  double used = 0.0;
  for (int chunk = 0; used < max_epochs; ++chunk) {
    o.seed = 1000 + static_cast<std::uint64_t>(chunk);
    nas::train_candidate(c, train, o);
    used += 0.25;
    if (1.0 - err(c.net) >= target) return used;
  }
  return -1.0;
}

}  // namespace

// The options (printed by --help; anything else is refused before the program starts).
constexpr std::string_view usage = R"([--parent-epochs 2] [--max-epochs 4] [--train-limit 12000] [--validation 2000]
    [--seed 1] [--out out/lemonade_inheritance] [--threads 2] [--distill-steps 100] [--data DIR])";

int main(int argc, char** argv) try {
  example::check(argc, argv, usage);
  namespace nt = nas::train;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  nt::set_num_threads(example::arg(argc, argv, "--threads", std::size_t{2}));
  const auto seed = static_cast<std::uint64_t>(example::arg(argc, argv, "--seed", std::size_t{1}));
  const double max_epochs = example::arg_real(argc, argv, "--max-epochs", 4.0);
  const std::filesystem::path out = example::arg(argc, argv, "--out", std::string("out/lemonade_inheritance"));
  const auto train_limit = example::arg(argc, argv, "--train-limit", std::size_t{12000});
  const auto validation = example::arg(argc, argv, "--validation", std::size_t{2000});
  const auto data = nt::load_fashion_mnist(example::arg(argc, argv, "--data", std::string(nt::fashion_mnist_dir)),
                                           {.limit = train_limit + validation}, {.limit = 1});
  const auto [train, val] = nt::split(data.train, static_cast<double>(validation) / static_cast<double>(data.train.size()), seed);
  const nas::validation_error err{.data = &val};
  const nas::training_options o{.initial_epochs = example::arg_real(argc, argv, "--parent-epochs", 2.0),
                                .distill = {.epochs = 0, .max_steps = example::arg(argc, argv, "--distill-steps", std::size_t{100})},
                                .seed = seed};

  moo::rng r(seed);
  const nas::network_space space({.input = {1, 28, 28}, .classes = 10});
  nas::candidate parent{.net = space.trivial(16, 2, r), .id = 1, .op = "initial"};
  nas::train_candidate(parent, train, o);
  const double pa = 1.0 - err(parent.net);
  std::printf("parent: %zu params, validation accuracy %.2f%% after %.1f epochs on %zu images\n",
              parent.net.parameter_count(), 100 * pa, o.initial_epochs, train.size());
  std::printf("%-24s %8s %10s %10s %12s %12s\n", "operator", "params", "birth acc", "diff (pt)", "child ep.", "scratch ep.");
  std::string csv = "operator,function_preserving,params,parent_accuracy,birth_accuracy,birth_diff_points,"
                    "child_epochs_to_parent,scratch_epochs_to_parent\n";
  for (const auto& name : nas::morphism::operator_names()) {
    nas::morphism_mutation m{nas::morphism::sampler_from_names({name})};
    auto child = m(space, parent, r);
    if (!child) {
      std::printf("%-24s (no site)\n", name.c_str());
      continue;
    }
    // Birth: an approximate child is distilled first (its only training before it counts as born).
    if (child->teacher) {
      auto d = o.distill;
      nas::morphism::distill(child->net, *child->teacher, train, d);
      child->teacher.reset();
    }
    const double birth = 1.0 - err(child->net);
    nas::candidate scratch = *child;
    nas::reinitialise(scratch.net, r);
    const double ce = epochs_to_reach(*child, pa, max_epochs, train, err, o);
    const double se = epochs_to_reach(scratch, pa, max_epochs, train, err, o);
    auto show = [](double e) { return e < 0 ? std::string("> max") : moo::detail::message(e); };
    std::printf("%-24s %8zu %9.2f%% %+10.2f %12s %12s\n", name.c_str(), child->net.parameter_count(), 100 * birth,
                100 * (birth - pa), show(ce).c_str(), show(se).c_str());
    csv += moo::detail::message(name, ",", child->function_preserving, ",", child->net.parameter_count(), ",", pa, ",",
                                birth, ",", 100 * (birth - pa), ",", ce, ",", se, "\n");
  }
  std::filesystem::create_directories(out);
  moo::io::write_atomically(out / "inheritance.csv", csv);
  std::printf("(-1 in the CSV: not reached within %.1f epochs)\n", max_epochs);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "lemonade_inheritance: %s\n", e.what());
  return 1;
}
