// The main job: LEMONADE (Elsken et al., ICLR 2019) on Fashion-MNIST, a Pareto front of trained networks
// over validation error, parameters and multiply-accumulates, in about ten minutes on two cores.
//
// It starts from a few trivial Conv-BN-ReLU networks, trains them, and then, each generation, proposes
// children by network morphisms of parents drawn where the front is sparse (a density estimate over the
// cheap objectives), accepts some of them by the same rule, trains only those (one per worker thread),
// and keeps the non-dominated set. Everything it makes goes to --out: front.csv / front.json (validation
// and test error, parameters, MACs, latency, lineage), front.png (the front per generation), nets/ (each
// front network's graph, weights and drawing), history.csv, rejected.csv, log.jsonl, the checkpoint, and
// index.html. Kill it at any moment and run it again with --resume: it continues from its checkpoint.
//
//   lemonade_fashion_mnist --help   prints the options (`usage` below); unknown ones are refused.
#include <chrono>
#include <span>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <moo/algorithm/progress.hpp>
#include <moo/algorithm/termination.hpp>
#include <moo/execution/thread_pool.hpp>
#include <nas/lemonade.hpp>
#include <nas/search/report.hpp>
#include <nas/train/data.hpp>
#include <nas/train/parallel.hpp>

#include "args.hpp"

#include <sys/resource.h>

namespace {

// CPU seconds of this process so far (user + system, all threads).
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// An executor that times the evaluations (training and measuring) of another one, so the search's own
// overhead (density estimates, morphisms, survival, checkpoints, reports) is what is left of the run.
template <class Inner>
struct timed_executor {
  Inner& inner;
  double wall = 0.0, cpu = 0.0;
  template <class P>
  moo::matrix evaluate(const P& p, std::span<moo::genome_of<P>> xs) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    struct account {
      timed_executor& self;
      std::chrono::steady_clock::time_point t0;
      double c0;
      ~account() {
        self.wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        self.cpu += cpu_seconds() - c0;
      }
    } a{*this, t0, c0};
    return inner.evaluate(p, xs);
  }
};

}  // namespace

// The options (printed by --help; anything else is refused before the program starts).
constexpr std::string_view usage = R"([--minutes 10] [--seed 1] [--out out/lemonade] [--resume]
    [--operators insert_conv_block,widen_conv,...] [--workers 2]
    [--children 16] [--accepted 4] [--initial 4] [--epochs 1] [--initial-epochs 2]
    [--train-limit 12000] [--validation 2000] [--test-limit 0] [--max-children 0]
    [--generations 0] [--max-params 300000] [--data DIR])";

