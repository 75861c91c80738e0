// Saving and loading architectures: the graph as JSON (nodes with their layer settings and named inputs)
// and the weights as a binary file (magic, version, then one record per node with its parameters and
// batch-norm statistics as little-endian float32, each record closed by a CRC-32; written and read with
// moo/io/codec.hpp, the codec of moo's checkpoints). Loading both gives back exactly the saved network,
// bit for bit; a corrupt, truncated or mismatched file is an io_error that names the file and the node.
// moo::io::serializer<architecture> carries an architecture as a genome through checkpoints and MPI
// messages: the graph JSON, the node numbering and the weights, so what is read back is the same
// network bit for bit, with the same node ids (morphisms pick sites by id). Example:
//   moo::io::write(os, arch);  auto back = moo::io::read<nas::graph::architecture>(is);
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <istream>
#include <limits>
#include <new>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/io/codec.hpp"
#include "moo/io/file.hpp"
#include "moo/io/serialize.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/graph/convex_merge.hpp"
#include "nas/graph/detail/json.hpp"
#include "nas/graph/layers.hpp"
#include "nas/train/layer.hpp"

namespace nas::graph {

// Format name and version written into (and required from) the files.
inline constexpr std::string_view graph_format = "moo-nas-architecture";
inline constexpr std::uint32_t graph_format_version = 1;
inline constexpr char weights_magic[8] = {'M', 'O', 'O', 'N', 'A', 'S', 'W', 'T'};
inline constexpr std::uint32_t weights_format_version = 1;

namespace detail {

// The settings of a layer as JSON members (", \"key\": value" pieces); throws for kinds it cannot store.
inline std::string layer_fields(const architecture& a, node_id v) {
  using moo::detail::message;
  const train::layer& l = a.layer(v);
  std::string s = message(", \"kind\": ", quote(l.kind()));
  if (const std::string n = layer_name(l); !n.empty()) s += message(", \"layer_name\": ", quote(n));
  if (const auto* c = l.get_if<train::conv2d>()) {
    const auto& o = c->options();
    return s + message(", \"in_channels\": ", o.in_channels, ", \"out_channels\": ", o.out_channels, ", \"kernel\": ",
                       o.kernel, ", \"stride\": ", o.stride, ", \"padding\": ", o.padding, ", \"groups\": ", o.groups,
                       ", \"bias\": ", o.bias ? "true" : "false");
  }
  if (const auto* b = l.get_if<train::batch_norm>())
    return s + message(", \"channels\": ", b->options().channels, ", \"eps\": ", double(b->options().eps),
                       ", \"momentum\": ", double(b->options().momentum));
  if (const auto* p = l.get_if<train::max_pool2d>())
    return s + message(", \"kernel\": ", p->options().kernel, ", \"stride\": ", p->options().stride, ", \"padding\": ",
                       p->options().padding);
  if (const auto* p = l.get_if<train::avg_pool2d>())
    return s + message(", \"kernel\": ", p->options().kernel, ", \"stride\": ", p->options().stride, ", \"padding\": ",
                       p->options().padding, ", \"count_include_pad\": ", p->options().count_include_pad ? "true" : "false");
  if (const auto* f = l.get_if<train::linear>())
    return s + message(", \"in_features\": ", f->options().in_features, ", \"out_features\": ", f->options().out_features,
                       ", \"bias\": ", f->options().bias ? "true" : "false");
  if (l.get_if<train::relu>() || l.get_if<train::global_avg_pool>() || l.get_if<train::add>() ||
      l.get_if<train::concat>() || l.get_if<train::identity>() || l.get_if<convex_merge>())
    return s;
  throw moo::value_error(message("to_json: node ", a.label(v), " has a layer kind the graph format does not know"));
}

// Reads member `key` of a node object as a non-negative integer (or `fallback` when absent and allowed).
inline std::size_t get_size(const json& j, std::string_view key, std::string_view where, const std::string& node,
                            std::optional<std::size_t> fallback = std::nullopt) {
  const json* v = j.find(key);
  if (v == nullptr) {
    if (fallback) return *fallback;
    throw moo::io_error(moo::detail::message(where, ": node '", node, "' lacks \"", key, "\""));
  }
  // Range and integrality are tested before the cast (a cast of an out-of-range double is undefined).
  // Sizes above 2^24 are no layer of a searchable network: refusing them keeps a corrupt file from
  // turning into a huge allocation.
  if (v->t != json::type::number || !(v->n >= 0) || v->n > 16777216.0 || v->n != std::floor(v->n))
    throw moo::io_error(moo::detail::message(where, ": node '", node, "': \"", key,
                                             "\" must be an integer in [0, 2^24]"));
  return static_cast<std::size_t>(v->n);
}

// Reads member `key` as a boolean (`fallback` when absent).
inline bool get_bool(const json& j, std::string_view key, std::string_view where, const std::string& node, bool fallback) {
  const json* v = j.find(key);
  if (v == nullptr) return fallback;
  if (v->t != json::type::boolean)
    throw moo::io_error(moo::detail::message(where, ": node '", node, "': \"", key, "\" must be true or false"));
  return v->b;
}

// Reads member `key` as a number in [lo, hi] (`fallback` when absent) for a float setting. Range and
// finiteness are tested on the double, so the conversion to float is defined and loses nothing but
// precision (lo and hi lie within float's range).
inline float get_float(const json& j, std::string_view key, std::string_view where, const std::string& node,
                       float fallback, double lo, double hi, std::string_view range) {
  const json* v = j.find(key);
  if (v == nullptr) return fallback;
  if (v->t != json::type::number || !std::isfinite(v->n) || !(v->n >= lo && v->n <= hi))
    throw moo::io_error(moo::detail::message(where, ": node '", node, "': \"", key, "\" must be a finite number ",
                                             range, (v->t == json::type::number ? moo::detail::message(", got ", v->n) : "")));
  return static_cast<float>(v->n);
}

// Refuses a weight tensor of more than max_tensor_values values (the sizes multiplied without wrapping),
// before the layer allocates it; `what` spells the product's factors by their JSON fields.
inline void check_weight_size(std::initializer_list<std::size_t> sizes, std::string_view what, std::string_view where,
                              const std::string& node) {
  if (product_within(sizes)) return;
  std::string values;
  for (const std::size_t s : sizes) values += moo::detail::message(values.empty() ? "" : " x ", s);
  throw moo::io_error(moo::detail::message(where, ": node '", node, "': its weight of ", what, " = ", values,
                                           " holds more than ", max_tensor_values, " (2^28) values"));
}

// Reads member `key` as a string; `what` names the object in errors.
inline std::string get_string(const json& j, std::string_view key, std::string_view where, std::string_view what) {
  const json* v = j.find(key);
  if (v == nullptr || v->t != json::type::string)
    throw moo::io_error(moo::detail::message(where, ": ", what, " lacks the string \"", key, "\""));
  return v->s;
}

// Builds the layer a node object describes (weights zero; the weights file fills them).
inline train::layer make_layer(const json& j, std::string_view where, const std::string& node) {
  const std::string kind = get_string(j, "kind", where, moo::detail::message("node '", node, "'"));
  std::string lname;
  if (const json* n = j.find("layer_name"); n != nullptr && n->t == json::type::string) lname = n->s;
  try {
    if (kind == "conv2d") {
      train::conv2d_options o{.in_channels = get_size(j, "in_channels", where, node),
                              .out_channels = get_size(j, "out_channels", where, node),
                              .kernel = get_size(j, "kernel", where, node),
                              .stride = get_size(j, "stride", where, node, 1),
                              .padding = get_size(j, "padding", where, node, 0),
                              .groups = get_size(j, "groups", where, node, 1),
                              .bias = get_bool(j, "bias", where, node, true),
                              .name = lname};
      // groups that are 0 or do not divide in_channels are refused by the layer, before it allocates.
      if (o.groups != 0 && o.in_channels % o.groups == 0)
        check_weight_size({o.out_channels, o.in_channels / o.groups, o.kernel, o.kernel},
                          "out_channels x in_channels / groups x kernel x kernel", where, node);
      return train::conv2d(std::move(o));
    }
    if (kind == "batch_norm")
      return train::batch_norm(
          {.channels = get_size(j, "channels", where, node),
           .eps = get_float(j, "eps", where, node, 1e-5f, std::numeric_limits<float>::min(), 1.0, "in [2^-126, 1]"),
           .momentum = get_float(j, "momentum", where, node, 0.1f, 0.0, 1.0, "in [0, 1]"),
           .name = lname});
    if (kind == "max_pool2d" || kind == "avg_pool2d") {
      train::pool2d_options o{.kernel = get_size(j, "kernel", where, node),
                              .stride = get_size(j, "stride", where, node, 0),
                              .padding = get_size(j, "padding", where, node, 0),
                              .count_include_pad = get_bool(j, "count_include_pad", where, node, true),
                              .name = lname};
      if (kind == "max_pool2d") return train::max_pool2d(std::move(o));
      return train::avg_pool2d(std::move(o));
    }
    if (kind == "linear") {
      train::linear_options o{.in_features = get_size(j, "in_features", where, node),
                              .out_features = get_size(j, "out_features", where, node),
                              .bias = get_bool(j, "bias", where, node, true),
                              .name = lname};
      check_weight_size({o.out_features, o.in_features}, "out_features x in_features", where, node);
      return train::linear(std::move(o));
    }
    if (kind == "relu") return train::relu({.name = lname});
    if (kind == "global_avg_pool") return train::global_avg_pool({.name = lname});
    if (kind == "add") return train::add({.name = lname});
    if (kind == "concat") return train::concat({.name = lname});
    if (kind == "identity") return train::identity({.name = lname});
    if (kind == "convex_merge") return convex_merge({.alpha = 1.0f, .name = lname});
  } catch (const moo::io_error&) {
    throw;
  } catch (const moo::error& e) {
    throw moo::io_error(moo::detail::message(where, ": node '", node, "': ", e.what()));
  } catch (const std::bad_alloc&) {
    throw moo::io_error(moo::detail::message(where, ": node '", node, "': its sizes need more memory than there is"));
  } catch (const std::length_error&) {
    throw moo::io_error(moo::detail::message(where, ": node '", node, "': its sizes are too large"));
  }
  throw moo::io_error(moo::detail::message(where, ": node '", node, "' has the unknown kind '", kind, "'"));
}

}  // namespace detail

// The architecture as JSON text (nodes in topological order, each with its kind, settings and inputs).
inline std::string to_json(const architecture& a) {
  using moo::detail::message;
  a.validate();
  const auto order = a.topological_order();
  std::string s = message("{\n  \"format\": ", detail::quote(graph_format), ",\n  \"version\": ", graph_format_version,
                          ",\n  \"input_shape\": [", a.input_shape()[0], ", ", a.input_shape()[1], ", ",
                          a.input_shape()[2], "],\n  \"input\": ", detail::quote(a.name(a.input())),
                          ",\n  \"output\": ", detail::quote(a.name(a.output())), ",\n  \"nodes\": [");
  bool first = true;
  for (node_id v : order) {
    if (v == a.input()) continue;
    s += first ? "\n" : ",\n";
    first = false;
    s += message("    {\"name\": ", detail::quote(a.name(v)), ", \"inputs\": [");
    const auto in = a.inputs(v);
    for (std::size_t k = 0; k < in.size(); ++k) s += message(k ? ", " : "", detail::quote(a.name(in[k])));
    s += message("]", detail::layer_fields(a, v), "}");
  }
  return s + "\n  ]\n}\n";
}

// Parses an architecture from JSON (weights zero); `source` names the text in errors. The result is
// validated: a cycle, a dangling node or a shape mismatch is an error naming the node.
inline architecture from_json(std::string_view text, std::string_view source = "<json>") {
  const detail::json j = detail::parse_json(text, source);
  if (j.t != detail::json::type::object) throw moo::io_error(moo::detail::message(source, ": not a JSON object"));
  if (detail::get_string(j, "format", source, "the file") != graph_format)
    throw moo::io_error(moo::detail::message(source, ": not a ", graph_format, " file"));
  const std::size_t version = detail::get_size(j, "version", source, "(file)");
  if (version != graph_format_version)
    throw moo::io_error(moo::detail::message(source, ": format version ", version, " is not supported (expected ",
                                             graph_format_version, ")"));
  const detail::json* shape = j.find("input_shape");
  if (shape == nullptr || shape->t != detail::json::type::array || shape->a.size() != 3)
    throw moo::io_error(moo::detail::message(source, ": \"input_shape\" must be [channels, height, width]"));
  image_shape in{};
  for (std::size_t k = 0; k < 3; ++k) {
    const auto& e = shape->a[k];
    if (e.t != detail::json::type::number || !(e.n >= 1) || e.n > 16777216.0 || e.n != std::floor(e.n))
      throw moo::io_error(moo::detail::message(source, ": \"input_shape\" must hold positive integers up to 2^24"));
    in[k] = static_cast<std::size_t>(e.n);
  }
  if (!detail::product_within({in[0], in[1], in[2]}))
    throw moo::io_error(moo::detail::message(source, ": \"input_shape\" [", in[0], ", ", in[1], ", ", in[2],
                                             "] holds more than ", max_tensor_values, " (2^28) values per image"));
  architecture a(in, detail::get_string(j, "input", source, "the file"));
  const detail::json* nodes = j.find("nodes");
  if (nodes == nullptr || nodes->t != detail::json::type::array)
    throw moo::io_error(moo::detail::message(source, ": lacks the array \"nodes\""));
  std::vector<std::pair<node_id, const detail::json*>> pending;
  for (const auto& n : nodes->a) {
    if (n.t != detail::json::type::object) throw moo::io_error(moo::detail::message(source, ": a node is not an object"));
    const std::string name = detail::get_string(n, "name", source, "a node");
    if (a.find(name)) throw moo::io_error(moo::detail::message(source, ": duplicate node name '", name, "'"));
    const node_id v = a.add(detail::make_layer(n, source, name), {}, name);
    const detail::json* ins = n.find("inputs");
    if (ins == nullptr || ins->t != detail::json::type::array)
      throw moo::io_error(moo::detail::message(source, ": node '", name, "' lacks the array \"inputs\""));
    pending.emplace_back(v, ins);
  }
  for (const auto& [v, ins] : pending) {
    std::vector<node_id> in_ids;
    for (const auto& e : ins->a) {
      const auto u = e.t == detail::json::type::string ? a.find(e.s) : std::nullopt;
      if (!u)
        throw moo::io_error(moo::detail::message(source, ": node '", a.name(v), "' reads an unknown node ",
                                                 e.t == detail::json::type::string ? "'" + e.s + "'" : "(not a name)"));
      in_ids.push_back(*u);
    }
    a.set_inputs(v, in_ids);
  }
  const std::string out = detail::get_string(j, "output", source, "the file");
  const auto o = a.find(out);
  if (!o) throw moo::io_error(moo::detail::message(source, ": the output node '", out, "' does not exist"));
  a.set_output(*o);
  try {
    a.validate();
  } catch (const moo::io_error&) {
    throw;
  } catch (const moo::error& e) {
    throw moo::io_error(moo::detail::message(source, ": the architecture is invalid: ", e.what()));
  }
  return a;
}

// The weights of every node as the binary weights format.
inline std::string weights_to_bytes(const architecture& a) {
  moo::io::codec::byte_writer w;
  w.raw({weights_magic, sizeof weights_magic});
  w.u32(weights_format_version);
  // state_arrays() takes a mutable layer because the backend's parameters() is non-const; it only builds
  // views, and the nodes are not const objects, so reading through them here is well defined.
  auto state = [&](node_id v) { return state_arrays(const_cast<train::layer&>(a.layer(v))); };
  std::vector<node_id> with_state;
  for (node_id v : a.topological_order())
    if (v != a.input() && !state(v).empty()) with_state.push_back(v);
  w.u64(with_state.size());
  for (node_id v : with_state) {
    moo::io::codec::byte_writer rec;
    rec.str(a.name(v));
    rec.str(a.layer(v).kind());
    const auto arrays = state(v);
    rec.u64(arrays.size());
    for (const auto& s : arrays) {
      rec.str(s.name);
      rec.floats(s.values);
    }
    w.bytes += rec.bytes;
    w.u32(moo::io::codec::crc32(rec.bytes));
  }
  return w.bytes;
}

// Fills a's weights from bytes of the binary format; `file` names the source in errors. Every node
// with state must be present with matching kind and sizes; a checksum mismatch names the node.
inline void weights_from_bytes(architecture& a, std::string_view bytes, std::string_view file = "<bytes>") {
  moo::io::codec::byte_reader r(bytes, moo::detail::message("weights file '", file, "'"), "the header");
  if (r.raw(sizeof weights_magic) != std::string_view(weights_magic, sizeof weights_magic))
    r.fail("not a moo/nas weights file (bad magic)");
  const std::uint32_t version = r.u32();
  if (version != weights_format_version)
    r.fail(moo::detail::message("format version ", version, " is not supported (expected ", weights_format_version, ")"));
  const std::uint64_t count = r.u64();
  std::vector<char> filled(a.size(), 0);
  for (std::uint64_t i = 0; i < count; ++i) {
    r.set_context(moo::detail::message("record ", i));
    const std::size_t start = r.pos();
    const std::string name = r.str();
    r.set_context(moo::detail::message("node '", name, "'"));
    const std::string kind = r.str();
    const std::uint64_t narrays = r.u64();
    if (narrays > 64) r.fail("implausible number of arrays");
    std::vector<std::pair<std::string, std::vector<float>>> arrays;
    for (std::uint64_t k = 0; k < narrays; ++k) {
      std::string an = r.str();
      arrays.emplace_back(std::move(an), r.floats());
    }
    const std::string_view rec = bytes.substr(start, r.pos() - start);
    if (r.u32() != moo::io::codec::crc32(rec)) r.fail("checksum mismatch (the file is corrupt)");
    const auto v = a.find(name);
    if (!v || *v == a.input()) r.fail("no such node in the architecture");
    if (a.layer(*v).kind() != kind)
      r.fail(moo::detail::message("the file holds a ", kind, ", the architecture a ", a.layer(*v).kind()));
    auto target = state_arrays(a.layer(*v));
    if (target.size() != arrays.size())
      r.fail(moo::detail::message("the file holds ", arrays.size(), " arrays, the layer has ", target.size()));
    for (std::size_t k = 0; k < target.size(); ++k) {
      if (target[k].name != arrays[k].first || target[k].values.size() != arrays[k].second.size())
        r.fail(moo::detail::message("array '", arrays[k].first, "' of ", arrays[k].second.size(), " values does not fit '",
                                    target[k].name, "' of ", target[k].values.size()));
    }
    for (std::size_t k = 0; k < target.size(); ++k)
      std::copy(arrays[k].second.begin(), arrays[k].second.end(), target[k].values.begin());
    filled[*v] = 1;
  }
  r.set_context("the end of the file");
  if (!r.at_end()) r.fail("unexpected bytes after the last record");
  for (node_id v = 1; v < a.size(); ++v)
    if (!filled[v] && !state_arrays(a.layer(v)).empty())
      throw moo::io_error(moo::detail::message("weights file '", file, "': node ", a.label(v), " is missing"));
}

// Writes the weights file (atomically: a crash never leaves half a file).
inline void save_weights(const architecture& a, const std::filesystem::path& path) {
  moo::io::write_atomically(path, weights_to_bytes(a));
}

// Reads the weights file into a (see weights_from_bytes).
inline void load_weights(architecture& a, const std::filesystem::path& path) {
  weights_from_bytes(a, moo::io::read_file(path), path.string());
}

// Writes the graph as JSON and the weights beside it.
// Example: save(arch, "child.json", "child.weights"); auto back = load("child.json", "child.weights");
inline void save(const architecture& a, const std::filesystem::path& json_path, const std::filesystem::path& weights_path) {
  moo::io::write_atomically(json_path, to_json(a));
  save_weights(a, weights_path);
}

// Reads an architecture and its weights.
inline architecture load(const std::filesystem::path& json_path, const std::filesystem::path& weights_path) {
  architecture a = from_json(moo::io::read_file(json_path), json_path.string());
  load_weights(a, weights_path);
  return a;
}

namespace detail {

// The architecture `loaded` (whose node k is node order[k] of the original, as from_json numbers the
// nodes of to_json's topological order) with the original node ids back: order must be a permutation
// of the node ids with the input first. Layers are moved, not copied.
inline architecture renumbered(architecture&& loaded, std::span<const std::uint64_t> order) {
  const std::size_t n = loaded.size();
  if (order.size() != n)
    throw moo::io_error(moo::detail::message("its node order lists ", order.size(), " nodes, the graph has ", n));
  std::vector<node_id> position(n, no_node);
  bool identity = true;
  for (std::size_t k = 0; k < n; ++k) {
    if (order[k] >= n || position[order[k]] != no_node || (k == 0) != (order[k] == 0))
      throw moo::io_error(moo::detail::message("its node order is not a permutation of the ", n,
                                               " node ids with the input first (entry ", k, " is ", order[k], ")"));
    position[order[k]] = k;
    identity = identity && order[k] == k;
  }
  if (identity) return std::move(loaded);
  architecture a(loaded.input_shape(), loaded.name(loaded.input()));
  for (node_id v = 1; v < n; ++v) a.add(std::move(loaded.layer(position[v])), {}, loaded.name(position[v]));
  for (node_id v = 1; v < n; ++v) {
    std::vector<node_id> in = loaded.inputs(position[v]);
    for (node_id& u : in) u = order[u];
    a.set_inputs(v, in);
  }
  a.set_output(order[loaded.output()]);
  return a;
}

// Reads one part of a serialized architecture; an error names the part.
template <class T>
T read_part(std::istream& is, std::string_view part) {
  try {
    return moo::io::read<T>(is);
  } catch (const moo::error& e) {
    throw moo::io_error(moo::detail::message("reading an architecture: its ", part, ": ", e.what()));
  }
}

}  // namespace detail

}  // namespace nas::graph

