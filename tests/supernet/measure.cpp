// Training with weight sharing, batch-norm recalibration, measuring sub-networks, the measurement cache,
// the problem under moo's integer NSGA-II (also with concurrent evaluations), and save/load of the
// trained super-network, all on a tiny super-network and synthetic data.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "moo/algorithm/evolver.hpp"
#include "moo/algorithm/termination.hpp"
#include "moo/execution/thread_pool.hpp"
#include "moo/selection/nsga2.hpp"
#include "moo/selection/tournament.hpp"
#include "moo/variation/integer_variation.hpp"
#include "nas/supernet/cache.hpp"
#include "nas/supernet/measure.hpp"
#include "nas/supernet/problem.hpp"
#include "nas/supernet/serialize.hpp"
#include "nas/supernet/training.hpp"
#include "nas/train/parallel.hpp"
#include "support.hpp"

namespace {

constexpr std::uint64_t measure_seed = 7031;

nas::supernet_options small_options() {
  return {.input = {1, 8, 8}, .classes = 4, .stem_channels = 4, .stem_pool = true, .stage_channels = {6, 8},
          .min_depth = 1, .max_depth = 2, .kernels = {1, 3}, .widths = {0.5, 1.0}};
}

// Images of one seed share their class patterns: train and validation sets are split from one set.
nas::train::dataset synthetic(std::size_t n, std::uint64_t seed) {
  return nas::train::synthetic_dataset({.samples = n, .classes = 4, .height = 8, .width = 8, .noise = 0.4, .seed = seed});
}

// The bytes of every shared array, to check that measuring leaves them alone.
std::string shared_bytes(const nas::supernet& net) { return nas::supernet_weight_bytes(net); }

// One trained tiny super-network shared by the test cases (trained once, about half a second).
struct trained {
  std::pair<nas::train::dataset, nas::train::dataset> data = nas::train::split(synthetic(512, measure_seed), 0.25, measure_seed);
  nas::train::dataset& train = data.first;
  nas::train::dataset& val = data.second;
  nas::supernet net{small_options(), measure_seed};
  std::vector<nas::supernet_epoch> epochs;
  trained() {
    nas::train::set_num_threads(1);
    epochs = nas::train_supernet(net, train, {.epochs = 4, .batch_size = 32, .lr = 0.1, .threads = 1, .seed = measure_seed});
  }
};

trained& fixture() {
  static trained t;
  return t;
}

nas::measure_options quick_measure() {
  return {.calibration_batches = 4, .calibration_batch_size = 32, .latency_timing = {.warmup = 1, .repeats = 3}};
}

}  // namespace

TEST_CASE("sandwich training lowers the losses of the largest and the smallest sub-network") {
  std::printf("supernet measure seed %llu\n", static_cast<unsigned long long>(measure_seed));
  auto& t = fixture();
  REQUIRE(t.epochs.size() == 4);
  for (const auto& e : t.epochs)
    std::printf("epoch %zu: %zu steps, loss largest %.4f smallest %.4f, %.3f s\n", e.epoch, e.steps, e.loss_largest,
                e.loss_smallest, e.seconds);
  CHECK(t.epochs[0].steps == 12);
  CHECK(t.epochs.back().loss_largest < 0.8 * t.epochs.front().loss_largest);
  CHECK(t.epochs.back().loss_smallest < 0.9 * t.epochs.front().loss_smallest);
  // Fractional epochs stop part-way.
  nas::supernet other(small_options(), measure_seed);
  const auto half = nas::train_supernet(other, t.train, {.epochs = 0.5, .batch_size = 32, .seed = 2});
  CHECK(half.size() == 1);
  CHECK(half[0].steps == 6);
  CHECK_THROWS_AS(nas::train_supernet(other, nas::train::dataset{}, {}), moo::value_error);
}

TEST_CASE("recalibration sets the running statistics to the mean of the batch statistics") {
  // A network of one batch norm on 4 images of 1 channel: with batches of all 4 images the statistics
  // are the data's mean and unbiased variance, whatever the order.
  nas::train::dataset d;
  d.classes = 2;
  d.images = nas::train::zeros({4, 1, 1, 2});
  const float v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  std::copy(v, v + 8, d.images.begin());
  d.labels = {0, 1, 0, 1};
  auto net = nas::train::sequential(nas::train::batch_norm({.channels = 1}));
  nas::recalibrate(net, d, 3, 4, 1);
  const auto* bn = net.at(1).get_if<nas::train::batch_norm>();
  CHECK(bn->running_mean()[0] == doctest::Approx(4.5));
  CHECK(bn->running_var()[0] == doctest::Approx(6.0));  // sum of squared deviations 42 over 7
  CHECK(bn->options().momentum == doctest::Approx(0.1));  // the original layer is back
  CHECK(!net.training());
  // Batches of 2: the mean of the batch means is the data's mean (equal batch sizes).
  nas::recalibrate(net, d, 2, 2, 5);
  CHECK(net.at(1).get_if<nas::train::batch_norm>()->running_mean()[0] == doctest::Approx(4.5));
}

