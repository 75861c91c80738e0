// moo::worker_pool, the one pool behind the thread-pool executor and nas::train's layers: every item once,
// exceptions propagate, busy or nested calls run serially; the serial-when-nested rule is per pool (a
// worker of one pool can use another that is free); a caller waiting for a long item sleeps.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <thread>
#include <vector>

#include "moo/execution/worker_pool.hpp"

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

}  // namespace

TEST_CASE("worker pool: every item once, thread indices in range, the first exception propagates") {
  for (std::size_t threads : {1, 2, 4}) {
    CAPTURE(threads);
    moo::worker_pool pool(threads);
    CHECK(pool.size() == threads);
    for (std::size_t n : {0u, 1u, 2u, 7u, 1000u}) {
      std::vector<std::atomic<int>> hits(n);
      std::atomic<int> bad_thread{0};
      pool.parallel_for(n, [&](std::size_t i, std::size_t t) {
        bad_thread += t >= threads;
        hits[i].fetch_add(1);
      });
      int bad = 0;
      for (auto& h : hits) bad += h.load() != 1;
      CHECK(bad == 0);
      CHECK(bad_thread.load() == 0);
    }
    std::atomic<int> ran{0};
    CHECK_THROWS_AS(pool.parallel_for(50, [&](std::size_t i, std::size_t) {
      ++ran;
      if (i % 10 == 3) throw std::runtime_error("boom");
    }), std::runtime_error);
    if (threads > 1) CHECK(ran.load() == 50);  // in parallel the other items still run
    std::atomic<long> total{0};
    pool.parallel_for(10, [&](std::size_t i, std::size_t) { total += long(i); });
    CHECK(total.load() == 45);  // usable after an exception
  }
  CHECK(moo::worker_pool(0).size() == 1);
}

TEST_CASE("worker pool: busy and nested calls run serially on the calling thread") {
  moo::worker_pool pool(2);
  std::atomic<long> total{0};
  auto hammer = [&] {
    for (int rep = 0; rep < 2000; ++rep) pool.parallel_for(5, [&](std::size_t i, std::size_t) { total += long(i); });
  };
  std::thread other(hammer);
  hammer();
  other.join();
  CHECK(total.load() == 2 * 2000 * 10);
  std::atomic<int> inner{0}, items{0};
  pool.parallel_for(4, [&](std::size_t, std::size_t) {
    pool.parallel_for(3, [&](std::size_t, std::size_t t) {
      ++items;
      inner += t == 0;
    });
  });
  CHECK(items.load() == 12);
  CHECK(inner.load() == 12);
}

TEST_CASE("worker pool: a worker of one pool uses another, free pool in parallel") {
  moo::worker_pool outer(2), inner(2);
  std::atomic<bool> outer_worker_ran{false};
  std::atomic<int> inner_on_worker{0}, inner_items{0};
  for (int attempt = 0; attempt < 20 && !outer_worker_ran; ++attempt) {
    outer.parallel_for(2, [&](std::size_t, std::size_t t) {
      if (t == 0) {  // the caller: leave the other item to outer's worker
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return;
      }
      outer_worker_ran = true;
      inner.parallel_for(100, [&](std::size_t, std::size_t u) {
        ++inner_items;
        inner_on_worker += u != 0;
        std::this_thread::sleep_for(std::chrono::microseconds(300));
      });
    });
  }
  REQUIRE(outer_worker_ran);
  CHECK(inner_items.load() == 100);
  CHECK(inner_on_worker.load() > 0);  // inner's own worker took part
}

TEST_CASE("worker pool: a caller waiting for a long item sleeps instead of spinning") {
  moo::worker_pool pool(2);
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<bool> worker_started{false};
  pool.parallel_for(2, [&](std::size_t, std::size_t t) {
    if (t == 0) {  // the caller: wait (sleeping) until the worker holds the other item, then finish first
      while (!worker_started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return;
    }
    worker_started = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  MESSAGE("wall " << wall << " s, cpu " << cpu << " s");
  CHECK(cpu < 0.2);
}
