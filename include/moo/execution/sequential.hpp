// Evaluates a batch of genomes one after the other on the calling thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/describe.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"

namespace moo {

namespace detail {

// The one place where an evaluation's exception becomes a failure, for every executor (sequential,
// thread pool, MPI workers): evaluate_one catches, fills the row with NaN and keeps the exception;
// failure_what and make_failure turn it into an evaluation_error::failure later, on the thread that
// reports the batch.

// Evaluates x into `row`; if the evaluation throws, fills the row with NaN and returns the exception (null
// on success). Never throws and allocates nothing itself, so it is safe on a worker thread.
template <class P, class G>
std::exception_ptr evaluate_one(const P& p, G& x, std::span<double> row) noexcept {
  try {
    p.evaluate(x, row);
    return nullptr;
  } catch (...) {
    std::fill(row.begin(), row.end(), std::numeric_limits<double>::quiet_NaN());
    return std::current_exception();
  }
}

// The message of an evaluation's exception: its what(), or "unknown exception" if it is not a
// std::exception. The text is copied after the handler (the exception_ptr keeps it alive), so running out
// of memory here is an ordinary std::bad_alloc.
inline std::string failure_what(const std::exception_ptr& e) {
  const char* what = "unknown exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    what = x.what();
  } catch (...) {
  }
  return what;
}

// The failure of genome `index`, described as the error message shows it.
template <class G>
evaluation_error::failure make_failure(std::size_t index, const G& x, std::string what) {
  return {index, describe(x), std::move(what)};
}

// One failure per genome whose evaluation threw (errors[i] not null), in index order.
template <class G>
std::vector<evaluation_error::failure> collect_failures(std::span<G> genomes,
                                                       const std::vector<std::exception_ptr>& errors) {
  std::vector<evaluation_error::failure> failures;
  for (std::size_t i = 0; i < errors.size(); ++i)
    if (errors[i]) failures.push_back(make_failure(i, genomes[i], failure_what(errors[i])));
  return failures;
}

// Throws evaluation_error listing every failure, keeping all results, if any evaluation failed.
inline void raise_failures(std::vector<evaluation_error::failure> failures, matrix&& out) {
  if (failures.empty()) return;
  std::string msg = message("evaluation failed for ", failures.size(), " of ", out.rows(), " genomes");
  for (const auto& f : failures) msg += message("\n  #", f.index, " ", f.genome, ": ", f.what);
  const auto cols = out.cols();
  throw evaluation_error(std::move(msg), std::move(failures), out.storage(), cols);
}

// Evaluates every genome into its own row of the result: run(n, task) must call task(i) exactly once for
// each i < n, in any order and on any threads (task never throws). Throws evaluation_error, keeping every
// other result, if any evaluation threw.
template <class P, class G, class Run>
matrix evaluate_rows(const P& p, std::span<G> genomes, Run&& run) {
  matrix out(genomes.size(), p.num_objectives());
  std::vector<std::exception_ptr> errors(genomes.size());
  run(genomes.size(), [&](std::size_t i) noexcept { errors[i] = evaluate_one(p, genomes[i], out.row(i)); });
  raise_failures(collect_failures(genomes, errors), std::move(out));
  return out;
}

}  // namespace detail

struct sequential_executor {
  // Returns one row of objectives per genome; throws evaluation_error if any evaluation threw.
  template <plain_problem P>
  matrix evaluate(const P& p, std::span<const genome_of<P>> genomes) const {
    return evaluate_batch(p, genomes);
  }

  // Lamarckian: evaluates each genome in place (evaluation may change it, e.g. train its weights).
  template <lamarckian_problem P>
  matrix evaluate(const P& p, std::span<genome_of<P>> genomes) const {
    return evaluate_batch(p, genomes);
  }

 private:
  template <class P, class G>
  static matrix evaluate_batch(const P& p, std::span<G> genomes) {
    return detail::evaluate_rows(p, genomes, [](std::size_t n, const auto& task) {
      for (std::size_t i = 0; i < n; ++i) task(i);
    });
  }
};

}  // namespace moo
