// NASH hill climbing (Elsken, Metzen & Hutter, "Simple and efficient architecture search for
// convolutional neural networks", 2018, Algorithm 1) and its successive-halving variants (Yüce,
// Tsapenko et al. 2018: SH, SHR, SHRSep), composed from moo's policies over the one evolve loop:
//  - the population is one trained network, the parent (moo::generational_best, population 1);
//  - each step's batch is the parent itself plus n_neigh - 1 children, each made by n_NM random
//    function-preserving morphisms (nas::nash_mutation), inheriting the parent's weights;
//  - training is the problem's (nas::network_problem: validation error, parameters as a reported column);
//  - budget allocation is a loop policy: equal (NASH: each neighbour step_epochs / n_neigh epochs, cosine
//    annealed), moo::successive_halving (SH: halvings within step_epochs, one cosine schedule per child
//    over the survivor's budget), with restarts (SHR: a new cosine cycle per halving, SGDR-like);
//    SHRSep = SHR with the separable-conv operator;
//  - the best neighbour on validation error becomes the next parent.
// The start network is the study's vanilla model (3 Conv-BN-ReLU blocks, max pooling between them, a
// dense classifier), pre-trained as the first batch, or any network of yours. With options.out set, a
// report per step (steps.csv: parent accuracy, parameters, each neighbour's operators and budget) and per
// run (summary.csv: the final network's accuracy, parameters and layer-type shares) is written.
// Everything of the loop comes with it: executors (neighbours trained in parallel, per round), terminations,
// callbacks, checkpoint/resume (bit-identical; a kill inside a step repeats that step).
// Example:
//   nas::nash_options o{.steps = 8, .step_epochs = 16, .pretrain_epochs = 4};
//   nas::set_variant(o, "shr");
//   nas::nash search(o, &val);
//   auto problem = search.problem(train);
//   moo::thread_pool_executor pool{{.threads = 2}};
//   auto res = search.run_on(pool, problem, moo::checkpoint{.path = "nash.ckpt", .every = 1});
//   // res.genomes[0]: the last parent (nas::candidate), res.objectives(0, 0) its validation error
#pragma once

#include <limits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "moo/algorithm/budget.hpp"
#include "moo/algorithm/evolver.hpp"
#include "moo/algorithm/run_info.hpp"
#include "moo/core/error.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/io/file.hpp"
#include "moo/selection/generational_best.hpp"
#include "nas/objectives.hpp"
#include "nas/search/candidate.hpp"
#include "nas/search/layer_types.hpp"
#include "nas/search/mutation.hpp"
#include "nas/search/nash_mutation.hpp"
#include "nas/search/problem.hpp"
#include "nas/search/report.hpp"
#include "nas/search/space.hpp"
#include "nas/search/training.hpp"
#include "nas/train/metrics.hpp"

