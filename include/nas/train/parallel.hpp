// The worker threads of the training backend: a small persistent pool whose parallel_for splits the
// images or columns of a layer across threads. The thread count is a setting (set_num_threads); a call
// made while the pool is busy (another thread trains another network) or from inside a worker runs
// serially on the calling thread, so concurrent use is safe, just not parallel.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace nas::train {

class thread_pool {
 public:
  // Starts threads - 1 workers; the calling thread is the remaining one.
  explicit thread_pool(std::size_t threads) : threads_(threads == 0 ? 1 : threads) {
    for (std::size_t t = 1; t < threads_; ++t) workers_.emplace_back([this, t] { work(t); });
  }
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  ~thread_pool() {
    {
      std::lock_guard lk(mutex_);
      stop_.store(true);
    }
    start_.notify_all();
    for (auto& w : workers_) w.join();
  }

  // Number of threads including the caller.
  std::size_t size() const { return threads_; }

  // Calls f(item, thread) for item in [0, n), items handed out dynamically; thread < size() indexes
  // per-thread scratch. Rethrows the first exception thrown by f after all items finished. The caller
  // works too and waits only for items in progress, never for a worker that has not woken up (on a
  // busy machine it may simply do all items itself).
  template <class F>
  void parallel_for(std::size_t n, F&& f) {
    if (n == 0) return;
    std::unique_lock busy(busy_, std::defer_lock);
    if (threads_ == 1 || n == 1 || in_worker() || !busy.try_lock()) {
      for (std::size_t i = 0; i < n; ++i) f(i, std::size_t{0});
      return;
    }
    // Close the previous job (odd generation) and wait until late workers have left it.
    const std::uint64_t g = generation_.load();
    generation_.store(g + 1);
    while (in_flight_.load() != 0) pause();
    using fn_t = std::remove_reference_t<F>;
    job_ = {[](void* ctx, std::size_t i, std::size_t t) { (*static_cast<fn_t*>(ctx))(i, t); },
            static_cast<void*>(std::addressof(f)), n};
    next_.store(0);
    done_.store(0);
    error_ = nullptr;
    generation_.store(g + 2);  // publish
    if (sleepers_.load() != 0) {
      { std::lock_guard lk(mutex_); }
      start_.notify_all();
    }
    run_items(0);
    spin_until([&] { return done_.load(std::memory_order_acquire) == n; });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  struct job {
    void (*call)(void*, std::size_t, std::size_t) = nullptr;
    void* ctx = nullptr;
    std::size_t n = 0;
  };

  static bool& in_worker() {
    thread_local bool flag = false;
    return flag;
  }

  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
  }

  // Spins on pred for up to ~50 us, then yields the core between checks.
  template <class P>
  static void spin_until(P pred) {
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0;; ++i) {
      if (pred()) return;
      if ((i & 63) == 63 && std::chrono::steady_clock::now() - t0 > std::chrono::microseconds(50)) break;
      pause();
    }
    while (!pred()) std::this_thread::yield();
  }

  void run_items(std::size_t thread) {
    const job j = job_;
    for (;;) {
      const std::size_t i = next_.fetch_add(1);
      if (i >= j.n) break;
      try {
        j.call(j.ctx, i, thread);
      } catch (...) {
        std::lock_guard lk(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      done_.fetch_add(1, std::memory_order_release);
    }
  }

  // A published job this worker has not run yet?
  bool ready(std::uint64_t seen) const {
    const std::uint64_t g = generation_.load();
    return g != seen && g % 2 == 0;
  }

  void work(std::size_t thread) {
    in_worker() = true;
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

  std::size_t threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::mutex busy_;
  std::condition_variable start_;
  std::atomic<std::uint64_t> generation_{0};  // even: a job is published; odd: the caller prepares one
  std::atomic<std::size_t> in_flight_{0};     // workers inside the current job
  std::atomic<std::size_t> sleepers_{0};
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> done_{0};
  std::atomic<bool> stop_{false};
  job job_;
  std::exception_ptr error_;
};

namespace detail {

inline std::size_t default_thread_count() {
  const unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : hc;
}

inline std::unique_ptr<thread_pool>& pool_slot() {
  static std::unique_ptr<thread_pool> pool;
  return pool;
}

inline std::mutex& pool_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace detail

// The pool the layers use; created on first use with one thread per hardware thread.
inline thread_pool& default_pool() {
  std::lock_guard lk(detail::pool_mutex());
  auto& slot = detail::pool_slot();
  if (!slot) slot = std::make_unique<thread_pool>(detail::default_thread_count());
  return *slot;
}

// Sets the number of threads the layers use (1 = serial). Call it between, not during, training steps.
inline void set_num_threads(std::size_t threads) {
  std::lock_guard lk(detail::pool_mutex());
  auto& slot = detail::pool_slot();
  if (threads == 0) threads = detail::default_thread_count();
  if (!slot || slot->size() != threads) {
    slot.reset();
    slot = std::make_unique<thread_pool>(threads);
  }
}

// Number of threads the layers use.
inline std::size_t num_threads() { return default_pool().size(); }

// Calls f(item, thread) for item in [0, n) on the default pool.
template <class F>
void parallel_for(std::size_t n, F&& f) {
  default_pool().parallel_for(n, std::forward<F>(f));
}

}  // namespace nas::train
