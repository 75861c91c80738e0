// MODNAS's hypernetwork (Sukthanker et al., "Multi-objective Differentiable Neural Architecture Search",
// ICLR 2025): a small MLP mapping a preference vector over M objectives, concatenated with a device's
// feature vector (D values), to the architecture parameters alpha of E edges x K candidate operations.
//   a_0 = [preference, features];  a_{l+1} = act(W_l a_l + b_l) (hidden layers, ReLU or tanh);
//   alpha = W_L a_L + b_L           (no activation: alpha are logits, mixed_op applies the softmax).
// alpha is one flat vector, edge-major: alpha[e * K + k] is candidate k of edge e (edge_alpha(e) is the
// span of one edge, ready for mixed_op::set_alpha).
// Weights are stored as float32 so nas::train's optimizers step them through parameters() (parameter_ref
// holds float spans); the forward and backward passes compute in double. One input vector per forward
// pass (MODNAS draws one preference per step and device); backward accumulates into the gradients until
// zero_grad() (so the gradients of several devices or preferences can be summed before a step).
// Save/load: one binary file with a magic, a version, the options and the named float32 arrays, closed
// by a CRC-32 (moo/io/codec.hpp, as nas/supernet/serialize.hpp), written atomically.
// Example:
//   nas::modnas::hypernetwork h({.objectives = 2, .device_features = 3, .hidden = {32}, .edges = 14,
//                                .candidates = 6, .seed = 1});
//   const auto& alpha = h.forward(preference, device.features);
//   for (std::size_t e = 0; e < 14; ++e) ops[e].set_alpha(h.edge_alpha(e));
//   ...                                        // forward/backward through the super-network
//   std::vector<double> da(alpha.size());      // gather ops[e].alpha_grad() into da[e * 6 + k]
//   h.zero_grad(); h.backward(da); optimizer.step(h.parameters());
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "moo/io/codec.hpp"
#include "moo/io/file.hpp"
#include "nas/train/tensor.hpp"

namespace nas::modnas {

enum class hidden_activation { relu, tanh };

inline std::string_view to_string(hidden_activation a) { return a == hidden_activation::relu ? "relu" : "tanh"; }

struct hypernetwork_options {
  std::size_t objectives = 2;        // M: length of the preference vector (> 0)
  std::size_t device_features = 0;   // D: length of the device feature vector (may be 0)
  std::vector<std::size_t> hidden = {32};  // widths of the hidden layers (each > 0; empty: linear map)
  hidden_activation activation = hidden_activation::relu;
  std::size_t edges = 1;             // E (> 0)
  std::size_t candidates = 6;        // K (> 0)
  // Every layer starts as PyTorch's nn.Linear: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in));
  // the output layer's are then multiplied by output_scale (small values start near uniform mixing, as
  // DARTS's alpha = 1e-3 N(0, 1)). >= 0 and finite.
  double output_scale = 1.0;
  std::uint64_t seed = 1;            // the initialisation is a function of the options alone
  std::string name = "hypernetwork"; // prefix of the parameter names ("hypernetwork.layer0.weight")
};

class hypernetwork {
 public:
  hypernetwork() = default;

  explicit hypernetwork(hypernetwork_options o) : opt_(std::move(o)) {
    if (opt_.objectives == 0) throw moo::value_error("hypernetwork: objectives must be positive");
    if (opt_.edges == 0 || opt_.candidates == 0)
      throw moo::value_error(moo::detail::message("hypernetwork: ", opt_.edges, " edges x ", opt_.candidates,
                                                  " candidates; both must be positive"));
    for (std::size_t i = 0; i < opt_.hidden.size(); ++i)
      if (opt_.hidden[i] == 0) throw moo::value_error(moo::detail::message("hypernetwork: hidden layer ", i, " has width 0"));
    if (!(opt_.output_scale >= 0.0) || !std::isfinite(opt_.output_scale))
      throw moo::value_error(moo::detail::message("hypernetwork: output_scale ", opt_.output_scale,
                                                  " must be finite and non-negative"));
    sizes_.push_back(input_size());
    for (std::size_t h : opt_.hidden) sizes_.push_back(h);
    sizes_.push_back(output_size());
    moo::rng r(opt_.seed);
    const std::size_t layers = sizes_.size() - 1;
    w_.resize(layers);
    b_.resize(layers);
    dw_.resize(layers);
    db_.resize(layers);
    for (std::size_t l = 0; l < layers; ++l) {
      const std::size_t in = sizes_[l], out = sizes_[l + 1];
      const double bound = 1.0 / std::sqrt(static_cast<double>(in));
      const double scale = l + 1 == layers ? opt_.output_scale : 1.0;
      w_[l].resize(in * out);
      b_[l].resize(out);
      for (float& v : w_[l]) v = static_cast<float>(scale * r.uniform(-bound, bound));
      for (float& v : b_[l]) v = static_cast<float>(scale * r.uniform(-bound, bound));
      dw_[l].assign(in * out, 0.0f);
      db_[l].assign(out, 0.0f);
    }
  }

