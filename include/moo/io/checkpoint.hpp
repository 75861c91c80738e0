// Checkpoint files: the whole state of a search (population, objectives, ranking, pending batch, rng
// state, counters, elapsed time, the policies' own state) plus the state of stateful run arguments
// (terminations, archives, ...), so a resumed run ends bit-identical to an uninterrupted one.
//
// Layout: 8-byte magic "MOOCKPT\x1a", u32 format version, u64 payload length, u64 FNV-1a-64 of the
// payload, then the payload (integers little-endian, doubles by bit pattern). Writing goes through a
// temporary file and a rename, and keeps the previous checkpoint as "<file>.prev"; reading refuses a
// truncated, corrupted or foreign file with an io_error naming the file and what is wrong.
#pragma once

#include <concepts>
#include <cstddef>
#include <exception>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/io/codec.hpp"
#include "moo/io/file.hpp"
#include "moo/io/serialize.hpp"

namespace moo::io {

inline constexpr std::string_view checkpoint_magic{"MOOCKPT\x1a", 8};
inline constexpr std::uint32_t checkpoint_version = 3;  // 2: the space description and the number of objectives;
                                                        // 3: nas::candidate keeps its training state
inline constexpr std::size_t checkpoint_header_size = 8 + 4 + 8 + 8;

// FNV-1a 64, the checksum over a checkpoint's payload (one implementation, in io/codec.hpp).
using codec::fnv1a64;

namespace detail {

// Writes a state's fields in visit order, each preceded by its name; policies as a flag + blob.
struct checkpoint_writer {
  std::ostream& os;

  template <class T>
  void field(const char* name, const T& v) {
    io::write(os, std::string(name));
    io::write(os, v);
  }
  template <class T>
  void setting(const char* name, const T& v) {
    field(name, v);
  }
  template <class T>
  void policy(const char* name, const T& p) {
    io::write(os, std::string(name));
    if constexpr (stateful<T>) {
      std::ostringstream blob(std::ios::binary);
      p.save(blob);
      io::write(os, true);
      io::write(os, std::move(blob).str());
    } else {
      io::write(os, false);
    }
  }
};

// Reads fields in visit order, checking each name, and checking settings against the current run.
struct checkpoint_reader {
  std::istream& is;

