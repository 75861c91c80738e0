// moo::io::serializer<architecture>: architectures as genomes in checkpoints and MPI messages. Random
// architectures round-trip through moo::io::write/read bit for bit (weights, batch-norm statistics,
// node ids, compiled outputs); truncated and corrupt streams are refused with an io_error naming the
// part being read.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "moo/io/file.hpp"
#include "moo/io/serialize.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/graph/random.hpp"
#include "nas/graph/serialize.hpp"

using namespace nas;
using graph::architecture;
using graph::node_id;

static_assert(moo::io::serializable<architecture>);

namespace {

std::string bytes_of(const architecture& a) {
  std::ostringstream os(std::ios::binary);
  moo::io::write(os, a);
  return std::move(os).str();
}

architecture read_back(std::string_view bytes) {
  moo::io::detail::view_istream is(bytes);
  architecture b = moo::io::read<architecture>(is);
  CHECK(is.peek() == std::char_traits<char>::eof());  // exactly what was written is read
  return b;
}

// Every stored array (parameters, running mean and variance) of every node, compared by bit pattern.
void check_same_state(architecture& a, architecture& b) {
  REQUIRE(a.size() == b.size());
  std::size_t arrays = 0, running = 0;
  for (node_id v = 1; v < a.size(); ++v) {
    const auto sa = graph::state_arrays(a.layer(v));
    const auto sb = graph::state_arrays(b.layer(v));
    REQUIRE(sa.size() == sb.size());
    for (std::size_t k = 0; k < sa.size(); ++k) {
      CAPTURE(a.label(v));
      CAPTURE(sa[k].name);
      CHECK(sa[k].name == sb[k].name);
      REQUIRE(sa[k].values.size() == sb[k].values.size());
      bool same = true;
      for (std::size_t i = 0; i < sa[k].values.size(); ++i)
        same = same && std::bit_cast<std::uint32_t>(sa[k].values[i]) == std::bit_cast<std::uint32_t>(sb[k].values[i]);
      CHECK(same);
      ++arrays;
      running += sa[k].name.starts_with("running_");
    }
  }
  CHECK(arrays > 0);
  CHECK(running > 0);  // random architectures have batch norms with random statistics
}

// Same node ids, names, kinds, inputs and output.
void check_same_graph(const architecture& a, const architecture& b) {
  REQUIRE(a.size() == b.size());
  CHECK(a.input_shape() == b.input_shape());
  CHECK(a.output() == b.output());
  for (node_id v = 0; v < a.size(); ++v) {
    CAPTURE(v);
    CHECK(a.name(v) == b.name(v));
    CHECK(a.kind(v) == b.kind(v));
    CHECK(a.inputs(v) == b.inputs(v));
  }
  CHECK(graph::to_json(a) == graph::to_json(b));
}

// Outputs of both compiled networks (evaluation mode) on one input, compared bit for bit.
void check_same_outputs(const architecture& a, const architecture& b, moo::rng& r) {
  auto na = a.compile(), nb = b.compile();
  na.eval();
  nb.eval();
  const auto& s = a.input_shape();
  train::tensor x = train::zeros({2, s[0], s[1], s[2]});
  for (auto& v : x) v = static_cast<float>(r.normal());
  const train::tensor ya = na.forward(x);
  const train::tensor yb = nb.forward(x);
  REQUIRE(ya.size() == yb.size());
  CHECK(std::equal(ya.begin(), ya.end(), yb.begin(), [](float p, float q) {
    return std::bit_cast<std::uint32_t>(p) == std::bit_cast<std::uint32_t>(q);
  }));
}

// A random architecture whose node ids are not a topological order: an identity inserted after the
// stem gets the last id, and a convex merge mixes the classifier's input with it.
architecture shuffled_architecture(moo::rng& r) {
  architecture a = graph::random_architecture({}, r);
  a.insert_after(1, train::identity{}, "late_identity");
  const node_id out = a.output();
  const node_id in0 = a.inputs(out)[0];
  const node_id ident = a.add(train::identity{}, {in0}, "ident");
  const node_id mix = a.add(graph::convex_merge({.alpha = 0.375f}), {in0, ident}, "mix");
  a.set_inputs(out, {mix});
  a.set_output(out);
  a.validate();
  return a;
}

}  // namespace

