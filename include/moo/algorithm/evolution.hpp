// The one generic evolve loop, as an ask/tell state machine: ask() gives the genomes to evaluate
// (first the initial population, then each generation's offspring), tell() takes their objectives
// and applies survival. Every searcher of moo is this loop with different policies. Example, evaluating
// with your own machinery:
//   auto state = moo::nsga2{{.population = 100, .seed = 1}}.start(problem.space());
//   while (state.generation() < 250) {
//     const auto& genomes = state.ask();
//     moo::matrix f(genomes.size(), problem.num_objectives());
//     for (std::size_t i = 0; i < genomes.size(); ++i) problem.evaluate(genomes[i], f.row(i));
//     state.tell(f);
//   }
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"

namespace moo {

template <search_space Space, class Variation, survival Survival, mating Mating>
  requires variation<Variation, Space>
class evolution {
 public:
  using genome_type = typename Space::genome_type;
  using space_type = Space;

  // population: survivors kept per generation; offspring: children per generation (0 = population).
  evolution(Space space, std::size_t population, std::size_t offspring, std::uint64_t seed,
            Variation variation = {}, Survival survival = {}, Mating mating = {})
      : space_(std::move(space)),
        population_size_(population),
        offspring_size_(offspring == 0 ? population : offspring),
        rng_(seed),
        variation_(std::move(variation)),
        survival_(std::move(survival)),
        mating_(std::move(mating)) {
    if (population == 0) throw value_error("evolution: population size must be positive, got 0");
  }

  // The genomes to evaluate next. Asking again before telling returns the same batch.
  const std::vector<genome_type>& ask() {
    if (asked_) return pending_;
    // If sampling, mating or variation throws, the rng (and a survival that chooses parents) go back
    // to where they were, so asking again gives the batch an uninterrupted run would have had.
    const rng saved_rng = rng_;
    std::optional<Survival> saved_survival;
    if constexpr (survival_mates) saved_survival.emplace(survival_);
    try {
      make_batch();
    } catch (...) {
      rng_ = saved_rng;
      if constexpr (survival_mates) survival_ = std::move(*saved_survival);
      pending_.clear();
      throw;
    }
    asked_ = true;
    return pending_;
  }

 private:
  // Fills pending_ with the initial population or the next generation's offspring.
  void make_batch() {
    pending_.clear();
    if (genomes_.empty()) {
      pending_.reserve(population_size_);
      for (std::size_t i = 0; i < population_size_; ++i) pending_.push_back(space_.sample(rng_));
      return;
    }
    pending_.reserve(offspring_size_ + 1);
    if constexpr (!single_child && ordered_genomes)
      if (eliminate_duplicates_) add_distinct_children();
    add_children(offspring_size_ - pending_.size());
  }

  // Appends `count` children of parents chosen by the mating (or survival) policy.
  void add_children(std::size_t count) {
    if (count == 0) return;
    const std::size_t per_mating = single_child ? 1 : 2;
    const std::size_t matings = (count + per_mating - 1) / per_mating;
    const auto parents = select_parents(2 * matings);
    const std::size_t target = pending_.size() + count;
    for (std::size_t p = 0; p < matings; ++p) {
      const auto& a = genomes_[parents[2 * p]];
      const auto& b = genomes_[parents[2 * p + 1]];
      // One child per mating: a variation that can make the first child alone (child()) saves the other.
      if constexpr (single_child &&
                    requires { { variation_.child(space_, a, b, rng_) } -> std::same_as<genome_type>; }) {
        pending_.push_back(variation_.child(space_, a, b, rng_));
        continue;
      }
      auto children = variation_(space_, a, b, rng_);
      for (std::size_t c = 0; c < per_mating; ++c)
        if (pending_.size() < target) pending_.push_back(std::move(children[c]));
    }
  }

  // Appends children that equal no population member and no earlier child, mating again for the
  // missing ones (pymoo's duplicate elimination), for at most 100 rounds; a population so collapsed
  // that this fails gets its remaining children without the check.
  void add_distinct_children() {
    std::set<genome_type> seen(genomes_.begin(), genomes_.end());
    for (std::size_t round = 0; round < 100 && pending_.size() < offspring_size_; ++round) {
      const std::size_t matings = (offspring_size_ - pending_.size() + 1) / 2;
      const auto parents = select_parents(2 * matings);
      for (std::size_t p = 0; p < matings && pending_.size() < offspring_size_; ++p) {
        auto children = variation_(space_, genomes_[parents[2 * p]], genomes_[parents[2 * p + 1]], rng_);
        for (auto& c : children)
          if (pending_.size() < offspring_size_ && seen.insert(c).second) pending_.push_back(std::move(c));
      }
    }
  }

 public:

  // The objectives of the last ask()'s genomes, one row each in the same order. Rejects a wrong
  // shape or a non-finite value before changing anything, so the batch can be told again.
  void tell(const matrix& objectives) {
    if (!asked_) throw error("evolution::tell: nothing was asked; call ask() first");
    if (objectives.rows() != pending_.size())
      throw dimension_error(detail::message("evolution::tell: ", objectives.rows(), " rows of objectives for ",
                                            pending_.size(), " asked genomes"));
    if (!objectives_.empty() && objectives.cols() != objectives_.cols())
      throw dimension_error(detail::message("evolution::tell: ", objectives.cols(), " objectives, expected ",
                                            objectives_.cols()));
    objectives.require_finite("evolution::tell");
    matrix merged = objectives_;
    if (merged.empty()) merged = objectives;
    else
      for (std::size_t i = 0; i < objectives.rows(); ++i) merged.push_back(objectives.row(i));
    auto s = survival_.survive(merged, population_size_, rng_);
    std::vector<genome_type> next;
    next.reserve(s.index.size());
    const std::size_t old = genomes_.size();
    // A child may survive in several slots (MOEA/D): copy it, and move it only at its last use.
    std::vector<std::size_t> uses(pending_.size(), 0);
    for (auto i : s.index)
      if (i >= old) ++uses[i - old];
    for (auto i : s.index)
      next.push_back(i < old ? genomes_[i]
                             : (--uses[i - old] == 0 ? std::move(pending_[i - old]) : pending_[i - old]));
    objectives_ = merged.select(s.index);
    genomes_ = std::move(next);
    ranking_ = std::move(s);
    evaluations_ += pending_.size();
    if (old > 0) ++generation_;
    pending_.clear();
    asked_ = false;
  }

