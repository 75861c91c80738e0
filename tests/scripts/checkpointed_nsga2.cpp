// Helper of kill_resume.sh: NSGA-II on ZDT1 with a checkpoint every few generations, optionally slowed
// down so that a test can kill it mid-run, optionally resumed from a checkpoint; writes the final
// population (objectives and variables, shortest round-trip decimals) as CSV.
//   checkpointed_nsga2 --checkpoint FILE --out CSV [--resume FILE] [--generations G] [--population N]
//                      [--seed S] [--every K] [--delay-ms D]
// Prints "start <generation> <resumed>" and then "generation <g>" after each generation, flushed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>

#include <moo/algorithm/nsga2.hpp>
#include <moo/io/results.hpp>
#include <moo/problems/zdt.hpp>

namespace {

// Reports each generation on stdout and sleeps `delay_ms`, so a test can see progress and kill the run.
struct announce {
  long delay_ms = 0;
  template <class State>
  void on_start(const State& s, const moo::run_info& info) const {
    std::printf("start %zu %d\n", s.generation(), info.resumed ? 1 : 0);
    std::fflush(stdout);
  }
  template <class State>
  void on_generation(const State& s) const {
    std::printf("generation %zu\n", s.generation());
    std::fflush(stdout);
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }
};

std::string_view option(int argc, char** argv, std::string_view name, std::string_view fallback = {}) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

std::size_t number(int argc, char** argv, std::string_view name, std::size_t fallback) {
  const auto v = option(argc, argv, name);
  return v.empty() ? fallback : std::stoul(std::string(v));
}

}  // namespace

int main(int argc, char** argv) try {
  const std::filesystem::path checkpoint_path{std::string(option(argc, argv, "--checkpoint"))};
  const std::filesystem::path out{std::string(option(argc, argv, "--out"))};
  const std::filesystem::path resume_from{std::string(option(argc, argv, "--resume"))};
  if (checkpoint_path.empty() || out.empty()) {
    std::fprintf(stderr, "usage: checkpointed_nsga2 --checkpoint FILE --out CSV [--resume FILE] ...\n");
    return 2;
  }
  const moo::nsga2 algo{{.population = number(argc, argv, "--population", 40),
                         .generations = number(argc, argv, "--generations", 60),
                         .seed = number(argc, argv, "--seed", 1)}};
  const moo::checkpoint ck{.path = checkpoint_path, .every = number(argc, argv, "--every", 5)};
  const announce cb{static_cast<long>(number(argc, argv, "--delay-ms", 0))};
  const auto res = resume_from.empty() ? algo.run(moo::zdt1{}, ck, cb) : algo.resume(resume_from, moo::zdt1{}, ck, cb);
  moo::io::write_csv(out, res);
  std::printf("done %zu generations, %zu evaluations\n", res.generations, res.evaluations);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "checkpointed_nsga2: %s\n", e.what());
  return 1;
}
