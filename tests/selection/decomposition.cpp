#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "moo/selection/decomposition.hpp"

namespace {
struct not_a_decomposition {
  double operator()(double) const { return 0; }
};
using v = std::vector<double>;
}  // namespace

static_assert(moo::decomposition<moo::weighted_sum>);
static_assert(moo::decomposition<moo::tchebycheff>);
static_assert(moo::decomposition<moo::pbi>);
static_assert(!moo::decomposition<not_a_decomposition>);
static_assert(!moo::decomposition<int>);

TEST_CASE("weighted sum: sum of w_j f_j, ideal point ignored") {
  CHECK(moo::weighted_sum{}(v{1, 2}, v{0.3, 0.7}, v{0, 0}) == doctest::Approx(1.7));
  CHECK(moo::weighted_sum{}(v{1, 2}, v{0.3, 0.7}, v{5, 5}) == doctest::Approx(1.7));
  CHECK(moo::weighted_sum{}(v{2, 4, 6}, v{0.5, 0.25, 0.25}, v{0, 0, 0}) == doctest::Approx(1 + 1 + 1.5));
}

TEST_CASE("tchebycheff: max_j w_j |f_j - z_j|, zero weights count as 1e-6") {
  CHECK(moo::tchebycheff{}(v{1, 3}, v{0.5, 0.5}, v{0, 1}) == doctest::Approx(1.0));
  CHECK(moo::tchebycheff{}(v{1, 3}, v{0.9, 0.1}, v{0, 1}) == doctest::Approx(0.9));
  CHECK(moo::tchebycheff{}(v{0.5, 3}, v{1, 0}, v{0, 0}) == doctest::Approx(0.5));
  // With a zero weight the second objective still breaks the tie between (1, 2) and (1, 3).
  CHECK(moo::tchebycheff{}(v{0, 2}, v{1, 0}, v{0, 0}) == doctest::Approx(2e-6));
  CHECK(moo::tchebycheff{}(v{0, 2}, v{1, 0}, v{0, 0}) < moo::tchebycheff{}(v{0, 3}, v{1, 0}, v{0, 0}));
}

TEST_CASE("PBI: d1 along the weight plus theta times the distance d2 from it") {
  // f = (1, 1), w = e_1: d1 = 1, d2 = 1.
  CHECK(moo::pbi{}(v{1, 1}, v{1, 0}, v{0, 0}) == doctest::Approx(6.0));
  CHECK(moo::pbi{.theta = 2}(v{1, 1}, v{1, 0}, v{0, 0}) == doctest::Approx(3.0));
  // f = (3, 4), w = (1, 1) (norm is irrelevant): d1 = 7 / sqrt 2, foot (3.5, 3.5), d2 = sqrt(0.5).
  CHECK(moo::pbi{}(v{3, 4}, v{1, 1}, v{0, 0}) == doctest::Approx(7 / std::sqrt(2.0) + 5 * std::sqrt(0.5)));
  CHECK(moo::pbi{}(v{3, 4}, v{0.5, 0.5}, v{0, 0}) == doctest::Approx(7 / std::sqrt(2.0) + 5 * std::sqrt(0.5)));
  // Translated by the ideal point.
  CHECK(moo::pbi{}(v{4, 5}, v{1, 1}, v{1, 1}) == doctest::Approx(7 / std::sqrt(2.0) + 5 * std::sqrt(0.5)));
  // A point on the ray has no penalty.
  CHECK(moo::pbi{}(v{2, 2}, v{1, 1}, v{0, 0}) == doctest::Approx(std::sqrt(8.0)));
}
