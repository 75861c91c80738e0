// MODNAS on Fashion-MNIST (Sukthanker et al., ICLR 2025): one search run gives a front of architectures
// (test error vs measured latency) for each of four hardware settings of this machine, one of them never
// seen by the search (zero-shot from its feature vector). Then the same number of brief trainings spent on
// random architectures of the same space, at the same compute (the search's time included), and the
// super-network's overhead: one search step against one training step of the largest architecture.
//
//   1. devices: {threads, batch} = 1t-b1, 2t-b1, 2t-b64 (training) and 1t-b64 (held out); each device's
//      per-edge latency table is measured here, and its features are the log10 latencies (ms) of three
//      reference networks (all conv 5x5, all separable conv, all max pool) at its setting;
//   2. the search (nas/modnas/search.hpp): the super-network's weights by SGD on --search-train images,
//      the hypernetwork by preference-scaled MGD over the training devices on --search-val images;
//      checkpointed to --out/search.ckpt (--resume continues it);
//   3. the sweep: --preferences Das-Dennis preferences per device -> the most likely architectures; each
//      distinct one is trained from scratch for --epochs on --eval-train images and its test error and
//      latency on every device measured (--out/evaluated.csv, reused by --resume);
//   4. random search: as many random architectures as the same time buys (capped by --random-max);
//   5. per device: both fronts, their hypervolume in objectives normalised over every evaluated
//      architecture (reference 1.1), fronts_<device>.csv and a plot (gnuplot), summary.md.
//   modnas_fashion_mnist --help   prints the options (`usage` below); unknown ones are refused.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <moo/core/rng.hpp>
#include <moo/indicators/hypervolume.hpp>
#include <moo/io/file.hpp>

#include <nas/modnas.hpp>
#include <nas/search/report.hpp>
#include <nas/train/data.hpp>
#include <nas/train/parallel.hpp>

#include "args.hpp"

constexpr std::string_view usage = R"([--steps 600] [--warmup 100] [--batch 64] [--channels 16] [--cells 2] [--nodes 3]
    [--search-train 10000] [--search-val 5000] [--eval-train 10000] [--test-limit 5000] [--epochs 2]
    [--preferences 8] [--random-max 64] [--hidden 32] [--hyper-lr 0.0003] [--threads 2] [--seed 1]
    [--timing-repeats 15] [--out out/modnas] [--resume] [--data DIR])";

namespace {

namespace mn = nas::modnas;
namespace nt = nas::train;

std::string fixed(double v, int digits) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}

struct timer {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); }
};

std::string csv_line(const mn::supernet_options& space, const std::string& method, const mn::evaluated_architecture& e) {
  std::string s = method + "," + mn::to_string(space, e.arch) + "," + moo::detail::message(e.error);
  for (const double l : e.latency) s += "," + moo::detail::message(l);
  return s + "," + moo::detail::message(e.macs, ",", e.parameters, ",", e.train_seconds, "\n");
}