  // With duplicate elimination on, every generation's children differ from each other and from the
  // population (generational searchers with ordered genomes; MOEA/D's one child per subproblem is
  // exempt). Off by default, as in Deb's NSGA-II.
  void set_eliminate_duplicates(bool on) { eliminate_duplicates_ = on; }
  bool eliminate_duplicates() const { return eliminate_duplicates_; }

  const Space& space() const { return space_; }
  const std::vector<genome_type>& genomes() const { return genomes_; }
  const matrix& objectives() const { return objectives_; }
  const survivors& ranking() const { return ranking_; }
  // Generations completed after the initial population (0 until the first offspring are told).
  std::size_t generation() const { return generation_; }
  std::size_t evaluations() const { return evaluations_; }
  bool initialized() const { return !genomes_.empty(); }
  rng& random() { return rng_; }
  const rng& random() const { return rng_; }
  Survival& survival_policy() { return survival_; }
  std::size_t population_size() const { return population_size_; }
  std::size_t offspring_size() const { return offspring_size_; }
  // Wall-clock seconds the run loop has spent on this state, kept across checkpoint and resume.
  double elapsed_seconds() const { return elapsed_; }
  void set_elapsed_seconds(double s) { elapsed_ = s; }

  // Hands every part of the state a checkpoint must keep to `v` (io/checkpoint.hpp): v.setting for the
  // sizes a resumed run must share, v.field for data, v.policy for the policies, whose own state (MOEA/D's
  // ideal point, ...) travels through their optional save(std::ostream&) const / load(std::istream&).
  template <class Visitor>
  void visit_state(Visitor& v) const { visit_state_of(*this, v); }
  template <class Visitor>
  void visit_state(Visitor& v) { visit_state_of(*this, v); }

  // Throws moo::error unless the parts of the state agree with each other (one objective row, rank
  // and score per genome; a pending batch only while asked). A loaded checkpoint is checked with it,
  // so a file that passes its checksum but holds inconsistent parts is refused, not used.
  void check_consistency() const {
    const std::size_t n = genomes_.size();
    if (objectives_.rows() != n || ranking_.rank.size() != n || ranking_.score.size() != n)
      throw error(detail::message("evolution state: ", n, " genomes, ", objectives_.rows(), " objective rows, ",
                                  ranking_.rank.size(), " ranks and ", ranking_.score.size(), " scores"));
    if (n > population_size_)
      throw error(detail::message("evolution state: ", n, " genomes for a population of ", population_size_));
    if (!asked_ && !pending_.empty())
      throw error(detail::message("evolution state: ", pending_.size(), " pending genomes but nothing asked"));
  }

 private:
  // A survival policy that keeps its own structure (MOEA/D's neighbourhoods) may choose the parents
  // itself (`mate`) and ask for one child per mating (`one_child_per_mating`): child j then belongs
  // to mating j, so survival knows which subproblem each child came from.
  static constexpr bool single_child = requires { requires Survival::one_child_per_mating; };
  static constexpr bool ordered_genomes =
      requires(const genome_type& a, const genome_type& b) { { a < b } -> std::convertible_to<bool>; };
  static constexpr bool survival_mates =
      requires(Survival& s, const survivors& r, std::size_t n, rng& g) { s.mate(r, n, g); };

  template <class Self, class Visitor>
  static void visit_state_of(Self& self, Visitor& v) {
    v.setting("population", self.population_size_);
    v.setting("offspring", self.offspring_size_);
    v.field("rng", self.rng_);
    v.field("genomes", self.genomes_);
    v.field("objectives", self.objectives_);
    v.field("ranking", self.ranking_);
    v.field("pending", self.pending_);
    v.field("asked", self.asked_);
    v.field("generation", self.generation_);
    v.field("evaluations", self.evaluations_);
    v.field("elapsed", self.elapsed_);
    v.policy("variation", self.variation_);
    v.policy("survival", self.survival_);
    v.policy("mating", self.mating_);
  }

  std::vector<std::size_t> select_parents(std::size_t n) {
    if constexpr (requires { survival_.mate(ranking_, n, rng_); })
      return survival_.mate(ranking_, n, rng_);
    else
      return mating_.select(ranking_, n, rng_);
  }

  Space space_;
  std::size_t population_size_;
  std::size_t offspring_size_;
  rng rng_;
  Variation variation_;
  Survival survival_;
  Mating mating_;
  std::vector<genome_type> genomes_;
  matrix objectives_;
  survivors ranking_;
  std::vector<genome_type> pending_;
  bool asked_ = false;
  bool eliminate_duplicates_ = false;
  std::size_t generation_ = 0;
  std::size_t evaluations_ = 0;
  double elapsed_ = 0.0;
};

}  // namespace moo
