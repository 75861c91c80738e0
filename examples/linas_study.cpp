// LINAS (Cummings et al. 2022, "A Hardware-Aware Framework for Accelerating Neural Architecture Search
// Across Modalities", Algorithm 1) on the sub-networks of an elastic super-network trained on
// Fashion-MNIST, against NSGA-II and random search on real measurements, and the predictors' accuracy.
//
// 1. The super-network (nas/supernet): loaded from --supernet, or trained with the sandwich rule for
//    --epochs and saved there (the training time is printed).
// 2. The search study, for each objective pair of --objectives (error-latency: validation error after
//    batch-norm recalibration vs median latency at batch 1 on one thread; error-macs: vs exact MACs):
//    every method of --methods with every seed runs until --budget measurements. Each run's curve is the
//    normalised hypervolume of everything it measured so far (each objective scaled to [0, 1] by the
//    range of all runs' measurements; reference point (1.1, 1.1)) against the number of distinct
//    sub-networks measured
//    (canonical forms: two genomes naming one network are one measurement). Reported: the measurements
//    each method needs to reach 90% and 95% of the best hypervolume any run reached, median over seeds.
//    Methods: linas (moo::integer_linas: ridge predictors, inner NSGA-II of --population for
//    --inner-generations on predictions, --population measured per iteration; linas_svr and
//    linas_stacked: the same with SVR or the stacked predictor), nsga2 (moo::integer_nsga2,
//    population --population, duplicates eliminated) and random (moo::random_search, the same).
// 3. The predictor study (--predictor-samples): random distinct sub-networks are measured, each
//    predictor (ridge, svr, stacked) is fitted on the first n of them for each n and
//    scored on --held-out others: MAPE and Kendall's tau per objective, with fit and predict times.
// Every measurement goes to --out/measured.csv first (nas::measurement_cache): a killed study, run again,
// measures nothing twice; runs that finished are read back from their curve files instead of rerun.
// Writes curves_<pair>.csv (every run), median_<pair>.csv, summary.md, predictors.csv and curves_<pair>.png
// (gnuplot: the median curves) into --out.
//   linas_study --help   prints the options (`usage` below); unknown ones are refused.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <moo/algorithm/linas.hpp>
#include <moo/algorithm/random_search.hpp>
#include <moo/algorithm/termination.hpp>
#include <moo/core/rng.hpp>
#include <moo/indicators/hypervolume.hpp>
#include <moo/io/file.hpp>
#include <moo/pareto/sorting.hpp>
#include <moo/surrogate/encoding.hpp>
#include <moo/surrogate/metrics.hpp>
#include <moo/surrogate/ridge.hpp>
#include <moo/surrogate/stacked.hpp>
#include <moo/surrogate/svr.hpp>
#include <nas/search/report.hpp>
#include <nas/supernet/problem.hpp>
#include <nas/supernet/serialize.hpp>
#include <nas/supernet/supernet.hpp>
#include <nas/supernet/training.hpp>
#include <nas/train/data.hpp>
#include <nas/train/parallel.hpp>

#include "args.hpp"

namespace {

// The problem as a search sees it, recording in order each distinct sub-network (canonical form) it is
// asked for and that one's objectives. Evaluated sequentially (the order is the run's measurement order).
struct recorded_problem {
  using genome_type = moo::integer_genome;
  const nas::supernet_problem* inner;
  struct log {
    std::mutex m;
    std::set<moo::integer_genome> seen;
    std::vector<std::vector<double>> rows;  // one per distinct sub-network, in the order first asked
  };
  std::shared_ptr<log> record = std::make_shared<log>();

