// The one generic evolve loop, as an ask/tell state machine: ask() gives the genomes to evaluate
// (first the initial population: given seeds, then sampled genomes; then each generation's offspring),
// tell() takes their objectives and applies survival. Every searcher of moo is this loop with different
// policies (core/concepts.hpp): a two-parent variation or a mutation that may decline; a mating selection
// that sees the ranking or the whole population; a screening stage between variation and evaluation; a
// survival of fixed or variable size. For a Lamarckian problem tell() takes the evaluated genomes too, and
// those join the population. Example, evaluating with your own machinery:
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
#include <limits>
#include <span>
#include <string>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"

namespace moo {

template <search_space Space, class Variation, survival Survival, class Mating, class Screening = keep_all>
  requires variation_policy<Variation, Space> && mating_for<Mating, typename Space::genome_type> &&
           screening<Screening, typename Space::genome_type>
class evolution {
 public:
  using genome_type = typename Space::genome_type;
  using space_type = Space;
  using view_type = population_view<genome_type>;

  // population: survivors kept per generation; offspring: children per generation (0 = population).
  evolution(Space space, std::size_t population, std::size_t offspring, std::uint64_t seed,
            Variation variation = {}, Survival survival = {}, Mating mating = {}, Screening screening = {})
      : space_(std::move(space)),
        population_size_(population),
        initial_size_(population == std::numeric_limits<std::size_t>::max() ? 0 : population),
        offspring_size_(offspring == 0 ? population : offspring),
        rng_(seed),
        variation_(std::move(variation)),
        survival_(std::move(survival)),
        mating_(std::move(mating)),
        screening_(std::move(screening)) {
    if (population == 0) throw value_error("evolution: population size must be positive, got 0");
    if (offspring == 0 && population == std::numeric_limits<std::size_t>::max())
      throw value_error("evolution: an unbounded population needs an explicit number of offspring");
  }

  // The number of objectives every tell() must give (from the problem: evolver::start(problem) sets
  // it). Unset (0), the first tell fixes it. Refused if it contradicts the objectives already told.
  void set_num_objectives(std::size_t m) {
    if (m == 0) throw value_error("evolution::set_num_objectives: a problem needs at least one objective, got 0");
    if (!objectives_.empty() && objectives_.cols() != m)
      throw dimension_error(detail::message("evolution::set_num_objectives: ", m, " objectives, but the population has ",
                                            objectives_.cols()));
    num_objectives_ = m;
  }
  // The number of objectives per genome; 0 while unknown (nothing told and none set).
  std::size_t num_objectives() const { return num_objectives_; }

  // The first batch: `seeds` (evaluated first, in order) and then sampled genomes up to `initial`
  // (0: as many as the population size). Only before the first ask().
  void set_initial(std::vector<genome_type> seeds, std::size_t initial = 0) {
    if (initialized() || asked_) throw error("evolution::set_initial: the initial population is already made");
    if (initial == 0) initial = population_size_ == std::numeric_limits<std::size_t>::max() ? seeds.size() : population_size_;
    if (initial < seeds.size()) initial = seeds.size();
    if (initial == 0) throw value_error("evolution::set_initial: no seeds and no initial population size");
    seeds_ = std::move(seeds);
    initial_size_ = initial;
  }

