// Evaluates a batch of genomes on a fixed pool of std::threads. Each result goes to its own row, so the
// output is identical to the sequential executor's, in order, whatever the thread count. Example:
//   moo::thread_pool_executor pool{{.threads = 4}};
//   auto res = moo::nsga2{{.population = 100, .generations = 250, .seed = 1}}.run_on(pool, moo::zdt1{});
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/describe.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/execution/sequential.hpp"

namespace moo {

class thread_pool_executor {
 public:
  struct options {
    std::size_t threads = 0;  // threads evaluating, the caller included; 0 = hardware concurrency
  };

  // One thread per hardware thread.
  thread_pool_executor() : thread_pool_executor(options{}) {}

  // Starts threads - 1 workers; the calling thread is the last one.
  explicit thread_pool_executor(options o) : threads_(o.threads) {
    if (threads_ == 0) threads_ = std::max(1u, std::thread::hardware_concurrency());
    workers_.reserve(threads_ - 1);
    for (std::size_t i = 0; i + 1 < threads_; ++i) workers_.emplace_back([this] { work(); });
  }

  thread_pool_executor(const thread_pool_executor&) = delete;
  thread_pool_executor& operator=(const thread_pool_executor&) = delete;

  ~thread_pool_executor() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  // The number of threads that evaluate (the caller included).
  std::size_t threads() const { return threads_; }

  // Returns one row of objectives per genome, in order; throws evaluation_error (listing each failed
  // genome in index order, keeping every other result) if any evaluation threw.
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
    matrix out(genomes.size(), p.num_objectives());
    std::vector<std::optional<std::string>> errors(genomes.size());
    run([&](std::size_t i) {
      try {
        p.evaluate(genomes[i], out.row(i));
      } catch (const std::exception& e) {
        errors[i] = e.what();
      } catch (...) {
        errors[i] = "unknown exception";
      }
    }, genomes.size());
    std::vector<evaluation_error::failure> failures;
    for (std::size_t i = 0; i < errors.size(); ++i)
      if (errors[i]) {
        failures.push_back({i, detail::describe(genomes[i]), std::move(*errors[i])});
        for (auto& v : out.row(i)) v = std::numeric_limits<double>::quiet_NaN();
      }
    detail::raise_failures(std::move(failures), std::move(out));
    return out;
  }

  // Calls task(i) for every i < n, spread over the workers and the caller; returns when all are done.
  // task must not throw.
  void run(const std::function<void(std::size_t)>& task, std::size_t n) {
    std::lock_guard submit(submit_);
    {
      std::lock_guard lock(mutex_);
      task_ = &task;
      size_ = n;
      next_.store(0);
      busy_ = workers_.size();
      ++epoch_;
    }
    wake_.notify_all();
    drain(task, n);
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return busy_ == 0; });
    task_ = nullptr;
  }

  void drain(const std::function<void(std::size_t)>& task, std::size_t n) {
    for (std::size_t i = next_.fetch_add(1); i < n; i = next_.fetch_add(1)) task(i);
  }

  void work() {
    std::uint64_t seen = 0;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || epoch_ != seen; });
      if (stop_) return;
      seen = epoch_;
      const auto* task = task_;
      const std::size_t n = size_;
      lock.unlock();
      drain(*task, n);
      lock.lock();
      if (--busy_ == 0) done_.notify_all();
    }
  }

  std::size_t threads_;
  std::vector<std::thread> workers_;
  std::mutex submit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(std::size_t)>* task_ = nullptr;
  std::size_t size_ = 0;
  std::atomic<std::size_t> next_{0};
  std::size_t busy_ = 0;
  std::uint64_t epoch_ = 0;
  bool stop_ = false;
};

}  // namespace moo
