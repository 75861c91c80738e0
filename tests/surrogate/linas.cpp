// LINAS (moo/algorithm/linas.hpp): the batch proposal in the one evolve loop. Checked against a brute-
// force Pareto front of a small integer space, against random search and NSGA-II at equal measurement
// budgets, for its bookkeeping (budget, no repeated measurement, the history), for kill-and-resume
// bit-identity, and for clear errors from bad proposals and unlearnable objectives.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "moo/algorithm/agemoea.hpp"
#include "moo/algorithm/linas.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/algorithm/random_search.hpp"
#include "moo/core/concepts.hpp"
#include "moo/genome/integer.hpp"
#include "moo/indicators/hypervolume.hpp"
#include "moo/io/checkpoint.hpp"
#include "moo/pareto/sorting.hpp"
#include "moo/problems/dtlz.hpp"
#include "moo/problems/zdt.hpp"
#include "moo/surrogate/svr.hpp"
#include "support.hpp"

namespace linas_tests {

// A small "super-network" stand-in: 8 genes with 4 choices each (65,536 configurations, so its exact
// Pareto front is known by enumeration). cost grows with every gene (like MACs), error falls with
// every gene with diminishing returns and one interaction (not additive: a linear model only
// approximates it).
struct toy_subnets {
  using genome_type = moo::integer_genome;
  moo::integer_space space_ = moo::integer_space::uniform(8, 0, 3);
  const moo::integer_space& space() const { return space_; }
  std::size_t num_objectives() const { return 2; }
  void evaluate(const genome_type& x, std::span<double> out) const {
    double cost = 0.0, gain = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double v = static_cast<double>(x[i]);
      cost += (1.0 + 0.25 * static_cast<double>(i)) * (v + 1.0) * (v + 1.0);
      gain += (1.0 + 0.5 * static_cast<double>(i % 3)) * std::log1p(v);
    }
    gain += 0.3 * static_cast<double>(x[0] * x[7]);
    out[0] = std::exp(-0.25 * gain);  // "error"
    out[1] = cost;                    // "MACs"
  }
};

// The same problem with a third objective that never varies.
struct toy_with_constant : toy_subnets {
  std::size_t num_objectives() const { return 3; }
  void evaluate(const genome_type& x, std::span<double> out) const {
    toy_subnets::evaluate(x, out.first(2));
    out[2] = 4.0;
  }
};

// The toy problem over a space with a canonical form: when gene 0 is 0, genes 4..7 are not read (a
// "stage" that stops early) and the canonical form sets them to 0.
struct gated_space : moo::integer_space {
  gated_space() : moo::integer_space(moo::integer_space::uniform(8, 0, 3)) {}
  moo::integer_genome canonical(moo::integer_genome x) const {
    if (x[0] == 0)
      for (std::size_t i = 4; i < 8; ++i) x[i] = 0;
    return x;
  }
};
struct gated_subnets {
  using genome_type = moo::integer_genome;
  gated_space space_;
  const gated_space& space() const { return space_; }
  std::size_t num_objectives() const { return 2; }
  void evaluate(const genome_type& x, std::span<double> out) const { toy_subnets{}.evaluate(space_.canonical(x), out); }
};

// Every configuration of the toy problem, measured.
moo::matrix enumerate_toy() {
  const toy_subnets p;
  moo::matrix f(0, 2);
  moo::integer_genome x(8, 0);
  for (std::size_t code = 0; code < 65536; ++code) {
    for (std::size_t i = 0, c = code; i < 8; ++i, c /= 4) x[i] = static_cast<long>(c % 4);
    double out[2];
    p.evaluate(x, out);
    f.push_back(std::span<const double>(out, 2));
  }
  return f;
}

std::vector<std::size_t> first_front(const moo::matrix& f) {
  const auto rank = moo::non_dominated_ranks(f);
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < rank.size(); ++i)
    if (rank[i] == 0) idx.push_back(i);
  return idx;
}

double hv(const moo::matrix& f, std::span<const double> ref) { return moo::hypervolume(f, ref); }

// A proposal that returns a fixed number of random genomes (to check the loop's refusal of bad counts).
struct fixed_count_proposal {
  std::size_t count = 0;
  template <moo::search_space S>
  std::vector<typename S::genome_type> propose(const S& s, const moo::measurement_view<typename S::genome_type>&,
                                               std::size_t, moo::rng& r) {
    std::vector<typename S::genome_type> out;
    for (std::size_t i = 0; i < count; ++i) out.push_back(s.sample(r));
    return out;
  }
};