  // The genomes to evaluate next. Asking again before telling returns the same batch.
  const std::vector<genome_type>& ask() {
    if (asked_) return pending_;
    // If sampling, mating or variation throws, the rng (and a survival that chooses parents) go back
    // to where they were, so asking again gives the batch an uninterrupted run would have had.
    const rng saved_rng = rng_;
    std::optional<Survival> saved_survival;
    if constexpr (survival_mates) saved_survival.emplace(survival_);
    // The policies of the unary path may count (lineage ids) or draw: they go back too.
    // So do those of a batch proposal (which may keep what it fitted).
    std::optional<std::tuple<Variation, Mating, Screening, std::size_t, std::size_t>> saved_policies;
    if constexpr (unary || proposing) saved_policies.emplace(variation_, mating_, screening_, declined_, screened_out_);
    try {
      make_batch();
    } catch (...) {
      rng_ = saved_rng;
      if constexpr (survival_mates) survival_ = std::move(*saved_survival);
      if constexpr (unary || proposing)
        std::tie(variation_, mating_, screening_, declined_, screened_out_) = std::move(*saved_policies);
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
      if (initial_size_ == 0)
        throw value_error("evolution: an unbounded population needs an initial size or seeds (options.initial)");
      pending_.reserve(initial_size_);
      pending_ = seeds_;
      if constexpr (canonical_space<Space> || (proposing && ordered_genomes)) {
        // A batch proposal learns from distinct measurements, and a canonical space's genomes are kept in
        // canonical form: the random initial genomes are distinct (in canonical form), for at most 100
        // draws per genome, then taken as drawn.
        std::set<genome_type> seen;
        for (const auto& g : pending_) seen.insert(g);
        for (std::size_t tries = 0; pending_.size() < initial_size_; ++tries) {
          genome_type g = space_.sample(rng_);
          if constexpr (canonical_space<Space>) g = space_.canonical(g);
          if (seen.insert(g).second || tries >= 100 * initial_size_) pending_.push_back(std::move(g));
        }
      } else {
        for (std::size_t i = pending_.size(); i < initial_size_; ++i) pending_.push_back(space_.sample(rng_));
      }
      return;
    }
    pending_.reserve(offspring_size_ + 1);
    if constexpr (proposing) {
      add_proposals(offspring_size_);
    } else if constexpr (unary) {
      add_mutants(offspring_size_);
    } else {
      if constexpr (!single_child && ordered_genomes)
        if (eliminate_duplicates_) add_distinct_children();
      add_children(offspring_size_ - pending_.size());
    }
    if constexpr (!std::same_as<Screening, keep_all>) screen_candidates();
  }

  // The batch proposal's candidates from the whole history (checked: 1 to count genomes).
  void add_proposals(std::size_t count) {
    auto proposed = variation_.propose(space_, history(), count, rng_);
    if (proposed.empty() || proposed.size() > count)
      throw error(detail::message("evolution: the batch proposal returned ", proposed.size(), " genomes, between 1 and ",
                                  count, " were asked (an empty proposal: nothing new left to evaluate?)"));
    pending_ = std::move(proposed);
  }

  // One parent per candidate; a mutation that declines leaves its slot empty (fewer candidates).
  void add_mutants(std::size_t count) {
    if (count == 0) return;
    const auto parents = select_parents(count);
    for (std::size_t i : parents) {
      auto child = variation_(space_, genomes_[i], rng_);
      if (child) pending_.push_back(std::move(*child));
      else ++declined_;
    }
  }