  const hypernetwork_options& options() const { return opt_; }
  std::size_t input_size() const { return opt_.objectives + opt_.device_features; }
  std::size_t output_size() const { return opt_.edges * opt_.candidates; }
  std::size_t edges() const { return opt_.edges; }
  std::size_t candidates() const { return opt_.candidates; }
  // Number of linear layers (hidden layers + 1).
  std::size_t layers() const { return w_.size(); }
  // Layer l's weight matrix, [out, in] row-major (out = l's output width), and its bias.
  std::span<float> weight(std::size_t l) { return w_.at(l); }
  std::span<const float> weight(std::size_t l) const { return w_.at(l); }
  std::span<float> bias(std::size_t l) { return b_.at(l); }
  std::span<const float> bias(std::size_t l) const { return b_.at(l); }
  std::span<const float> weight_grad(std::size_t l) const { return dw_.at(l); }
  std::span<const float> bias_grad(std::size_t l) const { return db_.at(l); }

  // alpha for a preference (M values) and a device feature vector (D values); the activations are kept
  // for backward. dimension_error naming both sizes if a vector has the wrong length; value_error for a
  // non-finite value.
  const std::vector<double>& forward(std::span<const double> preference, std::span<const double> features) {
    if (w_.empty()) throw moo::value_error("hypernetwork: forward on a default-constructed hypernetwork");
    if (preference.size() != opt_.objectives)
      throw moo::dimension_error(moo::detail::message(opt_.name, ": preference vector of ", preference.size(),
                                                      " values, expected ", opt_.objectives, " (one per objective)"));
    if (features.size() != opt_.device_features)
      throw moo::dimension_error(moo::detail::message(opt_.name, ": device feature vector of ", features.size(),
                                                      " values, expected ", opt_.device_features));
    std::vector<double> x(preference.begin(), preference.end());
    x.insert(x.end(), features.begin(), features.end());
    return forward(x);
  }

  // The same from the concatenated input [preference, features] (input_size() values).
  const std::vector<double>& forward(std::span<const double> input) {
    if (w_.empty()) throw moo::value_error("hypernetwork: forward on a default-constructed hypernetwork");
    if (input.size() != input_size())
      throw moo::dimension_error(moo::detail::message(opt_.name, ": input of ", input.size(), " values, expected ",
                                                      input_size(), " (", opt_.objectives, " preferences + ",
                                                      opt_.device_features, " device features)"));
    for (std::size_t i = 0; i < input.size(); ++i)
      if (!std::isfinite(input[i]))
        throw moo::value_error(moo::detail::message(opt_.name, ": input value ", i, " is ", input[i]));
    const std::size_t n = w_.size();
    a_.resize(n + 1);
    a_[0].assign(input.begin(), input.end());
    for (std::size_t l = 0; l < n; ++l) {
      const std::size_t in = sizes_[l], out = sizes_[l + 1];
      std::vector<double>& y = a_[l + 1];
      y.assign(out, 0.0);
      const std::vector<double>& x = a_[l];
      for (std::size_t o = 0; o < out; ++o) {
        double s = b_[l][o];
        const float* row = w_[l].data() + o * in;
        for (std::size_t i = 0; i < in; ++i) s += static_cast<double>(row[i]) * x[i];
        y[o] = s;
      }
      if (l + 1 < n)
        for (double& v : y) v = opt_.activation == hidden_activation::relu ? (v > 0.0 ? v : 0.0) : std::tanh(v);
    }
    return a_[n];
  }

  // alpha of the last forward pass, and one edge's K logits of it.
  const std::vector<double>& alpha() const { return out_or_empty(); }
  std::span<const double> edge_alpha(std::size_t e) const {
    if (e >= opt_.edges)
      throw moo::value_error(moo::detail::message(opt_.name, ": edge ", e, " of ", opt_.edges));
    const std::vector<double>& a = out_or_empty();
    if (a.empty()) throw moo::value_error(moo::detail::message(opt_.name, ": edge_alpha before forward"));
    return std::span<const double>(a).subspan(e * opt_.candidates, opt_.candidates);
  }

