// A long, resumable, parallel run: NSGA-III on 3-objective DTLZ2 with Riesz s-energy directions,
// evaluated on a thread pool, checkpointed every 10 generations, logged as JSON lines, with a
// progress line on the terminal. Run it, kill it (Ctrl-C or kill -9), run it again: it resumes
// from the checkpoint and ends with the same front an uninterrupted run gives.
//   long_run [--generations G] [--out DIR]
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <moo/algorithm/checkpoint.hpp>
#include <moo/algorithm/nsga3.hpp>
#include <moo/algorithm/progress.hpp>
#include <moo/algorithm/termination.hpp>
#include <moo/execution/thread_pool.hpp>
#include <moo/indicators/distance.hpp>
#include <moo/io/results.hpp>
#include <moo/problems/dtlz.hpp>

int main(int argc, char** argv) {
  std::size_t generations = 300;
  std::filesystem::path out = "out";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--generations") generations = std::stoul(argv[i + 1]);
    if (std::string_view(argv[i]) == "--out") out = argv[i + 1];
  }
  std::filesystem::create_directories(out);

  const moo::dtlz2 problem{3};
  const moo::nsga3 algorithm{{.generations = generations, .seed = 42,
                              .survival = moo::riesz_s_energy(100, 3, /*seed=*/7)}};
  moo::thread_pool_executor pool{{.threads = 2}};
  const moo::checkpoint ck{.path = out / "long_run.ckpt", .every = 10};
  const std::vector<double> reference{1.1, 1.1, 1.1};

  auto run = [&] {
    const auto log = moo::jsonl_log{.path = out / "long_run.jsonl", .reference = reference};
    const auto display = moo::progress_display{.reference = reference};
    if (std::filesystem::exists(ck.path)) {
      std::printf("resuming from %s\n", ck.path.c_str());
      return algorithm.resume_on(ck.path, pool, problem, ck, log, display);
    }
    return algorithm.run_on(pool, problem, ck, log, display);
  };
  const auto res = run();

  const double igd = moo::igd(res.front(), problem.true_front(5000));
  std::printf("NSGA-III on DTLZ2: %zu generations, %zu evaluations, IGD %.4f against the true front\n",
              res.generations, res.evaluations, igd);
  moo::io::write_csv(out / "long_run_front.csv", res, res.front_indices());
  std::filesystem::remove(ck.path);  // finished: the next start is a fresh run
  return igd < 0.1 ? 0 : 1;
}
