// Saving and loading a trained super-network: one binary file with a magic, a version, the options
// that shape the network, then every shared array (parameters and batch-norm running statistics) as
// named little-endian float32 arrays, closed by a CRC-32 over everything before it (moo/io/codec.hpp,
// the codec of moo's checkpoints and nas graph weights). Written atomically. A truncated, corrupt or
// foreign file is a moo::io_error naming the file. Loading gives back the network bit for bit.
// (Cai et al. 2020, "Once-for-All": the trained super-network is the artefact every later search reuses.)
// Example:
//   nas::save_supernet(net, "supernet.bin");
//   nas::supernet back = nas::load_supernet("supernet.bin");
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/io/codec.hpp"
#include "moo/io/file.hpp"
#include "nas/supernet/supernet.hpp"

namespace nas {

inline constexpr char supernet_magic[8] = {'M', 'O', 'O', 'S', 'U', 'P', 'N', 'T'};
inline constexpr std::uint32_t supernet_format_version = 1;

// The weights of net (parameters and running statistics in state() order) as bytes, for checksums.
inline std::string supernet_weight_bytes(const supernet& net) {
  moo::io::codec::byte_writer w;
  for (const auto& [name, values] : net.state()) {
    w.str(name);
    w.floats(values);
  }
  return std::move(w.bytes);
}

// CRC-32 of the weights: two super-networks with equal checksums hold (almost surely) the same weights.
// A measurement cache records it, so measurements of other weights are not reused.
inline std::uint32_t weights_checksum(const supernet& net) { return moo::io::codec::crc32(supernet_weight_bytes(net)); }

namespace detail {

// The number of floats in the state() of a super-network with options o (saturating at SIZE_MAX): what its
// file must hold before the loader builds (allocates) the network.
inline std::size_t supernet_state_size(const supernet_options& o) {
  constexpr std::size_t big = std::numeric_limits<std::size_t>::max();
  auto mul = [](std::size_t a, std::size_t b) { return a != 0 && b > big / a ? big : a * b; };
  auto add = [](std::size_t a, std::size_t b) { return a > big - b ? big : a + b; };
  const std::size_t k2 = o.kernels.empty() ? 0 : mul(o.kernels.back(), o.kernels.back());
  std::size_t n = add(mul(mul(o.stem_channels, o.input[0]), 9), mul(4, o.stem_channels));  // stem conv, bn
  std::size_t in = o.stem_channels;
  for (const std::size_t c : o.stage_channels) {  // the first block of a stage, then max_depth - 1 alike
    if (o.max_depth == 0) break;
    n = add(n, add(mul(mul(c, in), k2), mul(4, c)));
    n = add(n, mul(o.max_depth - 1, add(mul(mul(c, c), k2), mul(4, c))));
    in = c;
  }
  const std::size_t last = o.stage_channels.empty() ? 0 : o.stage_channels.back();
  return add(n, add(mul(o.classes, last), o.classes));  // classifier weight, bias
}

}  // namespace detail

// The file format as bytes.
inline std::string supernet_to_bytes(const supernet& net) {
  const supernet_options& o = net.options();
  moo::io::codec::byte_writer w;
  w.raw({supernet_magic, sizeof supernet_magic});
  w.u32(supernet_format_version);
  for (std::size_t d : o.input) w.u64(d);
  w.u64(o.classes);
  w.u64(o.stem_channels);
  w.u8(o.stem_pool ? 1 : 0);
  w.u64(o.stage_channels.size());
  for (std::size_t c : o.stage_channels) w.u64(c);
  w.u64(o.min_depth);
  w.u64(o.max_depth);
  w.u64(o.kernels.size());
  for (std::size_t k : o.kernels) w.u64(k);
  w.u64(o.widths.size());
  for (double x : o.widths) w.f64(x);
  w.f32(o.bn_eps);
  w.f32(o.bn_momentum);
  w.str(net.description());
  const auto state = net.state();
  w.u64(state.size());
  for (const auto& [name, values] : state) {
    w.str(name);
    w.floats(values);
  }
  w.u32(moo::io::codec::crc32(w.bytes));
  return std::move(w.bytes);
}

// A super-network from the bytes of the format; `file` names the source in errors.
inline supernet supernet_from_bytes(std::string_view bytes, std::string_view file = "<bytes>") {
  moo::io::codec::byte_reader r(bytes, moo::detail::message("supernet file '", file, "'"), "the header");
  if (r.raw(sizeof supernet_magic) != std::string_view(supernet_magic, sizeof supernet_magic))
    r.fail("not a moo/nas supernet file (bad magic)");
  const std::uint32_t version = r.u32();
  if (version != supernet_format_version)
    r.fail(moo::detail::message("format version ", version, " is not supported (expected ", supernet_format_version, ")"));
  if (bytes.size() < r.pos() + 4) r.fail("truncated");
  const std::string_view body = bytes.substr(0, bytes.size() - 4);
  const auto stored = moo::io::codec::load_le<std::uint32_t>(reinterpret_cast<const unsigned char*>(body.data() + body.size()));
  if (stored != moo::io::codec::crc32(body)) r.fail("checksum mismatch (the file is truncated or corrupt)");
  auto count = [&](const char* what) {
    const std::uint64_t n = r.u64();
    if (n > 1024) r.fail(moo::detail::message("implausible number of ", what, " ", n));
    return static_cast<std::size_t>(n);
  };
  supernet_options o;
  r.set_context("the options");
  for (auto& d : o.input) d = static_cast<std::size_t>(r.u64());
  o.classes = static_cast<std::size_t>(r.u64());
  o.stem_channels = static_cast<std::size_t>(r.u64());
  o.stem_pool = r.u8() != 0;
  o.stage_channels.resize(count("stages"));
  for (auto& c : o.stage_channels) c = static_cast<std::size_t>(r.u64());
  o.min_depth = static_cast<std::size_t>(r.u64());
  o.max_depth = static_cast<std::size_t>(r.u64());
  o.kernels.resize(count("kernels"));
  for (auto& k : o.kernels) k = static_cast<std::size_t>(r.u64());
  o.widths.resize(count("widths"));
  for (auto& x : o.widths) x = r.f64();
  o.bn_eps = r.f32();
  o.bn_momentum = r.f32();
  const std::string description = r.str();
  // Before anything is allocated: the options' weights must fit in the bytes left.
  if (const std::size_t n = detail::supernet_state_size(o); n > r.remaining() / 4)
    r.fail(moo::detail::message("the options need ", n, " weights, more than the ", r.remaining(), " bytes left hold"));
  supernet net = [&] {
    try {
      return supernet(o, 0);
    } catch (const moo::error& e) {
      throw moo::io_error(moo::detail::message("supernet file '", file, "': its options are invalid: ", e.what()));
    }
  }();
  if (net.description() != description)
    r.fail(moo::detail::message("the options describe '", net.description(), "' but the file says '", description, "'"));
  r.set_context("the weights");
  auto state = net.state();
  if (r.u64() != state.size()) r.fail(moo::detail::message("the number of arrays is not the ", state.size(), " expected"));
  for (auto& [name, values] : state) {
    r.set_context(moo::detail::message("array '", name, "'"));
    if (r.str() != name) r.fail("unexpected array name");
    const std::vector<float> v = r.floats();
    if (v.size() != values.size())
      r.fail(moo::detail::message(v.size(), " values, expected ", values.size()));
    std::copy(v.begin(), v.end(), values.begin());
  }
  r.set_context("the end of the file");
  if (r.remaining() != 4) r.fail("unexpected bytes after the last array");
  return net;
}

// Writes the super-network file (atomically: a crash never leaves half a file).
inline void save_supernet(const supernet& net, const std::filesystem::path& path) {
  moo::io::write_atomically(path, supernet_to_bytes(net));
}

// Reads a super-network file; io_error naming the file if it is missing, truncated, corrupt or foreign.
inline supernet load_supernet(const std::filesystem::path& path) {
  return supernet_from_bytes(moo::io::read_file(path), path.string());
}

}  // namespace nas
