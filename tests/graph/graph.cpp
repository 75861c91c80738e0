// nas::graph: building, validating, counting, compiling, saving and drawing architectures.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "nas/graph/architecture.hpp"
#include "nas/graph/dot.hpp"
#include "nas/graph/random.hpp"
#include "nas/graph/serialize.hpp"
#include "nas/objectives.hpp"

#include <boost/graph/graphviz.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/size.hpp>

using namespace nas;
using graph::architecture;
using graph::node_id;

namespace {

// Conv3x3(in->out, padding 1, no bias) - BN - ReLU appended to `from`.
node_id conv_bn_relu(architecture& a, node_id from, std::size_t in, std::size_t out, moo::rng& r) {
  auto c = a.add(train::conv2d({.in_channels = in, .out_channels = out, .kernel = 3, .padding = 1, .bias = false}, r), {from});
  auto b = a.add(train::batch_norm({.channels = out}), {c});
  return a.add(train::relu{}, {b});
}

// Net A of the backend issue: Conv3x3(1->32)-BN-ReLU, MaxPool2, Conv3x3(32->64)-BN-ReLU, MaxPool2,
// Conv3x3(64->128)-BN-ReLU, global average pool, Linear(128->10); input 1x28x28.
architecture net_a(moo::rng& r) {
  architecture a({1, 28, 28});
  auto x = conv_bn_relu(a, a.input(), 1, 32, r);
  x = a.add(train::max_pool2d({.kernel = 2}), {x});
  x = conv_bn_relu(a, x, 32, 64, r);
  x = a.add(train::max_pool2d({.kernel = 2}), {x});
  x = conv_bn_relu(a, x, 64, 128, r);
  x = a.add(train::global_avg_pool{}, {x});
  a.add(train::linear({.in_features = 128, .out_features = 10}, r), {x}, "classifier");
  return a;
}

// Net B: Conv3x3(1->8)-BN-ReLU, MaxPool2, Conv3x3(8->16)-BN-ReLU, global average pool, Linear(16->10).
architecture net_b(moo::rng& r) {
  architecture a({1, 28, 28});
  auto x = conv_bn_relu(a, a.input(), 1, 8, r);
  x = a.add(train::max_pool2d({.kernel = 2}), {x});
  x = conv_bn_relu(a, x, 8, 16, r);
  x = a.add(train::global_avg_pool{}, {x});
  a.add(train::linear({.in_features = 16, .out_features = 10}, r), {x}, "classifier");
  return a;
}

// Parameters of a k x k convolution without bias, of a batch norm (gamma and beta; the running
// statistics are not trainable) and of a linear layer with bias.
constexpr std::size_t conv_params(std::size_t in, std::size_t out, std::size_t k) { return in * out * k * k; }
constexpr std::size_t bn_params(std::size_t c) { return 2 * c; }
constexpr std::size_t linear_params(std::size_t in, std::size_t out) { return in * out + out; }
// MACs of a convolution: output elements (H_out * W_out * C_out) times the fan-in (C_in * k * k); of a
// linear layer: in * out. Batch norm, ReLU, pooling and adds are not counted.
constexpr std::size_t conv_macs(std::size_t hw, std::size_t in, std::size_t out, std::size_t k) {
  return hw * hw * out * in * k * k;
}

train::tensor random_input(std::size_t n, const graph::image_shape& s, moo::rng& r) {
  train::tensor x = train::zeros({n, s[0], s[1], s[2]});
  for (auto& v : x) v = static_cast<float>(r.normal());
  return x;
}

}  // namespace