TEST_CASE("measure: error after recalibration on a copy, exact counts, latency with its settings") {
  auto& t = fixture();
  const std::string before = shared_bytes(t.net);
  const auto m = nas::measure(t.net, t.net.largest(), t.train, t.val, quick_measure());
  const auto s = nas::measure(t.net, t.net.smallest(), t.train, t.val, quick_measure());
  CHECK(shared_bytes(t.net) == before);  // recalibration touched only the extracted copies
  std::printf("largest: error %.4f latency %.1f us macs %zu params %zu; smallest: error %.4f latency %.1f us macs "
              "%zu params %zu\n", m.error, 1e6 * m.latency, m.macs, m.params, s.error, 1e6 * s.latency, s.macs, s.params);
  CHECK(m.error < 0.5);  // 4 classes: chance is 0.75
  CHECK(s.error < 0.75);
  CHECK(m.macs == t.net.macs(t.net.largest()));
  CHECK(m.params == t.net.parameter_count(t.net.largest()));
  CHECK(m.latency > 0.0);
  CHECK(m.latency_batch == 1);
  CHECK(m.latency_threads == 1);
  CHECK(s.macs < m.macs);
  const auto cheap = nas::count(t.net, t.net.smallest());
  CHECK(cheap.macs == s.macs);
  CHECK(cheap.params == s.params);
  // Deterministic: the same calibration batches give the same error.
  auto o = quick_measure();
  o.latency = false;
  const auto again = nas::measure(t.net, t.net.smallest(), t.train, t.val, o);
  CHECK(again.error == s.error);
  CHECK(std::isnan(again.latency));
}

TEST_CASE("the problem measures each canonical configuration once and keeps it in the CSV cache") {
  auto& t = fixture();
  test_support::temp_dir dir("supernet_cache");
  const auto path = dir / "measured.csv";
  const nas::supernet_problem_options o{.objectives = {"error", "latency", "macs", "params"}, .measure = quick_measure(),
                                        .cache = path};
  std::vector<double> first(4), second(4), third(4);
  const moo::integer_genome x{2, 1, 1, 0, 1, 1, 1, 0, 1, 1};  // stage 2 at depth 1: its block 2 genes are ignored
  const moo::integer_genome same{2, 1, 1, 0, 1, 1, 1, 0, 0, 0};
  {
    nas::supernet_problem p(t.net, t.train, t.val, o);
    p.evaluate(x, first);
    p.evaluate(same, second);
    CHECK(p.measured() == 1);
    CHECK(first == second);
    CHECK(first[2] == double(t.net.macs(x)));
    CHECK(first[3] == double(t.net.parameter_count(x)));
  }
  {
    nas::supernet_problem p(t.net, t.train, t.val, o);  // a new study reads the file
    p.evaluate(same, third);
    CHECK(p.measured() == 0);
    CHECK(third == first);  // bit for bit: the values are written exactly
  }
  {
    // Other latency settings do not reuse the latency; error-only objectives reuse any line.
    auto o2 = o;
    o2.measure.latency_batch = 4;
    nas::supernet_problem p(t.net, t.train, t.val, o2);
    p.evaluate(x, third);
    CHECK(p.measured() == 1);
    auto o3 = o;
    o3.objectives = {"error", "macs"};
    nas::supernet_problem q(t.net, t.train, t.val, o3);
    std::vector<double> two(2);
    q.evaluate(x, two);
    CHECK(q.measured() == 0);
    CHECK(two[0] == first[0]);
  }
  // A line that does not parse names the file and the line.
  const std::string good = moo::io::read_file(path);
  test_support::write_bytes(path, good + "2,1,1,0,1,1,1,0,0,0,0.5,x,1,2,1,1\n");
  auto message = test_support::error_of<moo::io_error>([&] { nas::supernet_problem p(t.net, t.train, t.val, o); });
  CHECK(message.find("measured.csv' line 7: latency 'x' is not a number") != std::string::npos);
  test_support::write_bytes(path, good + "2,1,1,0,1\n");
  message = test_support::error_of<moo::io_error>([&] { nas::supernet_problem p(t.net, t.train, t.val, o); });
  CHECK(message.find("line 7: 5 fields, expected 16") != std::string::npos);
  // A cache of another super-network, or of other measurements, is refused by name.
  test_support::write_bytes(path, good);
  nas::supernet other(small_options(), measure_seed + 1);
  message = test_support::error_of<moo::io_error>([&] { nas::supernet_problem p(other, t.train, t.val, o); });
  CHECK(message.find("line 3: written for other measurements") != std::string::npos);  // other weights
  auto wider = small_options();
  wider.stage_channels = {6, 10};
  nas::supernet wide(wider, measure_seed);
  message = test_support::error_of<moo::io_error>([&] { nas::supernet_problem p(wide, t.train, t.val, o); });
  CHECK(message.find("line 2: written for another super-network") != std::string::npos);
  CHECK(message.find("stages [6, 10]") != std::string::npos);
  CHECK(message.find("measured.csv") != std::string::npos);
  CHECK_THROWS_AS(nas::supernet_problem(t.net, t.train, t.val, {.objectives = {"error", "flops"}}), moo::value_error);
}