  const nas::supernet_space& space() const { return inner->space(); }
  std::size_t num_objectives() const { return inner->num_objectives(); }
  void evaluate(const genome_type& x, std::span<double> out) const {
    inner->evaluate(x, out);
    std::lock_guard lock(record->m);
    if (record->seen.insert(inner->network().canonical(x)).second) record->rows.emplace_back(out.begin(), out.end());
  }
};

// A callback that stops a run once it has measured `budget` distinct sub-networks.
struct stop_at_distinct {
  const recorded_problem* rp;
  std::size_t budget;
  bool on_generation(const auto&) const { return rp->record->rows.size() < budget; }
};

// LINAS with a predictor: `population` random measurements, then `population` per iteration, proposed by
// an inner integer NSGA-II (population `population`, `generations` generations) on the predictions.
template <class Predictor>
void run_linas(const recorded_problem& rp, std::size_t population, std::size_t generations, std::size_t seed,
               std::size_t budget, const stop_at_distinct& stop) {
  moo::linas_proposal<Predictor, moo::integer_nsga2> proposal;
  proposal.inner.population = population;
  proposal.inner.generations = generations;
  const moo::linas_with<Predictor, moo::integer_nsga2> algo{
      {.offspring = population, .seed = seed, .variation = proposal, .initial = population}};
  algo.run(rp, moo::max_evaluations{30 * budget}, stop);
}

// How a pair's objectives are normalised for the hypervolume: by the smallest and largest value of each
// among every measurement of every run (so the scale is set by the sub-networks the study saw, not by
// error 1 or one method's front); reference point (1.1, 1.1) in those units. (The reference front alone,
// the non-dominated set of all measurements, is too narrow here: its errors span less than a percentage
// point, and a run's hypervolume would hinge on a few exact networks.)
struct normalisation {
  double ideal[2] = {0.0, 0.0};
  double nadir[2] = {1.0, 1.0};
};

normalisation measured_range(const std::map<std::pair<std::string, std::size_t>, std::vector<std::vector<double>>>& runs) {
  normalisation n;
  bool first = true;
  for (const auto& [key, rows] : runs)
    for (const auto& r : rows) {
      for (std::size_t j = 0; j < 2; ++j) {
        n.ideal[j] = first ? r[j] : std::min(n.ideal[j], r[j]);
        n.nadir[j] = first ? r[j] : std::max(n.nadir[j], r[j]);
      }
      first = false;
    }
  for (std::size_t j = 0; j < 2; ++j)
    if (!(n.nadir[j] > n.ideal[j])) n.nadir[j] = n.ideal[j] + 1.0;
  return n;
}

// The normalised hypervolume of the first k rows, for k = 1..rows.
std::vector<double> hv_curve(const std::vector<std::vector<double>>& rows, const normalisation& n) {
  std::vector<double> curve;
  moo::matrix inside(0, 2);
  const std::vector<double> ref{1.1, 1.1};
  for (const auto& r : rows) {
    const double p[2] = {(r[0] - n.ideal[0]) / (n.nadir[0] - n.ideal[0]), (r[1] - n.ideal[1]) / (n.nadir[1] - n.ideal[1])};
    if (p[0] < ref[0] && p[1] < ref[1]) inside.push_back(std::span<const double>(p, 2));
    curve.push_back(inside.rows() == 0 ? 0.0 : moo::hypervolume(inside, ref));
  }
  return curve;
}

// The first number of measurements at which curve reaches target (0 when it never does).
std::size_t reached(const std::vector<double>& curve, double target) {
  for (std::size_t k = 0; k < curve.size(); ++k)
    if (curve[k] >= target) return k + 1;
  return 0;
}

// Median of the measurement counts of the seeds; a seed that never reached counts as infinite.
std::string median_text(std::vector<std::size_t> v, std::size_t budget) {
  for (auto& x : v)
    if (x == 0) x = static_cast<std::size_t>(-1);
  std::sort(v.begin(), v.end());
  const std::size_t m = v[(v.size() - 1) / 2];
  return m == static_cast<std::size_t>(-1) ? "> " + std::to_string(budget) : std::to_string(m);
}

// Reads the curve of a finished run back from the curves file (method,seed,measurements,error,cost,hv).
std::map<std::pair<std::string, std::size_t>, std::vector<std::vector<double>>> read_rows(const std::filesystem::path& p) {
  std::map<std::pair<std::string, std::size_t>, std::vector<std::vector<double>>> runs;
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string method, seed, k, e, c;
    if (!std::getline(ss, method, ',') || !std::getline(ss, seed, ',') || !std::getline(ss, k, ',') ||
        !std::getline(ss, e, ',') || !std::getline(ss, c, ','))
      throw moo::io_error("linas_study: " + p.string() + ": malformed line '" + line + "'");
    runs[{method, std::stoul(seed)}].push_back({std::stod(e), std::stod(c)});
  }
  return runs;
}