TEST_CASE("net A and net B: exact parameters and MACs, checked by hand") {
  moo::rng r(1);
  const architecture a = net_a(r);
  // 28x28 -> pool -> 14x14 -> pool -> 7x7 (padding 1 keeps the size at each conv).
  const std::size_t params_a = conv_params(1, 32, 3) + bn_params(32) + conv_params(32, 64, 3) + bn_params(64) +
                               conv_params(64, 128, 3) + bn_params(128) + linear_params(128, 10);
  const std::size_t macs_a = conv_macs(28, 1, 32, 3) + conv_macs(14, 32, 64, 3) + conv_macs(7, 64, 128, 3) + 128 * 10;
  CHECK(params_a == 288 + 64 + 18432 + 128 + 73728 + 256 + 1290);
  CHECK(params_a == 94186);
  CHECK(macs_a == 225792 + 3612672 + 3612672 + 1280);
  CHECK(macs_a == 7452416);
  CHECK(a.parameter_count() == params_a);
  CHECK(a.macs() == macs_a);
  CHECK(parameter_count{}(a) == double(params_a));
  CHECK(mac_count{}(a) == double(macs_a));
  auto net = a.compile();
  CHECK(net.parameter_count() == params_a);
  CHECK(net.macs({1, 1, 28, 28}) == macs_a);

  const architecture b = net_b(r);
  const std::size_t params_b = conv_params(1, 8, 3) + bn_params(8) + conv_params(8, 16, 3) + bn_params(16) +
                               linear_params(16, 10);
  const std::size_t macs_b = conv_macs(28, 1, 8, 3) + conv_macs(14, 8, 16, 3) + 16 * 10;
  CHECK(params_b == 72 + 16 + 1152 + 32 + 170);
  CHECK(params_b == 1442);
  CHECK(macs_b == 56448 + 225792 + 160);
  CHECK(b.parameter_count() == params_b);
  CHECK(b.macs() == macs_b);
  CHECK(b.output_shape() == train::shape4{1, 10, 1, 1});
}

TEST_CASE("compile runs the graph in topological order, with the weights of the nodes") {
  moo::rng r(2);
  architecture a({2, 8, 8});
  auto c1 = conv_bn_relu(a, a.input(), 2, 4, r);
  auto c2 = conv_bn_relu(a, c1, 4, 4, r);
  auto s = a.add(train::add{}, {c1, c2}, "residual");
  auto g = a.add(train::global_avg_pool{}, {s});
  a.add(train::linear({.in_features = 4, .out_features = 3}, r), {g});
  a.validate();
  auto order = a.topological_order();
  CHECK(order.front() == a.input());
  CHECK(order.back() == a.output());
  auto net = a.compile();
  net.eval();
  auto x = random_input(2, a.input_shape(), r);
  const auto y = net.forward(x);
  CHECK(train::shape_of(y) == train::shape4{2, 3, 1, 1});
  // Lamarckian round trip: changing the compiled weights and copying them back changes the graph.
  net.at(1).get_if<train::conv2d>()->weight()(0, 0, 0, 0) = 42.0f;
  a.update_from(net);
  CHECK(a.layer(*a.find("conv2d_1")).get_if<train::conv2d>()->weight()(0, 0, 0, 0) == 42.0f);
}

