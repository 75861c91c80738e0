// Callbacks detected at compile time, the terminal progress display and the JSON-lines log.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "algorithm/run_support.hpp"
#include "moo/algorithm/callbacks.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/algorithm/progress.hpp"
#include "moo/indicators/hypervolume.hpp"
#include "moo/io/file.hpp"
#include "moo/problems/zdt.hpp"

namespace {

using state_t = decltype(moo::nsga2{}.start(moo::zdt1{}.space()));

// Counts hook calls, one hook per form (with and without run_info).
struct counts {
  int start = 0, generation = 0, end = 0;
  bool resumed = false;
  double last_elapsed = -1;
  void on_start(const state_t&, const moo::run_info& info) {
    ++start;
    resumed = info.resumed;
  }
  void on_generation(const state_t& s) { generation = static_cast<int>(s.generation()); }
  void on_end(const state_t&, const moo::run_info& info) {
    ++end;
    last_elapsed = info.elapsed_seconds;
  }
};

struct no_hooks {
  void on_something(const state_t&) {}
};

// Splits a file into lines.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream is(text);
  for (std::string line; std::getline(is, line);) out.push_back(line);
  return out;
}

// The number after "key": in a JSON line.
double number_after(const std::string& line, const std::string& key) {
  const auto pos = line.find("\"" + key + "\":");
  REQUIRE(pos != std::string::npos);
  return std::stod(line.substr(pos + key.size() + 3));
}

// The line without its elapsed time (which differs between runs).
std::string without_elapsed(const std::string& line) {
  const auto a = line.find(",\"elapsed_seconds\":");
  const auto b = line.find(",\"min\":");
  return line.substr(0, a) + line.substr(b);
}

}  // namespace

static_assert(moo::callback<counts, state_t>);
static_assert(moo::callback<moo::progress_display, state_t>);
static_assert(moo::callback<moo::jsonl_log, state_t>);
static_assert(!moo::callback<no_hooks, state_t>);
static_assert(!moo::callback<int, state_t>);

TEST_CASE("hooks with and without run_info are called: start once, every generation, end once") {
  counts c;
  const auto res = moo::nsga2{{.population = 10, .generations = 6, .seed = 1}}.run(moo::zdt1{}, c);
  CHECK(c.start == 1);
  CHECK(c.generation == 6);
  CHECK(c.end == 1);
  CHECK_FALSE(c.resumed);
  CHECK(c.last_elapsed >= 0.0);
  CHECK(res.generations == 6);
}

TEST_CASE("every callback sees the generation even when an earlier one asks to stop") {
  struct stop_now {
    bool on_generation(const state_t&, const moo::run_info&) const { return false; }
  };
  counts c;
  const auto res = moo::nsga2{{.population = 10, .generations = 6, .seed = 1}}.run(moo::zdt1{}, stop_now{}, c);
  CHECK(res.generations == 1);
  CHECK(c.generation == 1);
  CHECK(c.end == 1);
}

TEST_CASE("progress display: silent when the stream is not a terminal, one line per draw when forced") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  moo::nsga2{{.population = 10, .generations = 5, .seed = 1}}.run(
      moo::zdt1{}, moo::progress_display{.reference = {11, 11}, .stream = f});
  CHECK(std::ftell(f) == 0);

  moo::nsga2{{.population = 10, .generations = 4, .seed = 1}}.run(
      moo::zdt1{}, moo::progress_display{.reference = {11, 11}, .stream = f, .every = 2, .force = true});
  std::rewind(f);
  std::string text;
  for (int ch; (ch = std::fgetc(f)) != EOF;) text.push_back(static_cast<char>(ch));
  std::fclose(f);
  const auto lines = lines_of(text);
  REQUIRE(lines.size() == 4);  // start, generations 2 and 4, end
  CHECK(lines[0].find("generation 0  evaluations 10  hypervolume ") == 0);
  CHECK(lines[1].find("generation 2  evaluations 30") == 0);
  CHECK(lines[3].find("generation 4  evaluations 50") == 0);
  CHECK(lines[1].find("elapsed ") != std::string::npos);
  CHECK(lines[1].find("ETA ") != std::string::npos);
  CHECK(text.find('\r') == std::string::npos);
}