template <class Predictor>
void predictor_rows(const char* name, Predictor proto, const moo::matrix& x, const moo::matrix& y,
                    const std::vector<std::size_t>& sizes, std::size_t held_out, const std::vector<std::string>& names,
                    std::string& csv) {
  const std::size_t total = x.rows();
  std::vector<std::size_t> test_rows;
  for (std::size_t i = total - held_out; i < total; ++i) test_rows.push_back(i);
  const moo::matrix xt = x.select(test_rows);
  for (const std::size_t n : sizes) {
    std::vector<std::size_t> train_rows;
    for (std::size_t i = 0; i < n; ++i) train_rows.push_back(i);
    const moo::matrix xs = x.select(train_rows);
    for (std::size_t j = 0; j < y.cols(); ++j) {
      std::vector<double> ys(n), truth(held_out);
      for (std::size_t i = 0; i < n; ++i) ys[i] = y(i, j);
      for (std::size_t i = 0; i < held_out; ++i) truth[i] = y(total - held_out + i, j);
      Predictor p = proto;
      const auto t0 = std::chrono::steady_clock::now();
      p.fit(xs, ys);
      const auto t1 = std::chrono::steady_clock::now();
      const auto pred = p.predict(xt);
      const auto t2 = std::chrono::steady_clock::now();
      const double fit_s = std::chrono::duration<double>(t1 - t0).count();
      const double pred_s = std::chrono::duration<double>(t2 - t1).count();
      const double mape = moo::mape(truth, pred), tau = moo::kendall_tau(truth, pred);
      std::printf("%-8s n %5zu %-8s MAPE %7.2f%%  tau %6.3f  fit %8.4f s  predict %8.5f s\n", name, n,
                  names[j].c_str(), mape, tau, fit_s, pred_s);
      csv += moo::detail::message(name, ",", n, ",", names[j], ",", mape, ",", tau, ",", fit_s, ",", pred_s, "\n");
    }
  }
}

}  // namespace

// The options (printed by --help; anything else is refused before the program starts).
constexpr std::string_view usage = R"([--supernet supernet.bin] [--epochs 2] [--train-limit N] [--validation 2000]
    [--calibration-batches 10] [--objectives error-latency,error-macs] [--methods linas,nsga2,random]
    [--seeds 5] [--budget 300] [--population 50] [--inner-generations 400] [--threads 2]
    [--predictor-samples 50,100,200,500,1000] [--held-out 200] [--out out/linas_study] [--data DIR])";