TEST_CASE("invalid graphs are refused with an error naming the node") {
  moo::rng r(3);
  SUBCASE("cycle") {
    architecture a({1, 8, 8});
    auto c = a.add(train::conv2d({.in_channels = 1, .out_channels = 1, .padding = 1}, r), {a.input()}, "first");
    auto d = a.add(train::conv2d({.in_channels = 1, .out_channels = 1, .padding = 1}, r), {c}, "second");
    auto s = a.add(train::add{}, {c, d}, "sum");
    a.set_inputs(c, {s});
    CHECK_THROWS_WITH_AS(a.validate(), doctest::Contains("cycle"), moo::value_error);
    try {
      a.validate();
    } catch (const moo::value_error& e) {
      const std::string m = e.what();
      CHECK((m.find("'first'") != std::string::npos || m.find("'second'") != std::string::npos ||
             m.find("'sum'") != std::string::npos));
    }
  }
  SUBCASE("dangling node") {
    architecture a({1, 8, 8});
    auto c = a.add(train::conv2d({.in_channels = 1, .out_channels = 2, .padding = 1}, r), {a.input()}, "used");
    a.add(train::relu{}, {c}, "dangling_relu");
    auto g = a.add(train::global_avg_pool{}, {c}, "gap");
    a.set_output(g);
    CHECK_THROWS_WITH_AS(a.validate(), doctest::Contains("'dangling_relu'"), moo::value_error);
    CHECK_THROWS_WITH_AS(a.validate(), doctest::Contains("dangling"), moo::value_error);
    a.prune();
    CHECK_NOTHROW(a.validate());
    CHECK(!a.find("dangling_relu"));
  }
  SUBCASE("node without inputs") {
    architecture a({1, 8, 8});
    a.add(train::relu{}, {}, "orphan");
    CHECK_THROWS_WITH_AS(a.validate(), doctest::Contains("'orphan'"), moo::value_error);
  }
  SUBCASE("channel mismatch") {
    architecture a({3, 8, 8});
    auto c = a.add(train::conv2d({.in_channels = 3, .out_channels = 4, .padding = 1}, r), {a.input()}, "stem");
    a.add(train::batch_norm({.channels = 5}), {c}, "bad_bn");
    CHECK_THROWS_WITH_AS(a.validate(), doctest::Contains("'bad_bn'"), moo::dimension_error);
  }
  SUBCASE("spatial mismatch") {
    architecture a({1, 8, 8});
    auto c = a.add(train::conv2d({.in_channels = 1, .out_channels = 2, .padding = 1}, r), {a.input()});
    auto p = a.add(train::max_pool2d({.kernel = 2}), {c});
    a.add(train::add{}, {c, p}, "bad_add");
    CHECK_THROWS_WITH_AS(a.validate(), doctest::Contains("'bad_add'"), moo::dimension_error);
    CHECK_THROWS_AS(a.compile(), moo::dimension_error);
  }
  SUBCASE("duplicate names") {
    architecture a({1, 8, 8});
    a.add(train::relu{}, {a.input()}, "x");
    CHECK_THROWS_AS(a.add(train::relu{}, {a.input()}, "x"), moo::value_error);
  }
}