namespace nas {

// How a step's epochs are shared among its neighbours.
enum class nash_budget {
  equal,                        // NASH: step_epochs / neighbours each
  successive_halving,           // SH: halvings, one cosine schedule over the survivor's whole budget
  successive_halving_restarts,  // SHR: halvings, a new cosine cycle at every halving
};

struct nash_options {
  std::size_t steps = 5;            // hill-climbing steps (without another termination)
  std::size_t neighbours = 8;       // n_neigh: the re-trained parent and n_neigh - 1 children per step
  std::size_t morphisms = 5;        // n_NM: morphisms per child
  double step_epochs = 160.0;       // epochs per step, all neighbours together (the study: 8 x 20)
  double pretrain_epochs = 20.0;    // training of the start network before the search
  nash_budget budget = nash_budget::equal;
  bool separable = false;           // also insert SepConv-BN-ReLU blocks (SHRSep)
  std::uint64_t seed = 1;
  morphism::sampler_options caps = {};      // parameter / MAC caps of children (redrawn when over)
  graph::image_shape input = {1, 28, 28};   // the vanilla start network's input and classes
  std::size_t classes = 10;
  std::vector<std::size_t> widths = {8, 16, 32};  // its three blocks' widths
  std::optional<graph::architecture> start = std::nullopt;  // your start network instead (pre-trained too)
  training_options training = {};   // lr, batch size, momentum, weight decay, shuffling seed (the epochs
                                    // fields are set from step_epochs and pretrain_epochs)
  bool drop_failed = true;          // a neighbour whose training diverges is dropped
  std::filesystem::path out = {};   // steps.csv and summary.csv here (empty: no files)
  const train::dataset* test = nullptr;  // test accuracy of each step's parent in the report (optional)
  bool print = false;               // a line per step on stdout
};

// Sets the budget policy and operators of a variant of the study: "nash", "sh", "shr" or "shrsep".
inline void set_variant(nash_options& o, std::string_view v) {
  if (v == "nash") o.budget = nash_budget::equal, o.separable = false;
  else if (v == "sh") o.budget = nash_budget::successive_halving, o.separable = false;
  else if (v == "shr") o.budget = nash_budget::successive_halving_restarts, o.separable = false;
  else if (v == "shrsep") o.budget = nash_budget::successive_halving_restarts, o.separable = true;
  else throw moo::value_error(moo::detail::message("nash: unknown variant '", v, "' (nash, sh, shr, shrsep)"));
}

// The study's vanilla start network: Conv(3x3)-BN-ReLU blocks of the given widths with 2x2 max pooling
// between them, and a dense classifier on the flattened last feature map.
inline graph::architecture vanilla_network(graph::image_shape input, std::size_t classes,
                                           const std::vector<std::size_t>& widths, moo::rng& r) {
  if (widths.empty() || classes < 2)
    throw moo::value_error(moo::detail::message("vanilla_network: needs widths and >= 2 classes, got ", widths.size(),
                                                " widths and ", classes, " classes"));
  graph::architecture a(input);
  std::size_t c = input[0];
  graph::node_id cur = a.input();
  for (std::size_t b = 0; b < widths.size(); ++b) {
    if (b > 0) cur = a.add(train::max_pool2d({.kernel = 2}), {cur});
    cur = a.add(train::conv2d({.in_channels = c, .out_channels = widths[b], .kernel = 3, .padding = 1, .bias = false}, r),
                {cur});
    cur = a.add(train::batch_norm({.channels = widths[b]}), {cur});
    cur = a.add(train::relu{}, {cur});
    c = widths[b];
  }
  const auto s = a.shape(cur);
  a.add(train::linear({.in_features = s[1] * s[2] * s[3], .out_features = classes}, r), {cur}, "classifier");
  a.validate();
  return a;
}

namespace detail {

// What a step did to one neighbour: its operators, the epochs it got in the step, its last objectives.
struct neighbour_record {
  std::uint32_t id = 0;
  std::string op;
  double budget = 0.0;
  double error = 0.0;
  std::size_t params = 0;
};

// The neighbours of the current step, in order of first evaluation.
struct step_log {
  std::vector<neighbour_record> rows;
  std::map<std::uint32_t, std::size_t> at;
};

// An executor that passes every batch (each round's) to another one and logs each genome's budget and
// objectives for the step report.
template <class Inner>
struct recording_executor {
  Inner& inner;
  std::shared_ptr<step_log> log;

  template <class P>
  moo::matrix evaluate(const P& p, std::span<moo::genome_of<P>> xs) {
    std::vector<double> before(xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) before[i] = xs[i].epochs;
    try {
      auto f = inner.evaluate(p, xs);
      record(xs, before, f.data(), f.cols());
      return f;
    } catch (const moo::evaluation_error& e) {
      if (e.objectives().size() == xs.size() * e.cols()) record(xs, before, e.objectives().data(), e.cols());
      throw;
    }
  }

