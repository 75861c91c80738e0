// What an architecture search shows and leaves behind, as a run callback plus a final export:
//  - search_report (a moo callback): a progress line per generation (front size, best error and its
//    size, smallest network, networks trained and rejected, time left), history.csv (every network
//    when it entered the front, with its lineage), fronts.dat + front.png (the front of every
//    generation, drawn by gnuplot when it is installed), rejected.csv (children dropped, and why);
//    a resumed run trims these files back to its checkpoint's generation and goes on;
//  - export_front: per front network its test error and latency (measured alone, after the search),
//    front.csv / front.json with lineage, graph + weights files, a Graphviz drawing (SVG when `dot` is
//    installed), and an index.html that ties the pictures together.
// Example:
//   auto res = search.run_on(pool, problem, nas::search_report{.out = "out", .names = problem.names()});
//   nas::export_front("out", res, problem.names(), &data.test, {.batch = 1});
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "moo/algorithm/progress.hpp"
#include "moo/algorithm/result.hpp"
#include "moo/algorithm/run_info.hpp"
#include "moo/core/error.hpp"
#include "moo/io/file.hpp"
#include "nas/graph/dot.hpp"
#include "nas/graph/serialize.hpp"
#include "nas/search/candidate.hpp"
#include "nas/train/metrics.hpp"

namespace nas {

namespace detail {

// Column of the objective called `name`, or `fallback`.
inline std::size_t column_of(const std::vector<std::string>& names, std::string_view name, std::size_t fallback) {
  for (std::size_t j = 0; j < names.size(); ++j)
    if (names[j] == name) return j;
  return fallback;
}

// True when `tool` is on the PATH.
inline bool have_tool(const char* tool) {
  const std::string cmd = std::string("command -v ") + tool + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// The generation number at the start of a line of a report file being resumed; io_error naming the file
// if it is not a number (a damaged or foreign file), never a std::invalid_argument from std::stoull.
inline std::size_t generation_of(const std::string& field, const std::filesystem::path& file) {
  std::size_t g = 0;
  const char* first = field.data();
  const char* last = first + field.size();
  while (first != last && *first == ' ') ++first;
  const auto [end, ec] = std::from_chars(first, last, g);
  if (ec != std::errc{} || end == first)
    throw moo::io_error(moo::detail::message("report file '", file.string(), "': '", field.substr(0, 40),
                                             "' is not a generation number"));
  return g;
}

// Keeps the lines of a CSV file (header first) whose first field, a generation, is <= g.
inline void trim_csv(const std::filesystem::path& p, std::size_t g) {
  std::ifstream in(p);
  if (!in) return;
  std::string out, line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header || line.empty() || detail::generation_of(line.substr(0, line.find(',')), p) <= g) out += line + '\n';
    header = false;
  }
  moo::io::write_atomically(p, out);
}

inline void append_line(const std::filesystem::path& p, const std::string& text) {
  std::ofstream os(p, std::ios::app | std::ios::binary);
  os << text << '\n';
  if (!os) throw moo::io_error(moo::detail::message("search_report: cannot append to '", p.string(), "'"));
}

inline std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace detail

struct search_report {
  std::filesystem::path out;       // output folder (created)
  std::vector<std::string> names;  // objective names, in order (problem.names())
  bool print = true;               // a progress line per generation on stdout
  bool plot = true;                // front.png by gnuplot, when installed
  // Internal bookkeeping (ids already in history.csv, generations plotted); leave as is.
  std::set<std::string> seen_ = {};
  std::size_t generations_ = 0;
  int gnuplot_ = -1;  // -1 unknown, 0 absent, 1 present (looked up once)

  template <class State>
  void on_start(const State& s, const moo::run_info& info) {
    std::filesystem::create_directories(out);
    if (info.resumed) {
      detail::trim_csv(out / "history.csv", s.generation());
      detail::trim_csv(out / "rejected.csv", s.generation());
      trim_fronts(s.generation());
      std::ifstream h(out / "history.csv");
      std::string line;
      std::getline(h, line);
      while (std::getline(h, line)) {
        const auto a = line.find(','), b = line.find(',', a + 1);
        if (a != std::string::npos) seen_.insert(line.substr(a + 1, b - a - 1));
      }
    } else {
      std::string header = "generation,id,parent,operator";
      for (const auto& n : names) header += "," + n;
      moo::io::write_atomically(out / "history.csv", header + ",epochs\n");
      moo::io::write_atomically(out / "rejected.csv", "generation,id,parent,operator,reason\n");
      moo::io::write_atomically(out / "fronts.dat", "");
      record(s, info);
    }
  }
  template <class State>
  void on_generation(const State& s, const moo::run_info& info) {
    record(s, info);
  }
  template <class State>
  void on_rejected(const State& s, const candidate& c, const std::string& why) {
    std::filesystem::create_directories(out);
    detail::append_line(out / "rejected.csv",
                        moo::detail::message(s.generation() + (s.initialized() ? 1 : 0), ",", hex_id(c.id), ",",
                                             hex_id(c.parent), ",", c.op, ",", detail::csv_quote(why)));
    if (print) std::printf("  rejected %s: %s\n", hex_id(c.id).c_str(), why.c_str());
  }

