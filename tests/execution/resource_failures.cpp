// The thread-pool executor when resources run out: a worker thread that cannot be started makes the
// constructor throw (after joining the workers already started) instead of terminating, and memory that
// runs out while a failed evaluation is being recorded does not escape a worker thread.
// This translation unit replaces the global operator new (for the whole test_execution binary) with
// malloc that fails only while `fail_allocations_in_handlers` is set and the allocating thread is
// handling an exception, i.e. inside a catch block (the default operator delete frees with std::free).
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "moo/execution/sequential.hpp"
#include "moo/execution/thread_pool.hpp"
#include "moo/problems/zdt.hpp"

// This file replaces operator new/delete with malloc/free on purpose; GCC cannot see that they pair up.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {

std::atomic<bool> fail_allocations_in_handlers{false};

}  // namespace

void* operator new(std::size_t n) {
  if (fail_allocations_in_handlers.load(std::memory_order_relaxed) && std::current_exception())
    throw std::bad_alloc();
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

// Every other non-aligned form goes through the one above, and every delete frees with std::free, so
// allocation and deallocation agree (AddressSanitizer checks that they do).
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return ::operator new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

// ZDT1 whose evaluation fails for x_0 > 0.5 with a message too long for the small-string buffer, so that
// copying it would allocate.
struct failing_with_long_message : moo::zdt1 {
  failing_with_long_message() : moo::zdt1() {}
  void evaluate(std::span<const double> x, std::span<double> f) const {
    if (x[0] > 0.5) throw std::runtime_error("simulated failure with a message longer than any small-string buffer");
    moo::zdt1::evaluate(x, f);
  }
};

std::size_t task_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

std::size_t address_space_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  statm >> pages;
  return pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("thread pool: a worker thread that cannot start makes the constructor throw, not terminate") {
  // In a child process whose address space leaves room for about two thread stacks, ask for 64 threads.
  std::fflush(nullptr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const std::size_t before = task_count();
    const rlimit limit{address_space_bytes() + (20u << 20), address_space_bytes() + (20u << 20)};
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(3);
    int status = 4;
    try {
      moo::thread_pool_executor pool{{.threads = 64}};
      status = 2;  // every thread started: the limit did not bite
    } catch (const std::system_error&) {
      status = task_count() == before ? 0 : 5;  // 5: a started worker was left running
    } catch (...) {
      status = 6;
    }
    _exit(status);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CAPTURE(status);
  CHECK_MESSAGE(WIFEXITED(status), "the child died of signal ", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  if (WIFEXITED(status)) CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("thread pool: memory running out while a failure is recorded does not escape a worker thread") {
  moo::rng r(17);
  std::vector<moo::real_genome> xs;
  for (int i = 0; i < 64; ++i) xs.push_back(moo::zdt1{}.space().sample(r));
  for (std::size_t threads : {1, 3}) {
    CAPTURE(threads);
    moo::thread_pool_executor pool{{.threads = threads}};
    std::vector<moo::evaluation_error::failure> failures;
    std::vector<double> objectives;
    fail_allocations_in_handlers = true;
    try {
      pool.evaluate(failing_with_long_message{}, std::span<const moo::real_genome>(xs));
      fail_allocations_in_handlers = false;
    } catch (const moo::evaluation_error& e) {
      fail_allocations_in_handlers = false;
      failures = e.failures();
      objectives = e.objectives();
    } catch (...) {
      fail_allocations_in_handlers = false;
      FAIL("expected evaluation_error");
    }
    std::size_t failing = 0;
    for (const auto& x : xs) failing += x[0] > 0.5;
    REQUIRE(failing > 0);
    CHECK(failures.size() == failing);
    for (const auto& f : failures) {
      CHECK(f.what == "simulated failure with a message longer than any small-string buffer");
      CHECK(std::isnan(objectives.at(2 * f.index)));
    }
  }
}