 private:
  void record(std::span<const candidate> xs, const std::vector<double>& before, const double* f, std::size_t cols) {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      auto [it, fresh] = log->at.try_emplace(xs[i].id, log->rows.size());
      if (fresh) log->rows.push_back({.id = xs[i].id, .op = xs[i].op});
      auto& r = log->rows[it->second];
      r.budget += xs[i].epochs - before[i];
      r.error = f[i * cols];
      r.params = xs[i].net.parameter_count();
    }
  }
};

// The step report as a run callback: steps.csv (one line per step) and summary.csv (the run's last parent).
struct step_report {
  std::filesystem::path out;
  const train::dataset* test = nullptr;
  bool print = false;
  std::shared_ptr<step_log> log;

  template <class State>
  void on_start(const State& s, const moo::run_info& info) {
    if (out.empty()) return log->rows.clear(), log->at.clear();
    std::filesystem::create_directories(out);
    if (info.resumed) {
      nas::detail::trim_csv(out / "steps.csv", s.generation());
    } else {
      moo::io::write_atomically(out / "steps.csv",
                                "step,parent,operators,val_accuracy,test_accuracy,params,epochs,neighbours\n");
      write_step(s);
    }
    log->rows.clear();
    log->at.clear();
  }
  template <class State>
  void on_generation(const State& s, const moo::run_info&) {
    if (!out.empty()) write_step(s);
    log->rows.clear();
    log->at.clear();
  }
  template <class State>
  void on_end(const State& s, const moo::run_info&) {
    if (out.empty() || s.genomes().empty()) return;
    const candidate& c = s.genomes()[0];
    const auto t = count_layer_types(c.net);
    moo::io::write_atomically(
        out / "summary.csv",
        moo::detail::message("steps,val_accuracy,test_accuracy,params,conv,merging,separable,share_conv,share_merging,"
                             "share_separable\n",
                             s.generation(), ',', fmt(1.0 - s.objectives()(0, 0)), ',', fmt(test_accuracy(c)), ',',
                             c.net.parameter_count(), ',', t.conv, ',', t.merging, ',', t.separable, ',',
                             fmt(t.share_conv()), ',', fmt(t.share_merging()), ',', fmt(t.share_separable()), '\n'));
  }

 private:
  static std::string fmt(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
  }
  double test_accuracy(const candidate& c) const {
    if (test == nullptr) return std::numeric_limits<double>::quiet_NaN();
    auto net = c.net.compile();
    return train::evaluate(net, *test, 256).accuracy;
  }
  template <class State>
  void write_step(const State& s) {
    const candidate& c = s.genomes()[0];
    std::string neighbours;
    for (const auto& r : log->rows)
      neighbours += moo::detail::message(neighbours.empty() ? "" : ";", hex_id(r.id), ':', r.op, ':', fmt(r.budget), ':',
                                         fmt(1.0 - r.error));
    const double val = 1.0 - s.objectives()(0, 0), test_acc = test_accuracy(c);
    nas::detail::append_line(out / "steps.csv",
                             moo::detail::message(s.generation(), ',', hex_id(c.id), ',', nas::detail::csv_quote(c.op), ',',
                                                  fmt(val), ',', fmt(test_acc), ',', c.net.parameter_count(), ',',
                                                  fmt(c.epochs), ',', nas::detail::csv_quote(neighbours)));
    if (print)
      std::printf("step %3zu: parent #%s (%s) val %.4f test %.4f, %zu params\n", s.generation(), hex_id(c.id).c_str(),
                  c.op.c_str(), val, test_acc, c.net.parameter_count());
  }
};

}  // namespace detail

class nash {
 public:
  using problem_type = network_problem<validation_error, parameter_count>;
  using result_type = moo::result<candidate>;
  template <class Budget>
  using evolver_type = moo::evolver<nash_mutation, moo::generational_best, moo::binary_tournament, moo::keep_all, Budget>;

  // `validation` must outlive the search and its problem.
  nash(nash_options o, const train::dataset* validation) : opt_(std::move(o)), val_(validation) {
    if (opt_.neighbours < 2 || opt_.morphisms == 0 || !(opt_.step_epochs > 0.0) || !(opt_.pretrain_epochs >= 0.0))
      throw moo::value_error(moo::detail::message("nash: neighbours (", opt_.neighbours, ") >= 2, morphisms (",
                                                  opt_.morphisms, ") >= 1, step_epochs (", opt_.step_epochs,
                                                  ") > 0 and pretrain_epochs (", opt_.pretrain_epochs,
                                                  ") >= 0 are needed"));
    if (val_ == nullptr) throw moo::value_error("nash: no validation data set given");
  }

