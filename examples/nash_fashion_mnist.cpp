// NASH hill climbing on Fashion-MNIST, with the budget of each step shared equally (NASH) or by
// successive halving (SH), with learning-rate restarts (SHR), and with the separable-conv operator
// (SHRSep): the comparison of Yüce et al. (2018) on this machine.
//
// Each run starts from the study's vanilla network (3 Conv-BN-ReLU blocks, max pooling between them, a
// dense classifier), pre-trains it, and then, each step, trains the parent and n_neigh - 1 children made
// by n_NM random function-preserving morphisms, for step-epochs epochs in total, and keeps the best on
// validation. Per run it writes --out/<variant>/run<seed>/steps.csv (each step's parent accuracy,
// parameters, each neighbour's operators and budget) and summary.csv (the final network's accuracy,
// parameters and layer-type shares), with a checkpoint (--resume continues killed runs, and skips finished
// ones). At the end it gathers every finished run under --out into runs.csv and table.md.
//
//   nash_fashion_mnist --help   prints the options (`usage` below); unknown ones are refused.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <moo/algorithm/checkpoint.hpp>
#include <moo/execution/thread_pool.hpp>
#include <nas/nash.hpp>
#include <nas/train/data.hpp>
#include <nas/train/parallel.hpp>

#include "args.hpp"

namespace {

// Mean and sample standard deviation.
std::pair<double, double> mean_std(const std::vector<double>& v) {
  if (v.empty()) return {NAN, NAN};
  double m = 0.0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return {m, v.size() > 1 ? std::sqrt(s / static_cast<double>(v.size() - 1)) : 0.0};
}

// Every finished run under `out` (a summary.csv), as runs.csv and a Markdown table per variant.
void gather(const std::filesystem::path& out) {
  std::string csv = "variant,run,steps,val_accuracy,test_accuracy,params,conv,merging,separable,share_conv,"
                    "share_merging,share_separable\n";
  std::map<std::string, std::vector<std::vector<double>>> by_variant;
  for (const char* v : {"nash", "sh", "shr", "shrsep"}) {
    if (!std::filesystem::is_directory(out / v)) continue;
    std::vector<std::filesystem::path> runs;
    for (const auto& e : std::filesystem::directory_iterator(out / v))
      if (std::filesystem::exists(e.path() / "summary.csv")) runs.push_back(e.path());
    std::sort(runs.begin(), runs.end());
    for (const auto& r : runs) {
      std::ifstream in(r / "summary.csv");
      std::string header, line;
      std::getline(in, header);
      std::getline(in, line);
      csv += std::string(v) + "," + r.filename().string() + "," + line + "\n";
      std::vector<double> values;
      std::stringstream ls(line);
      for (std::string cell; std::getline(ls, cell, ',');) values.push_back(std::stod(cell));
      by_variant[v].push_back(values);
    }
  }
  std::ofstream(out / "runs.csv") << csv;
  std::ostringstream md;
  md << "| variant | runs | test accuracy | parameters | conv blocks | merging layers | separable blocks |\n"
     << "|---|---|---|---|---|---|---|\n";
  for (const char* v : {"nash", "sh", "shr", "shrsep"}) {
    const auto it = by_variant.find(v);
    if (it == by_variant.end()) continue;
    auto column = [&](std::size_t j) {
      std::vector<double> c;
      for (const auto& row : it->second) c.push_back(row.at(j));
      return mean_std(c);
    };
    char buf[512];
    const auto acc = column(2), params = column(3), sc = column(7), sm = column(8), ss = column(9);
    std::snprintf(buf, sizeof buf, "| %s | %zu | %.2f%% +- %.2f | %.0f +- %.0f | %.0f%% | %.0f%% | %.0f%% |\n", v,
                  it->second.size(), 100 * acc.first, 100 * acc.second, params.first, params.second, 100 * sc.first,
                  100 * sm.first, 100 * ss.first);
    md << buf;
  }
  std::ofstream(out / "table.md") << md.str();
  std::printf("\n%s", md.str().c_str());
}

}  // namespace

