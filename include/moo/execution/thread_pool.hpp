// Evaluates a batch of genomes on a fixed pool of std::threads (moo::worker_pool). Each result goes to its
// own row, so the output is identical to the sequential executor's, in order, whatever the thread count.
// Example:
//   moo::thread_pool_executor pool{{.threads = 4}};
//   auto res = moo::nsga2{{.population = 100, .generations = 250, .seed = 1}}.run_on(pool, moo::zdt1{});
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <thread>

#include "moo/core/concepts.hpp"
#include "moo/core/matrix.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/execution/worker_pool.hpp"

namespace moo {

class thread_pool_executor {
 public:
  struct options {
    std::size_t threads = 0;  // threads evaluating, the caller included; 0 = hardware concurrency
  };

  // One thread per hardware thread.
  thread_pool_executor() : thread_pool_executor(options{}) {}

  // Starts threads - 1 workers; the calling thread is the last one. Throws std::system_error (with no
  // worker left running) if a thread cannot be started.
  explicit thread_pool_executor(options o)
      : pool_(o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency())) {}

  thread_pool_executor(const thread_pool_executor&) = delete;
  thread_pool_executor& operator=(const thread_pool_executor&) = delete;

  // The number of threads that evaluate (the caller included).
  std::size_t threads() const { return pool_.size(); }

  // Returns one row of objectives per genome, in order; throws evaluation_error (listing each failed
  // genome in index order, keeping every other result) if any evaluation threw. A call made while
  // another thread's batch is running, or from inside an evaluation, runs on the calling thread alone.
  template <plain_problem P>
  matrix evaluate(const P& p, std::span<const genome_of<P>> genomes) {
    return evaluate_batch(p, genomes);
  }

  // Lamarckian: each genome is evaluated in place on one thread (one network trained per thread).
  template <lamarckian_problem P>
  matrix evaluate(const P& p, std::span<genome_of<P>> genomes) {
    return evaluate_batch(p, genomes);
  }

 private:
  template <class P, class G>
  matrix evaluate_batch(const P& p, std::span<G> genomes) {
    return detail::evaluate_rows(p, genomes, [&](std::size_t n, const auto& task) {
      pool_.parallel_for(n, [&](std::size_t i, std::size_t) { task(i); });
    });
  }

  worker_pool pool_;
};

}  // namespace moo