  void expect_name(const char* name) {
    const auto found = io::read<std::string>(is);
    if (found != name)
      throw io_error(moo::detail::message("expected the field '", name, "', found '", found, "'"));
  }
  template <class T>
  void field(const char* name, T& v) {
    expect_name(name);
    v = io::read<T>(is);
  }
  template <class T>
  void setting(const char* name, const T& v) {
    expect_name(name);
    const auto stored = io::read<T>(is);
    if (stored != v)
      throw io_error(moo::detail::message("it was written with ", name, " = ", stored, ", this run has ", name,
                                          " = ", v));
  }
  template <class T>
  void policy(const char* name, T& p) {
    expect_name(name);
    const bool has_state = io::read<bool>(is);
    if (has_state != stateful<T>)
      throw io_error(moo::detail::message("it ", has_state ? "holds" : "lacks", " state for the ", name,
                                          " policy, which ", stateful<T> ? "has" : "has no", " save/load hooks"));
    if constexpr (stateful<T>) {
      const std::string bytes = io::read<std::string>(is);
      view_istream blob(bytes);
      p.load(blob);
      if (blob.fail()) throw io_error(moo::detail::message("the ", name, " policy's state is malformed"));
    }
  }
};

// The state of every stateful run argument, in argument order.
template <class... Extra>
std::vector<std::string> extra_blobs(const Extra&... extra) {
  std::vector<std::string> blobs;
  [[maybe_unused]] auto one = [&](const auto& e) {
    if constexpr (stateful<std::remove_cvref_t<decltype(e)>>) {
      std::ostringstream blob(std::ios::binary);
      e.save(blob);
      blobs.push_back(std::move(blob).str());
    }
  };
  (one(extra), ...);
  return blobs;
}

template <class... Extra>
constexpr std::size_t count_stateful() {
  return (std::size_t{0} + ... + (stateful<std::remove_cvref_t<Extra>> ? 1 : 0));
}

// Throws io_error naming the checkpoint `path` and what is wrong with it.
[[noreturn]] inline void refuse_only(const std::filesystem::path& path, const std::string& what) {
  throw io_error(moo::detail::message("checkpoint '", path.string(), "' is refused: ", what));
}

inline std::string_view checked_payload_of(std::string_view bytes, const std::filesystem::path& source);

// What a refusal can say about "<path>.prev": intact (it passes its own header and checksum checks, so a
// resume from it can be tried), damaged too (and why), or nothing when there is none.
inline std::string previous_checkpoint_status(const std::filesystem::path& path) {
  auto prev = path;
  prev += ".prev";
  std::error_code ec;
  if (!std::filesystem::exists(prev, ec)) return {};
  try {
    const std::string bytes = read_file(prev);
    checked_payload_of(bytes, prev);
    return moo::detail::message(" (the previous checkpoint '", prev.string(), "' is intact: it passes its header and checksum checks)");
  } catch (const std::exception& e) {
    return moo::detail::message(" (the previous checkpoint is damaged too: ", e.what(), ")");
  }
}

// As refuse_only, adding whether "<path>.prev" is intact.
[[noreturn]] inline void refuse(const std::filesystem::path& path, const std::string& what) {
  throw io_error(moo::detail::message("checkpoint '", path.string(), "' is refused: ", what,
                                      previous_checkpoint_status(path)));
}

// The payload of a checkpoint (everything after the header), built once in memory.
template <class State, class... Extra>
std::string checkpoint_payload(const State& state, const Extra&... extra) {
  std::ostringstream payload(std::ios::binary);
  io::write(payload, std::string("moo.evolution"));
  checkpoint_writer w{payload};
  state.visit_state(w);
  io::write(payload, extra_blobs(extra...));
  return std::move(payload).str();  // moves the buffer out, no copy
}

// The header of a checkpoint with this payload: magic, version, payload length, payload checksum.
inline std::string checkpoint_header(std::string_view payload) {
  codec::byte_writer w;
  w.raw(checkpoint_magic);
  w.u32(checkpoint_version);
  w.u64(payload.size());
  w.u64(fnv1a64(payload));
  return std::move(w.bytes);
}

// The payload of checkpoint bytes after checking the header (magic, version, length, checksum); refuses
// the bytes naming `source` otherwise. The result views `bytes`.
inline std::string_view checked_payload_of(std::string_view bytes, const std::filesystem::path& source) {
  if (bytes.size() < checkpoint_header_size)
    refuse_only(source, moo::detail::message("truncated: ", bytes.size(), " bytes, shorter than the ",
                                        checkpoint_header_size, "-byte header"));
  if (bytes.substr(0, checkpoint_magic.size()) != checkpoint_magic)
    refuse_only(source, "not a moo checkpoint (bad magic header)");
  codec::byte_reader header(bytes.substr(checkpoint_magic.size(), checkpoint_header_size - checkpoint_magic.size()),
                            source.string(), "the checkpoint header");
  const auto version = header.u32();
  const auto length = header.u64();
  const auto checksum = header.u64();
  if (version != checkpoint_version)
    refuse_only(source, moo::detail::message("format version ", version, ", this build reads version ",
                                        checkpoint_version));
  const std::size_t have = bytes.size() - checkpoint_header_size;
  if (have < length)
    refuse_only(source, moo::detail::message("truncated: the header announces ", length,
                                        " payload bytes, the file holds ", have));
  if (have > length)
    refuse_only(source, moo::detail::message("corrupted: ", have - length,
                                        " bytes after the announced payload of ", length));
  const std::string_view body = bytes.substr(checkpoint_header_size);
  if (fnv1a64(body) != checksum) refuse_only(source, "corrupted: the payload does not match its checksum");
  return body;
}

// checked_payload_of, saying on refusal whether "<source>.prev" is intact.
inline std::string_view checked_payload(std::string_view bytes, const std::filesystem::path& source) {
  try {
    return checked_payload_of(bytes, source);
  } catch (const io_error& e) {
    throw io_error(e.what() + previous_checkpoint_status(source));
  }
}

}  // namespace detail

// The checkpoint bytes of a state (anything with visit_state, e.g. moo::evolution) and of the
// stateful ones among `extra` (run arguments with save/load hooks; the others are skipped).
// save_checkpoint writes the same bytes without joining header and payload in memory.
template <class State, class... Extra>
std::string encode_checkpoint(const State& state, const Extra&... extra) {
  const std::string body = detail::checkpoint_payload(state, extra...);
  const std::string header = detail::checkpoint_header(body);
  std::string out;
  out.reserve(header.size() + body.size());
  out += header;
  out += body;
  return out;
}

// Restores `state` and the stateful `extra` arguments from checkpoint bytes. The bytes are checked
// (magic, version, length, checksum) and parsed into a copy first, so on error nothing is changed;
// `source` names the file in the io_error. The payload is read in place, not copied.
template <class State, class... Extra>
void decode_checkpoint(std::string_view bytes, const std::filesystem::path& source, State& state, Extra&... extra) {
  const std::string_view body = detail::checked_payload(bytes, source);

  State loaded = state;
  std::vector<std::string> blobs;
  try {
    detail::view_istream payload(body);
    const auto kind = io::read<std::string>(payload);
    if (kind != "moo.evolution") throw io_error(moo::detail::message("it holds a '", kind, "', not a moo.evolution"));
    detail::checkpoint_reader r{payload};
    loaded.visit_state(r);
    if constexpr (requires { loaded.check_consistency(); }) {
      try {
        loaded.check_consistency();
      } catch (const io_error&) {
        throw;
      } catch (const error& e) {
        throw io_error(e.what());
      }
    }
    blobs = io::read<std::vector<std::string>>(payload);
    if (payload.peek() != std::char_traits<char>::eof())
      throw io_error("bytes are left over after the last field");
  } catch (const io_error& e) {
    detail::refuse(source, moo::detail::message("does not fit this run: ", e.what()));
  }
  constexpr std::size_t expected = detail::count_stateful<Extra...>();
  if (blobs.size() != expected)
    detail::refuse(source, moo::detail::message("it holds the state of ", blobs.size(),
                                                " stateful run arguments, this run passes ", expected));
  // Each stateful argument loads its blob into a copy first; only when all succeed are the state and
  // the arguments themselves changed.
  auto load_into = [&](auto& target, std::size_t i) {
    detail::view_istream blob(blobs[i]);
    try {
      target.load(blob);
    } catch (const std::exception& err) {
      detail::refuse(source, moo::detail::message("run argument ", i, ": ", err.what()));
    }
    if (blob.fail()) detail::refuse(source, moo::detail::message("run argument ", i, "'s state is malformed"));
  };
  std::size_t next = 0;
  [[maybe_unused]] auto trial = [&](auto& e) {
    using E = std::remove_cvref_t<decltype(e)>;
    if constexpr (stateful<E>) {
      if constexpr (std::copy_constructible<E>) {
        E copy = e;
        load_into(copy, next);
      }
      ++next;
    }
  };
  (trial(extra), ...);
  state = std::move(loaded);
  next = 0;
  [[maybe_unused]] auto commit = [&](auto& e) {
    if constexpr (stateful<std::remove_cvref_t<decltype(e)>>) load_into(e, next++);
  };
  (commit(extra), ...);
}

// Writes a checkpoint atomically (temporary file + rename); an existing checkpoint is kept as
// "<path>.prev" first, so a good checkpoint exists at every moment. The payload is held in memory once.
template <class State, class... Extra>
void save_checkpoint(const std::filesystem::path& path, const State& state, const Extra&... extra) {
  detail::require_not_directory(path, "write the checkpoint");
  const std::string body = detail::checkpoint_payload(state, extra...);
  const std::string header = detail::checkpoint_header(body);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto prev = path;
    prev += ".prev";
    std::filesystem::remove(prev, ec);
    std::filesystem::create_hard_link(path, prev, ec);
    if (ec) std::filesystem::copy_file(path, prev, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec)
      throw io_error(moo::detail::message("cannot keep the previous checkpoint as '", prev.string(),
                                          "': ", ec.message()));
  }
  write_atomically(path, {header, body});  // header then payload, without a joined copy
}

// Restores `state` (and the stateful `extra` run arguments, in order) from a checkpoint file; throws
// io_error naming the file if it is missing, truncated, corrupted or written by a different run. The
// file is read into memory once and parsed in place.
template <class State, class... Extra>
void load_checkpoint(const std::filesystem::path& path, State& state, Extra&... extra) {
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const io_error& e) {
    detail::refuse(path, e.what());
  }
  decode_checkpoint(bytes, path, state, extra...);
}

}  // namespace moo::io