  // Keeps the candidates the screening policy accepts (distinct, increasing indices, checked).
  void screen_candidates() {
    static_assert(!single_child, "a screening stage cannot be combined with one child per mating (MOEA/D)");
    if (pending_.empty()) return;
    const auto keep = screening_.screen(view(), std::span<const genome_type>(pending_), rng_);
    for (std::size_t j = 0; j < keep.size(); ++j)
      if (keep[j] >= pending_.size() || (j > 0 && keep[j] <= keep[j - 1]))
        throw error(detail::message("evolution: the screening policy returned index ", keep[j], " at position ", j,
                                    " for ", pending_.size(), " candidates; indices must be distinct, increasing "
                                    "and below the number of candidates"));
    screened_out_ += pending_.size() - keep.size();
    std::vector<genome_type> kept;
    kept.reserve(keep.size());
    for (std::size_t i : keep) kept.push_back(std::move(pending_[i]));
    pending_ = std::move(kept);
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
  // In a canonical_space children are compared, and kept, in canonical form.
  void add_distinct_children() {
    std::set<genome_type> seen;
    for (const auto& g : genomes_) {
      if constexpr (canonical_space<Space>) seen.insert(space_.canonical(g));
      else seen.insert(g);
    }
    for (std::size_t round = 0; round < 100 && pending_.size() < offspring_size_; ++round) {
      const std::size_t matings = (offspring_size_ - pending_.size() + 1) / 2;
      const auto parents = select_parents(2 * matings);
      for (std::size_t p = 0; p < matings && pending_.size() < offspring_size_; ++p) {
        auto children = variation_(space_, genomes_[parents[2 * p]], genomes_[parents[2 * p + 1]], rng_);
        for (auto& c : children) {
          if constexpr (canonical_space<Space>) c = space_.canonical(c);
          if (pending_.size() < offspring_size_ && seen.insert(c).second) pending_.push_back(std::move(c));
        }
      }
    }
  }

 public:

  // The objectives of the last ask()'s genomes, one row each in the same order. Rejects a wrong
  // shape or a non-finite value before changing anything, so the batch can be told again.
  void tell(const matrix& objectives) { tell_impl(objectives, nullptr, {}); }

  // As tell(objectives), dropping the rows listed in `rejected` (failed evaluations: their rows may be
  // NaN); the other genomes go on to survival. Nothing is dropped when `rejected` is empty.
  void tell(const matrix& objectives, std::span<const std::size_t> rejected) { tell_impl(objectives, nullptr, rejected); }

  // Lamarckian tell: `evaluated` are the asked genomes as evaluation left them (trained weights), in
  // the same order; they, not the asked copies, join the population. Rows in `rejected` are dropped.
  void tell(const matrix& objectives, std::vector<genome_type>&& evaluated, std::span<const std::size_t> rejected = {}) {
    if (asked_ && evaluated.size() != pending_.size())
      throw dimension_error(detail::message("evolution::tell: ", evaluated.size(), " evaluated genomes for ",
                                            pending_.size(), " asked genomes"));
    tell_impl(objectives, &evaluated, rejected);
  }

 private:
  void tell_impl(const matrix& objectives, std::vector<genome_type>* evaluated, std::span<const std::size_t> rejected) {
    if (!asked_) throw error("evolution::tell: nothing was asked; call ask() first");
    if (objectives.rows() != pending_.size())
      throw dimension_error(detail::message("evolution::tell: ", objectives.rows(), " rows of objectives for ",
                                            pending_.size(), " asked genomes"));
    if (objectives.cols() == 0)
      throw dimension_error("evolution::tell: 0 objectives per genome; a problem needs at least one");
    if (const std::size_t m = num_objectives_ != 0 ? num_objectives_ : objectives_.cols();
        m != 0 && objectives.cols() != m)
      throw dimension_error(detail::message("evolution::tell: ", objectives.cols(), " objectives, expected ", m));
    std::vector<char> drop(pending_.size(), 0);
    for (std::size_t i : rejected) {
      if (i >= pending_.size())
        throw dimension_error(detail::message("evolution::tell: rejected index ", i, " for ", pending_.size(),
                                              " asked genomes"));
      drop[i] = 1;
    }
    std::vector<std::size_t> kept_rows;
    matrix told;  // the kept rows, when some are rejected
    if (!rejected.empty()) {
      for (std::size_t i = 0; i < pending_.size(); ++i)
        if (!drop[i]) kept_rows.push_back(i);
      told = objectives.select(kept_rows);
    }
    const matrix& rows = rejected.empty() ? objectives : told;
    rows.require_finite("evolution::tell");
    // From here on nothing throws before the state is changed, except the survival policy (checked).
    std::vector<genome_type>& batch = evaluated != nullptr ? *evaluated : pending_;
    [[maybe_unused]] std::vector<genome_type> measured;  // the history's new genomes (batch proposals)
    if constexpr (proposing) {
      if (!rejected.empty()) {
        for (std::size_t i = 0; i < batch.size(); ++i)
          if (!drop[i]) measured.push_back(batch[i]);
      } else {
        measured = batch;
      }
    }
    if (!rejected.empty()) {
      std::vector<genome_type> kept;
      kept.reserve(kept_rows.size());
      for (std::size_t i : kept_rows) kept.push_back(std::move(batch[i]));
      pending_ = std::move(kept);
    } else if (evaluated != nullptr) {
      pending_ = std::move(*evaluated);
    }
    rejected_ += rejected.size();
    evaluations_ += rejected.size();
    if (rows.rows() == 0 && genomes_.empty()) {  // every initial genome failed: ask for a new batch
      if (num_objectives_ == 0) num_objectives_ = objectives.cols();
      pending_.clear();
      asked_ = false;
      return;
    }
    matrix merged = objectives_;
    if (merged.empty()) merged = rows;
    else
      for (std::size_t i = 0; i < rows.rows(); ++i) merged.push_back(rows.row(i));
    auto s = survival_.survive(merged, population_size_, rng_);
    check_survivors(s, merged.rows());
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
    if constexpr (proposing) {
      if (history_objectives_.empty()) history_objectives_ = matrix(0, rows.cols());
      for (std::size_t i = 0; i < rows.rows(); ++i) history_objectives_.push_back(rows.row(i));
      for (auto& g : measured) history_genomes_.push_back(std::move(g));
    }
    evaluations_ += pending_.size();
    if (old > 0) ++generation_;
    if (num_objectives_ == 0) num_objectives_ = objectives.cols();
    pending_.clear();
    asked_ = false;
  }

  // Refuses what a survival policy returns if it does not fit the merged set (index out of range,
  // rank or score missing, more survivors than the population size).
  void check_survivors(const survivors& s, std::size_t merged) const {
    if (s.rank.size() != s.index.size() || s.score.size() != s.index.size())
      throw error(detail::message("evolution: the survival policy returned ", s.index.size(), " indices, ",
                                  s.rank.size(), " ranks and ", s.score.size(), " scores"));
    if (s.index.size() > population_size_)
      throw error(detail::message("evolution: the survival policy kept ", s.index.size(), " of a population of ",
                                  population_size_));
    if (s.index.empty())
      throw error("evolution: the survival policy kept no individual");
    for (std::size_t i : s.index)
      if (i >= merged)
        throw error(detail::message("evolution: the survival policy returned index ", i, " for ", merged,
                                    " merged individuals"));
  }

 public:
  // With duplicate elimination on, every generation's children differ from each other and from the
  // population (generational searchers with ordered genomes; MOEA/D's one child per subproblem is
  // exempt). Off by default, as in Deb's NSGA-II.
  void set_eliminate_duplicates(bool on) { eliminate_duplicates_ = on; }
  bool eliminate_duplicates() const { return eliminate_duplicates_; }

  const Space& space() const { return space_; }
  const std::vector<genome_type>& genomes() const { return genomes_; }
  const matrix& objectives() const { return objectives_; }
  const survivors& ranking() const { return ranking_; }
  // Every measurement told so far (kept only for a batch proposal, which learns from it; empty otherwise).
  measurement_view<genome_type> history() const {
    return {std::span<const genome_type>(history_genomes_), history_objectives_};
  }
  // The population as policies see it (genomes, objectives, ranking).
  view_type view() const { return {std::span<const genome_type>(genomes_), objectives_, ranking_}; }
  // The genomes of the last ask() not yet told (empty when nothing is asked).
  const std::vector<genome_type>& pending() const { return pending_; }
  // Candidates a mutation declined, the screening stage refused, and evaluations rejected, in all.
  std::size_t declined() const { return declined_; }
  std::size_t screened_out() const { return screened_out_; }
  std::size_t rejected() const { return rejected_; }
  Variation& variation_policy() { return variation_; }
  Mating& mating_policy() { return mating_; }
  Screening& screening_policy() { return screening_; }
  std::size_t initial_size() const { return initial_size_; }
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
    if (n > 0 && objectives_.cols() == 0)
      throw error(detail::message("evolution state: ", n, " genomes without objectives"));
    if (n > 0 && num_objectives_ != 0 && objectives_.cols() != num_objectives_)
      throw error(detail::message("evolution state: ", objectives_.cols(), " objectives per genome, ", num_objectives_,
                                  " declared"));
    if constexpr (requires(const genome_type& g) { { g.size() } -> std::convertible_to<std::size_t>; { space_.size() } -> std::convertible_to<std::size_t>; }) {
      // Every genome must have the space's length: a file of another run or a damaged one would otherwise
      // be read out of bounds by the next variation.
      auto check_all = [&](const std::vector<genome_type>& gs, const char* what) {
        for (std::size_t i = 0; i < gs.size(); ++i)
          if (gs[i].size() != space_.size())
            throw error(detail::message("evolution state: ", what, " ", i, " has ", gs[i].size(), " values, the space ",
                                        space_.size()));
      };
      check_all(genomes_, "genome");
      check_all(pending_, "pending genome");
      check_all(seeds_, "seed");
    }
    if (!asked_ && !pending_.empty())
      throw error(detail::message("evolution state: ", pending_.size(), " pending genomes but nothing asked"));
    if (history_objectives_.rows() != history_genomes_.size() ||
        (!history_genomes_.empty() && history_objectives_.cols() != objectives_.cols()))
      throw error(detail::message("evolution state: a history of ", history_genomes_.size(), " genomes with ",
                                  history_objectives_.rows(), " x ", history_objectives_.cols(), " objectives"));
    if constexpr (requires(const genome_type& g) { { g.size() } -> std::convertible_to<std::size_t>; { space_.size() } -> std::convertible_to<std::size_t>; }) {
      for (std::size_t i = 0; i < history_genomes_.size(); ++i)
        if (history_genomes_[i].size() != space_.size())
          throw error(detail::message("evolution state: measured genome ", i, " has ", history_genomes_[i].size(),
                                      " values, the space ", space_.size()));
    }
  }

