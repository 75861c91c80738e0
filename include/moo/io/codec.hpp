// The byte-level codec of moo's binary files, in one place: little-endian integers of any width
// (independent of the host's byte order), floats and doubles by bit pattern, length-prefixed strings and
// float arrays, a bounds-checked reader whose errors name the source, and the two checksums the formats
// use: FNV-1a 64 (checkpoints) and CRC-32 (nas graph weights files, the zlib/PNG/gzip polynomial).
// moo/io/serialize.hpp encodes checkpoints with these primitives; nas/graph/serialize.hpp its weights.
// Example:
//   moo::io::codec::byte_writer w;
//   w.u32(7);
//   w.str("conv1");
//   moo::io::codec::byte_reader r(w.bytes, "weights file 'a.w'");
//   const auto v = r.u32();  // 7; reading past the end throws io_error naming 'a.w'
#pragma once

#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"

namespace moo::io::codec {

// Writes v as sizeof(U) little-endian bytes at out.
template <std::unsigned_integral U>
constexpr void store_le(unsigned char* out, U v) noexcept {
  for (std::size_t i = 0; i < sizeof(U); ++i) out[i] = static_cast<unsigned char>(v >> (8 * i));
}

// The value of sizeof(U) little-endian bytes at in.
template <std::unsigned_integral U>
constexpr U load_le(const unsigned char* in) noexcept {
  U v = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(static_cast<U>(in[i]) << (8 * i));
  return v;
}

// Appends v to out as sizeof(U) little-endian bytes.
template <std::unsigned_integral U>
void put_le(std::string& out, U v) {
  unsigned char b[sizeof(U)];
  store_le(b, v);
  out.append(reinterpret_cast<const char*>(b), sizeof(U));
}

// FNV-1a, 64 bits (Fowler, Noll & Vo): the checksum over a checkpoint's payload.
inline std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

namespace detail {

// The byte-wise table of the reflected CRC-32 polynomial 0xEDB88320.
inline constexpr std::array<std::uint32_t, 256> crc32_table = [] {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}();

}  // namespace detail

// CRC-32 as in zlib, PNG and gzip (ISO-HDLC: reflected 0x04C11DB7, initial and final value 0xFFFFFFFF);
// crc32("123456789") == 0xCBF43926. Pass the previous result as `previous` to continue over more bytes
// (zlib's crc32(crc, buf, len) convention; 0 starts afresh).
inline std::uint32_t crc32(std::string_view bytes, std::uint32_t previous = 0) noexcept {
  std::uint32_t c = previous ^ 0xFFFFFFFFu;
  for (const unsigned char b : bytes) c = detail::crc32_table[(c ^ b) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

// Appends little-endian values to a byte string: integers at their width, floats and doubles by bit
// pattern, strings as a u64 length and the bytes, float arrays as a u64 count and the values.
struct byte_writer {
  std::string bytes;

  void u8(std::uint8_t v) { bytes += static_cast<char>(v); }
  void u32(std::uint32_t v) { put_le(bytes, v); }
  void u64(std::uint64_t v) { put_le(bytes, v); }
  void f32(float v) { u32(std::bit_cast<std::uint32_t>(v)); }
  void f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }
  // The bytes themselves, without a length.
  void raw(std::string_view s) { bytes += s; }
  void str(std::string_view s) {
    u64(s.size());
    bytes += s;
  }
  void floats(std::span<const float> v) {
    u64(v.size());
    bytes.reserve(bytes.size() + 4 * v.size());
    for (const float f : v) f32(f);
  }
};

// Reads what byte_writer wrote from a byte string it views (the string must outlive the reader). Every
// read checks the remaining length first; a failure is an io_error "<source>: <what> (in <context>)",
// where the context says what was being read (set_context as reading proceeds).
class byte_reader {
 public:
  explicit byte_reader(std::string_view bytes, std::string source = "<bytes>", std::string context = {})
      : bytes_(bytes), source_(std::move(source)), context_(std::move(context)) {}

  // Says what is read next, for messages ("the header", "node 'conv1'"; empty: nothing).
  void set_context(std::string context) { context_ = std::move(context); }

  [[noreturn]] void fail(std::string_view what) const {
    if (context_.empty()) throw io_error(moo::detail::message(source_, ": ", what));
    throw io_error(moo::detail::message(source_, ": ", what, " (in ", context_, ")"));
  }

  // Fails with "truncated" unless n more bytes are left.
  void need(std::size_t n) const {
    if (remaining() < n) fail("truncated");
  }
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }
  std::string_view data() const { return bytes_; }

  // The next n bytes, as a view of the input.
  std::string_view raw(std::size_t n) {
    need(n);
    const std::string_view s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(raw(1)[0]); }
  std::uint32_t u32() { return le<std::uint32_t>(); }
  std::uint64_t u64() { return le<std::uint64_t>(); }
  float f32() { return std::bit_cast<float>(u32()); }
  double f64() { return std::bit_cast<double>(u64()); }

  // A string written by byte_writer::str; a length above max_length fails as implausible.
  std::string str(std::uint64_t max_length = std::uint64_t{1} << 20) {
    const std::uint64_t n = u64();
    if (n > max_length) fail(moo::detail::message("implausible string length ", n));
    return std::string(raw(static_cast<std::size_t>(n)));
  }

  // A float array written by byte_writer::floats; a count beyond the bytes left fails as truncated
  // before anything is allocated.
  std::vector<float> floats() {
    const std::uint64_t n = u64();
    if (n > remaining() / 4) fail("truncated");
    std::vector<float> v(static_cast<std::size_t>(n));
    for (auto& f : v) f = f32();
    return v;
  }

 private:
  template <std::unsigned_integral U>
  U le() {
    const std::string_view b = raw(sizeof(U));
    return load_le<U>(reinterpret_cast<const unsigned char*>(b.data()));
  }

  std::string_view bytes_;
  std::size_t pos_ = 0;
  std::string source_;
  std::string context_;
};

}  // namespace moo::io::codec
