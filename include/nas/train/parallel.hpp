// The worker threads of the training backend: a persistent moo::worker_pool whose parallel_for splits the
// images or columns of a layer across threads. The thread count is a setting (set_num_threads); a call
// made while the pool is busy (another thread trains another network) or from inside one of its workers
// runs serially on the calling thread, so concurrent use is safe, just not parallel.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "moo/execution/worker_pool.hpp"

namespace nas::train {

// The training backend's pool is moo's worker pool (spin-then-sleep, exceptions propagate, serial when
// busy or nested); its in-worker check is per pool, so a thread of an executor's pool may use this one.
using thread_pool = moo::worker_pool;

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