// A predictor that cannot learn anything (like a user's model rejecting its data).
struct refusing_predictor {
  void fit(const moo::matrix&, std::span<const double>) { throw moo::value_error("refusing_predictor: no"); }
  std::vector<double> predict(const moo::matrix& x) const { return std::vector<double>(x.rows(), 0.0); }
};

struct crash_at {
  std::size_t g;
  void on_generation(const auto& s) const {
    if (s.generation() == g) throw std::runtime_error("simulated crash");
  }
};

}  // namespace linas_tests

static_assert(moo::batch_proposal<moo::linas_proposal<>, moo::real_space>);
static_assert(moo::batch_proposal<moo::linas_proposal<moo::ridge, moo::integer_nsga2>, moo::integer_space>);
static_assert(moo::variation_policy<moo::linas_proposal<>, moo::real_space>);
static_assert(moo::batch_proposal<linas_tests::fixed_count_proposal, moo::integer_space>);
static_assert(!moo::batch_proposal<moo::sbx_pm, moo::real_space>);

TEST_CASE("LINAS on an enumerable integer space: near the exact front, ahead of random search and NSGA-II") {
  using namespace linas_tests;
  const toy_subnets p;
  const moo::matrix all = enumerate_toy();
  const moo::matrix exact = all.select(first_front(all));
  std::vector<double> ref(2);
  for (std::size_t j = 0; j < 2; ++j) {
    double hi = 0.0;
    for (std::size_t i = 0; i < all.rows(); ++i) hi = std::max(hi, all(i, j));
    ref[j] = hi * 1.01;
  }
  const double best = hv(exact, ref);
  const std::size_t budget = 120;
  moo::linas_proposal<moo::ridge, moo::integer_nsga2> proposal;
  proposal.inner.generations = 60;
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    const moo::integer_linas linas{{.offspring = 20, .seed = seed, .variation = proposal, .initial = 20}};
    const auto lr = linas.run(p, moo::max_evaluations{budget});
    const moo::random_search rs{{.population = 20, .generations = 1000, .seed = seed}};
    const auto rr = rs.run(p, moo::max_evaluations{budget});
    const moo::integer_nsga2 ga{{.population = 20, .generations = 1000, .seed = seed}};
    const auto gr = ga.run(p, moo::max_evaluations{budget});
    CHECK(lr.evaluations == budget);
    CHECK(rr.evaluations == budget);
    CHECK(gr.evaluations == budget);
    const double h_linas = hv(lr.front(), ref) / best, h_random = hv(rr.front(), ref) / best,
                 h_ga = hv(gr.front(), ref) / best;
    MESSAGE("normalised hypervolume after " << budget << " measurements: LINAS " << h_linas << ", random "
                                            << h_random << ", NSGA-II " << h_ga);
    CHECK(h_linas <= 1.0 + 1e-12);
    CHECK(h_linas > 0.97);
    CHECK(h_linas > h_random);
    CHECK(h_linas > h_ga);
  }
}

TEST_CASE("LINAS as a surrogate-assisted search on ZDT1 and ZDT2 beats random search at equal budgets") {
  using namespace linas_tests;
  moo::linas_proposal<> proposal;
  proposal.inner.generations = 60;
  for (const std::uint64_t seed : {4u, 5u}) {
    CAPTURE(seed);
    const moo::linas linas{{.offspring = 20, .seed = seed, .variation = proposal, .initial = 20}};
    const moo::random_search rs{{.population = 20, .generations = 1000, .seed = seed}};
    {
      const moo::zdt1 p(10);
      const double ref[] = {1.1, 7.0};
      const double a = hv(linas.run(p, moo::max_evaluations{100}).front(), ref);
      const double b = hv(rs.run(p, moo::max_evaluations{100}).front(), ref);
      MESSAGE("ZDT1 (10 variables), hypervolume after 100 evaluations: LINAS " << a << ", random " << b);
      CHECK(a > b);
    }
    {
      const moo::zdt2 p(10);
      const double ref[] = {1.1, 7.0};
      const double a = hv(linas.run(p, moo::max_evaluations{100}).front(), ref);
      const double b = hv(rs.run(p, moo::max_evaluations{100}).front(), ref);
      MESSAGE("ZDT2 (10 variables), hypervolume after 100 evaluations: LINAS " << a << ", random " << b);
      CHECK(a > b);
    }
  }
}

