// Files and bytes: writing a file atomically (a temporary file beside the target, then a rename, so a
// crash never leaves a half-written file in place of a good one), from one piece or several (a header
// and a large body are written without first being joined into one more copy); reading a whole file;
// and reading bytes already in memory as a std::istream without copying them (detail::view_istream).
// Example:
//   moo::io::write_atomically("run.ckpt", {header, body});  // header then body, one file, no joined copy
//   moo::io::detail::view_istream is(bytes);                 // moo::io::read<T>(is) reads from `bytes`
#pragma once

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <ios>
#include <istream>
#include <iterator>
#include <streambuf>
#include <string>
#include <string_view>
#include <system_error>

#include "moo/core/error.hpp"

namespace moo::io {

// Writes the pieces one after the other into `path` atomically (temporary file "<path>.tmp" + rename).
inline void write_atomically(const std::filesystem::path& path, std::initializer_list<std::string_view> pieces) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    if (!os)
      throw io_error(moo::detail::message("cannot open '", tmp.string(), "' for writing: ", std::strerror(errno)));
    for (const std::string_view piece : pieces) os.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    os.flush();
    if (!os) throw io_error(moo::detail::message("cannot write '", tmp.string(), "'"));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    throw io_error(
        moo::detail::message("cannot rename '", tmp.string(), "' to '", path.string(), "': ", ec.message()));
}

inline void write_atomically(const std::filesystem::path& path, std::string_view content) {
  write_atomically(path, {content});
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream is(path, std::ios::binary);
  if (!is)
    throw io_error(moo::detail::message("cannot open '", path.string(), "' for reading: ", std::strerror(errno)));
  std::string s((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
  return s;
}

namespace detail {

// A read-only stream buffer over bytes owned by someone else (they must outlive it): reading a large
// checkpoint or MPI message through it copies nothing, unlike an istringstream, which copies its string.
// Seeking within the bytes is supported; writing and putting back a different character are not.
class view_streambuf : public std::streambuf {
 public:
  explicit view_streambuf(std::string_view bytes) {
    // The get area is only ever read: pbackfail() is not overridden, so nothing writes through it.
    char* begin = const_cast<char*>(bytes.data());
    setg(begin, begin, begin + bytes.size());
  }

 protected:
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode which) override {
    if (!(which & std::ios_base::in)) return pos_type(off_type(-1));
    const off_type base = dir == std::ios_base::beg   ? 0
                          : dir == std::ios_base::cur ? gptr() - eback()
                                                      : egptr() - eback();
    const off_type to = base + off;
    if (to < 0 || to > egptr() - eback()) return pos_type(off_type(-1));
    setg(eback(), eback() + to, egptr());
    return pos_type(to);
  }
  pos_type seekpos(pos_type pos, std::ios_base::openmode which) override {
    return seekoff(off_type(pos), std::ios_base::beg, which);
  }
};

// Holds the buffer of a view_istream, as a base so it is built before the std::istream that reads it.
struct view_streambuf_holder {
  explicit view_streambuf_holder(std::string_view bytes) : view_buffer(bytes) {}
  view_streambuf view_buffer;
};

// A std::istream reading bytes in place through a view_streambuf (the bytes must outlive it).
// Example: view_istream is(message); auto count = moo::io::read<std::uint64_t>(is);
class view_istream : private view_streambuf_holder, public std::istream {
 public:
  explicit view_istream(std::string_view bytes) : view_streambuf_holder(bytes), std::istream(&view_buffer) {}
  view_istream(const view_istream&) = delete;
  view_istream& operator=(const view_istream&) = delete;
};

}  // namespace detail

}  // namespace moo::io
