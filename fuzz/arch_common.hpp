// Architecture helpers of the graph and LEMONADE targets: using an accepted architecture (so a graph
// that loads but is wrong shows up: shapes, parameter and MAC counts, compile, a forward pass in
// evaluation and in training mode and a backward pass, when the network is small), and fixing the
// per-record CRC-32s of a weights file (so mutated records reach the checks behind the checksum).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "common.hpp"
#include "moo/io/codec.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/graph/serialize.hpp"
#include "nas/train/parallel.hpp"
#include "nas/train/tensor.hpp"

namespace fuzz {

// Limits for running an accepted network (above them only shapes and counts are checked).
inline constexpr std::size_t max_activations = std::size_t{1} << 16;  // floats over all nodes, batch 1
inline constexpr std::size_t max_macs = std::size_t{1} << 20;
inline constexpr std::size_t max_parameters = std::size_t{1} << 18;

inline std::size_t saturating_numel(const nas::train::shape4& s) {
  std::size_t n = 1;
  for (std::size_t d : s) {
    if (d != 0 && n > std::numeric_limits<std::size_t>::max() / d) return std::numeric_limits<std::size_t>::max();
    n *= d;
  }
  return n;
}

// Uses an architecture the library accepted; throws only what the library throws. With `default_weights`
// (as from_json leaves them: zero weights, unit batch-norm variance) the evaluation-mode output of an
// input of finite values must be finite; a NaN or infinity then means the graph's settings are wrong.
inline void use_architecture(const nas::graph::architecture& a, bool default_weights = false) {
  static const bool serial = (nas::train::set_num_threads(1), true);
  (void)serial;
  const auto shapes = a.shapes();
  std::size_t total = 0;
  for (const auto& s : shapes) {
    const std::size_t n = saturating_numel(s);
    total = n > max_activations ? max_activations + 1 : total + n;
    if (total > max_activations) return;
  }
  if (a.parameter_count() > max_parameters || a.macs() > max_macs) return;
  auto net = a.compile();
  const auto in = a.input_shape();
  auto x = nas::train::tensor::from_shape({2, in[0], in[1], in[2]});
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(i % 7) * 0.25f - 0.5f;
  net.eval();
  const auto& out = net.forward(x);
  if (default_weights)
    for (std::size_t i = 0; i < out.size(); ++i)
      if (!std::isfinite(out.data()[i])) {
        std::fprintf(stderr, "fuzz: an accepted graph with default weights computes %g\n", double(out.data()[i]));
        std::abort();
      }
  net.train();
  const auto& y = net.forward(x);
  nas::train::tensor g = nas::train::tensor::from_shape(nas::train::shape_of(y));
  for (std::size_t i = 0; i < g.size(); ++i) g.data()[i] = 0.125f;
  net.backward(g);
}

// A weights file with the CRC-32 of every record it can walk recomputed (records are laid out as
// serialize.hpp's byte_writer writes them: name, kind, array count, then name + floats per array).
inline std::string with_fixed_crcs(std::string_view in) {
  std::string s(in);
  std::size_t pos = 8 + 4;
  auto have = [&](std::size_t n) { return pos <= s.size() && s.size() - pos >= n; };
  if (!have(8)) return s;
  const std::uint64_t count = get_le(s, pos, 8);
  pos += 8;
  auto skip_str = [&] {
    if (!have(8)) return false;
    const std::uint64_t n = get_le(s, pos, 8);
    pos += 8;
    if (!have(n)) return false;
    pos += n;
    return true;
  };
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::size_t start = pos;
    if (!skip_str() || !skip_str() || !have(8)) return s;
    const std::uint64_t arrays = get_le(s, pos, 8);
    pos += 8;
    for (std::uint64_t k = 0; k < arrays; ++k) {
      if (!skip_str() || !have(8)) return s;
      const std::uint64_t n = get_le(s, pos, 8);
      pos += 8;
      if (n > (s.size() - pos) / 4) return s;
      pos += 4 * n;
    }
    if (!have(4)) return s;
    put_le(s, pos, moo::io::codec::crc32(std::string_view(s).substr(start, pos - start)), 4);
    pos += 4;
  }
  return s;
}

}  // namespace fuzz