// An architecture as a genome in checkpoints and MPI messages: the graph JSON (to_json), the node id at
// each position of the JSON's node list, and the weights (weights_to_bytes), each length-prefixed. It reads
// back bit for bit (weights, batch-norm statistics, node ids); a truncated or corrupt stream is an
// io_error naming the part that was being read.
template <>
struct moo::io::serializer<nas::graph::architecture> {
  static void write(std::ostream& os, const nas::graph::architecture& a) {
    const auto order = a.topological_order();
    moo::io::write(os, nas::graph::to_json(a));
    moo::io::write(os, std::vector<std::uint64_t>(order.begin(), order.end()));
    moo::io::write(os, nas::graph::weights_to_bytes(a));
  }
  static nas::graph::architecture read(std::istream& is) {
    using nas::graph::detail::read_part;
    const auto json = read_part<std::string>(is, "graph JSON");
    const auto order = read_part<std::vector<std::uint64_t>>(is, "node order");
    const auto weights = read_part<std::string>(is, "weights");
    try {
      auto a = nas::graph::detail::renumbered(
          nas::graph::from_json(json, "serialized architecture (graph JSON)"), order);
      nas::graph::weights_from_bytes(a, weights, "serialized architecture");
      return a;
    } catch (const moo::error& e) {
      throw moo::io_error(moo::detail::message("reading an architecture: ", e.what()));
    }
  }
};
