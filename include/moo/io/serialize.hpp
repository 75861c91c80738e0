// Exact binary encoding of values for checkpoints: integers little-endian at their own width, doubles
// by their bit pattern (so they read back bit-identical), sizes as 64-bit counts. The byte-level
// primitives (and the checksums) live in moo/io/codec.hpp, shared with the nas graph files.
// moo::io::serializer<T> is the customization point: specialize it to store a genome type of your own.
// Example:
//   template <> struct moo::io::serializer<my_genome> {
//     static void write(std::ostream& os, const my_genome& g) { moo::io::write(os, g.layers); }
//     static my_genome read(std::istream& is) { return {moo::io::read<std::vector<int>>(is)}; }
//   };
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <ostream>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/io/codec.hpp"

namespace moo::io {

// Writes T to a binary stream and reads it back; specialize for your own types (see the file comment).
template <class T>
struct serializer;

// A type that serializer<T> can write and read back.
template <class T>
concept serializable = requires(std::ostream& os, std::istream& is, const T& v) {
  serializer<T>::write(os, v);
  { serializer<T>::read(is) } -> std::same_as<T>;
};

// A policy, callback or termination whose own state must survive a checkpoint: save writes it, load
// reads back exactly what save wrote (e.g. MOEA/D's ideal point, an archive, a stagnation counter).
template <class T>
concept stateful = requires(const T& c, T& m, std::ostream& os, std::istream& is) {
  c.save(os);
  m.load(is);
};

// Writes v with serializer<T>.
template <serializable T>
void write(std::ostream& os, const T& v) {
  serializer<T>::write(os, v);
}

// Reads a T written by write(); throws io_error if the stream ends early or holds a bad value.
template <serializable T>
T read(std::istream& is) {
  return serializer<T>::read(is);
}

namespace detail {

// Appends n raw bytes.
inline void write_bytes(std::ostream& os, const void* p, std::size_t n) {
  os.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
}

// Reads exactly n bytes or throws io_error saying what was being read.
inline void read_bytes(std::istream& is, void* p, std::size_t n, const char* what) {
  is.read(static_cast<char*>(p), static_cast<std::streamsize>(n));
  if (static_cast<std::size_t>(is.gcount()) != n)
    throw io_error(moo::detail::message("data ends early while reading ", what, " (", is.gcount(), " of ", n,
                                        " bytes)"));
}

// An unsigned integer as sizeof(U) little-endian bytes (codec::store_le), independent of the host's
// byte order.
template <std::unsigned_integral U>
void write_le(std::ostream& os, U v) {
  unsigned char b[sizeof(U)];
  codec::store_le(b, v);
  write_bytes(os, b, sizeof(U));
}

// Reads what write_le wrote; throws io_error saying what was being read if the stream ends early.
template <std::unsigned_integral U>
U read_le(std::istream& is, const char* what) {
  unsigned char b[sizeof(U)];
  read_bytes(is, b, sizeof(U), what);
  return codec::load_le<U>(b);
}

// A count of elements, read with a sanity bound so a corrupt count cannot allocate without limit.
inline void write_size(std::ostream& os, std::size_t n) { write_le<std::uint64_t>(os, n); }
inline std::size_t read_size(std::istream& is, const char* what) {
  const auto n = read_le<std::uint64_t>(is, what);
  if (n > (std::uint64_t{1} << 40)) throw io_error(moo::detail::message("implausible count ", n, " for ", what));
  return static_cast<std::size_t>(n);
}

}  // namespace detail

// Integers at their own width, float/double by bit pattern, bool as one byte 0 or 1.
template <class T>
  requires std::is_integral_v<T> || std::same_as<T, double> || std::same_as<T, float>
struct serializer<T> {
  static void write(std::ostream& os, T v) {
    if constexpr (std::same_as<T, bool>)
      detail::write_le<std::uint8_t>(os, v ? 1 : 0);
    else if constexpr (std::same_as<T, double>)
      detail::write_le(os, std::bit_cast<std::uint64_t>(v));
    else if constexpr (std::same_as<T, float>)
      detail::write_le(os, std::bit_cast<std::uint32_t>(v));
    else
      detail::write_le(os, static_cast<std::make_unsigned_t<T>>(v));
  }
  static T read(std::istream& is) {
    if constexpr (std::same_as<T, bool>) {
      const auto b = detail::read_le<std::uint8_t>(is, "a bool");
      if (b > 1) throw io_error(moo::detail::message("bad bool byte ", int(b)));
      return b == 1;
    } else if constexpr (std::same_as<T, double>) {
      return std::bit_cast<double>(detail::read_le<std::uint64_t>(is, "a double"));
    } else if constexpr (std::same_as<T, float>) {
      return std::bit_cast<float>(detail::read_le<std::uint32_t>(is, "a float"));
    } else {
      return static_cast<T>(detail::read_le<std::make_unsigned_t<T>>(is, "an integer"));
    }
  }
};

// Vectors: count, then the elements (real and integer genomes are vectors).
template <serializable T, class A>
struct serializer<std::vector<T, A>> {
  static void write(std::ostream& os, const std::vector<T, A>& v) {
    detail::write_size(os, v.size());
    for (const T& x : v) serializer<T>::write(os, x);
  }
  static std::vector<T, A> read(std::istream& is) {
    const std::size_t n = detail::read_size(is, "a vector's length");
    std::vector<T, A> v;
    v.reserve(std::min<std::size_t>(n, 1 << 16));
    for (std::size_t i = 0; i < n; ++i) v.push_back(serializer<T>::read(is));
    return v;
  }
};

// Fixed-size arrays: the elements only.
template <serializable T, std::size_t N>
struct serializer<std::array<T, N>> {
  static void write(std::ostream& os, const std::array<T, N>& v) {
    for (const T& x : v) serializer<T>::write(os, x);
  }
  static std::array<T, N> read(std::istream& is) {
    std::array<T, N> v{};
    for (auto& x : v) x = serializer<T>::read(is);
    return v;
  }
};

// Strings: length, then the bytes.
template <>
struct serializer<std::string> {
  static void write(std::ostream& os, const std::string& s) {
    detail::write_size(os, s.size());
    detail::write_bytes(os, s.data(), s.size());
  }
  static std::string read(std::istream& is) {
    // Grown chunk by chunk, so a corrupt length fails as a truncated read, not as a huge allocation.
    const std::size_t n = detail::read_size(is, "a string's length");
    std::string s;
    while (s.size() < n) {
      const std::size_t old = s.size(), chunk = std::min<std::size_t>(n - old, std::size_t{1} << 16);
      s.resize(old + chunk);
      detail::read_bytes(is, s.data() + old, chunk, "a string");
    }
    return s;
  }
};

template <serializable A, serializable B>
struct serializer<std::pair<A, B>> {
  static void write(std::ostream& os, const std::pair<A, B>& v) {
    serializer<A>::write(os, v.first);
    serializer<B>::write(os, v.second);
  }
  static std::pair<A, B> read(std::istream& is) {
    A a = serializer<A>::read(is);
    return {std::move(a), serializer<B>::read(is)};
  }
};

// Matrices: rows, columns, then the values row by row.
template <>
struct serializer<matrix> {
  static void write(std::ostream& os, const matrix& m) {
    detail::write_size(os, m.rows());
    detail::write_size(os, m.cols());
    for (double v : m.storage()) serializer<double>::write(os, v);
  }
  static matrix read(std::istream& is) {
    const std::size_t rows = detail::read_size(is, "a matrix's rows");
    const std::size_t cols = detail::read_size(is, "a matrix's columns");
    if (rows == 0) return {};
    if (cols != 0 && rows > (std::size_t{1} << 40) / cols)
      throw io_error(moo::detail::message("implausible matrix size ", rows, " x ", cols));
    // Grown value by value, so a corrupt size fails as a truncated read, not as a huge allocation.
    if (cols == 0) throw io_error(moo::detail::message("a matrix of ", rows, " rows has no columns"));
    std::vector<double> values;
    values.reserve(std::min<std::size_t>(rows * cols, std::size_t{1} << 16));
    for (std::size_t i = 0; i < rows * cols; ++i) values.push_back(serializer<double>::read(is));
    matrix m;
    m.reserve(rows, cols);
    for (std::size_t i = 0; i < rows; ++i) m.push_back(std::span<const double>(values.data() + i * cols, cols));
    return m;
  }
};

// The engine's four state words, so a resumed run continues the random stream exactly.
template <>
struct serializer<rng> {
  static void write(std::ostream& os, const rng& r) { serializer<rng::state_type>::write(os, r.state()); }
  static rng read(std::istream& is) {
    rng r;
    const auto state = serializer<rng::state_type>::read(is);
    // xoshiro's all-zero state only ever yields 0 (rejection sampling would never end).
    if (state == rng::state_type{}) throw io_error("the random engine's state is all zero");
    r.set_state(state);
    return r;
  }
};

// The ranking of a population: indices, ranks and scores.
template <>
struct serializer<survivors> {
  static void write(std::ostream& os, const survivors& s) {
    io::write(os, s.index);
    io::write(os, s.rank);
    io::write(os, s.score);
  }
  static survivors read(std::istream& is) {
    survivors s;
    s.index = io::read<std::vector<std::size_t>>(is);
    s.rank = io::read<std::vector<std::size_t>>(is);
    s.score = io::read<std::vector<double>>(is);
    return s;
  }
};

}  // namespace moo::io