 private:
  // A survival policy that keeps its own structure (MOEA/D's neighbourhoods) may choose the parents
  // itself (`mate`) and ask for one child per mating (`one_child_per_mating`): child j then belongs
  // to mating j, so survival knows which subproblem each child came from.
  static constexpr bool single_child = one_child_survival<Survival>;
  static constexpr bool unary = mutation<Variation, Space>;
  static constexpr bool proposing = batch_proposal<Variation, Space>;
  static constexpr bool ordered_genomes =
      requires(const genome_type& a, const genome_type& b) { { a < b } -> std::convertible_to<bool>; };
  static constexpr bool survival_mates = mating_survival<Survival>;
  static_assert(!(unary && single_child), "one child per mating needs a two-parent variation");
  static_assert(!(proposing && single_child), "one child per mating needs a two-parent variation");

  template <class Self, class Visitor>
  static void visit_state_of(Self& self, Visitor& v) {
    v.setting("population", self.population_size_);
    v.setting("offspring", self.offspring_size_);
    v.setting("initial", self.initial_size_);
    v.setting("space", space_description(self.space_));
    v.field("num_objectives", self.num_objectives_);
    v.field("rng", self.rng_);
    v.field("genomes", self.genomes_);
    v.field("objectives", self.objectives_);
    v.field("ranking", self.ranking_);
    v.field("pending", self.pending_);
    v.field("asked", self.asked_);
    v.field("generation", self.generation_);
    v.field("evaluations", self.evaluations_);
    v.field("elapsed", self.elapsed_);
    v.field("seeds", self.seeds_);
    v.field("declined", self.declined_);
    v.field("screened_out", self.screened_out_);
    v.field("rejected", self.rejected_);
    v.policy("variation", self.variation_);
    v.policy("survival", self.survival_);
    v.policy("mating", self.mating_);
    v.policy("screening", self.screening_);
    // Only a batch proposal's loop keeps a history: the other searchers' checkpoints are unchanged.
    if constexpr (proposing) {
      v.field("history_genomes", self.history_genomes_);
      v.field("history_objectives", self.history_objectives_);
    }
  }

