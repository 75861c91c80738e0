// What a search returns: the final population with objectives and ranks, and the effort spent.
#pragma once

#include <cstddef>
#include <vector>

#include "moo/core/matrix.hpp"

namespace moo {

template <class Genome>
struct result {
  std::vector<Genome> genomes;
  matrix objectives;              // one row per genome
  std::vector<std::size_t> rank;  // 0 = non-dominated within the final population
  std::size_t generations = 0;
  std::size_t evaluations = 0;

  // Indices of the non-dominated genomes.
  std::vector<std::size_t> front_indices() const {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < rank.size(); ++i)
      if (rank[i] == 0) idx.push_back(i);
    return idx;
  }
  // Objectives of the non-dominated genomes.
  matrix front() const { return objectives.select(front_indices()); }
};

}  // namespace moo