// On DTLZ2, whose objectives are products of cosines and sines of the variables, ridge regression's linear
// model misleads the search (random search ends ahead at 100 evaluations); SVR's RBF kernel does not.
TEST_CASE("LINAS on DTLZ2: ridge's linear model falls behind random search, SVR's RBF model ahead of both") {
  using namespace linas_tests;
  const moo::dtlz2 p(3, 5);
  const double ref[] = {2.0, 2.0, 2.0};
  for (const std::uint64_t seed : {4u, 5u}) {
    CAPTURE(seed);
    moo::linas_proposal<moo::svr> with_svr;
    with_svr.inner.generations = 60;
    moo::linas_proposal<> with_ridge;
    with_ridge.inner.generations = 60;
    const moo::linas_with<moo::svr> a{{.offspring = 20, .seed = seed, .variation = with_svr, .initial = 20}};
    const moo::linas b{{.offspring = 20, .seed = seed, .variation = with_ridge, .initial = 20}};
    const moo::random_search rs{{.population = 20, .generations = 1000, .seed = seed}};
    const double h_svr = hv(a.run(p, moo::max_evaluations{100}).front(), ref);
    const double h_ridge = hv(b.run(p, moo::max_evaluations{100}).front(), ref);
    const double h_random = hv(rs.run(p, moo::max_evaluations{100}).front(), ref);
    MESSAGE("DTLZ2 (3 objectives), hypervolume after 100 evaluations: LINAS+SVR " << h_svr << ", LINAS+ridge "
                                                                                 << h_ridge << ", random " << h_random);
    CHECK(h_svr > h_random);
    CHECK(h_svr > h_ridge);
  }
}

TEST_CASE("LINAS with another inner search (AGE-MOEA) as a policy") {
  using namespace linas_tests;
  moo::linas_proposal<moo::ridge, moo::agemoea> proposal;
  proposal.inner.generations = 40;
  const moo::linas_with<moo::ridge, moo::agemoea> linas{{.offspring = 20, .seed = 6, .variation = proposal, .initial = 20}};
  const moo::random_search rs{{.population = 20, .generations = 1000, .seed = 6}};
  const moo::zdt1 p(10);
  const double ref[] = {1.1, 7.0};
  const auto r = linas.run(p, moo::max_evaluations{100});
  CHECK(r.evaluations == 100);
  const double a = hv(r.front(), ref), b = hv(rs.run(p, moo::max_evaluations{100}).front(), ref);
  MESSAGE("ZDT1, LINAS with inner AGE-MOEA: hypervolume " << a << ", random " << b);
  CHECK(a > b);
}

TEST_CASE("LINAS bookkeeping: the budget, every measurement in the history, none repeated; the one-shot mode") {
  using namespace linas_tests;
  const toy_subnets p;
  moo::linas_proposal<moo::ridge, moo::integer_nsga2> proposal;
  proposal.inner.generations = 20;
  const moo::integer_linas algo{{.offspring = 15, .seed = 9, .variation = proposal, .initial = 25}};
  auto state = algo.start(p);
  std::size_t told = 0;
  while (state.evaluations() < 85) {
    const auto& batch = state.ask();
    CHECK(batch.size() == (state.initialized() ? 15u : 25u));
    moo::matrix f(batch.size(), 2);
    for (std::size_t i = 0; i < batch.size(); ++i) p.evaluate(batch[i], f.row(i));
    told += batch.size();
    state.tell(f);
  }
  CHECK(state.evaluations() == 85);
  const auto h = state.history();
  REQUIRE(h.size() == told);
  REQUIRE(h.objectives.rows() == told);
  std::set<moo::integer_genome> distinct(h.genomes.begin(), h.genomes.end());
  CHECK(distinct.size() == told);  // nothing measured twice
  for (std::size_t i = 0; i < h.size(); ++i) {
    double out[2];
    p.evaluate(h.genomes[i], out);
    CHECK(h.objectives(i, 0) == out[0]);
    CHECK(h.objectives(i, 1) == out[1]);
  }
  // The population is the non-dominated set of the whole history.
  const auto nd = first_front(h.objectives);
  CHECK(state.genomes().size() == nd.size());

  // One-shot: the predictors are fitted once, on `initial` random measurements; one proposal batch.
  const moo::integer_linas one_shot{{.offspring = 20, .seed = 3, .variation = proposal, .initial = 60}};
  const auto r = one_shot.run(p, moo::max_generations{1});
  CHECK(r.evaluations == 80);
  CHECK(r.generations == 1);

  // A constant objective is predicted as that constant (nothing to learn, no error).
  const auto c = one_shot.run(toy_with_constant{}, moo::max_generations{1});
  CHECK(c.evaluations == 80);
  for (std::size_t i = 0; i < c.objectives.rows(); ++i) CHECK(c.objectives(i, 2) == 4.0);
}

