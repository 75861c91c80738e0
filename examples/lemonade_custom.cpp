// LEMONADE made your own, without changing the library: your data, your objective, your rule for
// choosing parents. The search is moo's evolve loop, so each piece is a policy you can replace.
//   - Data: any nas::train::dataset (here a generated one; load yours with nas::train::load_idx or by
//     filling images and labels).
//   - An objective: a type with `name`, `cheap` and operator()(const architecture&). Here the depth of
//     the network (dense convolutions on the longest path, counted without running it), a cheap one, so
//     LEMONADE's density estimate works on it too.
//   - Parent selection: any type with select(population_view, n, rng). Here "tournament on error": of
//     two random members of the front, the one with the lower validation error is the parent.
//   lemonade_custom [--generations 3] [--seed 1]
#include <cstdio>
#include <string>
#include <string_view>

#include <moo/algorithm/evolver.hpp>
#include <moo/selection/kde.hpp>
#include <moo/selection/nondominated.hpp>
#include <nas/lemonade.hpp>
#include <nas/train/parallel.hpp>

namespace {

// Your objective: convolutions (not depthwise ones) on the longest input-to-output path; cheap.
struct conv_depth {
  static constexpr bool cheap = true;
  static constexpr std::string_view name = "depth";
  double operator()(const nas::graph::architecture& a) const {
    std::vector<double> depth(a.size(), 0.0);
    for (auto v : a.topological_order()) {
      double d = 0.0;
      for (auto u : a.inputs(v)) d = std::max(d, depth[u]);
      depth[v] = d + (a.kind(v) == "conv2d" ? 1.0 : 0.0);
    }
    return std::max(1.0, depth[a.output()]);  // >= 1: densities are estimated on a log scale
  }
};

// Your parent selection: a binary tournament on the first objective (validation error).
struct error_tournament {
  std::vector<std::size_t> select(const moo::population_view<nas::candidate>& pop, std::size_t n, moo::rng& r) const {
    std::vector<std::size_t> parents(n);
    for (auto& p : parents) {
      const auto a = static_cast<std::size_t>(r.index(pop.size())), b = static_cast<std::size_t>(r.index(pop.size()));
      p = pop.objectives(a, 0) <= pop.objectives(b, 0) ? a : b;
    }
    return parents;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t generations = 3, seed = 1;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--generations") generations = std::stoul(argv[i + 1]);
    if (std::string_view(argv[i]) == "--seed") seed = std::stoul(argv[i + 1]);
  }
  nas::train::set_num_threads(1);

  // 1. Your data: 4 classes of 12x12 patterns, split into training and validation.
  const auto all = nas::train::synthetic_dataset({.samples = 600, .classes = 4, .height = 12, .width = 12, .seed = seed});
  const auto [train, val] = nas::train::split(all, 0.25, seed);

  // 2. The problem: networks of your input shape, trained briefly, measured by your objectives.
  const nas::network_problem problem(nas::network_space({.input = {1, 12, 12}, .classes = 4, .widths = {4, 8}}), train,
                                     {.epochs = 0.5, .initial_epochs = 2.0, .batch_size = 32},
                                     nas::validation_error{.data = &val}, nas::parameter_count{}, conv_depth{});
  std::printf("objectives:");
  for (const auto& n : problem.names()) std::printf(" %s", n.c_str());
  std::printf(" (cheap: parameters and depth)\n");

  // 3. LEMONADE's policies, with your parent selection in place of the density-based one.
  using cheap = decltype(problem.cheap());
  using search = moo::evolver<nas::morphism_mutation, moo::nondominated_survival, error_tournament,
                              moo::kde_screening<cheap>>;
  const search algo{{.population = 0,  // 0: the whole non-dominated set
                     .generations = generations,
                     .offspring = 8,
                     .seed = seed,
                     .variation = {nas::morphism::all_operators_sampler({.max_parameters = 20000})},
                     .screening = {.cheap = problem.cheap(), .accept = 3},
                     .initial = 3,
                     .drop_failed = true}};
  const auto res = algo.run(problem);

  std::printf("%zu generations, %zu networks trained; front:\n", res.generations, res.evaluations);
  for (std::size_t i = 0; i < res.genomes.size(); ++i)
    std::printf("  #%s %-22s error %.3f  params %5.0f  depth %.0f\n", nas::hex_id(res.genomes[i].id).c_str(),
                res.genomes[i].op.c_str(), res.objectives(i, 0), res.objectives(i, 1), res.objectives(i, 2));
  return res.genomes.empty() ? 1 : 0;
}
