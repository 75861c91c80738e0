// Fuzz target: the readers of a search's output folder (nas/search/report.hpp). A resumed run's
// search_report reads history.csv, rejected.csv and fronts.dat left by the interrupted run and trims
// them back to the checkpoint's generation. The first input byte is that generation (mod 8); the rest
// is the three files' contents in that order, separated by NUL bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common.hpp"
#include "nas/search/report.hpp"

namespace {

// A search state as search_report sees it; resuming reads only the generation.
struct resumed_state {
  std::size_t g;
  std::vector<nas::candidate> none = {};
  moo::matrix empty = {};
  std::size_t generation() const { return g; }
  const std::vector<nas::candidate>& genomes() const { return none; }
  const moo::matrix& objectives() const { return empty; }
  std::size_t evaluations() const { return 0; }
  std::size_t rejected() const { return 0; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto& dir = fuzz::scratch_dir("report");
  auto [history, rest] = fuzz::split_nul(fuzz::bytes(data + 1, size - 1));
  auto [rejected, fronts] = fuzz::split_nul(rest);
  fuzz::write_file(dir / "history.csv", history);
  fuzz::write_file(dir / "rejected.csv", rejected);
  fuzz::write_file(dir / "fronts.dat", fronts);
  nas::search_report report{.out = dir, .names = {"error", "params"}, .print = false, .plot = false};
  try {
    report.on_start(resumed_state{data[0] % 8u}, moo::run_info{.resumed = true});
  } catch (const moo::error&) {
  }
  return 0;
}
