// Results as CSV (one row per genome: objectives, then variables) and JSON (objectives, variables,
// ranks and run counters), written atomically.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "moo/algorithm/result.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/io/file.hpp"

namespace moo::io {

namespace detail {

// Shortest text that reads back to the same double ("nan"/"inf" are never written: results are finite).
inline void append_number(std::string& out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// The rows to write: all if `rows` is empty; throws value_error naming an index past the result.
template <class Genome>
std::vector<std::size_t> rows_to_write(const result<Genome>& res, const std::vector<std::size_t>& rows) {
  std::vector<std::size_t> idx = rows;
  if (idx.empty())
    for (std::size_t i = 0; i < res.objectives.rows(); ++i) idx.push_back(i);
  for (auto i : idx)
    if (i >= res.objectives.rows() || (!res.genomes.empty() && i >= res.genomes.size()))
      throw value_error(moo::detail::message("results: row ", i, " requested, the result has ",
                                             res.objectives.rows(), " rows"));
  return idx;
}

template <class Genome>
constexpr bool is_numeric_vector =
    requires(const Genome& g) { g.size(); g[0]; } && std::is_arithmetic_v<std::remove_cvref_t<decltype(std::declval<Genome>()[0])>>;

}  // namespace detail

// CSV of a result: columns f1..fm, then x1..xn if the genome is a vector of numbers; only the rows in
// `rows` (all if empty).
template <class Genome>
std::string to_csv(const result<Genome>& res, const std::vector<std::size_t>& rows = {}) {
  const auto idx = detail::rows_to_write(res, rows);
  std::string out;
  const std::size_t m = res.objectives.cols();
  // Columns for the longest genome; shorter (variable-length) genomes leave their last cells empty.
  std::size_t n = 0;
  if constexpr (detail::is_numeric_vector<Genome>)
    for (auto i : idx) n = std::max<std::size_t>(n, res.genomes[i].size());
  for (std::size_t j = 0; j < m; ++j) out += (j ? ",f" : "f") + std::to_string(j + 1);
  for (std::size_t j = 0; j < n; ++j) out += ",x" + std::to_string(j + 1);
  out += '\n';
  for (auto i : idx) {
    for (std::size_t j = 0; j < m; ++j) {
      if (j) out += ',';
      detail::append_number(out, res.objectives(i, j));
    }
    if constexpr (detail::is_numeric_vector<Genome>)
      for (std::size_t j = 0; j < n; ++j) {
        out += ',';
        if (j < res.genomes[i].size()) detail::append_number(out, static_cast<double>(res.genomes[i][j]));
      }
    out += '\n';
  }
  return out;
}

// JSON of a result: {"generations":..,"evaluations":..,"points":[{"rank":..,"f":[..],"x":[..]},..]}.
template <class Genome>
std::string to_json(const result<Genome>& res, const std::vector<std::size_t>& rows = {}) {
  const auto idx = detail::rows_to_write(res, rows);
  std::string out = "{\"generations\":" + std::to_string(res.generations) +
                    ",\"evaluations\":" + std::to_string(res.evaluations) + ",\"points\":[";
  bool first = true;
  for (auto i : idx) {
    out += first ? "\n  {" : ",\n  {";
    first = false;
    out += "\"rank\":" + std::to_string(i < res.rank.size() ? res.rank[i] : 0) + ",\"f\":[";
    for (std::size_t j = 0; j < res.objectives.cols(); ++j) {
      if (j) out += ',';
      detail::append_number(out, res.objectives(i, j));
    }
    out += ']';
    if constexpr (detail::is_numeric_vector<Genome>) {
      out += ",\"x\":[";
      for (std::size_t j = 0; j < res.genomes[i].size(); ++j) {
        if (j) out += ',';
        detail::append_number(out, static_cast<double>(res.genomes[i][j]));
      }
      out += ']';
    }
    out += '}';
  }
  out += "\n]}\n";
  return out;
}

template <class Genome>
void write_csv(const std::filesystem::path& path, const result<Genome>& res, const std::vector<std::size_t>& rows = {}) {
  write_atomically(path, to_csv(res, rows));
}

template <class Genome>
void write_json(const std::filesystem::path& path, const result<Genome>& res, const std::vector<std::size_t>& rows = {}) {
  write_atomically(path, to_json(res, rows));
}

}  // namespace moo::io