TEST_CASE("architectures round-trip through moo::io::write/read bit for bit") {
  const std::uint64_t seed = 23;
  MESSAGE("seed " << seed);
  moo::rng r(seed);
  for (int trial = 0; trial < 12; ++trial) {
    CAPTURE(trial);
    architecture a = trial % 3 == 2 ? shuffled_architecture(r) : graph::random_architecture({}, r);
    const std::string bytes = bytes_of(a);
    architecture b = read_back(bytes);
    check_same_graph(a, b);
    check_same_state(a, b);
    CHECK(graph::weights_to_bytes(b) == graph::weights_to_bytes(a));
    CHECK(b.parameter_count() == a.parameter_count());
    check_same_outputs(a, b, r);
    CHECK(bytes_of(b) == bytes);  // and it writes back the same bytes
  }
}

TEST_CASE("node ids survive even when they are not a topological order") {
  moo::rng r(5);
  architecture a = shuffled_architecture(r);
  const auto order = a.topological_order();
  CHECK_FALSE(std::is_sorted(order.begin(), order.end()));
  // Loading the JSON alone renumbers the nodes; the serializer gives the original ids back.
  const architecture renumbered = graph::from_json(graph::to_json(a));
  CHECK(renumbered.name(a.size() - 1) != a.name(a.size() - 1));
  architecture b = read_back(bytes_of(a));
  check_same_graph(a, b);
  check_same_state(a, b);
  check_same_outputs(a, b, r);
}

TEST_CASE("several architectures in one stream, as in a checkpoint's population") {
  moo::rng r(8);
  std::vector<architecture> population;
  for (int i = 0; i < 4; ++i) population.push_back(graph::random_architecture({.input = {1, 8, 8}, .classes = 3}, r));
  std::ostringstream os(std::ios::binary);
  moo::io::write(os, population);
  moo::io::write(os, std::string("after"));
  const std::string bytes = std::move(os).str();
  moo::io::detail::view_istream is(bytes);
  auto back = moo::io::read<std::vector<architecture>>(is);
  CHECK(moo::io::read<std::string>(is) == "after");
  REQUIRE(back.size() == population.size());
  for (std::size_t i = 0; i < back.size(); ++i) {
    check_same_graph(population[i], back[i]);
    check_same_state(population[i], back[i]);
  }
}

TEST_CASE("truncated and corrupt streams are refused with an io_error naming the part") {
  moo::rng r(31);
  const architecture a = shuffled_architecture(r);
  const std::string bytes = bytes_of(a);
  const std::size_t json_size = graph::to_json(a).size();
  const std::size_t order_end = 8 + json_size + 8 + 8 * a.size();  // after the JSON and the node order
  const std::size_t weights_at = order_end + 8;                       // the weights' first byte

  SUBCASE("every truncation is refused") {
    std::size_t refused = 0, tried = 0;
    for (std::size_t cut = 0; cut < bytes.size(); cut += cut < 64 || bytes.size() - cut < 64 ? 1 : 97) {
      ++tried;
      try {
        (void)read_back(std::string_view(bytes).substr(0, cut));
      } catch (const moo::io_error& e) {
        ++refused;
        const std::string m = e.what();
        const char* part = cut < 8 + json_size ? "graph JSON" : cut < order_end ? "node order" : "weights";
        CAPTURE(cut);
        CAPTURE(m);
        CHECK(m.find("reading an architecture") != std::string::npos);
        CHECK(m.find(part) != std::string::npos);
      }
    }
    CHECK(refused == tried);
  }
  SUBCASE("a flipped weight byte fails its checksum, naming the node") {
    std::string bad = bytes;
    bad[weights_at + (bytes.size() - weights_at) / 2] ^= 0x21;
    CHECK_THROWS_WITH_AS(read_back(bad), doctest::Contains("node '"), moo::io_error);
  }
  SUBCASE("a damaged graph JSON") {
    std::string bad = bytes;
    bad[8 + json_size / 2] = '}';
    CHECK_THROWS_WITH_AS(read_back(bad), doctest::Contains("reading an architecture"), moo::io_error);
  }
  SUBCASE("a node order that is not a permutation") {
    std::string bad = bytes;
    bad[8 + json_size + 8 + 8] ^= 0x01;  // node 1 of the order now repeats another id or leaves the range
    CHECK_THROWS_WITH_AS(read_back(bad), doctest::Contains("node order"), moo::io_error);
  }
  SUBCASE("an implausible length") {
    std::string bad = bytes;
    bad[7] = 0x40;  // the JSON's length becomes about 2^62
    CHECK_THROWS_WITH_AS(read_back(bad), doctest::Contains("graph JSON"), moo::io_error);
  }
}