TEST_CASE("concurrent evaluations of one configuration measure it once") {
  auto& t = fixture();
  const nas::supernet_problem p(t.net, t.train, t.val, {.objectives = {"error", "latency"}, .measure = quick_measure()});
  const moo::integer_genome x = t.net.largest();
  std::vector<std::vector<double>> out(4, std::vector<double>(2));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < out.size(); ++i) threads.emplace_back([&, i] { p.evaluate(x, out[i]); });
  for (auto& th : threads) th.join();
  CHECK(p.measured() == 1);
  for (const auto& o : out) CHECK(o == out[0]);
}

TEST_CASE("integer NSGA-II runs on the problem directly, also with concurrent evaluations") {
  auto& t = fixture();
  const nas::supernet_problem p(t.net, t.train, t.val,
                                {.objectives = {"error", "latency"}, .measure = quick_measure()});
  using integer_nsga2 = moo::evolver<moo::integer_uniform_reset, moo::nsga2_survival, moo::binary_tournament>;
  const integer_nsga2 algo{{.population = 8, .generations = 3, .seed = measure_seed}};
  moo::thread_pool_executor ex({.threads = 2});
  const auto res = algo.run_on(ex, p);
  REQUIRE(res.genomes.size() == 8);
  for (std::size_t i = 0; i < res.genomes.size(); ++i) {
    CHECK(res.objectives(i, 0) >= 0.0);
    CHECK(res.objectives(i, 0) <= 1.0);
    CHECK(res.objectives(i, 1) > 0.0);
  }
  std::printf("integer NSGA-II on the supernet problem: %zu measurements, front of %zu\n", p.measured(),
              res.front_indices().size());
  CHECK(p.measured() <= 8 * 4);  // the initial population and three generations of children
  // Cheap objectives only: nothing runs.
  const nas::supernet_problem cheap(t.net, t.train, t.val, {.objectives = {"macs", "params"}});
  const auto r2 = integer_nsga2{{.population = 8, .generations = 2, .seed = 1}}.run(cheap);
  CHECK(cheap.measured() == 0);
  CHECK(r2.objectives(0, 0) == double(t.net.macs(r2.genomes[0])));
}

TEST_CASE("save and load a trained super-network: bit for bit; truncated, corrupt and foreign files refused") {
  auto& t = fixture();
  test_support::temp_dir dir("supernet_file");
  const auto path = dir / "net.bin";
  nas::save_supernet(t.net, path);
  const nas::supernet back = nas::load_supernet(path);
  CHECK(back.description() == t.net.description());
  CHECK(shared_bytes(back) == shared_bytes(t.net));
  auto a = t.net.sub_network(t.net.smallest());
  auto b = back.sub_network(back.smallest());
  a.eval();
  b.eval();
  const auto& ya = a.forward(t.val.images);
  const auto& yb = b.forward(t.val.images);
  CHECK(std::equal(ya.begin(), ya.end(), yb.begin()));

  const std::string bytes = moo::io::read_file(path);
  test_support::write_bytes(path, bytes.substr(0, bytes.size() - 9));
  auto message = test_support::error_of<moo::io_error>([&] { (void)nas::load_supernet(path); });
  CHECK(message.find("net.bin") != std::string::npos);
  CHECK(message.find("checksum mismatch") != std::string::npos);
  std::string corrupt = bytes;
  corrupt[corrupt.size() / 2] = static_cast<char>(corrupt[corrupt.size() / 2] ^ 0x10);
  test_support::write_bytes(path, corrupt);
  message = test_support::error_of<moo::io_error>([&] { (void)nas::load_supernet(path); });
  CHECK(message.find("net.bin") != std::string::npos);
  CHECK(message.find("checksum mismatch") != std::string::npos);
  test_support::write_bytes(path, "# moo-nas supernet measurement cache, version 1\n");
  message = test_support::error_of<moo::io_error>([&] { (void)nas::load_supernet(path); });
  CHECK(message.find("net.bin': not a moo/nas supernet file (bad magic)") != std::string::npos);
  test_support::write_bytes(path, "MOOS");
  CHECK(test_support::error_of<moo::io_error>([&] { (void)nas::load_supernet(path); }).find("truncated") !=
        std::string::npos);
  CHECK_THROWS_AS((void)nas::load_supernet(dir / "missing.bin"), moo::io_error);
}