  // What a checkpoint records of the space: its description(), or "" (not checked) without one.
  static std::string space_description(const Space& space) {
    if constexpr (described_space<Space>) return std::string(space.description());
    else return {};
  }

  std::vector<std::size_t> select_parents(std::size_t n) {
    std::vector<std::size_t> parents;
    if constexpr (survival_mates)
      parents = survival_.mate(ranking_, n, rng_);
    else if constexpr (population_mating<Mating, genome_type>)
      parents = mating_.select(view(), n, rng_);
    else
      parents = mating_.select(ranking_, n, rng_);
    if (parents.size() != n)
      throw error(detail::message("evolution: the mating selection returned ", parents.size(), " parents, ", n,
                                  " were asked"));
    for (std::size_t i : parents)
      if (i >= genomes_.size())
        throw error(detail::message("evolution: the mating selection returned parent ", i, " in a population of ",
                                    genomes_.size()));
    return parents;
  }

  Space space_;
  std::size_t population_size_;
  std::size_t initial_size_;
  std::size_t offspring_size_;
  rng rng_;
  Variation variation_;
  Survival survival_;
  Mating mating_;
  Screening screening_;
  std::vector<genome_type> seeds_;
  std::vector<genome_type> genomes_;
  matrix objectives_;
  std::size_t num_objectives_ = 0;
  survivors ranking_;
  std::vector<genome_type> pending_;
  bool asked_ = false;
  bool eliminate_duplicates_ = false;
  std::size_t generation_ = 0;
  std::size_t evaluations_ = 0;
  double elapsed_ = 0.0;
  std::size_t declined_ = 0;
  std::size_t screened_out_ = 0;
  std::size_t rejected_ = 0;
  std::vector<genome_type> history_genomes_;
  matrix history_objectives_;
};

}  // namespace moo
