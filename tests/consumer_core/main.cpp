// Uses the installed optimization core through moo::moo: Pareto ranks of a few points.
#include <moo/pareto/sorting.hpp>

#include <cstddef>
#include <cstdio>
#include <vector>

int main() {
  const moo::matrix f{{1, 2}, {2, 1}, {2, 2}, {3, 3}, {1, 2}};
  const std::vector<std::size_t> expected{0, 0, 1, 2, 0};
  const auto rank = moo::non_dominated_ranks(f);
  for (std::size_t i = 0; i < rank.size(); ++i) std::printf("point %zu: rank %zu\n", i, rank[i]);
  if (rank != expected) {
    std::printf("wrong ranks, expected 0 0 1 2 0\n");
    return 1;
  }
  return 0;
}
