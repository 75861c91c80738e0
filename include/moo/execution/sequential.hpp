// Evaluates a batch of genomes one after the other on the calling thread.
#pragma once

#include <cstddef>
#include <exception>
#include <limits>
#include <span>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/describe.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"

namespace moo {

namespace detail {

// Evaluates genome i into row i of `out`; records a failure instead of stopping the batch.
template <problem P, class G>
void evaluate_one(const P& p, G& x, std::size_t i, matrix& out,
                  std::vector<evaluation_error::failure>& failures) {
  try {
    p.evaluate(x, out.row(i));
  } catch (const std::exception& e) {
    failures.push_back({i, describe(x), e.what()});
    for (auto& v : out.row(i)) v = std::numeric_limits<double>::quiet_NaN();
  } catch (...) {
    failures.push_back({i, describe(x), "unknown exception"});
    for (auto& v : out.row(i)) v = std::numeric_limits<double>::quiet_NaN();
  }
}

// Throws evaluation_error listing every failure, keeping all results, if any evaluation failed.
inline void raise_failures(std::vector<evaluation_error::failure> failures, matrix&& out) {
  if (failures.empty()) return;
  std::string msg = message("evaluation failed for ", failures.size(), " of ", out.rows(), " genomes");
  for (const auto& f : failures) msg += message("\n  #", f.index, " ", f.genome, ": ", f.what);
  const auto cols = out.cols();
  throw evaluation_error(std::move(msg), std::move(failures), out.storage(), cols);
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
    matrix out(genomes.size(), p.num_objectives());
    std::vector<evaluation_error::failure> failures;
    for (std::size_t i = 0; i < genomes.size(); ++i) detail::evaluate_one(p, genomes[i], i, out, failures);
    detail::raise_failures(std::move(failures), std::move(out));
    return out;
  }
};

}  // namespace moo
