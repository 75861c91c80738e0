// LEMONADE's overhead: one generation without training (parent sampling by density, n_pc morphisms,
// the children's cheap objectives, density-based acceptance, non-dominated survival, checkpoint
// write) for a population of 50 networks and n_pc = 100. The trained children's objectives are made up
// (nothing is trained), so the figure is the search's own cost, to compare with a generation's training.
#include <benchmark/benchmark.h>

#include <filesystem>

#include <moo/io/checkpoint.hpp>
#include <nas/lemonade.hpp>

namespace {

// A population of `n` mutually non-dominated networks: random morphism chains from trivial networks,
// errors assigned to decrease with size.
template <class State, class Search>
void fill(State& state, const Search& search, const nas::network_space& space, std::size_t n, moo::rng& r) {
  nas::morphism_mutation m{nas::morphism::function_preserving_sampler({.max_parameters = 150000})};
  std::vector<nas::candidate> pop;
  while (pop.size() < n) {
    nas::candidate c = space.sample(r);
    const auto steps = r.index(12);
    for (std::uint64_t k = 0; k < steps; ++k)
      if (auto child = m(space, c, r)) c = std::move(*child);
    c.epochs = 1.0;
    pop.push_back(std::move(c));
  }
  std::sort(pop.begin(), pop.end(), [](const auto& a, const auto& b) { return a.net.parameter_count() < b.net.parameter_count(); });
  state.set_initial(pop, pop.size());
  const auto& batch = state.ask();
  moo::matrix f(batch.size(), 3);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    f(i, 0) = 0.5 - 0.4 * static_cast<double>(i) / static_cast<double>(batch.size());
    f(i, 1) = static_cast<double>(batch[i].net.parameter_count());
    f(i, 2) = static_cast<double>(batch[i].net.macs()) * (1.0 + 0.01 * r.uniform());
  }
  state.tell(f);
  (void)search;
}

void BM_lemonade_generation(benchmark::State& bs) {
  const std::size_t population = static_cast<std::size_t>(bs.range(0));
  const std::size_t children = static_cast<std::size_t>(bs.range(1));
  nas::train::dataset none;
  nas::lemonade search({.children = children, .accepted = 8, .seed = 1, .caps = {.max_parameters = 300000},
                        .space = {.input = {1, 28, 28}, .classes = 10, .widths = {8, 16}}},
                       nas::validation_error{}, nas::parameter_count{}, nas::mac_count{});
  const nas::network_space space({.input = {1, 28, 28}, .classes = 10, .widths = {8, 16}});
  auto start = search.evolver().start(space);
  moo::rng r(3);
  fill(start, search, space, population, r);
  const auto path = std::filesystem::temp_directory_path() / "bm_lemonade.ckpt";
  std::size_t kept = 0;
  for (auto _ : bs) {
    bs.PauseTiming();
    auto state = start;
    bs.ResumeTiming();
    auto batch = state.ask();  // density, parents, morphisms, cheap objectives, acceptance
    moo::matrix f(batch.size(), 3);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      f(i, 0) = 0.3;
      f(i, 1) = static_cast<double>(batch[i].net.parameter_count());
      f(i, 2) = static_cast<double>(batch[i].net.macs());
    }
    state.tell(f, std::move(batch));  // survival
    moo::io::save_checkpoint(path, state);
    kept = state.genomes().size();
  }
  bs.counters["population"] = static_cast<double>(start.genomes().size());
  bs.counters["after"] = static_cast<double>(kept);
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + ".prev");
}
BENCHMARK(BM_lemonade_generation)->Args({50, 100})->Args({20, 16})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