TEST_CASE("JSON and weights round trip exactly; corrupt files name the file and the node") {
  const std::uint64_t seed = 11;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  const auto dir = std::filesystem::temp_directory_path() / "moo_test_graph";
  std::filesystem::create_directories(dir);
  for (int trial = 0; trial < 6; ++trial) {
    architecture a = graph::random_architecture({}, r);
    // A convex merge with a non-trivial alpha, so every stored layer kind appears.
    const node_id out = a.output();
    const node_id in0 = a.inputs(out)[0];
    auto ident = a.add(train::identity{}, {in0}, "ident");
    auto m = a.add(graph::convex_merge({.alpha = 0.25f}), {in0, ident}, "mix");
    a.set_inputs(out, {m});
    a.set_output(out);
    a.validate();
    const auto json_path = dir / "net.json";
    const auto weights_path = dir / "net.weights";
    graph::save(a, json_path, weights_path);
    architecture b = graph::load(json_path, weights_path);
    CHECK(graph::to_json(b) == graph::to_json(a));
    CHECK(graph::weights_to_bytes(b) == graph::weights_to_bytes(a));
    CHECK(b.parameter_count() == a.parameter_count());
    auto na = a.compile(), nb = b.compile();
    na.eval();
    nb.eval();
    auto x = random_input(3, a.input_shape(), r);
    const train::tensor ya = na.forward(x);
    const train::tensor yb = nb.forward(x);
    CHECK(std::equal(ya.begin(), ya.end(), yb.begin()));  // bit for bit
  }
  moo::rng r2(seed);
  architecture a = graph::random_architecture({}, r2);
  const std::string bytes = graph::weights_to_bytes(a);
  SUBCASE("flipped byte: checksum names the node") {
    std::string bad = bytes;
    bad[bad.size() / 2] ^= 0x5A;
    architecture b = a;
    try {
      graph::weights_from_bytes(b, bad, "net.weights");
      FAIL("no error");
    } catch (const moo::io_error& e) {
      const std::string m = e.what();
      MESSAGE(m);
      CHECK(m.find("net.weights") != std::string::npos);
      CHECK(m.find("node '") != std::string::npos);
    }
  }
  SUBCASE("truncated") {
    architecture b = a;
    CHECK_THROWS_WITH_AS(graph::weights_from_bytes(b, bytes.substr(0, bytes.size() - 7), "net.weights"),
                         doctest::Contains("truncated"), moo::io_error);
  }
  SUBCASE("bad magic") {
    architecture b = a;
    std::string bad = bytes;
    bad[0] = 'X';
    CHECK_THROWS_WITH_AS(graph::weights_from_bytes(b, bad, "net.weights"), doctest::Contains("magic"), moo::io_error);
  }
  SUBCASE("weights of another architecture") {
    moo::rng r3(seed + 1);
    architecture other = graph::random_architecture({.widths = {3, 5}}, r3);
    CHECK_THROWS_AS(graph::weights_from_bytes(other, bytes, "net.weights"), moo::io_error);
  }
  SUBCASE("malformed JSON names the position") {
    CHECK_THROWS_WITH_AS(graph::from_json("{\"format\": \"moo-nas-architecture\", \"version\": 1,,}", "net.json"),
                         doctest::Contains("net.json:1:"), moo::io_error);
  }
  SUBCASE("JSON with a shape mismatch names the node") {
    std::string j = graph::to_json(a);
    const auto pos = j.find("\"channels\": ");
    REQUIRE(pos != std::string::npos);
    j.insert(pos + 12, "1");  // e.g. 8 channels become 18
    CHECK_THROWS_WITH_AS(graph::from_json(j, "net.json"), doctest::Contains("batch_norm"), moo::io_error);
  }
  SUBCASE("absurd or fractional sizes are refused as io_error, before anything is allocated") {
    const std::string j = graph::to_json(a);
    auto replaced = [&](const std::string& what, const std::string& with) {
      std::string k = j;
      const auto pos = k.find(what);
      REQUIRE(pos != std::string::npos);
      return k.replace(pos, what.size(), with);
    };
    CHECK_THROWS_WITH_AS(graph::from_json(replaced("\"out_channels\": ", "\"out_channels\": 1e15, \"x\": "), "net.json"),
                         doctest::Contains("out_channels"), moo::io_error);
    CHECK_THROWS_AS(graph::from_json(replaced("\"out_channels\": ", "\"out_channels\": 1e300, \"x\": "), "net.json"),
                    moo::io_error);
    CHECK_THROWS_AS(graph::from_json(replaced("\"out_channels\": ", "\"out_channels\": 2.5, \"x\": "), "net.json"),
                    moo::io_error);
    CHECK_THROWS_WITH_AS(graph::from_json(replaced("\"input_shape\": [", "\"input_shape\": [1e300, "), "net.json"),
                         doctest::Contains("input_shape"), moo::io_error);
  }
  SUBCASE("missing file") {
    CHECK_THROWS_AS(graph::load(dir / "nope.json", dir / "nope.weights"), moo::io_error);
  }
}

TEST_CASE("DOT export labels nodes with kinds and shapes") {
  moo::rng r(5);
  architecture a = net_b(r);
  const std::string dot = graph::to_dot(a);
  CHECK(dot.find("digraph") != std::string::npos);
  CHECK(dot.find("conv2d 3x3 1->8") != std::string::npos);
  CHECK(dot.find("[8, 28, 28]") != std::string::npos);
  CHECK(dot.find("linear 16->10") != std::string::npos);
  CHECK(dot.find("[10, 1, 1]") != std::string::npos);
  std::size_t edges = 0;
  for (std::size_t p = dot.find("->"); p != std::string::npos; p = dot.find("->", p + 2)) ++edges;
  // 9 edges of the 10-node chain plus the "1->8", "8->16", "16->10" inside labels.
  CHECK(edges == 9 + 3);
}

