// LEMONADE's search-quality study (Elsken et al. 2019, RQ1) on Fashion-MNIST: LEMONADE against the same
// search without Lamarckian inheritance (children's weights redrawn and trained from scratch) and against
// random search over the same operators (uniform parents, uniform acceptance, no inheritance), with an
// equal training budget (the same number of trained networks, the same epochs each), over several seeds.
// lemonade_sh is LEMONADE whose accepted children of a generation are trained by successive halving
// (moo::successive_halving) instead of equally: the same epochs per generation in all (accepted x
// epochs), the same number of trained networks; the better half of each round continues training.
// Reports the hypervolume of (validation error, log10 parameters) with reference point (1, 6) and writes
// summary.csv, fronts.csv (every run's final front) and fronts.png (gnuplot) into --out.
//   lemonade_study --help   prints the options (`usage` below); unknown ones are refused.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <moo/algorithm/budget.hpp>
#include <moo/algorithm/termination.hpp>
#include <moo/execution/thread_pool.hpp>
#include <moo/indicators/hypervolume.hpp>
#include <moo/selection/random_mating.hpp>
#include <nas/lemonade.hpp>
#include <nas/search/baselines.hpp>
#include <nas/search/report.hpp>
#include <nas/train/data.hpp>
#include <nas/train/parallel.hpp>

#include "args.hpp"

namespace {

// Hypervolume of (error, log10 params) of a result, reference (1, 6).
double hv(const moo::result<nas::candidate>& res) {
  moo::matrix f(res.genomes.size(), 2);
  for (std::size_t i = 0; i < res.genomes.size(); ++i) {
    f(i, 0) = res.objectives(i, 0);
    f(i, 1) = std::log10(res.objectives(i, 1));
  }
  return moo::hypervolume(f, std::vector<double>{1.0, 6.0});
}

}  // namespace

// The options (printed by --help; anything else is refused before the program starts).
constexpr std::string_view usage = R"([--variants lemonade,scratch,random,lemonade_sh] [--seeds 1,2,3] [--max-children 40] [--out DIR]
    [--train-limit 12000] [--validation 2000] [--children 16] [--accepted 4] [--workers 2]
    [--epochs 1] [--initial-epochs 2] [--initial 4] [--data DIR])";

