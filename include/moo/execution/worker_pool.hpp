// A persistent pool of worker threads with one operation, parallel_for: items handed out dynamically to
// the workers and the calling thread. Used for both kinds of parallel work in moo/nas: the thread-pool
// executor (one long evaluation per item) and nas::train's layers (many short jobs back to back during a
// training step). So a worker spins briefly for the next job before it sleeps, and the caller spins
// briefly for the last items before it sleeps. A call made while the pool is busy (another thread uses
// it) or from inside one of this pool's own items runs serially on the calling thread, so concurrent and
// nested use is safe, just not parallel; a worker of one pool may use another pool that is free.
// Example:
//   moo::worker_pool pool(4);  // 3 workers + the caller
//   pool.parallel_for(n, [&](std::size_t i, std::size_t thread) { out[i] = work(in[i], scratch[thread]); });
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace moo {

class worker_pool {
 public:
  // Starts threads - 1 workers (threads = 0 counts as 1); the calling thread is the remaining one. If a
  // worker cannot be started (std::system_error), the ones already started are stopped and joined and
  // the error is rethrown.
  explicit worker_pool(std::size_t threads) : threads_(threads == 0 ? 1 : threads) {
    workers_.reserve(threads_ - 1);
    try {
      for (std::size_t t = 1; t < threads_; ++t) workers_.emplace_back([this, t] { work(t); });
    } catch (...) {
      stop_and_join();
      throw;
    }
  }
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  ~worker_pool() { stop_and_join(); }

  // Number of threads including the caller.
  std::size_t size() const { return threads_; }

  // Calls f(item, thread) for item in [0, n), items handed out dynamically; thread < size() indexes
  // per-thread scratch (0 is the caller). Rethrows the first exception thrown by f after all items
  // finished. The caller works too and waits only for items in progress, never for a worker that has not
  // woken up (on a busy machine it may simply do all items itself). Runs serially, thread 0, when the
  // pool has one thread, n is 1, the pool is busy, or the caller is one of this pool's workers.
  template <class F>
  void parallel_for(std::size_t n, F&& f) {
    if (n == 0) return;
    if (threads_ == 1 || n == 1 || worker_of() == this || busy_.exchange(true, std::memory_order_acquire)) {
      for (std::size_t i = 0; i < n; ++i) f(i, std::size_t{0});
      return;
    }
    struct release {
      std::atomic<bool>& busy;
      ~release() { busy.store(false, std::memory_order_release); }
    } const released{busy_};
    // Close the previous job (odd generation) and wait until late workers have left it.
    const std::uint64_t g = generation_.load();
    generation_.store(g + 1);
    while (in_flight_.load() != 0) pause();
    using fn_t = std::remove_reference_t<F>;
    job_ = {[](void* ctx, std::size_t i, std::size_t t) { (*static_cast<fn_t*>(ctx))(i, t); },
            const_cast<void*>(static_cast<const void*>(std::addressof(f))), n};
    next_.store(0);
    done_.store(0);
    failed_.store(false);
    error_ = nullptr;
    generation_.store(g + 2);  // publish
    if (sleepers_.load() != 0) {
      { std::lock_guard lk(mutex_); }
      start_.notify_all();
    }
    run_items(0);
    wait_until_done(n);
    if (failed_.load()) {
      std::exception_ptr e = std::move(error_);
      error_ = nullptr;
      std::rethrow_exception(std::move(e));
    }
  }

 private:
  struct job {
    void (*call)(void*, std::size_t, std::size_t) = nullptr;
    void* ctx = nullptr;
    std::size_t n = 0;
  };

  // The pool whose worker the current thread is (nullptr for other threads): per pool, so that a worker
  // of one pool (an executor evaluating a genome) can still use another (the training layers').
  static const worker_pool*& worker_of() {
    thread_local const worker_pool* pool = nullptr;
    return pool;
  }

  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
  }

  // The caller, after its own items: spins for ~50 us (items of a training step end within microseconds
  // of each other), then yields the core between checks up to 1 ms, then sleeps until the last item is
  // done (an executor's items are whole evaluations, seconds or minutes long).
  void wait_until_done(std::size_t n) {
    auto done = [&] { return done_.load() == n; };
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; !done(); ++i) {
      if ((i & 63) == 63) {
        const auto waited = std::chrono::steady_clock::now() - t0;
        if (waited > std::chrono::milliseconds(1)) {
          std::unique_lock lk(mutex_);
          caller_sleeping_.store(true);
          finished_.wait(lk, done);
          caller_sleeping_.store(false);
          return;
        }
        if (waited > std::chrono::microseconds(50)) {
          std::this_thread::yield();
          continue;
        }
      }
      pause();
    }
  }

  // Runs items of the current job until none is left. Never throws: the first exception of f is kept
  // (exception_ptr copies allocate nothing) and the rest are dropped.
  void run_items(std::size_t thread) noexcept {
    const job j = job_;
    for (;;) {
      const std::size_t i = next_.fetch_add(1);
      if (i >= j.n) break;
      try {
        j.call(j.ctx, i, thread);
      } catch (...) {
        if (!failed_.exchange(true)) error_ = std::current_exception();
      }
      // Sequentially consistent with caller_sleeping_: either the caller sees the last item done before it
      // sleeps, or this thread sees it sleeping and wakes it.
      if (done_.fetch_add(1) + 1 == j.n && caller_sleeping_.load()) {
        { std::lock_guard lk(mutex_); }
        finished_.notify_all();
      }
    }
  }

  // A published job this worker has not run yet?
  bool ready(std::uint64_t seen) const {
    const std::uint64_t g = generation_.load();
    return g != seen && g % 2 == 0;
  }

  void work(std::size_t thread) {
    worker_of() = this;
    std::uint64_t seen = 0;
    for (;;) {
      // Spin briefly for the next job (jobs follow each other quickly during a step), then sleep.
      const auto t0 = std::chrono::steady_clock::now();
      for (std::size_t i = 0; !ready(seen) && !stop_.load(); ++i) {
        if ((i & 63) == 63 && std::chrono::steady_clock::now() - t0 > std::chrono::microseconds(100)) {
          std::unique_lock lk(mutex_);
          sleepers_.fetch_add(1);
          start_.wait(lk, [&] { return ready(seen) || stop_.load(); });
          sleepers_.fetch_sub(1);
          break;
        }
        pause();
      }
      if (stop_.load()) return;
      // Enter the job, then check that it was not closed meanwhile (the caller waits for in_flight_
      // to drop to zero before it overwrites the job).
      const std::uint64_t g = generation_.load();
      if (g % 2 != 0) continue;
      in_flight_.fetch_add(1);
      if (generation_.load() == g) {
        seen = g;
        run_items(thread);
      }
      in_flight_.fetch_sub(1);
    }
  }

  void stop_and_join() {
    {
      std::lock_guard lk(mutex_);
      stop_.store(true);
    }
    start_.notify_all();
    for (auto& w : workers_) w.join();
  }

  std::size_t threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_;     // workers sleep here between jobs
  std::condition_variable finished_;  // the caller sleeps here for the last items
  std::atomic<bool> busy_{false};     // a parallel_for is running
  std::atomic<std::uint64_t> generation_{0};  // even: a job is published; odd: the caller prepares one
  std::atomic<std::size_t> in_flight_{0};     // workers inside the current job
  std::atomic<std::size_t> sleepers_{0};
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> done_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  job job_;
  std::exception_ptr error_;
};

}  // namespace moo