TEST_CASE("progress display formats durations and estimates the remaining time") {
  CHECK(moo::detail::format_duration(4.25) == "4.2s");
  CHECK(moo::detail::format_duration(185) == "3m05s");
  CHECK(moo::detail::format_duration(7500) == "2h05m");
  CHECK(moo::detail::estimate_remaining({.elapsed_seconds = 10, .fraction_done = 0.25}) == doctest::Approx(30));
  CHECK(moo::detail::estimate_remaining({.elapsed_seconds = 10, .fraction_done = 0}) < 0);
}

TEST_CASE("JSON-lines log: one line per generation with counters, hypervolume, front size and bounds") {
  const std::uint64_t seed = 3;
  MESSAGE("seed " << seed);
  run_test::temp_dir dir("jsonl");
  const auto path = dir / "run.jsonl";
  struct last_state {
    moo::matrix* f;
    std::vector<std::size_t>* rank;
    void on_end(const state_t& s) {
      *f = s.objectives();
      *rank = s.ranking().rank;
    }
  };
  moo::matrix f;
  std::vector<std::size_t> rank;
  moo::nsga2{{.population = 12, .generations = 8, .seed = seed}}.run(
      moo::zdt1{}, moo::jsonl_log{.path = path, .reference = {11, 11}}, last_state{&f, &rank});
  const auto lines = lines_of(moo::io::read_file(path));
  REQUIRE(lines.size() == 9);
  for (std::size_t g = 0; g < lines.size(); ++g) {
    CHECK(number_after(lines[g], "generation") == g);
    CHECK(number_after(lines[g], "evaluations") == 12 * (g + 1));
    CHECK(number_after(lines[g], "elapsed_seconds") >= 0);
  }
  const auto& last = lines.back();
  CHECK(number_after(last, "hypervolume") == moo::hypervolume(f, std::vector<double>{11, 11}));
  std::size_t front = 0;
  double min0 = 1e300, max1 = -1e300;
  for (std::size_t i = 0; i < rank.size(); ++i)
    if (rank[i] == 0) {
      ++front;
      min0 = std::min(min0, f(i, 0));
      max1 = std::max(max1, f(i, 1));
    }
  CHECK(number_after(last, "front_size") == front);
  CHECK(std::stod(last.substr(last.find("\"min\":[") + 7)) == min0);
  const auto max_list = last.substr(last.find("\"max\":[") + 7);
  CHECK(std::stod(max_list.substr(max_list.find(',') + 1)) == max1);

  // A run without a reference point has no hypervolume; every=3 logs 0, 3, 6 and the last generation 8.
  moo::nsga2{{.population = 12, .generations = 8, .seed = seed}}.run(moo::zdt1{}, moo::jsonl_log{.path = path, .reference = {}, .every = 3});
  const auto sparse = lines_of(moo::io::read_file(path));
  REQUIRE(sparse.size() == 4);
  CHECK(sparse[0].find("hypervolume") == std::string::npos);
  CHECK(number_after(sparse[3], "generation") == 8);
}

TEST_CASE("JSON-lines log of a resumed run matches the uninterrupted log, without repeated generations") {
  const std::uint64_t seed = 8;
  MESSAGE("seed " << seed);
  run_test::temp_dir dir("jsonl_resume");
  const moo::nsga2 algo{{.population = 10, .generations = 12, .seed = seed}};
  algo.run(moo::zdt1{}, moo::jsonl_log{.path = dir / "full.jsonl", .reference = {11, 11}});
  const moo::checkpoint ck{.path = dir / "run.ckpt", .every = 4};
  const moo::jsonl_log log{.path = dir / "part.jsonl", .reference = {11, 11}};
  struct crash {
    void on_generation(const state_t& s) const {
      if (s.generation() == 10) throw std::runtime_error("killed");
    }
  };
  CHECK_THROWS(algo.run(moo::zdt1{}, log, ck, crash{}));
  CHECK(lines_of(moo::io::read_file(log.path)).size() == 11);  // generations 0..10 reached the log
  counts c;
  algo.resume(ck.path, moo::zdt1{}, log, ck, c);
  CHECK(c.resumed);
  const auto full = lines_of(moo::io::read_file(dir / "full.jsonl"));
  const auto part = lines_of(moo::io::read_file(log.path));
  REQUIRE(part.size() == full.size());
  for (std::size_t i = 0; i < full.size(); ++i) CHECK(without_elapsed(part[i]) == without_elapsed(full[i]));
  CHECK(moo::jsonl_log::generation_of("{\"generation\":42,\"x\":1}") == 42);
  CHECK(moo::jsonl_log::generation_of("{\"gener") == -1);
}