TEST_CASE("DOT export is the text boost::write_graphviz gives, without including it in the library") {
  // The oracle: boost::write_graphviz with the same labels, over random graphs with merges (slot labels).
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    moo::rng r(seed);
    const architecture a = graph::random_architecture({}, r);
    const auto shapes = a.shapes();
    const auto& g = a.graph();
    std::ostringstream expected;
    boost::write_graphviz(
        expected, g,
        [&](std::ostream& out, node_id v) {
          std::string text = graph::detail::dot_escape(a.name(v)) + "\\n" +
                             graph::detail::dot_escape(a.has_layer(v) ? graph::describe(a.layer(v)) : std::string("input"));
          text += moo::detail::message("\\n[", shapes[v][1], ", ", shapes[v][2], ", ", shapes[v][3], "]");
          out << "[label=\"" << text << "\"";
          if (v == a.input() || v == a.output()) out << ", shape=box, style=bold";
          else if (a.kind(v) == "conv2d" || a.kind(v) == "linear") out << ", shape=box";
          else out << ", shape=ellipse";
          out << "]";
        },
        [&](std::ostream& out, const graph::boost_graph::edge_descriptor& e) {
          if (boost::in_degree(boost::target(e, g), g) > 1) out << "[label=\"" << g[e].slot << "\"]";
        },
        [](std::ostream& out) { out << "rankdir=TB;\nnode [fontname=\"Helvetica\"];\n"; });
    CHECK(graph::to_dot(a) == expected.str());
  }
}

TEST_CASE("random architectures are valid and reproducible") {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    moo::rng r1(seed), r2(seed);
    architecture a = graph::random_architecture({}, r1);
    architecture b = graph::random_architecture({}, r2);
    CHECK_NOTHROW(a.validate());
    CHECK(graph::to_json(a) == graph::to_json(b));
    CHECK(graph::weights_to_bytes(a) == graph::weights_to_bytes(b));
  }
}

TEST_CASE("objectives declare whether they are cheap; hana filters them at compile time") {
  static_assert(objective<parameter_count> && objective<mac_count> && objective<validation_error> &&
                objective<measured_latency>);
  static_assert(is_cheap<parameter_count> && is_cheap<mac_count>);
  static_assert(!is_cheap<validation_error> && !is_cheap<measured_latency>);
  static_assert(!objective<int>);
  const auto all = boost::hana::make_tuple(validation_error{}, parameter_count{}, measured_latency{}, mac_count{});
  const auto cheap = cheap_objectives(all);
  const auto dear = expensive_objectives(all);
  static_assert(decltype(boost::hana::size(cheap))::value == 2);
  static_assert(decltype(boost::hana::size(dear))::value == 2);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(boost::hana::at_c<0>(cheap))>, parameter_count>);
  moo::rng r(4);
  architecture b = net_b(r);
  CHECK(boost::hana::at_c<1>(cheap)(b) == 282400.0);
  // The expensive ones run the network: error on a small generated set, latency of a forward pass.
  const auto data = train::synthetic_dataset({.samples = 64, .classes = 10, .channels = 1, .height = 28, .width = 28});
  const double err = validation_error{.data = &data}(b);
  CHECK(err >= 0.0);
  CHECK(err <= 1.0);
  CHECK(measured_latency{.batch = 2, .options = {.warmup = 1, .repeats = 3}}(b) > 0.0);
  CHECK_THROWS_AS(validation_error{}(b), moo::value_error);
}