  // From dL/dalpha (output_size() values, edge-major) at the last forward pass: adds dL/dW and dL/db of
  // every layer to the gradients and returns dL/d(input) ([preference, features]). At a ReLU's kink
  // (pre-activation exactly 0) the derivative is taken as 0.
  std::vector<double> backward(std::span<const double> dalpha) {
    if (a_.empty()) throw moo::value_error(moo::detail::message(opt_.name, ": backward before forward"));
    if (dalpha.size() != output_size())
      throw moo::dimension_error(moo::detail::message(opt_.name, ": gradient of ", dalpha.size(), " values, expected ",
                                                      output_size(), " (", opt_.edges, " edges x ", opt_.candidates,
                                                      " candidates)"));
    std::vector<double> g(dalpha.begin(), dalpha.end()), gin;
    for (std::size_t l = w_.size(); l-- > 0;) {
      const std::size_t in = sizes_[l], out = sizes_[l + 1];
      const std::vector<double>& x = a_[l];
      gin.assign(in, 0.0);
      for (std::size_t o = 0; o < out; ++o) {
        const double go = g[o];
        db_[l][o] += static_cast<float>(go);
        float* drow = dw_[l].data() + o * in;
        const float* row = w_[l].data() + o * in;
        for (std::size_t i = 0; i < in; ++i) {
          drow[i] += static_cast<float>(go * x[i]);
          gin[i] += static_cast<double>(row[i]) * go;
        }
      }
      if (l > 0) {  // through the activation that produced x = a_l
        for (std::size_t i = 0; i < in; ++i)
          gin[i] *= opt_.activation == hidden_activation::relu ? (x[i] > 0.0 ? 1.0 : 0.0) : 1.0 - x[i] * x[i];
      }
      g.swap(gin);
    }
    return g;
  }

  void zero_grad() {
    for (auto& v : dw_) std::fill(v.begin(), v.end(), 0.0f);
    for (auto& v : db_) std::fill(v.begin(), v.end(), 0.0f);
  }

  // Every weight and bias with its gradient, for nas::train::sgd (names "<name>.layer<l>.weight|bias";
  // weight decay applies to the weights, not the biases).
  std::vector<nas::train::parameter_ref> parameters() {
    std::vector<nas::train::parameter_ref> p;
    for (std::size_t l = 0; l < w_.size(); ++l) {
      const std::string n = moo::detail::message(opt_.name, ".layer", l);
      p.push_back({n + ".weight", {w_[l].data(), w_[l].size()}, {dw_[l].data(), dw_[l].size()}, true});
      p.push_back({n + ".bias", {b_[l].data(), b_[l].size()}, {db_[l].data(), db_[l].size()}, false});
    }
    return p;
  }

  std::size_t parameter_count() const {
    std::size_t n = 0;
    for (std::size_t l = 0; l < w_.size(); ++l) n += w_[l].size() + b_[l].size();
    return n;
  }

 private:
  const std::vector<double>& out_or_empty() const {
    static const std::vector<double> empty;
    return a_.empty() ? empty : a_.back();
  }