 private:
  template <class State>
  void record(const State& s, const moo::run_info& info) {
    const auto& g = s.genomes();
    const auto& f = s.objectives();
    const std::size_t err = detail::column_of(names, "error", 0);
    const std::size_t par = detail::column_of(names, "params", f.cols() > 1 ? 1 : 0);
    // New members of the front, in population order.
    for (std::size_t i = 0; i < g.size(); ++i) {
      const std::string id = hex_id(g[i].id);
      if (!seen_.insert(id).second) continue;
      std::string line = moo::detail::message(s.generation(), ",", id, ",", hex_id(g[i].parent), ",", g[i].op);
      for (std::size_t j = 0; j < f.cols(); ++j) line += moo::detail::message(",", f(i, j));
      detail::append_line(out / "history.csv", line + moo::detail::message(",", g[i].epochs));
    }
    // This generation's front as a gnuplot data block (sorted by size).
    std::vector<std::size_t> order(g.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return f(a, par) < f(b, par); });
    std::string block = moo::detail::message("# generation ", s.generation(), "\n");
    for (auto i : order) block += moo::detail::message(f(i, par), " ", f(i, err), "\n");
    detail::append_line(out / "fronts.dat", block + "\n");
    generations_ = s.generation();
    if (plot) draw();
    if (print) {
      std::size_t best = 0, small = 0;
      for (std::size_t i = 1; i < g.size(); ++i) {
        if (f(i, err) < f(best, err)) best = i;
        if (f(i, par) < f(small, par)) small = i;
      }
      const double left = moo::detail::estimate_remaining(info);
      std::printf("gen %3zu | front %3zu | best error %.4f (%.0f params) | smallest %.0f params (error %.4f) | "
                  "trained %zu, rejected %zu | %.0f s",
                  s.generation(), g.size(), f(best, err), f(best, par), f(small, par), f(small, err), s.evaluations(),
                  s.rejected(), info.elapsed_seconds);
      if (left >= 0) std::printf(", ~%.0f s left", left);
      std::printf("\n");
      std::fflush(stdout);
    }
  }

  void trim_fronts(std::size_t g) {
    std::ifstream in(out / "fronts.dat");
    std::string text, line;
    bool keep = true;
    while (std::getline(in, line)) {
      if (line.rfind("# generation ", 0) == 0) keep = detail::generation_of(line.substr(13), out / "fronts.dat") <= g;
      if (keep) text += line + '\n';
    }
    moo::io::write_atomically(out / "fronts.dat", text);
    generations_ = g;
  }

  void draw() {
    if (gnuplot_ < 0) gnuplot_ = detail::have_tool("gnuplot") ? 1 : 0;
    if (gnuplot_ == 0) return;
    std::ostringstream gp;
    gp << "set terminal pngcairo size 900,600 noenhanced\nset output '" << (out / "front.png").string() << "'\n"
       << "set logscale x\nset xlabel 'parameters'\nset ylabel 'validation error'\nset key outside right\n"
       << "set title 'Pareto front per generation'\nset palette defined (0 '#c6dbef', 1 '#08306b')\nunset colorbox\n"
       << "N = " << generations_ << "\n"
       << "plot for [i=0:N] '" << (out / "fronts.dat").string()
       << "' index i using 1:2 with steps lw (i == N ? 3 : 1) lc palette frac (N > 0 ? i / (1.0 * N) : 1) "
          "title (i == N || i == 0 ? sprintf('gen %d', i) : '')\n";
    moo::io::write_atomically(out / "front.gp", gp.str());
    const std::string cmd = "gnuplot '" + (out / "front.gp").string() + "' 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "search_report: gnuplot failed on %s\n", cmd.c_str());
  }
};

// Settings of export_front.
struct export_options {
  std::size_t latency_batch = 1;           // images per timed forward pass
  train::latency_options latency = {};     // warm-up and repeats
  bool drawings = true;                    // SVG drawings by Graphviz's `dot`, when installed
};