int main(int argc, char** argv) try {
  example::check(argc, argv, usage);
  using example::arg;
  namespace nt = nas::train;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::filesystem::path out = arg(argc, argv, "--out", std::string("out/linas_study"));
  std::filesystem::create_directories(out);
  const std::size_t threads = arg(argc, argv, "--threads", std::size_t{2});
  nt::set_num_threads(threads);

  // 1. Data: the training images, split into training (super-network, recalibration) and validation.
  const nt::fashion_mnist data = nt::load_fashion_mnist(arg(argc, argv, "--data", std::string(nt::fashion_mnist_dir)),
                                                        {.limit = arg(argc, argv, "--train-limit", std::size_t{0})},
                                                        {.limit = 1});
  const double validation = static_cast<double>(arg(argc, argv, "--validation", std::size_t{2000}));
  const auto [train, val] = nt::split(data.train, std::min(0.5, validation / static_cast<double>(data.train.size())), 1);

  // 2. The super-network: loaded, or trained and saved.
  const std::filesystem::path net_path = arg(argc, argv, "--supernet", (out / "supernet.bin").string());
  std::unique_ptr<nas::supernet> net;
  if (std::filesystem::exists(net_path)) {
    net = std::make_unique<nas::supernet>(nas::load_supernet(net_path));
    std::printf("super-network loaded from %s\n", net_path.string().c_str());
  } else {
    net = std::make_unique<nas::supernet>(nas::supernet_options{}, 1);
    const double epochs = example::arg_real(argc, argv, "--epochs", 2.0);
    const auto t0 = std::chrono::steady_clock::now();
    nas::train_supernet(*net, train, {.epochs = epochs, .threads = threads, .seed = 1}, [](const nas::supernet_epoch& e) {
      std::printf("supernet epoch %zu: %zu steps, loss largest %.4f smallest %.4f, %.1f s\n", e.epoch + 1, e.steps,
                  e.loss_largest, e.loss_smallest, e.seconds);
    });
    std::printf("super-network trained on %zu images for %.2f epochs in %.1f s (%zu threads)\n", train.size(), epochs,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), threads);
    nas::save_supernet(*net, net_path);
  }
  std::printf("%s: %zu genes\n", net->description().c_str(), net->genes());

  const nas::measure_options mopt{.calibration_batches = arg(argc, argv, "--calibration-batches", std::size_t{10}),
                                  .latency_batch = 1, .latency_threads = 1};
  const std::filesystem::path cache = out / "measured.csv";
  const std::size_t budget = arg(argc, argv, "--budget", std::size_t{300});
  const std::size_t population = arg(argc, argv, "--population", std::size_t{50});
  const std::size_t inner_generations = arg(argc, argv, "--inner-generations", std::size_t{400});
  const std::size_t seeds = arg(argc, argv, "--seeds", std::size_t{5});
  const std::string methods_arg = arg(argc, argv, "--methods", std::string("linas,nsga2,random"));
  const auto methods = example::list(methods_arg);
  std::string methods_text;
  for (const auto& m : methods) methods_text += (methods_text.empty() ? "" : " ") + m;
  std::string summary = "# LINAS study\n\n";

  // 3. The search study, per objective pair.
  for (const auto& pair : example::list(arg(argc, argv, "--objectives", std::string("error-latency,error-macs")))) {
    if (pair != "error-latency" && pair != "error-macs")
      throw moo::value_error("linas_study: unknown objective pair '" + pair + "' (error-latency, error-macs)");
    const std::string cost = pair.substr(6);
    // Latency is measured whenever the pair needs it; the cache keeps every measured field, so the
    // error-macs pair reuses the error-latency pair's measurements.
    const nas::supernet_problem problem(*net, train, val, {.objectives = {"error", cost}, .measure = mopt, .cache = cache});
    double largest[2];
    problem.evaluate(net->largest(), largest);
    std::printf("\n== %s: the largest sub-network has error %.4f, %s %.6g\n", pair.c_str(), largest[0], cost.c_str(),
                largest[1]);

    const std::filesystem::path curves_path = out / ("curves_" + pair + ".csv");
    auto runs = std::filesystem::exists(curves_path) ? read_rows(curves_path) : decltype(read_rows(curves_path)){};
    auto write_curves = [&] {
      std::string csv = "method,seed,measurements,error,cost,hv\n";
      const normalisation norm = measured_range(runs);
      for (const auto& [key, rows] : runs) {
        const auto curve = hv_curve(rows, norm);
        for (std::size_t k = 0; k < rows.size(); ++k)
          csv += moo::detail::message(key.first, ",", key.second, ",", k + 1, ",", rows[k][0], ",", rows[k][1], ",",
                                      curve[k], "\n");
      }
      moo::io::write_atomically(curves_path, csv);
    };
    for (std::size_t seed = 1; seed <= seeds; ++seed) {
      for (const auto& method : methods) {
        if (runs.count({method, seed}) != 0) {
          std::printf("%-6s seed %zu: read back (%zu measurements)\n", method.c_str(), seed, runs[{method, seed}].size());
          continue;
        }
        recorded_problem rp{&problem};
        const auto t0 = std::chrono::steady_clock::now();
        const std::size_t before = problem.measured();
        // Evaluations beyond `budget` distinct sub-networks are not counted: runs go until they measured
        // `budget` distinct ones (or 30 x budget evaluations: a converging NSGA-II proposes many genomes that
        // differ only in genes of inactive blocks, cache hits that cost no measurement).
        const stop_at_distinct stop{&rp, budget};
        if (method == "linas") {
          run_linas<moo::ridge>(rp, population, inner_generations, seed, budget, stop);
        } else if (method == "linas_svr") {
          run_linas<moo::svr>(rp, population, inner_generations, seed, budget, stop);
        } else if (method == "linas_stacked") {
          run_linas<moo::stacked>(rp, population, inner_generations, seed, budget, stop);
        } else if (method == "nsga2") {
          const moo::integer_nsga2 algo{{.population = population, .generations = 100000, .seed = seed,
                                         .eliminate_duplicates = true}};
          algo.run(rp, moo::max_evaluations{30 * budget}, stop);
        } else if (method == "random") {
          const moo::random_search algo{{.population = population, .generations = 100000, .seed = seed,
                                         .eliminate_duplicates = true}};
          algo.run(rp, moo::max_evaluations{30 * budget}, stop);
        } else {
          throw moo::value_error("linas_study: unknown method '" + method +
                                 "' (linas, linas_svr, linas_stacked, nsga2, random)");
        }
        auto rows = rp.record->rows;
        if (rows.size() > budget) rows.resize(budget);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        auto with_this = runs;
        with_this[{method, seed}] = rows;
        const auto curve = hv_curve(rows, measured_range(with_this));
        std::printf("%-6s seed %zu: %zu sub-networks, %zu newly measured, hypervolume %.4f, %.1f s\n", method.c_str(),
                    seed, rows.size(), problem.measured() - before, curve.empty() ? 0.0 : curve.back(), seconds);
        runs[{method, seed}] = std::move(rows);
        write_curves();
      }
    }
    write_curves();

    // The best hypervolume any run reached, and the measurements each method needs for 90% and 95% of it.
    double best = 0.0;
    std::map<std::string, std::vector<std::vector<double>>> curves;
    const normalisation norm = measured_range(runs);
    for (const auto& [key, rows] : runs) {
      curves[key.first].push_back(hv_curve(rows, norm));
      best = std::max(best, curves[key.first].back().empty() ? 0.0 : curves[key.first].back().back());
    }
    summary += moo::detail::message("## ", pair, "\n\nObjectives normalised by the range of all measurements of all runs: error in [", norm.ideal[0], ", ", norm.nadir[0], "], ", cost,
                                    " in [", norm.ideal[1], ", ", norm.nadir[1], "]; reference point (1.1, 1.1). ",
                                    "Best normalised hypervolume of any run: ", best,
                                    ". Measurements (distinct sub-networks) to reach 90% / 95% of it, median over ",
                                    seeds, " seeds (budget ", budget, "); final hypervolume / best, median:\n\n",
                                    "| method | to 90% | to 95% | final / best |\n|---|---|---|---|\n");
    for (const auto& [method, cs] : curves) {
      std::vector<std::size_t> r90, r95;
      std::vector<double> finals;
      for (const auto& c : cs) {
        r90.push_back(reached(c, 0.90 * best));
        r95.push_back(reached(c, 0.95 * best));
        finals.push_back(c.empty() ? 0.0 : c.back() / best);
      }
      std::sort(finals.begin(), finals.end());
      summary += moo::detail::message("| ", method, " | ", median_text(r90, budget), " | ", median_text(r95, budget),
                                      " | ", finals[(finals.size() - 1) / 2], " |\n");
    }
    summary += "\n";
    // The median curve of each method over its seeds, with the lowest and highest seed's value, per
    // number of measurements: median_<pair>.csv, one block per method (blank lines between, for gnuplot).
    std::string median_csv = "method,measurements,median_hv_over_best,lowest,highest\n";
    std::string titles;
    for (const auto& [method, cs] : curves) {
      std::size_t longest = 0;
      for (const auto& c : cs) longest = std::max(longest, c.size());
      for (std::size_t k = 0; k < longest; ++k) {
        std::vector<double> v;
        for (const auto& c : cs) v.push_back(c.empty() ? 0.0 : c[std::min(k, c.size() - 1)] / best);
        std::sort(v.begin(), v.end());
        median_csv += moo::detail::message(method, ",", k + 1, ",", v[(v.size() - 1) / 2], ",", v.front(), ",", v.back(), "\n");
      }
      median_csv += "\n\n";
      titles += (titles.empty() ? "" : " ") + method;
    }
    const std::filesystem::path median_path = out / ("median_" + pair + ".csv");
    moo::io::write_atomically(median_path, median_csv);
    if (nas::detail::have_tool("gnuplot")) {
      const std::string png = (out / ("curves_" + pair + ".png")).string();
      const std::string gp = moo::detail::message(
          "set terminal pngcairo size 900,600 noenhanced\nset output '", png, "'\nset datafile separator ','\n",
          "set key bottom right\nset xlabel 'sub-networks measured'\nset ylabel 'normalised hypervolume / best'\n",
          "set yrange [0.5:1.01]\nset grid\n",
          "set title 'LINAS vs NSGA-II vs random search: ", pair, ", median of ", seeds, " seeds (band: lowest to highest)'\n",
          "plot for [i=0:", curves.size() - 1, "] '", median_path.string(),
          "' index i using 2:4:5 with filledcurves fs transparent solid 0.15 noborder lc i+1 notitle, \\\n",
          "     for [i=0:", curves.size() - 1, "] '", median_path.string(),
          "' index i using 2:3 with lines lw 2 lc i+1 title word('", titles, "', i+1)\n");
      moo::io::write_atomically(out / ("curves_" + pair + ".gp"), gp);
      if (std::system(("gnuplot '" + (out / ("curves_" + pair + ".gp")).string() + "' 2>/dev/null").c_str()) != 0)
        std::fprintf(stderr, "linas_study: gnuplot failed\n");
    }
  }

  // 4. The predictor study: random distinct sub-networks, fitted on the first n, scored on the last held_out.
  const auto sizes_text = example::list(arg(argc, argv, "--predictor-samples", std::string("50,100,200,500,1000")));
  std::vector<std::size_t> sizes;
  for (const auto& s : sizes_text) sizes.push_back(std::stoul(s));
  const std::size_t held_out = arg(argc, argv, "--held-out", std::size_t{200});
  if (!sizes.empty()) {
    const std::vector<std::string> names{"error", "latency", "macs"};
    const nas::supernet_problem problem(*net, train, val, {.objectives = names, .measure = mopt, .cache = cache});
    const std::size_t total = *std::max_element(sizes.begin(), sizes.end()) + held_out;
    moo::rng r(12345);
    std::set<moo::integer_genome> seen;
    std::vector<moo::integer_genome> configs;
    for (std::size_t tries = 0; configs.size() < total && tries < 100 * total; ++tries) {
      auto g = net->canonical(net->space().sample(r));
      if (seen.insert(g).second) configs.push_back(std::move(g));
    }
    std::printf("\n== predictors: %zu random sub-networks (%zu held out)\n", configs.size(), held_out);
    moo::matrix y(configs.size(), 3);
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t before = problem.measured();
    for (std::size_t i = 0; i < configs.size(); ++i) problem.evaluate(configs[i], y.row(i));
    const std::size_t fresh = problem.measured() - before;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (fresh > 0)
      std::printf("measured %zu sub-networks in %.1f s (%.3f s each)\n", fresh, secs, secs / static_cast<double>(fresh));
    const moo::matrix x = moo::encode(net->space(), std::span<const moo::integer_genome>(configs), moo::encoding::one_hot);
    std::string csv = "predictor,samples,objective,mape_percent,kendall_tau,fit_seconds,predict_seconds\n";
    predictor_rows("ridge", moo::ridge{}, x, y, sizes, held_out, names, csv);
    moo::io::write_atomically(out / "predictors.csv", csv);
    predictor_rows("svr", moo::svr{}, x, y, sizes, held_out, names, csv);
    moo::io::write_atomically(out / "predictors.csv", csv);
    predictor_rows("stacked", moo::stacked{}, x, y, sizes, held_out, names, csv);
    moo::io::write_atomically(out / "predictors.csv", csv);
  }
  moo::io::write_atomically(out / "summary.md", summary);
  std::printf("\n%s", summary.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "linas_study: %s\n", e.what());
  return 1;
}
