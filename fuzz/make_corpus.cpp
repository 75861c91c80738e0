// Writes the seed corpora of the fuzz targets, made by the library's own writers: checkpoints of NSGA-II,
// MOEA/D and a tiny LEMONADE search at several points of a run, architectures (graph JSON + weights),
// IDX files raw and gzip-compressed, the files a search report leaves behind, saved super-networks and
// measurement caches, MODNAS search checkpoints and hypernetworks; plus a few edge cases.
// Usage: make_corpus <corpus-dir> [group...]   (fuzz/run.sh does not need it: the corpus is committed)
// Groups: nsga2 moead graph idx lemonade (checkpoint_lemonade and report) supernet measurement_cache
// modnas; all by default.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <span>
#include <string>
#include <vector>

#include "common.hpp"
#include "lemonade_setup.hpp"
#include "moo/algorithm/moead.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/algorithm/termination.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/io/checkpoint.hpp"
#include "moo/problems/dtlz.hpp"
#include "moo/problems/zdt.hpp"
#include "nas/graph/serialize.hpp"
#include "nas/search/report.hpp"
#include "nas/supernet/cache.hpp"
#include "nas/supernet/serialize.hpp"
#include "supernet_setup.hpp"
#include "modnas_setup.hpp"
#include "nas/modnas/hypernetwork.hpp"

namespace fs = std::filesystem;
namespace nt = nas::train;