TEST_CASE("convex_merge: forward and a backward that matches central finite differences") {
  static_assert(train::layer_type<graph::convex_merge>);
  const std::uint64_t seed = 6;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  graph::convex_merge m({.alpha = 0.3f});
  train::tensor x0 = random_input(2, {3, 2, 2}, r), x1 = random_input(2, {3, 2, 2}, r), y, w = random_input(2, {3, 2, 2}, r);
  const train::tensor* in[] = {&x0, &x1};
  // Loss L = sum(w * y): dL/dy = w.
  auto loss = [&]() {
    m.forward(in, y);
    double s = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) s += double(w.data()[i]) * y.data()[i];
    return s;
  };
  loss();
  CHECK(y(1, 2, 1, 0) == doctest::Approx(0.3 * x0(1, 2, 1, 0) + 0.7 * x1(1, 2, 1, 0)));
  train::tensor g0, g1;
  train::tensor* gin[] = {&g0, &g1};
  m.backward(in, y, w, gin);
  const double h = 1e-2;  // L is linear in every input, so central differences are exact up to rounding
  const float a = m.alpha();
  m.set_alpha(a + float(h));
  const double lp = loss();
  m.set_alpha(a - float(h));
  const double lm = loss();
  m.set_alpha(a);
  CHECK(m.alpha_grad() == doctest::Approx((lp - lm) / (2 * h)).epsilon(1e-3));
  for (std::size_t i : {0u, 5u, 17u}) {
    for (int k = 0; k < 2; ++k) {
      train::tensor& x = k == 0 ? x0 : x1;
      const float v = x.data()[i];
      x.data()[i] = v + float(h);
      const double p = loss();
      x.data()[i] = v - float(h);
      const double q = loss();
      x.data()[i] = v;
      CHECK((k == 0 ? g0 : g1).data()[i] == doctest::Approx((p - q) / (2 * h)).epsilon(1e-3));
    }
  }
  CHECK_THROWS_AS(m.output_shape(std::vector<train::shape4>{{1, 2, 3, 3}, {1, 3, 3, 3}}), moo::dimension_error);
  CHECK(m.parameters().size() == 1);
  CHECK(!m.parameters()[0].decay);
}