  const nash_options& options() const { return opt_; }

  // The problem: neighbours trained on `train` (equal budget: step_epochs / neighbours each; the start
  // network: pretrain_epochs), measured by validation error and parameters.
  problem_type problem(const train::dataset& train) const {
    auto t = opt_.training;
    t.epochs = opt_.step_epochs / static_cast<double>(opt_.neighbours);
    t.initial_epochs = opt_.pretrain_epochs;
    return problem_type(network_space({.input = opt_.input, .classes = opt_.classes}), train, t,
                        validation_error{.data = val_}, parameter_count{});
  }

  // The loop's driver with NASH's policies and the given budget policy (moo::equal_budget or
  // moo::successive_halving).
  template <class Budget>
  evolver_type<Budget> evolver(Budget budget) const {
    return evolver_type<Budget>{{.population = 1,
                                 .generations = opt_.steps,
                                 .offspring = opt_.neighbours,
                                 .seed = opt_.seed,
                                 .variation = {.sampler = morphism::sampler_from_names(nash_operators(opt_.separable), opt_.caps),
                                               .morphisms = opt_.morphisms,
                                               .neighbours = opt_.neighbours},
                                 .survival = {},
                                 .mating = {},
                                 .eliminate_duplicates = false,
                                 .screening = {},
                                 .initial = 1,
                                 .drop_failed = opt_.drop_failed,
                                 .budget = std::move(budget)}};
  }

  // The network the climb starts from (options.start, or the vanilla network), untrained.
  candidate start_network() const {
    moo::rng r(opt_.seed ^ 0x5eed5eedULL);
    const auto id = network_space::new_id(r);
    return candidate{.net = opt_.start ? *opt_.start : vanilla_network(opt_.input, opt_.classes, opt_.widths, r),
                     .id = id, .op = "initial"};
  }

  // Runs the search (see moo::evolver::run_on for the arguments: terminations, callbacks, a moo::checkpoint;
  // the start network is the search's own first batch).
  template <class Executor, class... Args>
  result_type run_on(Executor& ex, const problem_type& p, Args&&... args) const {
    return dispatch([&](const auto& e, auto& rec, auto& report) {
      return e.run_on(rec, p, moo::initial_genomes<candidate>{{start_network()}}, report, args...);
    }, ex);
  }
  template <class... Args>
  result_type run(const problem_type& p, Args&&... args) const {
    moo::sequential_executor ex;
    return run_on(ex, p, args...);
  }
  // Continues from a checkpoint written by the same search (same options and arguments).
  template <class Executor, class... Args>
  result_type resume_on(const std::filesystem::path& path, Executor& ex, const problem_type& p, Args&&... args) const {
    return dispatch([&](const auto& e, auto& rec, auto& report) {
      return e.resume_on(path, rec, p, moo::initial_genomes<candidate>{{start_network()}}, report, args...);
    }, ex);
  }

 private:
  template <class F, class Executor>
  result_type dispatch(F&& f, Executor& ex) const {
    auto log = std::make_shared<detail::step_log>();
    detail::recording_executor<Executor> rec{ex, log};
    detail::step_report report{.out = opt_.out, .test = opt_.test, .print = opt_.print, .log = log};
    switch (opt_.budget) {
      case nash_budget::equal:
        return f(evolver(moo::equal_budget{}), rec, report);
      case nash_budget::successive_halving:
        return f(evolver(moo::successive_halving{.budget = opt_.step_epochs, .restart = false}), rec, report);
      case nash_budget::successive_halving_restarts:
        break;
    }
    return f(evolver(moo::successive_halving{.budget = opt_.step_epochs, .restart = true}), rec, report);
  }

  nash_options opt_;
  const train::dataset* val_;
};

}  // namespace nas
