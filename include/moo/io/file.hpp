// Files and bytes: writing a file atomically and durably (a temporary file beside the target, fsynced,
// then a rename and an fsync of the directory, so neither a crash nor a power loss leaves a half-written
// file in place of a good one), from one piece or several (a header
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

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <unistd.h>
#define MOO_IO_POSIX 1
#else
#define MOO_IO_POSIX 0
#endif

namespace moo::io {

namespace detail {

// Refuses a path that names a directory, with the path in the message.
inline void require_not_directory(const std::filesystem::path& path, const char* doing) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw io_error(moo::detail::message("cannot ", doing, " '", path.string(), "': it is a directory, not a file"));
}

#if MOO_IO_POSIX
// Writes all of `bytes` to fd, retrying short writes and EINTR; false (errno set) on failure.
inline bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ::ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// fsyncs the directory holding `path`, so a rename into it survives a power loss. Best effort: some
// file systems refuse to open or sync directories; their rename is then as durable as they make it.
inline void sync_directory(const std::filesystem::path& path) {
  auto dir = path.parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}
#endif

}  // namespace detail

// Writes the pieces one after the other into `path` atomically and durably: a temporary file
// "<path>.tmp" is written and fsynced, renamed over `path`, and the directory is fsynced, so after a
// crash or a power loss `path` holds either the old or the new content, never a mix.
inline void write_atomically(const std::filesystem::path& path, std::initializer_list<std::string_view> pieces) {
  detail::require_not_directory(path, "write");
  auto tmp = path;
  tmp += ".tmp";
#if MOO_IO_POSIX
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw io_error(moo::detail::message("cannot open '", tmp.string(), "' for writing: ", std::strerror(errno)));
  bool ok = true;
  for (const std::string_view piece : pieces) ok = ok && detail::write_all(fd, piece);
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  if (::close(fd) != 0 && ok) ok = false;
  if (!ok) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw io_error(moo::detail::message("cannot write '", tmp.string(), "': ", std::strerror(saved ? saved : errno)));
  }
#else
  {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    if (!os)
      throw io_error(moo::detail::message("cannot open '", tmp.string(), "' for writing: ", std::strerror(errno)));
    for (const std::string_view piece : pieces) os.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    os.flush();
    if (!os) throw io_error(moo::detail::message("cannot write '", tmp.string(), "'"));
  }
#endif
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    throw io_error(
        moo::detail::message("cannot rename '", tmp.string(), "' to '", path.string(), "': ", ec.message()));
#if MOO_IO_POSIX
  detail::sync_directory(path);
#endif
}

inline void write_atomically(const std::filesystem::path& path, std::string_view content) {
  write_atomically(path, {content});
}

// The whole content of a file; io_error naming the file if it is missing, a directory or unreadable.
inline std::string read_file(const std::filesystem::path& path) {
  detail::require_not_directory(path, "read");
  std::ifstream is(path, std::ios::binary);
  if (!is)
    throw io_error(moo::detail::message("cannot open '", path.string(), "' for reading: ", std::strerror(errno)));
  try {
    std::string s((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
    if (is.bad()) throw io_error(moo::detail::message("cannot read '", path.string(), "'"));
    return s;
  } catch (const std::ios_base::failure& e) {  // libstdc++'s filebuf throws on a failed read(2)
    throw io_error(moo::detail::message("cannot read '", path.string(), "': ", e.what()));
  }
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