namespace {

// A graph file with the given input shape and one node (fields as JSON members) named "n".
std::string one_node_json(const std::string& input_shape, const std::string& fields) {
  return "{\"format\": \"moo-nas-architecture\", \"version\": 1, \"input_shape\": " + input_shape +
         ", \"input\": \"input\", \"output\": \"n\", \"nodes\": [{\"name\": \"n\", \"inputs\": [\"input\"], " + fields +
         "}]}";
}

// The message of the io_error that from_json throws for `text` ("" when it loads).
std::string load_error(const std::string& text) {
  try {
    (void)graph::from_json(text, "hostile.json");
  } catch (const moo::io_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("graph JSON: size products that wrap or exceed the cap are refused before any layer is built") {
  // Each field is within 2^24, but in * k * k = 2^24 * 2^20 * 2^20 = 2^64 wraps to 0: this loaded, and
  // forward then divided by the zero fan-in (SIGFPE).
  std::string m = load_error(one_node_json(
      "[16777216, 1, 1]", "\"kind\": \"conv2d\", \"in_channels\": 16777216, \"out_channels\": 1, \"kernel\": 1048576, "
                          "\"padding\": 524288, \"bias\": false"));
  MESSAGE(m);
  CHECK(m.find("hostile.json") != std::string::npos);
  CHECK(m.find("node 'n'") != std::string::npos);
  CHECK(m.find("kernel") != std::string::npos);
  CHECK(m.find("in_channels") != std::string::npos);
  // A weight matrix of 2^48 values.
  m = load_error(one_node_json("[1, 1, 1]", "\"kind\": \"linear\", \"in_features\": 16777216, \"out_features\": 16777216"));
  MESSAGE(m);
  CHECK(m.find("node 'n'") != std::string::npos);
  CHECK(m.find("in_features") != std::string::npos);
  // An input of 2^72 values per image (2^24 per dimension).
  m = load_error(one_node_json("[16777216, 16777216, 16777216]", "\"kind\": \"relu\""));
  MESSAGE(m);
  CHECK(m.find("input_shape") != std::string::npos);
  // A small layer whose padding makes an output of 2^14 x (2^25 + 1)^2 values (2^64 + ...: wraps).
  m = load_error(one_node_json(
      "[1, 1, 1]", "\"kind\": \"conv2d\", \"in_channels\": 1, \"out_channels\": 16384, \"kernel\": 1, \"padding\": 16777216"));
  MESSAGE(m);
  CHECK(m.find("'n'") != std::string::npos);
  CHECK(m.find("output") != std::string::npos);
  // An input of exactly 2^28 values is allowed; a padded pooling that grows it past the cap is not.
  m = load_error(one_node_json("[1, 16384, 16384]", "\"kind\": \"max_pool2d\", \"kernel\": 2, \"stride\": 1, \"padding\": 1"));
  CHECK(m.find("'n'") != std::string::npos);
  CHECK(m.find("[1, 1, 16385, 16385]") != std::string::npos);
  CHECK(load_error(one_node_json("[1, 16384, 16384]", "\"kind\": \"max_pool2d\", \"kernel\": 2")) == "");
  // Sane sizes still load.
  CHECK(load_error(one_node_json("[3, 32, 32]", "\"kind\": \"conv2d\", \"in_channels\": 3, \"out_channels\": 64, "
                                                "\"kernel\": 3, \"padding\": 1")) == "");
}

TEST_CASE("graph JSON: batch-norm eps and momentum must be finite and in range; floats must fit a float") {
  auto bn = [](const std::string& extra) {
    return load_error(one_node_json("[4, 2, 2]", "\"kind\": \"batch_norm\", \"channels\": 4" + extra));
  };
  CHECK(bn("") == "");
  CHECK(bn(", \"eps\": 0.001, \"momentum\": 0") == "");
  CHECK(bn(", \"eps\": 1, \"momentum\": 1") == "");
  for (const std::string eps : {"1e300", "1e400", "-1e400", "-1", "0", "2", "1e-60"}) {
    CAPTURE(eps);
    const std::string m = bn(", \"eps\": " + eps);
    CHECK(m.find("node 'n'") != std::string::npos);
    CHECK(m.find("\"eps\"") != std::string::npos);
  }
  for (const std::string momentum : {"1e300", "1e400", "-1", "1.5", "-0.001"}) {
    CAPTURE(momentum);
    const std::string m = bn(", \"momentum\": " + momentum);
    CHECK(m.find("node 'n'") != std::string::npos);
    CHECK(m.find("\"momentum\"") != std::string::npos);
  }
}

TEST_CASE("the weights file format is unchanged: a fixed architecture's bytes and CRC-32s are as before") {
  architecture a({1, 4, 4});
  auto c = a.add(train::conv2d({.in_channels = 1, .out_channels = 2, .kernel = 3, .padding = 1}), {a.input()}, "c");
  auto b = a.add(train::batch_norm({.channels = 2}), {c}, "b");
  auto p = a.add(train::global_avg_pool{}, {b}, "p");
  a.add(train::linear({.in_features = 2, .out_features = 3}), {p}, "fc");
  float v = 0.5f;
  for (node_id n = 1; n < a.size(); ++n)
    for (auto& s : graph::state_arrays(a.layer(n)))
      for (float& x : s.values) x = (v = v * -1.25f + 0.125f);
  const std::string bytes = graph::weights_to_bytes(a);
  CHECK(bytes.size() == 458);
  // FNV-1a 64 of the whole file, computed by the implementation that used boost::crc_32_type.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char ch : bytes) h = (h ^ ch) * 0x100000001b3ULL;
  CHECK(h == 15239948036620542563ULL);
  architecture back = a;
  graph::weights_from_bytes(back, bytes, "golden");
  CHECK(graph::weights_to_bytes(back) == bytes);
}