int main(int argc, char** argv) try {
  example::check(argc, argv, usage);
  namespace nt = nas::train;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const double minutes = example::arg_real(argc, argv, "--minutes", 10.0);
  const std::size_t seed = example::arg(argc, argv, "--seed", std::size_t{1});
  const std::filesystem::path out = example::arg(argc, argv, "--out", std::string("out/lemonade"));
  const std::size_t workers = example::arg(argc, argv, "--workers", std::size_t{2});
  const bool resume = example::flag(argc, argv, "--resume");

  // 1. Data: a training subset, a validation split from the training images (the search sees only
  //    these), and the test set, used once at the end for the front networks.
  const std::size_t train_limit = example::arg(argc, argv, "--train-limit", std::size_t{12000});
  const std::size_t validation = example::arg(argc, argv, "--validation", std::size_t{2000});
  const auto data = nt::load_fashion_mnist(example::arg(argc, argv, "--data", std::string(nt::fashion_mnist_dir)),
                                           {.limit = train_limit + validation},
                                           {.limit = example::arg(argc, argv, "--test-limit", std::size_t{0})});
  const auto [train, val] = nt::split(data.train, static_cast<double>(validation) / static_cast<double>(data.train.size()), seed);
  std::printf("Fashion-MNIST: %zu training, %zu validation, %zu test images\n", train.size(), val.size(), data.test.size());

  // 2. One network per worker thread, each on one backend thread, so training runs are independent
  //    (and bit-reproducible); latency is measured after the search with the machine to itself.
  nt::set_num_threads(1);
  moo::thread_pool_executor pool{{.threads = workers}};

  // 3. The search: objectives as a compile-time list (error is expensive; params, MACs are cheap).
  nas::lemonade_options o{
      .generations = example::arg(argc, argv, "--generations", std::size_t{1000000}),
      .children = example::arg(argc, argv, "--children", std::size_t{16}),
      .accepted = example::arg(argc, argv, "--accepted", std::size_t{4}),
      .initial = example::arg(argc, argv, "--initial", std::size_t{4}),
      .seed = seed,
      .operators = example::list(example::arg(argc, argv, "--operators", std::string())),
      .caps = {.max_parameters = example::arg(argc, argv, "--max-params", std::size_t{300000})},
      .space = {.input = {1, 28, 28}, .classes = 10, .widths = {8, 16, 32}, .min_blocks = 2, .max_blocks = 3},
      .training = {.epochs = example::arg_real(argc, argv, "--epochs", 1.0),
                   .initial_epochs = example::arg_real(argc, argv, "--initial-epochs", 2.0),
                   .distill = {.epochs = 0, .max_steps = 100},
                   .seed = seed}};
  nas::lemonade search(o, nas::validation_error{.data = &val}, nas::parameter_count{}, nas::mac_count{});
  const auto problem = search.problem(train);
  std::printf("LEMONADE: %zu children proposed, %zu trained per generation, %zu workers, budget %.1f min, out %s\n",
              o.children, o.accepted, workers, minutes, out.string().c_str());

  const std::size_t max_children = example::arg(argc, argv, "--max-children", std::size_t{0});
  auto budget = moo::max_time{std::chrono::duration<double>(60.0 * minutes)} |
                      moo::max_evaluations{max_children == 0 ? std::size_t(-1) : max_children} |
                      moo::max_generations{o.generations};
  nas::search_report report{.out = out, .names = problem.names()};
  moo::jsonl_log log{.path = out / "log.jsonl"};
  const moo::checkpoint ck{.path = out / "lemonade.ckpt", .every = 1};
  std::filesystem::create_directories(out);

  timed_executor<moo::thread_pool_executor> timed{pool};
  const auto t0 = std::chrono::steady_clock::now();
  const auto res = resume ? search.resume_on(ck.path, timed, problem, budget, report, log, ck)
                          : search.run_on(timed, problem, budget, report, log, ck);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\ntraining and measuring: %.1f s of %.1f s; the search's own work (density estimates, morphisms, "
              "survival, checkpoints, reports): %.2f s = %.2f%%; CPU use while training %.0f%% of %zu cores\n",
              timed.wall, seconds, seconds - timed.wall, 100.0 * (seconds - timed.wall) / seconds,
              100.0 * timed.cpu / (timed.wall * static_cast<double>(workers)), workers);

  // 4. The front: test error and latency (batch 1, one thread, measured alone), files, pictures.
  const auto test_error = nas::export_front(out, res, problem.names(), &data.test, {.latency_batch = 1});
  std::printf("\n%zu generations, %zu networks trained in %.0f s; front of %zu networks:\n", res.generations,
              res.evaluations, seconds, res.genomes.size());
  std::printf("  %-8s %-22s %9s %9s %9s %11s\n", "id", "operator", "val err", "test err", "params", "MACs");
  for (std::size_t i = 0; i < res.genomes.size(); ++i)
    std::printf("  %-8s %-22s %9.4f %9.4f %9.0f %11.0f\n", nas::hex_id(res.genomes[i].id).c_str(),
                res.genomes[i].op.c_str(), res.objectives(i, 0), test_error[i], res.objectives(i, 1), res.objectives(i, 2));
  std::printf("open %s\n", (out / "index.html").string().c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "lemonade_fashion_mnist: %s\n", e.what());
  return 1;
}