// Writes the final front of a search into `out` (see the file comment); `test` may be null (no test
// error). Returns the test error of each front network (NaN without a test set), in result order.
inline std::vector<double> export_front(const std::filesystem::path& out, const moo::result<candidate>& res,
                                        const std::vector<std::string>& names, const train::dataset* test,
                                        const export_options& o = {}) {
  std::filesystem::create_directories(out / "nets");
  const auto& g = res.genomes;
  const auto& f = res.objectives;
  const bool dot = o.drawings && detail::have_tool("dot");
  std::vector<double> test_error(g.size(), std::numeric_limits<double>::quiet_NaN());
  std::string csv = "id,parent,operator";
  for (const auto& n : names) csv += ",val_" + n;
  csv += ",test_error,latency_ms,batch,params,macs,epochs\n";
  std::string json = "[\n";
  std::string rows;
  for (std::size_t i = 0; i < g.size(); ++i) {
    const auto& c = g[i];
    auto net = c.net.compile();
    if (test != nullptr) test_error[i] = train::evaluate(net, *test).error();
    const auto& s = c.net.input_shape();
    const double ms = 1e3 * train::measure_latency(net, {o.latency_batch, s[0], s[1], s[2]}, o.latency).median;
    const std::string id = hex_id(c.id);
    graph::save(c.net, out / "nets" / (id + ".json"), out / "nets" / (id + ".weights"));
    moo::io::write_atomically(out / "nets" / (id + ".dot"), graph::to_dot(c.net));
    if (dot) {
      const std::string cmd = "dot -Tsvg '" + (out / "nets" / (id + ".dot")).string() + "' -o '" +
                              (out / "nets" / (id + ".svg")).string() + "' 2>/dev/null";
      if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "export_front: dot failed for %s\n", id.c_str());
    }
    csv += moo::detail::message(id, ",", hex_id(c.parent), ",", c.op);
    json += moo::detail::message("  {\"id\":\"", id, "\",\"parent\":\"", hex_id(c.parent), "\",\"operator\":\"", c.op, "\"");
    for (std::size_t j = 0; j < names.size(); ++j) {
      csv += moo::detail::message(",", f(i, j));
      json += moo::detail::message(",\"val_", names[j], "\":", f(i, j));
    }
    const std::string te = test != nullptr ? moo::detail::message(test_error[i]) : std::string("");
    csv += moo::detail::message(",", te, ",", ms, ",", o.latency_batch, ",", c.net.parameter_count(), ",", c.net.macs(),
                                ",", c.epochs, "\n");
    json += moo::detail::message(",\"test_error\":", test != nullptr ? te : std::string("null"), ",\"latency_ms\":", ms,
                                 ",\"batch\":", o.latency_batch, ",\"params\":", c.net.parameter_count(),
                                 ",\"macs\":", c.net.macs(), ",\"epochs\":", c.epochs, "}",
                                 i + 1 < g.size() ? ",\n" : "\n");
    rows += moo::detail::message("<tr><td>", id, "</td><td>", hex_id(c.parent), "</td><td>", c.op, "</td><td>",
                                 f(i, 0), "</td><td>", te, "</td><td>", c.net.parameter_count(), "</td><td>",
                                 c.net.macs(), "</td><td>", ms, "</td><td><a href=\"nets/", id,
                                 dot ? ".svg\">drawing" : ".dot\">graph", "</a></td></tr>\n");
  }
  json += "]\n";
  moo::io::write_atomically(out / "front.csv", csv);
  moo::io::write_atomically(out / "front.json", json);
  const std::string html =
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Architecture search front</title>\n"
      "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
      "padding:4px 8px;text-align:right}</style></head><body>\n<h1>Pareto front</h1>\n"
      "<p><img src=\"front.png\" alt=\"front per generation (needs gnuplot)\"></p>\n"
      "<p>Files: <a href=\"front.csv\">front.csv</a>, <a href=\"front.json\">front.json</a>, "
      "<a href=\"history.csv\">history.csv</a>, <a href=\"rejected.csv\">rejected.csv</a>, "
      "<a href=\"log.jsonl\">log.jsonl</a></p>\n<table><tr><th>id</th><th>parent</th><th>operator</th>"
      "<th>validation " + (names.empty() ? std::string("objective") : names[0]) + "</th><th>test error</th>"
      "<th>params</th><th>MACs</th><th>latency ms (batch " + std::to_string(o.latency_batch) + ")</th><th>network</th></tr>\n" +
      rows + "</table></body></html>\n";
  moo::io::write_atomically(out / "index.html", html);
  return test_error;
}

}  // namespace nas
