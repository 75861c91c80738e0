// Watching a run: a one-line progress display on the terminal and a JSON-lines log of per-generation
// statistics. Both are callbacks (algorithm/callbacks.hpp). Example:
//   algo.run(moo::zdt1{}, moo::progress_display{.reference = {1.1, 1.1}},
//            moo::jsonl_log{.path = "run.jsonl", .reference = {1.1, 1.1}});
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "moo/algorithm/run_info.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/indicators/hypervolume.hpp"
#include "moo/io/file.hpp"

namespace moo {

namespace detail {

// "4.2s", "3m05s", "2h07m": a short duration for a one-line display.
inline std::string format_duration(double seconds) {
  char buf[32];
  if (!std::isfinite(seconds) || seconds < 0) return "--";
  if (seconds < 60)
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  else if (seconds < 3600)
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(seconds / 60), int(seconds) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dh%02dm", int(seconds / 3600), int(seconds / 60) % 60);
  return buf;
}

// Remaining time from the elapsed time and the fraction done, or -1 when it cannot be estimated.
inline double estimate_remaining(const run_info& info) {
  if (info.fraction_done <= 0 || info.fraction_done > 1) return -1;
  return info.elapsed_seconds * (1 - info.fraction_done) / info.fraction_done;
}

// Shortest text that reads back to the same double.
inline void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Rows of rank 0 in the state's ranking (the current non-dominated front).
template <class State>
std::vector<std::size_t> front_rows(const State& s) {
  std::vector<std::size_t> rows;
  const auto& rank = s.ranking().rank;
  for (std::size_t i = 0; i < rank.size(); ++i)
    if (rank[i] == 0) rows.push_back(i);
  return rows;
}

}  // namespace detail

// One line on the terminal, redrawn in place: generation, evaluations, hypervolume (if a reference is
// given), elapsed time and ETA. Silent when the stream is not a terminal (isatty), unless forced.
struct progress_display {
  std::vector<double> reference;  // hypervolume reference point; empty: no hypervolume shown
  std::FILE* stream = stderr;
  std::size_t every = 1;  // redraw every `every` generations
  bool force = false;     // draw even when the stream is not a terminal (one line per draw)

  // The text of one line (without the leading '\r' or trailing newline).
  template <class State>
  std::string line(const State& s, const run_info& info) const {
    std::string out = detail::message("generation ", s.generation(), "  evaluations ", s.evaluations());
    if (!reference.empty()) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "  hypervolume %.6f",
                    hypervolume(s.objectives(), std::span<const double>(reference)));
      out += buf;
    }
    out += "  elapsed " + detail::format_duration(info.elapsed_seconds);
    const double eta = detail::estimate_remaining(info);
    out += "  ETA " + (eta < 0 ? std::string("--") : detail::format_duration(eta));
    return out;
  }

  template <class State>
  void on_start(const State& s, const run_info& info) const {
    draw(s, info, false);
  }
  template <class State>
  void on_generation(const State& s, const run_info& info) const {
    if (every == 0 || s.generation() % every == 0) draw(s, info, false);
  }
  template <class State>
  void on_end(const State& s, const run_info& info) const {
    draw(s, info, true);
  }

 private:
  bool active() const { return stream != nullptr && (force || ::isatty(::fileno(stream)) == 1); }

  template <class State>
  void draw(const State& s, const run_info& info, bool last) const {
    if (!active()) return;
    const bool tty = ::isatty(::fileno(stream)) == 1;
    const std::string text = line(s, info);
    if (tty)
      std::fprintf(stream, "\r%s\033[K%s", text.c_str(), last ? "\n" : "");
    else
      std::fprintf(stream, "%s\n", text.c_str());
    std::fflush(stream);
  }
};

// A JSON-lines log, one object per line and generation:
//   {"generation":3,"evaluations":400,"hypervolume":0.61,"front_size":37,"elapsed_seconds":0.02,
//    "min":[..],"max":[..]}
// min/max are per objective over the current non-dominated front; "hypervolume" is present only when a
// reference point is given. A fresh run truncates the file; a resumed run drops the lines of
// generations after the checkpoint it resumed from and appends.
struct jsonl_log {
  std::filesystem::path path;
  std::vector<double> reference;  // hypervolume reference point; empty: no hypervolume
  std::size_t every = 1;          // log every `every` generations (the last one always)

  // One line of the log (without the newline).
  template <class State>
  std::string line(const State& s, const run_info& info) const {
    const auto front = detail::front_rows(s);
    const matrix& f = s.objectives();
    std::string out = detail::message("{\"generation\":", s.generation(), ",\"evaluations\":", s.evaluations());
    if (!reference.empty()) {
      out += ",\"hypervolume\":";
      detail::append_double(out, hypervolume(f, std::span<const double>(reference)));
    }
    out += detail::message(",\"front_size\":", front.size(), ",\"elapsed_seconds\":");
    detail::append_double(out, info.elapsed_seconds);
    for (int pass = 0; pass < 2; ++pass) {
      out += pass == 0 ? ",\"min\":[" : ",\"max\":[";
      for (std::size_t j = 0; j < f.cols(); ++j) {
        double v = pass == 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
        for (auto i : front) v = pass == 0 ? std::min(v, f(i, j)) : std::max(v, f(i, j));
        if (j) out += ',';
        detail::append_double(out, v);
      }
      out += ']';
    }
    out += '}';
    return out;
  }

  template <class State>
  void on_start(const State& s, const run_info& info) const {
    if (info.resumed) {
      keep_until(s.generation());
    } else {
      io::write_atomically(path, "");
      append(line(s, info));
    }
  }
  template <class State>
  void on_generation(const State& s, const run_info& info) const {
    if (every <= 1 || s.generation() % every == 0) append(line(s, info));
  }
  template <class State>
  void on_end(const State& s, const run_info& info) const {
    if (every > 1 && s.generation() % every != 0) append(line(s, info));
  }

  // The generation of a log line, or -1 if it has none.
  static long generation_of(std::string_view text) {
    constexpr std::string_view key = "{\"generation\":";
    if (text.substr(0, key.size()) != key) return -1;
    long g = -1;
    const char* first = text.data() + key.size();
    auto r = std::from_chars(first, text.data() + text.size(), g);
    return r.ec == std::errc{} ? g : -1;
  }

 private:
  void append(const std::string& text) const {
    std::ofstream os(path, std::ios::app | std::ios::binary);
    os << text << '\n';
    os.flush();
    if (!os) throw io_error(detail::message("jsonl_log: cannot append to '", path.string(), "'"));
  }

  // Keeps the lines of generations up to g (a resumed run repeats the later ones).
  void keep_until(std::size_t g) const {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return;
    const std::string all = io::read_file(path);
    std::string kept;
    std::size_t pos = 0;
    while (pos < all.size()) {
      std::size_t end = all.find('\n', pos);
      if (end == std::string::npos) break;  // a torn last line (the run was killed mid-write)
      const std::string_view text(all.data() + pos, end - pos);
      const long lg = generation_of(text);
      if (lg >= 0 && static_cast<std::size_t>(lg) <= g) kept.append(text).push_back('\n');
      pos = end + 1;
    }
    io::write_atomically(path, kept);
  }
};

}  // namespace moo
