// Features of integer genomes for predictors (LINAS encodes a sub-network configuration either way):
// ordinal, each gene one feature (its value); one-hot, each gene one 0/1 feature per value of its
// bounds (lower..upper), so a predictor linear in the features can give every choice its own effect.
// Real genomes are their own features (the encoding does not apply to them).
// Example: moo::integer_space s{{0, 0}, {2, 1}};
//          moo::matrix x = moo::encode(s, genomes, moo::encoding::one_hot);   // 3 + 2 columns
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/genome/integer.hpp"
#include "moo/genome/real.hpp"

namespace moo {

enum class encoding { ordinal, one_hot };

// The number of features of a genome of s under e.
inline std::size_t encoded_size(const integer_space& s, encoding e) {
  s.validate();
  if (e == encoding::ordinal) return s.size();
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) n += static_cast<std::size_t>(s.upper[i] - s.lower[i]) + 1;
  return n;
}

// One row of features per genome (each checked against s: a gene outside its bounds is a value_error
// naming it).
inline matrix encode(const integer_space& s, std::span<const integer_genome> genomes, encoding e) {
  const std::size_t d = encoded_size(s, e);
  matrix x(genomes.size(), d, 0.0);
  for (std::size_t r = 0; r < genomes.size(); ++r) {
    s.check(genomes[r]);
    std::size_t offset = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (e == encoding::ordinal) {
        x(r, i) = static_cast<double>(genomes[r][i]);
      } else {
        x(r, offset + static_cast<std::size_t>(genomes[r][i] - s.lower[i])) = 1.0;
        offset += static_cast<std::size_t>(s.upper[i] - s.lower[i]) + 1;
      }
    }
  }
  return x;
}

// One row per real genome: its values (each genome checked against s's length).
inline matrix encode(const real_space& s, std::span<const real_genome> genomes, encoding = encoding::ordinal) {
  s.validate();
  matrix x(genomes.size(), s.size(), 0.0);
  for (std::size_t r = 0; r < genomes.size(); ++r) {
    if (genomes[r].size() != s.size())
      throw dimension_error(detail::message("encode: genome ", r, " has ", genomes[r].size(), " values, the space ",
                                            s.size()));
    for (std::size_t i = 0; i < s.size(); ++i) x(r, i) = genomes[r][i];
  }
  return x;
}

}  // namespace moo