  hypernetwork_options opt_;
  std::vector<std::size_t> sizes_;               // input, hidden..., output
  std::vector<std::vector<float>> w_, b_, dw_, db_;
  std::vector<std::vector<double>> a_;           // a_0 (input), activations, alpha
};

// ---- Saving and loading ------------------------------------------------------------------------------

inline constexpr char hypernetwork_magic[8] = {'M', 'O', 'O', 'H', 'Y', 'P', 'N', 'T'};
inline constexpr std::uint32_t hypernetwork_format_version = 1;

// The file format as bytes: magic, version, the options (M, D, hidden widths, activation, E, K,
// output_scale, seed, name), then per layer its weight and bias as named float32 arrays, then a CRC-32
// over everything before it.
inline std::string hypernetwork_to_bytes(const hypernetwork& h) {
  const hypernetwork_options& o = h.options();
  moo::io::codec::byte_writer w;
  w.raw({hypernetwork_magic, sizeof hypernetwork_magic});
  w.u32(hypernetwork_format_version);
  w.u64(o.objectives);
  w.u64(o.device_features);
  w.u64(o.hidden.size());
  for (std::size_t x : o.hidden) w.u64(x);
  w.u8(o.activation == hidden_activation::relu ? 0 : 1);
  w.u64(o.edges);
  w.u64(o.candidates);
  w.f64(o.output_scale);
  w.u64(o.seed);
  w.str(o.name);
  w.u64(h.layers());
  for (std::size_t l = 0; l < h.layers(); ++l) {
    w.str(moo::detail::message("layer", l, ".weight"));
    w.floats(h.weight(l));
    w.str(moo::detail::message("layer", l, ".bias"));
    w.floats(h.bias(l));
  }
  w.u32(moo::io::codec::crc32(w.bytes));
  return std::move(w.bytes);
}

// A hypernetwork from the bytes of the format; `file` names the source in io_errors (bad magic or
// version, checksum mismatch, truncation, implausible sizes, invalid options, unexpected arrays).
inline hypernetwork hypernetwork_from_bytes(std::string_view bytes, std::string_view file = "<bytes>") {
  moo::io::codec::byte_reader r(bytes, moo::detail::message("hypernetwork file '", file, "'"), "the header");
  if (r.raw(sizeof hypernetwork_magic) != std::string_view(hypernetwork_magic, sizeof hypernetwork_magic))
    r.fail("not a moo/nas hypernetwork file (bad magic)");
  const std::uint32_t version = r.u32();
  if (version != hypernetwork_format_version)
    r.fail(moo::detail::message("format version ", version, " is not supported (expected ",
                                hypernetwork_format_version, ")"));
  if (bytes.size() < r.pos() + 4) r.fail("truncated");
  const std::string_view body = bytes.substr(0, bytes.size() - 4);
  const auto stored =
      moo::io::codec::load_le<std::uint32_t>(reinterpret_cast<const unsigned char*>(body.data() + body.size()));
  if (stored != moo::io::codec::crc32(body)) r.fail("checksum mismatch (the file is truncated or corrupt)");
  r.set_context("the options");
  // Every width is bounded by the bytes left before anything is allocated (a layer of n outputs stores
  // at least n bias floats), so a corrupt size cannot ask for more memory than the file could fill.
  auto width = [&](const char* what) {
    const std::uint64_t n = r.u64();
    if (n > r.remaining() / 4) r.fail(moo::detail::message("implausible ", what, " ", n));
    return static_cast<std::size_t>(n);
  };
  hypernetwork_options o;
  o.objectives = width("number of objectives");
  o.device_features = width("number of device features");
  const std::uint64_t nh = r.u64();
  if (nh > 1024) r.fail(moo::detail::message("implausible number of hidden layers ", nh));
  o.hidden.resize(static_cast<std::size_t>(nh));
  for (auto& x : o.hidden) x = width("hidden width");
  const std::uint8_t act = r.u8();
  if (act > 1) r.fail(moo::detail::message("unknown activation ", static_cast<unsigned>(act)));
  o.activation = act == 0 ? hidden_activation::relu : hidden_activation::tanh;
  o.edges = width("number of edges");
  o.candidates = width("number of candidates");
  o.output_scale = r.f64();
  o.seed = r.u64();
  o.name = r.str();
  // The weights the options need must fit in the bytes left (4 per float), checked with overflow care.
  {
    std::vector<std::size_t> s{o.objectives + o.device_features};
    s.insert(s.end(), o.hidden.begin(), o.hidden.end());
    s.push_back(o.edges * o.candidates);
    if (o.candidates != 0 && s.back() / o.candidates != o.edges) r.fail("implausible output size");
    const std::size_t cap = r.remaining() / 4;
    std::size_t total = 0;
    for (std::size_t l = 0; l + 1 < s.size(); ++l) {
      if (s[l] != 0 && s[l + 1] > cap / s[l]) r.fail("the options need more weights than the file holds");
      total += s[l] * s[l + 1] + s[l + 1];
      if (total > cap) r.fail("the options need more weights than the file holds");
    }
  }
  hypernetwork h = [&] {
    try {
      return hypernetwork(o);
    } catch (const moo::error& e) {
      throw moo::io_error(moo::detail::message("hypernetwork file '", file, "': its options are invalid: ", e.what()));
    }
  }();
  r.set_context("the weights");
  if (r.u64() != h.layers()) r.fail(moo::detail::message("the number of layers is not the ", h.layers(), " expected"));
  for (std::size_t l = 0; l < h.layers(); ++l) {
    for (int part = 0; part < 2; ++part) {
      const std::string name = moo::detail::message("layer", l, part == 0 ? ".weight" : ".bias");
      r.set_context(moo::detail::message("array '", name, "'"));
      if (r.str() != name) r.fail("unexpected array name");
      const std::vector<float> v = r.floats();
      const std::span<float> dst = part == 0 ? h.weight(l) : h.bias(l);
      if (v.size() != dst.size()) r.fail(moo::detail::message(v.size(), " values, expected ", dst.size()));
      std::copy(v.begin(), v.end(), dst.begin());
    }
  }
  r.set_context("the end of the file");
  if (r.remaining() != 4) r.fail("unexpected bytes after the last array");
  return h;
}

// Writes the hypernetwork file atomically (a crash never leaves half a file).
inline void save_hypernetwork(const hypernetwork& h, const std::filesystem::path& path) {
  moo::io::write_atomically(path, hypernetwork_to_bytes(h));
}

// Reads a hypernetwork file; io_error naming the file if it is missing, truncated, corrupt or foreign.
inline hypernetwork load_hypernetwork(const std::filesystem::path& path) {
  return hypernetwork_from_bytes(moo::io::read_file(path), path.string());
}

}  // namespace nas::modnas