// Reads evaluated.csv back (method -> architecture string -> evaluation) for --resume.
std::map<std::string, mn::evaluated_architecture> read_evaluations(const std::filesystem::path& p, const mn::supernet_options& space,
                                                                   std::size_t devices) {
  std::map<std::string, mn::evaluated_architecture> out;
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    if (f.size() != 6 + devices) continue;  // a line cut by a kill
    mn::evaluated_architecture e;
    for (std::size_t i = 0; i < devices; ++i) e.latency.push_back(std::stod(f[3 + i]));
    e.error = std::stod(f[2]);
    e.macs = std::stod(f[3 + devices]);
    e.parameters = std::stoul(f[4 + devices]);
    e.train_seconds = std::stod(f[5 + devices]);
    std::stringstream names(f[1]);
    for (std::string n; names >> n;) {
      if (n == "|") continue;
      const auto it = std::find_if(space.candidates.begin(), space.candidates.end(),
                                   [&](mn::candidate c) { return mn::to_string(c) == n; });
      if (it == space.candidates.end()) throw moo::io_error(moo::detail::message(p.string(), ": unknown candidate '", n, "'"));
      e.arch.push_back(static_cast<std::size_t>(it - space.candidates.begin()));
    }
    mn::check_architecture(space, e.arch);
    out[f[0] + "/" + f[1]] = e;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  example::check(argc, argv, usage);
  using example::arg;
  using example::arg_real;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::size_t seed = arg(argc, argv, "--seed", 1);
  const std::size_t threads = arg(argc, argv, "--threads", 2);
  const std::filesystem::path out = arg(argc, argv, "--out", "out/modnas");
  const bool resume = example::flag(argc, argv, "--resume");
  std::filesystem::create_directories(out);
  nt::set_num_threads(threads);

  // Data: search-train / search-val from the training images, evaluation training on the search-train
  // part (the searched weights are not reused), test error on the test set.
  const std::size_t n_train = arg(argc, argv, "--search-train", 10000), n_val = arg(argc, argv, "--search-val", 5000);
  const std::size_t n_eval = arg(argc, argv, "--eval-train", 10000);
  nt::fashion_mnist data;
  try {
    data = nt::load_fashion_mnist(arg(argc, argv, "--data", nt::fashion_mnist_dir), {.limit = std::max(n_train, n_eval) + n_val},
                                  {.limit = arg(argc, argv, "--test-limit", 5000)});
  } catch (const moo::io_error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  auto [train_all, val] = nt::split(data.train, static_cast<double>(n_val) / static_cast<double>(data.train.size()), seed);
  std::vector<std::size_t> first(std::min(n_train, train_all.size()));
  for (std::size_t i = 0; i < first.size(); ++i) first[i] = i;
  const nt::dataset search_train = nt::subset(train_all, first);
  first.resize(std::min(n_eval, train_all.size()));
  for (std::size_t i = 0; i < first.size(); ++i) first[i] = i;
  const nt::dataset eval_train = nt::subset(train_all, first);

  mn::supernet_options space{.channels = arg(argc, argv, "--channels", 16), .cells = arg(argc, argv, "--cells", 2),
                             .nodes = arg(argc, argv, "--nodes", 3)};
  const std::size_t edges = mn::edge_count(space), k = space.candidates.size();
  std::printf("space: %zu cells x %zu nodes = %zu edges of %zu candidates (%.3g architectures), %zu channels\n",
              space.cells, space.nodes, edges, k, std::pow(static_cast<double>(k), static_cast<double>(edges)), space.channels);

  // 1. Devices.
  timer t_dev;
  const std::vector<mn::architecture> refs{mn::architecture(edges, 4), mn::architecture(edges, 5), mn::architecture(edges, 2)};
  const nt::latency_options timing{.warmup = 3, .repeats = arg(argc, argv, "--timing-repeats", 15)};
  struct setting {
    const char* name;
    mn::hardware_setting hw;
  };
  const std::vector<setting> settings{{"1t-b1", {1, 1}}, {"2t-b1", {2, 1}}, {"2t-b64", {2, 64}}, {"1t-b64", {1, 64}}};
  // The measured devices are kept (devices.txt, exact hex floats): a resumed run uses the same tables
  // and features, which the search checkpoint is tied to.
  std::vector<mn::device> devices;
  if (resume && std::filesystem::exists(out / "devices.txt")) {
    std::istringstream in(moo::io::read_file(out / "devices.txt"));
    auto doubles = [&in](std::vector<double>& v) {
      std::size_t n = 0;
      in >> n;
      v.resize(n);
      for (double& x : v) {
        std::string t;
        in >> t;
        x = std::strtod(t.c_str(), nullptr);
      }
    };
    for (const auto& s : settings) {
      mn::device d{.candidates = space.candidates};
      in >> d.name >> d.setting.threads >> d.setting.batch;
      doubles(d.latency), doubles(d.macs), doubles(d.features);
      if (!in || d.name != s.name) throw moo::io_error(moo::detail::message((out / "devices.txt").string(), ": no device '", s.name, "'"));
      d.validate();
      devices.push_back(std::move(d));
    }
    std::printf("devices read from %s\n", (out / "devices.txt").c_str());
  } else {
    std::string txt;
    for (const auto& s : settings) {
      devices.push_back(mn::measure_supernet_device(s.name, space, s.hw, refs, timing, seed));
      const auto& d = devices.back();
      txt += moo::detail::message(d.name, " ", d.setting.threads, " ", d.setting.batch);
      for (const auto* v : {&d.latency, &d.macs, &d.features}) {
        txt += moo::detail::message(" ", v->size());
        for (const double x : *v) {
          char b[40];
          std::snprintf(b, sizeof b, " %a", x);
          txt += b;
        }
      }
      txt += "\n";
    }
    moo::io::write_atomically(out / "devices.txt", txt);
  }
  std::string dev_csv = "device,threads,batch,feature_conv5,feature_sep,feature_pool,table_cell0 (us per edge: zero skip pool conv3 conv5 sep)\n";
  for (const auto& d : devices) {
    dev_csv += moo::detail::message(d.name, ",", d.setting.threads, ",", d.setting.batch, ",", d.features[0], ",", d.features[1], ",",
                                    d.features[2], ",");
    for (std::size_t c = 0; c < k; ++c) dev_csv += moo::detail::message(c ? " " : "", 1e6 * d.latency[c]);
    dev_csv += "\n";
    std::printf("device %-7s features (log10 ms of conv5 / sep / pool networks) %.3f %.3f %.3f\n", d.name.c_str(), d.features[0],
                d.features[1], d.features[2]);
  }
  moo::io::write_atomically(out / "devices.csv", dev_csv);
  const std::vector<mn::device> training_devices(devices.begin(), devices.begin() + 3);
  std::printf("devices measured in %.1f s; training devices 1t-b1 2t-b1 2t-b64, held out 1t-b64\n", t_dev.seconds());

  // 2. The search.
  const std::size_t steps = arg(argc, argv, "--steps", 600);
  mn::search search(space, {.hidden = {arg(argc, argv, "--hidden", 32)}, .output_scale = 0.1, .seed = seed}, training_devices,
                    search_train, val,
                    {.steps = steps, .batch_size = arg(argc, argv, "--batch", 64), .warmup_steps = arg(argc, argv, "--warmup", 100),
                     .hyper_lr = arg_real(argc, argv, "--hyper-lr", 0.0003), .checkpoint = out / "search.ckpt",
                     .checkpoint_every = 50, .threads = threads, .seed = seed});
  if (resume && search.resume(out / "search.ckpt")) std::printf("resumed the search at step %zu\n", search.steps_done());
  timer t_search;
  std::string steps_csv = "step,train_loss,val_loss_mean,hardware_mean,seconds\n";
  if (resume && search.steps_done() > 0 && std::filesystem::exists(out / "steps.csv")) {  // the lines up to the checkpoint
    std::istringstream in(moo::io::read_file(out / "steps.csv"));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line))
      if (!line.empty() && std::stoul(line.substr(0, line.find(','))) < search.steps_done()) steps_csv += line + "\n";
  }
  search.run([&](const mn::search_step& r) {
    double vl = 0.0, hw = 0.0;
    for (std::size_t i = 0; i < r.val_loss.size(); ++i) vl += r.val_loss[i] / static_cast<double>(r.val_loss.size()), hw += r.hardware[i] / static_cast<double>(r.hardware.size());
    steps_csv += moo::detail::message(r.step, ",", r.train_loss, ",", vl, ",", hw, ",", r.seconds, "\n");
    if ((r.step + 1) % 50 == 0 || r.step + 1 == steps) {
      std::printf("step %4zu: train CE %.3f, val CE/ln10 %.3f, expected hardware cost %.3f, %.3f s/step\n", r.step + 1, r.train_loss, vl, hw,
                  r.seconds);
      moo::io::write_atomically(out / "steps.csv", steps_csv);
    }
  });
  moo::io::write_atomically(out / "steps.csv", steps_csv);
  const double search_seconds = t_search.seconds();
  std::printf("search: %zu steps, %.1f s in this run\n", steps, search_seconds);

  // Overhead: one search step against one SGD step of the largest architecture (all conv 5x5).
  double largest_step = 0.0;
  {
    moo::rng r(seed);
    auto big = mn::discrete_network(space, mn::architecture(edges, 4), r);
    nt::sgd opt({.lr = 0.01});
    nt::softmax_cross_entropy ce;
    nt::tensor g;
    nt::batch b;
    mn::detail::epoch_batches batches(search_train, arg(argc, argv, "--batch", 64), seed);
    auto params = big.parameters();
    for (std::size_t i = 0; i < 25; ++i) {
      batches.get(i, b);
      timer t;
      ce(big.forward(b.images), b.labels, g);
      big.backward(g);
      opt.step(params);
      if (i >= 5) largest_step += t.seconds() / 20.0;
    }
  }
  // Mean seconds of a warm-up step (weights only) and of a full step, from steps.csv (so a resumed run
  // counts the steps of the runs before it too).
  double step_seconds = 0.0, hyper_step_seconds = 0.0;
  std::size_t timed = 0, hyper_timed = 0;
  {
    std::istringstream in(steps_csv);
    std::string line;
    std::getline(in, line);
    const std::size_t warmup = arg(argc, argv, "--warmup", 100);
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const std::size_t step = std::stoul(line.substr(0, line.find(',')));
      const double sec = std::stod(line.substr(line.rfind(',') + 1));
      if (step < warmup) step_seconds += sec, ++timed;
      else hyper_step_seconds += sec, ++hyper_timed;
    }
  }
  const double ws = timed ? step_seconds / static_cast<double>(timed) : 0.0;
  const double hs = hyper_timed ? hyper_step_seconds / static_cast<double>(hyper_timed) : 0.0;
  std::printf("overhead: largest architecture %.4f s per training step; search step %.4f s (weights only, %.1fx) and %.4f s "
              "(weights + hypernetwork over 3 devices, %.1fx)\n", largest_step, ws, ws / largest_step, hs, hs / largest_step);

  // 3. The sweep and the evaluation of its architectures (reusing evaluated.csv with --resume).
  const std::size_t n_pref = arg(argc, argv, "--preferences", 8);
  const mn::sweep_result sw = mn::sweep(search, devices, n_pref);
  std::printf("sweep: %zu preferences x %zu devices -> %zu distinct architectures\n", n_pref, devices.size(), sw.distinct.size());
  const std::filesystem::path eval_path = out / "evaluated.csv";
  auto known = resume && std::filesystem::exists(eval_path) ? read_evaluations(eval_path, space, devices.size())
                                                             : std::map<std::string, mn::evaluated_architecture>{};
  std::string eval_csv = "method,architecture,test_error";
  for (const auto& d : devices) eval_csv += ",latency_" + d.name;
  eval_csv += ",macs,params,train_seconds\n";
  for (const auto& [key, e] : known) eval_csv += csv_line(space, key.substr(0, key.find('/')), e);
  const mn::evaluation_options eopt{.epochs = arg_real(argc, argv, "--epochs", 2.0), .batch_size = arg(argc, argv, "--batch", 64),
                                    .threads = threads, .timing = timing, .seed = seed};
  auto evaluate = [&](const std::string& method, const std::vector<mn::architecture>& archs) {
    std::vector<mn::evaluated_architecture> res;
    for (const auto& a : archs) {
      const std::string key = method + "/" + mn::to_string(space, a);
      if (auto it = known.find(key); it != known.end()) {
        res.push_back(it->second);
        continue;
      }
      res.push_back(mn::evaluate_architecture(space, a, eval_train, data.test, devices, eopt));
      known[key] = res.back();
      eval_csv += csv_line(space, method, res.back());
      moo::io::write_atomically(eval_path, eval_csv);
      std::printf("  %-6s %s: error %.4f, latency 1t-b1 %.1f us, %.2f MMACs, trained in %.1f s\n", method.c_str(),
                  mn::to_string(space, a).c_str(), res.back().error, 1e6 * res.back().latency[0], res.back().macs / 1e6,
                  res.back().train_seconds);
    }
    return res;
  };
  timer t_eval;
  const auto modnas_evals = evaluate("modnas", sw.distinct);
  double modnas_eval_seconds = 0.0;
  for (const auto& e : modnas_evals) modnas_eval_seconds += e.train_seconds;

  // 4. Random search at the same compute: the search's steps (at this run's measured rate) plus the
  //    sweep's trainings, in brief trainings of random architectures.
  const double per_eval = modnas_eval_seconds / static_cast<double>(std::max<std::size_t>(1, modnas_evals.size()));
  const double search_cost = (ws * static_cast<double>(std::min(steps, arg(argc, argv, "--warmup", 100))) +
                              hs * static_cast<double>(steps - std::min(steps, arg(argc, argv, "--warmup", 100))));
  const auto n_random = std::min<std::size_t>(arg(argc, argv, "--random-max", 64),
                                              static_cast<std::size_t>(std::llround((search_cost + modnas_eval_seconds) / per_eval)));
  std::printf("random search: %zu architectures (search %.0f s + sweep trainings %.0f s at %.1f s each, cap %zu)\n", n_random,
              search_cost, modnas_eval_seconds, per_eval, arg(argc, argv, "--random-max", 64));
  moo::rng rr(seed + 1000);
  const auto random_evals = evaluate("random", mn::random_architectures(space, n_random, rr));

  // 5. Fronts and hypervolumes per device.
  std::string md = moo::detail::message(
      "# MODNAS on Fashion-MNIST (this machine)\n\n", "Space: ", space.cells, " cells x ", space.nodes, " nodes = ", edges,
      " edges, ", k, " candidates, ", space.channels, " channels. Search: ", steps, " steps (", arg(argc, argv, "--warmup", 100),
      " warm-up), batch ", arg(argc, argv, "--batch", 64), ", ", search_train.size(), " / ", val.size(),
      " search images; evaluation: ", eopt.epochs, " epoch(s) on ", eval_train.size(), " images, test error on ", data.test.size(),
      ".\n\n", "Overhead: largest architecture (conv 5x5 on every edge) ", fixed(1e3 * largest_step, 1),
      " ms per training step of batch ", arg(argc, argv, "--batch", 64), "; search step ", fixed(1e3 * ws, 1), " ms weights only (",
      fixed(ws / largest_step, 2), "x), ", fixed(1e3 * hs, 1), " ms with the hypernetwork step over 3 devices (", fixed(hs / largest_step, 2),
      "x).\n\n", "Random search: ", random_evals.size(), " architectures = (search ", fixed(search_cost, 0), " s + sweep trainings ",
      fixed(modnas_eval_seconds, 0), " s) / ", fixed(per_eval, 2), " s per training (cap ", arg(argc, argv, "--random-max", 64), ").\n\n",
      "| device | seen by the search | MODNAS distinct archs (of ", n_pref, " preferences) | MODNAS front | MODNAS HV | random archs | random front | random HV |\n",
      "|---|---|---|---|---|---|---|---|\n");
  for (std::size_t d = 0; d < devices.size(); ++d) {
    std::vector<std::size_t> mine;
    for (const std::size_t i : sw.chosen[d])
      if (std::find(mine.begin(), mine.end(), i) == mine.end()) mine.push_back(i);
    std::vector<mn::evaluated_architecture> all = modnas_evals;
    all.insert(all.end(), random_evals.begin(), random_evals.end());
    std::vector<std::size_t> rnd(random_evals.size());
    for (std::size_t i = 0; i < rnd.size(); ++i) rnd[i] = modnas_evals.size() + i;
    double lo_e = 1e300, hi_e = -1e300, lo_l = 1e300, hi_l = -1e300;
    for (const std::size_t i : mine) lo_e = std::min(lo_e, all[i].error), hi_e = std::max(hi_e, all[i].error), lo_l = std::min(lo_l, all[i].latency[d]), hi_l = std::max(hi_l, all[i].latency[d]);
    for (const std::size_t i : rnd) lo_e = std::min(lo_e, all[i].error), hi_e = std::max(hi_e, all[i].error), lo_l = std::min(lo_l, all[i].latency[d]), hi_l = std::max(hi_l, all[i].latency[d]);
    // Reference point: the error of guessing (1 - 1/classes: a network no better than chance earns
    // nothing) and 1.1 x the latency range.
    const double chance = 1.0 - 1.0 / static_cast<double>(space.classes);
    const double ref_e = (chance - lo_e) / std::max(1e-12, hi_e - lo_e);
    auto hv = [&](const std::vector<std::size_t>& front) {
      moo::matrix f;
      for (const std::size_t i : front)
        if (all[i].error < chance)
          f.push_back(std::vector<double>{(all[i].error - lo_e) / std::max(1e-12, hi_e - lo_e), (all[i].latency[d] - lo_l) / std::max(1e-12, hi_l - lo_l)});
      return f.rows() ? moo::hypervolume(f, {ref_e, 1.1}) : 0.0;
    };
    const auto fm = mn::front_of(all, mine, d), fr = mn::front_of(all, rnd, d);
    std::string csv = "method,architecture,test_error,latency_s\n";
    for (const std::size_t i : fm) csv += moo::detail::message("modnas,", mn::to_string(space, all[i].arch), ",", all[i].error, ",", all[i].latency[d], "\n");
    csv += "\n\n";
    for (const std::size_t i : fr) csv += moo::detail::message("random,", mn::to_string(space, all[i].arch), ",", all[i].error, ",", all[i].latency[d], "\n");
    const auto csv_path = out / ("fronts_" + devices[d].name + ".csv");
    moo::io::write_atomically(csv_path, csv);
    md += moo::detail::message("| ", devices[d].name, " | ", d < 3 ? "yes" : "no (zero-shot)", " | ", mine.size(), " | ", fm.size(), " | ",
                               fixed(hv(fm), 4), " | ", rnd.size(), " | ", fr.size(), " | ", fixed(hv(fr), 4), " |\n");
    std::printf("device %-7s: MODNAS %zu distinct, front %zu, HV %.4f | random %zu, front %zu, HV %.4f\n", devices[d].name.c_str(),
                mine.size(), fm.size(), hv(fm), rnd.size(), fr.size(), hv(fr));
    if (nas::detail::have_tool("gnuplot")) {
      const std::string png = (out / ("fronts_" + devices[d].name + ".png")).string();
      const std::string gp = moo::detail::message(
          "set terminal pngcairo size 800,560 noenhanced\nset output '", png, "'\nset datafile separator ','\n",
          "set key top right\nset xlabel 'latency (ms, ", devices[d].name, ")'\nset ylabel 'test error'\nset grid\n",
          "set title 'MODNAS vs random search, device ", devices[d].name, d < 3 ? "" : " (held out)", "'\n",
          "plot '", csv_path.string(), "' index 0 using ($4*1000):3 with linespoints pt 7 lw 2 title 'MODNAS front', \\\n",
          "     '", csv_path.string(), "' index 1 using ($4*1000):3 with linespoints pt 5 lw 2 title 'random-search front'\n");
      moo::io::write_atomically(out / ("fronts_" + devices[d].name + ".gp"), gp);
      if (std::system(("gnuplot '" + (out / ("fronts_" + devices[d].name + ".gp")).string() + "' 2>/dev/null").c_str()) != 0)
        std::fprintf(stderr, "modnas_fashion_mnist: gnuplot failed\n");
    }
  }
  md += moo::detail::message("\nHypervolume: objectives (test error, latency on the device) normalised to [0, 1] over every architecture "
                             "either method evaluated; reference point: the error of guessing (", fixed(1.0 - 1.0 / static_cast<double>(space.classes), 2),
                             ") and 1.1 x the latency range; networks no better than guessing contribute nothing.\n");
  moo::io::write_atomically(out / "summary.md", md);
  std::printf("wrote %s\n", (out / "summary.md").c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "modnas_fashion_mnist: %s\n", e.what());
  return 1;
}
