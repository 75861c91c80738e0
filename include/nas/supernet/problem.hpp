// The search over a trained super-network's sub-networks as a moo::problem on integer genomes: evaluate
// writes the chosen objectives of a configuration, all minimised: "error" (validation error after
// batch-norm recalibration), "latency" (median seconds per forward pass), "macs", "params" (exact, nothing
// runs when only these are asked for). Configurations are canonicalised, looked up in an optional CSV
// measurement cache (cache.hpp) and measured only when missing. evaluate is safe to call concurrently:
// recalibration and validation run side by side, latency is timed alone (nas::measurement_gate). The
// space is a moo::described_space, so moo's integer searchers (NSGA-II, LINAS: Cummings et al. 2022,
// Algorithm 1) run on the problem directly.
// Example:
//   nas::supernet_problem problem(net, split.first, split.second, {.objectives = {"error", "macs"},
//                                                                  .cache = "measured.csv"});
//   auto res = moo::integer_linas{{.offspring = 20, .seed = 1, .initial = 20}}.run(problem, moo::max_evaluations{100});
#pragma once

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "moo/core/describe.hpp"
#include "moo/core/error.hpp"
#include "moo/genome/integer.hpp"
#include "nas/search/training.hpp"
#include "nas/supernet/cache.hpp"
#include "nas/supernet/measure.hpp"
#include "nas/supernet/serialize.hpp"
#include "nas/supernet/supernet.hpp"
#include "nas/train/data.hpp"

namespace nas {

struct supernet_problem_options {
  std::vector<std::string> objectives = {"error", "latency"};  // any of error, latency, macs, params
  measure_options measure = {};
  std::filesystem::path cache = {};  // a CSV measurement cache file (empty: measurements kept in memory only)
};

class supernet_problem {
 public:
  using genome_type = moo::integer_genome;

  // `net`, `calibration` (training images for batch-norm recalibration) and `validation` must outlive
  // the problem. Throws value_error for an unknown objective name or an empty data set the objectives need.
  supernet_problem(const supernet& net, const train::dataset& calibration, const train::dataset& validation,
                   supernet_problem_options o = {})
      : net_(&net), calibration_(&calibration), validation_(&validation), opt_(std::move(o)) {
    if (opt_.objectives.empty()) throw moo::value_error("supernet_problem: no objectives");
    for (const auto& name : opt_.objectives) {
      if (name == "error") need_error_ = true;
      else if (name == "latency") need_latency_ = true;
      else if (name != "macs" && name != "params")
        throw moo::value_error(moo::detail::message("supernet_problem: unknown objective '", name,
                                                    "' (known: error, latency, macs, params)"));
    }
    if ((need_error_ || need_latency_) && (calibration.size() == 0 || validation.size() == 0))
      throw moo::value_error(moo::detail::message("supernet_problem: the ", calibration.size() == 0 ? "calibration" : "validation",
                                                  " set is empty"));
    opt_.measure.latency = need_latency_;
    if (need_error_ || need_latency_) cache_ = std::make_shared<measurement_cache>(opt_.cache, net, context());
  }

  const supernet_space& space() const { return net_->space(); }
  std::size_t num_objectives() const { return opt_.objectives.size(); }
  const std::vector<std::string>& names() const { return opt_.objectives; }
  const supernet& network() const { return *net_; }
  const supernet_problem_options& options() const { return opt_; }

  // The settings, weights and validation data a cached measurement depends on, as one line.
  std::string context() const {
    char crc[16];
    std::snprintf(crc, sizeof crc, "%08x", static_cast<unsigned>(weights_checksum(*net_)));
    return moo::detail::message(opt_.measure.description(), " weights crc32 ", crc, " validation ", validation_->size(),
                                " images, calibration set ", calibration_->size(), " images");
  }

  // Writes the objectives of configuration x into out, in the order of options().objectives.
  void evaluate(const moo::integer_genome& x, std::span<double> out) const {
    if (out.size() != num_objectives())
      throw moo::dimension_error(moo::detail::message("supernet_problem::evaluate: ", out.size(), " outputs for ",
                                                      num_objectives(), " objectives"));
    const measurement m = measure(x);
    for (std::size_t j = 0; j < out.size(); ++j) {
      const std::string& name = opt_.objectives[j];
      out[j] = name == "error" ? m.error
               : name == "latency" ? m.latency
               : name == "macs" ? static_cast<double>(m.macs)
                                : static_cast<double>(m.params);
      if (!std::isfinite(out[j]))
        throw moo::value_error(moo::detail::message("supernet_problem: objective '", name, "' of ",
                                                    moo::detail::describe(x), " is ", out[j]));
    }
  }

  // The measurement of x's canonical form: from the cache when there, else measured (and cached). Only
  // what the objectives need is measured; parameters and MACs are always exact. A configuration that
  // another thread is measuring is waited for, not measured twice.
  measurement measure(const moo::integer_genome& x) const {
    const moo::integer_genome c = net_->canonical(x);
    if (!need_error_ && !need_latency_) return count(*net_, c);
    const std::size_t threads = opt_.measure.latency_threads != 0 ? opt_.measure.latency_threads : train::num_threads();
    auto cached = [&] { return cache_->find(c, need_latency_, opt_.measure.latency_batch, threads); };
    {
      std::unique_lock lock(flight_->m);
      flight_->done.wait(lock, [&] { return flight_->busy.count(c) == 0; });
      if (auto hit = cached()) return *hit;
      flight_->busy.insert(c);
    }
    struct release {
      const supernet_problem* p;
      const moo::integer_genome& c;
      ~release() {
        std::lock_guard lock(p->flight_->m);
        p->flight_->busy.erase(c);
        p->flight_->done.notify_all();
      }
    } on_exit{this, c};
    measurement m = count(*net_, c);
    {
      std::shared_lock lock(*gate_);
      train::network sub = calibrated_sub_network(*net_, c, *calibration_, opt_.measure);
      m.error = train::evaluate(sub, *validation_, opt_.measure.validation_batch_size).error();
      if (need_latency_) {
        lock.unlock();
        std::unique_lock alone(*gate_);
        m.latency = measure_sub_latency(sub, net_->options().input, opt_.measure);
        m.latency_batch = opt_.measure.latency_batch;
        m.latency_threads = threads;
      }
    }
    measured_->fetch_add(1);
    cache_->insert(c, m);
    return m;
  }

  // Number of sub-networks measured (not found in the cache) so far.
  std::size_t measured() const { return measured_->load(); }

 private:
  const supernet* net_;
  const train::dataset* calibration_;
  const train::dataset* validation_;
  supernet_problem_options opt_;
  bool need_error_ = false, need_latency_ = false;
  // Configurations being measured, so concurrent evaluations of one wait for it.
  struct in_flight {
    std::mutex m;
    std::condition_variable done;
    std::set<moo::integer_genome> busy;
  };
  std::shared_ptr<measurement_cache> cache_;  // copies of the problem share the cache, gate and counts
  std::shared_ptr<in_flight> flight_ = std::make_shared<in_flight>();
  std::shared_ptr<measurement_gate> gate_ = std::make_shared<measurement_gate>();
  std::shared_ptr<std::atomic<std::size_t>> measured_ = std::make_shared<std::atomic<std::size_t>>(0);
};

}  // namespace nas