namespace {

fs::path root;

void put(const std::string& target, const std::string& name, std::string_view content) {
  fs::create_directories(root / target);
  fuzz::write_file(root / target / name, content);
  std::printf("%s/%s: %zu bytes\n", target.c_str(), name.c_str(), content.size());
}

std::string read(const fs::path& p) { return moo::io::read_file(p); }

std::string gzip(std::string_view s) {
  const auto tmp = fs::temp_directory_path() / "moo_make_corpus.gz";
  gzFile f = gzopen(tmp.c_str(), "wb9");
  gzwrite(f, s.data(), static_cast<unsigned>(s.size()));
  gzclose(f);
  std::string out = read(tmp);
  fs::remove(tmp);
  return out;
}

// A header-only checkpoint (no payload) and other edge cases common to the checkpoint targets.
void checkpoint_edges(const std::string& target, const std::string& good) {
  put(target, "edge_empty.ckpt", "");
  put(target, "edge_header_only.ckpt", good.substr(0, moo::io::checkpoint_header_size));
  put(target, "edge_truncated.ckpt", good.substr(0, good.size() / 2));
}

template <class State, class Problem, class... Extra>
void checkpoints_of_run(const std::string& target, State state, const Problem& problem, Extra&... extra) {
  moo::sequential_executor ex;
  put(target, "fresh.ckpt", moo::io::encode_checkpoint(state, extra...));
  (void)state.ask();
  put(target, "asked.ckpt", moo::io::encode_checkpoint(state, extra...));
  std::string last;
  for (int g = 0; g < 3; ++g) {
    const auto& batch = state.ask();
    state.tell(ex.evaluate(problem, std::span<const typename State::genome_type>(batch)));
    ([&] { if constexpr (requires { extra.done(state, moo::run_info{}); }) (void)extra.done(state, moo::run_info{}); }(), ...);
    last = moo::io::encode_checkpoint(state, extra...);
    if (g == 0 || g == 2) put(target, "gen" + std::to_string(g + 1) + ".ckpt", last);
  }
  (void)state.ask();
  put(target, "gen3_asked.ckpt", moo::io::encode_checkpoint(state, extra...));
  checkpoint_edges(target, last);
}

void nsga2_corpus() {
  const moo::zdt1 problem{4};
  auto stag = moo::hypervolume_stagnation{.reference = {11, 11}, .generations = 3, .tolerance = 1e-3};
  checkpoints_of_run("checkpoint_nsga2", moo::nsga2{{.population = 8, .seed = 1}}.start(problem), problem, stag);
}

void moead_corpus() {
  const moo::dtlz2 problem{3, 2};
  checkpoints_of_run("checkpoint_moead", moo::moead<>{{.population = 15, .seed = 1}}.start(problem), problem);
}

// Checkpoints of the tiny LEMONADE search after the starting networks and after one generation, one
// taken between ask and tell (children pending, approximate ones with their teacher); the search report's
// files of the same run for the report target.
void lemonade_corpus() {
  nt::set_num_threads(1);
  const auto search = fuzz::lemonade_search();
  const auto problem = search.problem(fuzz::lemonade_data());
  const auto dir = fs::temp_directory_path() / "moo_make_corpus_lemonade";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const moo::checkpoint ck{.path = dir / "run.ckpt", .every = 1};
  nas::search_report report{.out = dir / "report", .names = problem.names(), .print = false, .plot = false};
  (void)search.run(problem, moo::max_generations{0}, ck, report);
  const std::string gen0 = read(ck.path);
  put("checkpoint_lemonade", "gen0.ckpt", gen0);
  moo::sequential_executor ex;
  (void)search.resume_on(ck.path, ex, problem, moo::max_generations{2}, ck, report);
  const std::string gen2 = read(ck.path);
  put("checkpoint_lemonade", "gen2.ckpt", gen2);
  auto state = search.evolver().start(problem);
  moo::io::decode_checkpoint(gen2, "gen2", state);
  (void)state.ask();
  bool teacher = false;
  for (const auto& c : state.pending()) teacher = teacher || c.teacher.has_value();
  std::printf("lemonade: %zu pending children, %s with a teacher\n", state.pending().size(), teacher ? "some" : "none");
  put("checkpoint_lemonade", "gen2_asked.ckpt", moo::io::encode_checkpoint(state));
  put("checkpoint_lemonade", "edge_header_only.ckpt", gen0.substr(0, moo::io::checkpoint_header_size));

  const std::string history = read(dir / "report" / "history.csv"), rejected = read(dir / "report" / "rejected.csv"),
                    fronts = read(dir / "report" / "fronts.dat");
  auto report_input = [&](char g, std::string_view h, std::string_view r, std::string_view f) {
    std::string s(1, g);
    s += h;
    s += '\0';
    s += r;
    s += '\0';
    s += f;
    return s;
  };
  put("report", "run_g1.bin", report_input(1, history, rejected, fronts));
  put("report", "run_g0.bin", report_input(0, history, rejected, fronts));
  put("report", "rejected_quoted.bin",
      report_input(2, history, "generation,id,parent,operator,reason\n1,0000002a,00000007,widen_conv,\"diverged, \"\"nan\"\"\"\n",
                   fronts));
  put("report", "edge_empty.bin", std::string(1, '\0'));
  put("report", "edge_headers_only.bin",
      report_input(3, "generation,id,parent,operator,params,macs,epochs\n", "generation,id,parent,operator,reason\n", ""));
  fs::remove_all(dir);
}

// Graph JSON, a NUL byte, the weights.
std::string graph_input(const nas::graph::architecture& a) {
  std::string s = nas::graph::to_json(a);
  s += '\0';
  s += nas::graph::weights_to_bytes(a);
  return s;
}

void graph_corpus() {
  moo::rng r(5);
  const nas::network_space space(fuzz::lemonade_tiny().space);
  const auto trivial = space.trivial(2, 1, r);
  put("graph", "trivial.bin", graph_input(trivial));
  put("graph", "trivial_json_only.json", nas::graph::to_json(trivial));

  // Every layer kind the format knows, with branches and merges.
  using namespace nas::train;
  nas::graph::architecture a({2, 6, 6});
  const auto in = a.input();
  const auto c1 = a.add(conv2d({.in_channels = 2, .out_channels = 4, .kernel = 3, .padding = 1, .groups = 2, .name = "stem"}, r), {in}, "c1");
  const auto bn = a.add(batch_norm({.channels = 4, .eps = 1e-3f, .momentum = 0.2f}), {c1}, "bn");
  const auto re = a.add(relu{}, {bn}, "re");
  const auto id = a.add(identity{}, {re}, "id");
  const auto mp = a.add(max_pool2d({.kernel = 2, .stride = 2}), {re}, "mp");
  const auto ap = a.add(avg_pool2d({.kernel = 3, .stride = 2, .padding = 1, .count_include_pad = false}), {id}, "ap");
  const auto ad = a.add(add{}, {mp, ap}, "sum");
  const auto ct = a.add(concat{}, {ad, mp}, "cat");
  const auto c2 = a.add(conv2d({.in_channels = 8, .out_channels = 8, .kernel = 1, .bias = false}, r), {ct}, "c2");
  const auto cm = a.add(nas::graph::convex_merge({.alpha = 0.5f}), {c2, ct}, "merge");
  const auto gp = a.add(global_avg_pool{}, {cm}, "gap");
  const auto fc = a.add(linear({.in_features = 8, .out_features = 3}, r), {gp}, "fc \"head\"");
  a.set_output(fc);
  put("graph", "all_kinds.bin", graph_input(a));
  put("graph", "all_kinds_json_only.json", nas::graph::to_json(a));
  put("graph", "edge_weights_empty.bin", nas::graph::to_json(trivial) + std::string(1, '\0'));
  put("graph", "edge_not_json.bin", std::string("{\"format\": \"moo-nas-architecture\", \"version\": 1, \"nodes\": [") +
                                        std::string(1, '\0') + "MOONASWT");
}

// IDX bytes: magic (0x0000080r), dimensions big-endian, then the bytes.
std::string idx(std::vector<std::uint32_t> dims, std::uint8_t fill_mod) {
  std::string s = {0, 0, 8, static_cast<char>(dims.size())};
  std::size_t n = 1;
  for (auto d : dims) {
    for (int k = 3; k >= 0; --k) s += static_cast<char>((d >> (8 * k)) & 0xFF);
    n *= d;
  }
  for (std::size_t i = 0; i < n; ++i) s += static_cast<char>((i * 37) % fill_mod);
  return s;
}

void idx_corpus() {
  const std::string images = idx({3, 4, 5}, 251), labels = idx({3}, 10);
  auto with_mode = [](char mode, std::string_view body) { return std::string(1, mode) + std::string(body); };
  auto pair = [&](char mode, std::string_view im, std::string_view lb) {
    std::string s(1, mode);
    s += static_cast<char>(im.size() & 0xFF);
    s += static_cast<char>((im.size() >> 8) & 0xFF);
    s += im;
    s += lb;
    return s;
  };
  put("idx", "images_raw.bin", with_mode(0, images));
  put("idx", "images_gz.bin", with_mode(0, gzip(images)));       // the gzip stream itself is mutated
  put("idx", "images_compress.bin", with_mode(1, images));       // the harness compresses
  put("idx", "labels_raw.bin", with_mode(4, labels));
  put("idx", "labels_gz.bin", with_mode(4, gzip(labels)));
  put("idx", "pair_raw.bin", pair(2, images, labels));
  put("idx", "pair_compress.bin", pair(3, images, labels));
  put("idx", "pair_gz.bin", pair(2, gzip(images), gzip(labels)));
  put("idx", "edge_empty_dims.bin", with_mode(0, idx({0, 28, 28}, 1)));
  put("idx", "edge_big_header.bin", with_mode(0, idx({0, 0, 0}, 1).substr(0, 4) + std::string("\x00\x00\xea\x60\x00\x00\x00\x1c\x00\x00\x00\x1c", 12)));
  put("idx", "edge_trailing.bin", with_mode(4, labels + "xyz"));
  put("idx", "edge_gz_truncated.bin", with_mode(0, gzip(images).substr(0, gzip(images).size() - 4)));
}

// Saved super-networks: the tiny one of the targets (its running statistics changed, so they are not
// all 0 and 1), a one-stage one with a single kernel and width, and edge cases (empty, header only,
// truncated, a wrong CRC, bytes after the CRC, invalid options with a valid CRC).
void supernet_corpus() {
  nas::supernet tiny(fuzz::supernet_tiny(), 1);
  for (auto& [name, values] : tiny.state())
    if (name.find("running") != std::string::npos)
      for (std::size_t i = 0; i < values.size(); ++i) values[i] += 0.125f * static_cast<float>(i + 1);
  const std::string good = nas::supernet_to_bytes(tiny);
  put("supernet", "tiny.bin", good);
  nas::supernet one({.input = {1, 2, 2}, .classes = 2, .stem_channels = 1, .stem_pool = false, .stage_channels = {1},
                     .min_depth = 1, .max_depth = 1, .kernels = {1}, .widths = {1.0}},
                    2);
  const std::string small = nas::supernet_to_bytes(one);
  put("supernet", "one_stage.bin", small);
  put("supernet", "edge_empty.bin", "");
  put("supernet", "edge_header_only.bin", good.substr(0, 12));
  put("supernet", "edge_truncated.bin", good.substr(0, good.size() / 2));
  std::string bad_crc = small;
  bad_crc.back() = static_cast<char>(bad_crc.back() ^ 0x5a);
  put("supernet", "edge_bad_crc.bin", bad_crc);
  put("supernet", "edge_trailing.bin", small + "xyz");
  // kernels {2} (even): offset of the first kernel in one_stage's header (magic, version, input, classes,
  // stem, pool, stage count, one stage, min and max depth, kernel count).
  std::string even = small;
  fuzz::put_le(even, 8 + 4 + 24 + 8 + 8 + 1 + 8 + 8 + 8 + 8 + 8, 2, 8);
  fuzz::put_le(even, even.size() - 4, moo::io::codec::crc32(std::string_view(even).substr(0, even.size() - 4)), 4);
  put("supernet", "edge_even_kernel.bin", even);
}

// Measurement caches of the targets' super-network and context (as the cache itself writes them): only
// the header, a few measurements (with and without latency, one configuration twice), and caches written
// for another super-network or another context; plus an empty file and a line that does not parse.
void measurement_cache_corpus() {
  const nas::supernet net(fuzz::supernet_tiny(), 1);
  const auto tmp = fs::temp_directory_path() / "moo_make_corpus_cache.csv";
  auto cache_file = [&](const nas::supernet& n, const char* context, auto&& fill) {
    fs::remove(tmp);
    {
      nas::measurement_cache c(tmp, n, context);
      fill(c);
    }
    std::string s = read(tmp);
    fs::remove(tmp);
    return s;
  };
  auto m = [&](const moo::integer_genome& x, double error, double latency, std::size_t batch, std::size_t threads) {
    return nas::measurement{.error = error, .latency = latency, .macs = net.macs(x), .params = net.parameter_count(x),
                            .latency_batch = batch, .latency_threads = threads};
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  put("measurement_cache", "header_only.csv", cache_file(net, fuzz::cache_context, [](auto&) {}));
  moo::rng r(3);
  const auto mid = net.random(r);
  const std::string four = cache_file(net, fuzz::cache_context, [&](nas::measurement_cache& c) {
    c.insert(net.smallest(), m(net.smallest(), 0.4375, 2.5e-5, 1, 1));
    c.insert(net.largest(), m(net.largest(), 0.1, nan, 0, 0));
    c.insert(mid, m(mid, 1.0 / 3.0, 1.25e-4, 8, 2));
    c.insert(mid, m(mid, 1.0 / 3.0, 3.0e-5, 1, 1));
  });
  put("measurement_cache", "four_lines.csv", four);
  const nas::supernet other({.input = {1, 2, 2}, .classes = 2, .stem_channels = 1, .stem_pool = false,
                             .stage_channels = {1}, .min_depth = 1, .max_depth = 1, .kernels = {1}, .widths = {1.0}},
                            2);
  put("measurement_cache", "other_supernet.csv", cache_file(other, fuzz::cache_context, [&](nas::measurement_cache& c) {
        c.insert(other.largest(), {.error = 0.5, .latency = 1e-6, .macs = 8, .params = 9, .latency_batch = 1, .latency_threads = 1});
      }));
  put("measurement_cache", "other_context.csv", cache_file(net, "calibration 20 batches of 128 seed 1", [&](nas::measurement_cache& c) {
        c.insert(net.smallest(), m(net.smallest(), 0.25, nan, 0, 0));
      }));
  put("measurement_cache", "edge_empty.csv", "");
  put("measurement_cache", "edge_bad_line.csv", four + "1,2,0,0,0,x,0.5,,1,2,0,0\n");
}

// The modnas target's input is one selector byte (even: checkpoint, odd: hypernetwork) and the file.
void modnas_corpus() {
  const auto dir = fs::temp_directory_path() / "moo_make_corpus_modnas";
  fs::create_directories(dir);
  auto s = fuzz::modnas_search();
  std::string first;
  for (int step = 0; step <= 3; ++step) {
    if (step > 0) s.step();
    s.save(dir / "ck");
    const std::string ck = read(dir / "ck");
    if (step == 0) first = ck;
    put("modnas", "checkpoint_step" + std::to_string(step) + ".bin", std::string(1, '\0') + ck);
  }
  put("modnas", "edge_checkpoint_truncated.bin", std::string(1, '\0') + first.substr(0, first.size() / 2));
  put("modnas", "edge_checkpoint_header.bin", std::string(1, '\0') + first.substr(0, 16));
  const std::string hb = nas::modnas::hypernetwork_to_bytes(s.hyper());
  put("modnas", "hypernetwork.bin", std::string(1, '\1') + hb);
  put("modnas", "hypernetwork_linear.bin",
      std::string(1, '\1') + nas::modnas::hypernetwork_to_bytes(nas::modnas::hypernetwork(
                                   {.objectives = 3, .device_features = 0, .hidden = {}, .edges = 2, .candidates = 2})));
  put("modnas", "edge_hypernetwork_truncated.bin", std::string(1, '\1') + hb.substr(0, hb.size() - 9));
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_corpus <corpus-dir> [group...]\n");
    return 2;
  }
  root = argv[1];
  const std::vector<std::string> groups(argv + 2, argv + argc);
  auto want = [&](const std::string& g) { return groups.empty() || std::find(groups.begin(), groups.end(), g) != groups.end(); };
  if (want("nsga2")) nsga2_corpus();
  if (want("moead")) moead_corpus();
  if (want("graph")) graph_corpus();
  if (want("idx")) idx_corpus();
  if (want("lemonade")) lemonade_corpus();
  if (want("supernet")) supernet_corpus();
  if (want("measurement_cache")) measurement_cache_corpus();
  if (want("modnas")) modnas_corpus();
  return 0;
}