// The options (printed by --help; anything else is refused before the program starts).
constexpr std::string_view usage = R"([--variant nash|sh|shr|shrsep|all] [--runs 3] [--seed 1] [--steps 8]
    [--neighbours 8] [--morphisms 5] [--step-epochs 16] [--pretrain-epochs 4]
    [--train-limit 6000] [--validation 2000] [--test-limit 0] [--workers 2]
    [--max-params 200000] [--out out/nash] [--resume] [--data DIR])";

int main(int argc, char** argv) try {
  example::check(argc, argv, usage);
  namespace nt = nas::train;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string which = example::arg(argc, argv, "--variant", std::string("shr"));
  const std::size_t runs = example::arg(argc, argv, "--runs", std::size_t{1});
  const std::size_t first_seed = example::arg(argc, argv, "--seed", std::size_t{1});
  const std::filesystem::path out = example::arg(argc, argv, "--out", std::string("out/nash"));
  const std::size_t workers = example::arg(argc, argv, "--workers", std::size_t{2});
  const bool resume = example::flag(argc, argv, "--resume");

  // 1. Data: a training subset, a validation split of the training images (the search sees only these),
  //    and the test set, used for the report only.
  const std::size_t train_limit = example::arg(argc, argv, "--train-limit", std::size_t{6000});
  const std::size_t validation = example::arg(argc, argv, "--validation", std::size_t{2000});
  const auto data = nt::load_fashion_mnist(example::arg(argc, argv, "--data", std::string(nt::fashion_mnist_dir)),
                                           {.limit = train_limit + validation},
                                           {.limit = example::arg(argc, argv, "--test-limit", std::size_t{0})});
  const auto [train, val] =
      nt::split(data.train, static_cast<double>(validation) / static_cast<double>(data.train.size()), 1);
  std::printf("Fashion-MNIST: %zu training, %zu validation, %zu test images\n", train.size(), val.size(),
              data.test.size());

  // 2. One network per worker thread, each on one backend thread (bit-reproducible).
  nt::set_num_threads(1);
  moo::thread_pool_executor pool{{.threads = workers}};

  std::vector<std::string> variants;
  if (which == "all") variants = {"nash", "sh", "shr", "shrsep"};
  else variants = example::list(which);
  for (const auto& variant : variants) {
    for (std::size_t k = 0; k < runs; ++k) {
      const std::size_t seed = first_seed + k;
      // 3. The search: the variant sets the budget policy (equal, SH, SHR) and the operators.
      nas::nash_options o{.steps = example::arg(argc, argv, "--steps", std::size_t{8}),
                          .neighbours = example::arg(argc, argv, "--neighbours", std::size_t{8}),
                          .morphisms = example::arg(argc, argv, "--morphisms", std::size_t{5}),
                          .step_epochs = example::arg_real(argc, argv, "--step-epochs", 16.0),
                          .pretrain_epochs = example::arg_real(argc, argv, "--pretrain-epochs", 4.0),
                          .seed = seed,
                          .caps = {.max_parameters = example::arg(argc, argv, "--max-params", std::size_t{200000})},
                          .training = {.batch_size = 128, .lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4, .seed = seed},
                          .out = out / variant / ("run" + std::to_string(seed)),
                          .test = &data.test,
                          .print = true};
      nas::set_variant(o, variant);
      const moo::checkpoint ck{.path = o.out / "nash.ckpt", .every = 1};
      if (resume && std::filesystem::exists(o.out / "summary.csv")) {
        std::printf("%s run %zu: finished, skipped\n", variant.c_str(), seed);
        continue;
      }
      std::printf("\n%s run %zu: %zu steps of %zu neighbours x %zu morphisms, %.1f epochs per step\n", variant.c_str(),
                  seed, o.steps, o.neighbours, o.morphisms, o.step_epochs);
      nas::nash search(o, &val);
      const auto problem = search.problem(train);
      const auto res = resume && std::filesystem::exists(ck.path) ? search.resume_on(ck.path, pool, problem, ck)
                                                                  : search.run_on(pool, problem, ck);
      const auto& best = res.genomes.front();
      std::printf("%s run %zu: validation accuracy %.4f, %zu params, %s\n", variant.c_str(), seed,
                  1.0 - res.objectives(0, 0), best.net.parameter_count(), best.op.c_str());
    }
  }
  gather(out);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "nash_fashion_mnist: %s\n", e.what());
  return 1;
}