int main(int argc, char** argv) try {
  example::check(argc, argv, usage);
  namespace nt = nas::train;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::filesystem::path out = example::arg(argc, argv, "--out", std::string("out/lemonade_study"));
  const std::size_t train_limit = example::arg(argc, argv, "--train-limit", std::size_t{12000});
  const std::size_t validation = example::arg(argc, argv, "--validation", std::size_t{2000});
  const std::size_t max_children = example::arg(argc, argv, "--max-children", std::size_t{40});
  const auto data = nt::load_fashion_mnist(example::arg(argc, argv, "--data", std::string(nt::fashion_mnist_dir)),
                                           {.limit = train_limit + validation}, {.limit = 1});
  const auto [train, val] = nt::split(data.train, static_cast<double>(validation) / static_cast<double>(data.train.size()), 1);
  nt::set_num_threads(1);
  moo::thread_pool_executor pool{{.threads = example::arg(argc, argv, "--workers", std::size_t{2})}};
  std::filesystem::create_directories(out);
  std::string summary = "variant,seed,hypervolume,front_size,trained,generations,seconds,best_error,smallest_params\n";
  std::string fronts = "variant,seed,error,params\n";
  std::map<std::string, std::vector<double>> hvs;

  for (const auto& seed_text : example::list(example::arg(argc, argv, "--seeds", std::string("1,2,3")))) {
    const std::uint64_t seed = std::stoull(seed_text);
    nas::lemonade_options o{
        .generations = 1000000,
        .children = example::arg(argc, argv, "--children", std::size_t{16}),
        .accepted = example::arg(argc, argv, "--accepted", std::size_t{4}),
        .initial = example::arg(argc, argv, "--initial", std::size_t{4}),
        .seed = seed,
        .caps = {.max_parameters = 300000},
        .space = {.input = {1, 28, 28}, .classes = 10, .widths = {8, 16, 32}, .min_blocks = 2, .max_blocks = 3},
        .training = {.epochs = example::arg_real(argc, argv, "--epochs", 1.0), .initial_epochs = example::arg_real(argc, argv, "--initial-epochs", 2.0),
                     .distill = {.epochs = 0, .max_steps = 100}, .seed = seed}};
    nas::lemonade search(o, nas::validation_error{.data = &val}, nas::parameter_count{}, nas::mac_count{});
    const auto problem = search.problem(train);
    const auto lem = search.evolver();  // LEMONADE's options; the baselines swap policies in
    for (const auto& variant : example::list(example::arg(argc, argv, "--variants", std::string("lemonade,scratch,random,lemonade_sh")))) {
      const auto dir = out / (variant + "_s" + seed_text);
      nas::search_report report{.out = dir, .names = problem.names(), .print = false, .plot = false};
      auto budget = moo::max_evaluations{o.initial + max_children};
      const auto t0 = std::chrono::steady_clock::now();
      moo::result<nas::candidate> res;
      if (variant == "lemonade") {
        res = lem.run_on(pool, problem, budget, report);
      } else if (variant == "lemonade_sh") {
        // Equal budget: a generation's accepted children share accepted x epochs in halving rounds.
        const auto sh = search.evolver(moo::successive_halving{.budget = static_cast<double>(o.accepted) * o.training.epochs});
        res = sh.run_on(pool, problem, budget, report);
      } else if (variant == "scratch") {
        using cheap = nas::lemonade<nas::validation_error, nas::parameter_count, nas::mac_count>::cheap_type;
        const moo::evolver<nas::scratch_mutation, moo::nondominated_survival, moo::kde_mating<cheap>, moo::kde_screening<cheap>>
            algo{{.population = lem.opts.population, .generations = o.generations, .offspring = o.children, .seed = seed,
                  .variation = {lem.opts.variation}, .mating = lem.opts.mating, .screening = lem.opts.screening,
                  .initial = o.initial, .drop_failed = true}};
        res = algo.run_on(pool, problem, budget, report);
      } else if (variant == "random") {
        const moo::evolver<nas::scratch_mutation, moo::nondominated_survival, moo::random_mating, nas::uniform_screening>
            algo{{.population = lem.opts.population, .generations = o.generations, .offspring = o.children, .seed = seed,
                  .variation = {lem.opts.variation}, .screening = {.accept = o.accepted}, .initial = o.initial,
                  .drop_failed = true}};
        res = algo.run_on(pool, problem, budget, report);
      } else {
        throw moo::value_error("lemonade_study: unknown variant '" + variant + "' (lemonade, scratch, random, lemonade_sh)");
      }
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double h = hv(res);
      hvs[variant].push_back(h);
      double best = 1.0, smallest = 1e300;
      for (std::size_t i = 0; i < res.genomes.size(); ++i) {
        best = std::min(best, res.objectives(i, 0));
        smallest = std::min(smallest, res.objectives(i, 1));
        fronts += moo::detail::message(variant, ",", seed, ",", res.objectives(i, 0), ",", res.objectives(i, 1), "\n");
      }
      summary += moo::detail::message(variant, ",", seed, ",", h, ",", res.genomes.size(), ",", res.evaluations, ",", res.generations, ",",
                                      seconds, ",", best, ",", smallest, "\n");
      std::printf("%-8s seed %s: hypervolume %.4f, front %zu, %zu trained, %zu generations, %.0f s, best error %.4f\n",
                  variant.c_str(), seed_text.c_str(), h, res.genomes.size(), res.evaluations, res.generations, seconds, best);
      moo::io::write_atomically(out / "summary.csv", summary);
      moo::io::write_atomically(out / "fronts.csv", fronts);
    }
  }
  std::printf("\n| variant | hypervolume (mean +- sd) | runs |\n|---|---|---|\n");
  for (const auto& [v, xs] : hvs) {
    double m = 0, s = 0;
    for (double x : xs) m += x;
    m /= static_cast<double>(xs.size());
    for (double x : xs) s += (x - m) * (x - m);
    s = xs.size() > 1 ? std::sqrt(s / static_cast<double>(xs.size() - 1)) : 0.0;
    std::printf("| %s | %.4f +- %.4f | %zu |\n", v.c_str(), m, s, xs.size());
  }
  if (nas::detail::have_tool("gnuplot")) {
    const std::string gp = moo::detail::message(
        "set terminal pngcairo size 900,600 noenhanced\nset output '", (out / "fronts.png").string(), "'\n",
        "set datafile separator ','\nset logscale x\nset xlabel 'parameters'\nset ylabel 'validation error'\n",
        "set title 'Final fronts (error vs parameters), every seed'\n",
        "plot for [v in 'lemonade scratch random lemonade_sh'] '", (out / "fronts.csv").string(),
        "' using (strcol(1) eq v ? $4 : NaN):3 with points pt 7 ps 0.8 title v\n");
    moo::io::write_atomically(out / "fronts.gp", gp);
    const std::string cmd = "gnuplot '" + (out / "fronts.gp").string() + "' 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "lemonade_study: gnuplot failed\n");
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "lemonade_study: %s\n", e.what());
  return 1;
}