TEST_CASE("a canonical space: duplicate elimination and LINAS compare and keep canonical forms") {
  using namespace linas_tests;
  static_assert(moo::canonical_space<gated_space>);
  static_assert(!moo::canonical_space<moo::integer_space>);
  const gated_subnets p;
  const gated_space& s = p.space();
  // NSGA-II with duplicate elimination: every child canonical, none equal to another or to a parent's form.
  const moo::integer_nsga2 ga{{.population = 12, .seed = 2, .eliminate_duplicates = true}};
  auto state = ga.start(p);
  for (std::size_t g = 0; g < 15; ++g) {
    const auto& batch = state.ask();
    if (state.initialized()) {
      std::set<moo::integer_genome> forms;
      for (const auto& x : state.genomes()) forms.insert(s.canonical(x));
      for (const auto& x : batch) {
        CHECK(x == s.canonical(x));
        CHECK(forms.insert(x).second);
      }
    }
    moo::matrix f(batch.size(), 2);
    for (std::size_t i = 0; i < batch.size(); ++i) p.evaluate(batch[i], f.row(i));
    state.tell(f);
  }
  // LINAS: every proposal canonical, no two measurements of one canonical form.
  moo::linas_proposal<moo::ridge, moo::integer_nsga2> proposal;
  proposal.inner.generations = 20;
  const moo::integer_linas algo{{.offspring = 15, .seed = 4, .variation = proposal, .initial = 20}};
  auto ls = algo.start(p);
  while (ls.evaluations() < 80) {
    const auto& batch = ls.ask();
    moo::matrix f(batch.size(), 2);
    for (std::size_t i = 0; i < batch.size(); ++i) p.evaluate(batch[i], f.row(i));
    ls.tell(f);
  }
  std::set<moo::integer_genome> forms;
  const auto h = ls.history();
  for (std::size_t i = 20; i < h.size(); ++i) CHECK(h.genomes[i] == s.canonical(h.genomes[i]));
  for (const auto& x : h.genomes) CHECK(forms.insert(s.canonical(x)).second);
}

TEST_CASE("LINAS killed mid-run resumes bit-identical, measuring nothing twice") {
  using namespace linas_tests;
  const toy_subnets p;
  moo::linas_proposal<moo::ridge, moo::integer_nsga2> proposal;
  proposal.inner.generations = 15;
  const moo::integer_linas algo{{.offspring = 10, .seed = 21, .variation = proposal, .initial = 15}};
  const auto expected = algo.run(p, moo::max_evaluations{75});
  test_support::temp_dir dir("linas");
  const moo::checkpoint ck{.path = dir / "linas.ckpt", .every = 1};
  CHECK_THROWS_AS(algo.run(p, moo::max_evaluations{75}, ck, crash_at{3}), std::runtime_error);
  auto probe = algo.start(p);
  moo::io::load_checkpoint(ck.path, probe);
  CHECK(probe.generation() == 2);
  CHECK(probe.history().size() == 35);  // the initial 15 and two batches of 10, kept in the checkpoint
  const auto resumed = algo.resume(ck.path, p, moo::max_evaluations{75}, ck);
  CHECK(resumed.evaluations == expected.evaluations);
  CHECK(resumed.genomes == expected.genomes);
  CHECK(resumed.objectives == expected.objectives);
}

TEST_CASE("LINAS errors: a bad proposal count and a predictor that cannot fit are named, the state kept") {
  using namespace linas_tests;
  const toy_subnets p;
  for (const std::size_t count : {0u, 11u}) {
    CAPTURE(count);
    const moo::evolver<fixed_count_proposal, moo::nondominated_survival, moo::random_mating> algo{
        {.offspring = 10, .seed = 1, .variation = {count}, .initial = 10}};
    auto state = algo.start(p);
    const auto& first = state.ask();  // the random initial batch does not ask the proposal
    moo::matrix f(first.size(), 2);
    for (std::size_t i = 0; i < first.size(); ++i) p.evaluate(first[i], f.row(i));
    state.tell(f);
    const auto before = state.genomes();
    CHECK_THROWS_WITH_AS(state.ask(), doctest::Contains("the batch proposal returned"), moo::error);
    CHECK(state.genomes() == before);
    CHECK(state.history().size() == 10);
    CHECK(state.evaluations() == 10);
  }
  const moo::linas_with<refusing_predictor, moo::integer_nsga2> refusing{{.offspring = 5, .seed = 1, .initial = 8}};
  CHECK_THROWS_WITH_AS(refusing.run(p, moo::max_evaluations{20}),
                       doctest::Contains("fitting the predictor of objective 0 on 8 measurements failed"),
                       moo::value_error);
}
