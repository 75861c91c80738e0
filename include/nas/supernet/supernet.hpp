// An integer-encoded elastic super-network (once-for-all style) for 1 x H x W images: a stem
// conv-BN-ReLU (optionally max-pooled), then S stages of up to D blocks conv(k x k, "same", no bias) ->
// batch norm -> ReLU, a 2x2 max pool between stages, global average pooling and a linear classifier.
// Every sub-network shares the super-network's weights (Cai et al. 2020, "Once-for-All", sec. 3.2):
//   elastic kernel  k in options.kernels: the centre k x k of the largest kernel's weights;
//   elastic width   c = round(w * stage channels), w in options.widths: the first c output channels (and a
//                   reader takes the first c input channels, batch norm the first c of its arrays);
//   elastic depth   d in [min_depth, max_depth]: the first d blocks of a stage run.
// A configuration is a moo::integer_genome over supernet::space() (the encoding that LINAS searches,
// Cummings et al. 2022, "A Hardware-Aware Framework for Accelerating NAS Across Modalities"): for each
// stage s, genes
//   [s * (1 + 2 D)]             depth of the stage (min_depth..max_depth),
//   [s * (1 + 2 D) + 1 + 2 b]   kernel of block b, an index into options.kernels,
//   [s * (1 + 2 D) + 2 + 2 b]   width of block b, an index into options.widths.
// Genes of blocks beyond the stage's depth are ignored; canonical() sets them to 0, so two genomes that
// differ only there name one network (the measurement cache keys on the canonical form).
// extract() gives the standalone nas::graph::architecture of a sub-network with its sliced weights;
// sub_network() the same as a runnable train::network (for training with weight sharing); add_gradients()
// scatters a sub-network's parameter gradients back into the shared tensors (slices add up).
// Example:
//   nas::supernet net({.stage_channels = {16, 32, 64}, .max_depth = 3}, 1);
//   auto config = net.canonical(net.space().sample(rng));
//   nas::graph::architecture a = net.extract(config);  // save, draw, fine-tune, hand to LEMONADE
//   std::size_t macs = net.macs(config);                // exact, without building anything
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "moo/core/describe.hpp"
#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "moo/genome/integer.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/train/layer.hpp"
#include "nas/train/network.hpp"
#include "nas/train/tensor.hpp"

namespace nas {

// The shape of the super-network; every sub-network's choices come from these lists.
struct supernet_options {
  graph::image_shape input = {1, 28, 28};
  std::size_t classes = 10;
  std::size_t stem_channels = 16;
  bool stem_pool = true;  // a 2x2 max pool after the stem (28x28 -> 14x14)
  std::vector<std::size_t> stage_channels = {16, 32, 64};  // the most output channels of each stage's blocks
  std::size_t min_depth = 1;
  std::size_t max_depth = 3;
  std::vector<std::size_t> kernels = {3, 5, 7};    // odd, increasing
  std::vector<double> widths = {0.5, 0.75, 1.0};  // increasing fractions in (0, 1], the last 1
  float bn_eps = 1e-5f;
  float bn_momentum = 0.1f;
};

// The search space of sub-network configurations: moo's integer box (so integer variations and
// searchers take it as it is) whose description() names the super-network it belongs to.
struct supernet_space : moo::integer_space {
  std::string about;                // the super-network's description
  std::size_t genes_per_stage = 0;  // 1 + 2 x max_depth: a depth gene, then kernel and width genes per block

  std::string description() const { return "supernet_space of " + moo::integer_space::description() + " for " + about; }

  // x with every gene of an inactive block (beyond its stage's depth) set to 0: one form per sub-network
  // (moo::canonical_space, so duplicate elimination and LINAS compare sub-networks, not genomes). Throws
  // (naming the gene) unless x fits the space.
  moo::integer_genome canonical(moo::integer_genome x) const {
    check(x);
    for (std::size_t s = 0; genes_per_stage != 0 && s < x.size() / genes_per_stage; ++s) {
      const auto d = static_cast<std::size_t>(x[s * genes_per_stage]);
      for (std::size_t i = s * genes_per_stage + 1 + 2 * d; i < (s + 1) * genes_per_stage; ++i) x[i] = 0;
    }
    return x;
  }
};

// A configuration decoded: per stage its depth, per active block its kernel size and channel count.
struct subnet_config {
  struct block {
    std::size_t kernel = 0;
    std::size_t channels = 0;
  };
  std::vector<std::vector<block>> stages;  // stages[s] holds the depth(s) active blocks
};

// A slice of a shared weight tensor: which tensor and how much of it a sub-network's layer uses.
namespace detail {

enum class slot_kind { stem_conv, stem_bn, block_conv, block_bn, relu, pool, gap, classifier };

// One layer of a sub-network's chain: its kind, the slice of the shared tensor it holds and its name.
struct slot {
  slot_kind kind = slot_kind::relu;
  std::size_t index = 0;  // block index s * max_depth + b (block_conv, block_bn)
  std::size_t out = 0;    // output channels (conv), channels (bn), input features (classifier)
  std::size_t in = 0;     // input channels (conv)
  std::size_t kernel = 0;
  std::string name;
};

}  // namespace detail

// Shared weights of one convolution: out x in x k x k at the largest sizes, and its accumulated gradient.
struct shared_conv {
  train::tensor weight, grad;
};

// Shared weights and running statistics of one batch norm (at the most channels), with gradients.
struct shared_bn {
  train::vector gamma, beta, running_mean, running_var, gamma_grad, beta_grad;
};

// Shared weights of the classifier: classes x (most channels of the last stage), and the bias.
struct shared_linear {
  xt::xtensor<float, 2> weight, grad;
  train::vector bias, bias_grad;
};

class supernet {
 public:
  // A super-network with weights drawn like PyTorch's defaults (U(+-1/sqrt(fan_in)) at the largest
  // sizes), batch-norm gamma 1, beta 0, running mean 0, variance 1. Throws value_error naming a bad option.
  supernet(supernet_options o, std::uint64_t seed) : opt_(std::move(o)) {
    validate();
    build_space();
    moo::rng r(seed);
    init(r);
  }

  const supernet_options& options() const { return opt_; }
  const supernet_space& space() const { return space_; }
  std::size_t stages() const { return opt_.stage_channels.size(); }
  std::size_t genes() const { return space_.size(); }
  // Genes per stage: the depth and a kernel and a width per block.
  std::size_t genes_per_stage() const { return 1 + 2 * opt_.max_depth; }

  // A name per gene, 1-based: "depth1", "kernel1_2" (stage 1, block 2), "width1_2", ...
  std::vector<std::string> gene_names() const {
    std::vector<std::string> n;
    for (std::size_t s = 1; s <= stages(); ++s) {
      n.push_back(moo::detail::message("depth", s));
      for (std::size_t b = 1; b <= opt_.max_depth; ++b) {
        n.push_back(moo::detail::message("kernel", s, "_", b));
        n.push_back(moo::detail::message("width", s, "_", b));
      }
    }
    return n;
  }

  // Everything that fixes the shape of the super-network, exactly ("supernet input 1x28x28 ...").
  std::string description() const {
    using moo::detail::describe;
    using moo::detail::message;
    std::string bn = " bn eps ";
    moo::detail::append_exact(bn, opt_.bn_eps);
    bn += " momentum ";
    moo::detail::append_exact(bn, opt_.bn_momentum);
    return message("supernet input ", opt_.input[0], "x", opt_.input[1], "x", opt_.input[2], " classes ", opt_.classes,
                   " stem ", opt_.stem_channels, opt_.stem_pool ? " pooled" : "", " stages ", describe(opt_.stage_channels),
                   " depth ", opt_.min_depth, "..", opt_.max_depth, " kernels ", describe(opt_.kernels), " widths ",
                   describe(opt_.widths), bn);
  }

  // The genome with every gene of an inactive block set to 0. Throws (naming the gene) unless x fits
  // the space.
  moo::integer_genome canonical(moo::integer_genome x) const { return space_.canonical(std::move(x)); }

  // The largest sub-network (every stage at full depth, largest kernels, full width): the whole net.
  moo::integer_genome largest() const {
    moo::integer_genome x(genes());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = space_.upper[i];
    return x;
  }

  // The smallest sub-network (least depth, smallest kernels, least width), canonical.
  moo::integer_genome smallest() const { return canonical(space_.lower); }

  // A uniformly drawn configuration, canonical.
  moo::integer_genome random(moo::rng& r) const { return canonical(space_.sample(r)); }

  // The configuration's depths, kernel sizes and channel counts.
  subnet_config decode(const moo::integer_genome& x) const {
    space_.check(x);
    const std::size_t g = genes_per_stage();
    subnet_config c;
    c.stages.resize(stages());
    for (std::size_t s = 0; s < stages(); ++s) {
      const auto d = static_cast<std::size_t>(x[s * g]);
      for (std::size_t b = 0; b < d; ++b)
        c.stages[s].push_back({opt_.kernels[static_cast<std::size_t>(x[s * g + 1 + 2 * b])],
                               channels(s, static_cast<std::size_t>(x[s * g + 2 + 2 * b]))});
    }
    return c;
  }

  // A short text of the configuration: stages separated by " | ", blocks as kernel "k" channels.
  // Example: "3k16 5k16 | 3k32 | 7k64 7k48 3k32"
  std::string describe(const moo::integer_genome& x) const {
    std::string out;
    const subnet_config c = decode(x);
    for (std::size_t s = 0; s < c.stages.size(); ++s) {
      if (s > 0) out += " |";
      for (const auto& b : c.stages[s]) out += moo::detail::message(out.empty() ? "" : " ", b.kernel, "k", b.channels);
    }
    return out;
  }

  // Output channels of a block of stage s with width choice w (an index into options.widths): at least 1.
  std::size_t channels(std::size_t s, std::size_t w) const {
    const double c = std::round(opt_.widths.at(w) * static_cast<double>(opt_.stage_channels.at(s)));
    return std::max<std::size_t>(1, static_cast<std::size_t>(c));
  }

  // Trainable parameters of the sub-network (exact, computed from the configuration alone; equal to
  // extract(x).parameter_count()).
  std::size_t parameter_count(const moo::integer_genome& x) const {
    std::size_t n = 0;
    for_each_layer(x, [&](const detail::slot& s, std::size_t, std::size_t) {
      switch (s.kind) {
        case detail::slot_kind::stem_conv:
        case detail::slot_kind::block_conv: n += s.out * s.in * s.kernel * s.kernel; break;
        case detail::slot_kind::stem_bn:
        case detail::slot_kind::block_bn: n += 2 * s.out; break;
        case detail::slot_kind::classifier: n += opt_.classes * s.out + opt_.classes; break;
        default: break;
      }
    });
    return n;
  }

  // Multiply-accumulates per image (exact, as the backend counts them: convolutions and the classifier;
  // equal to extract(x).macs()).
  std::size_t macs(const moo::integer_genome& x) const {
    std::size_t n = 0;
    for_each_layer(x, [&](const detail::slot& s, std::size_t h, std::size_t w) {
      if (s.kind == detail::slot_kind::stem_conv || s.kind == detail::slot_kind::block_conv)
        n += s.out * s.in * s.kernel * s.kernel * h * w;
      else if (s.kind == detail::slot_kind::classifier)
        n += opt_.classes * s.out;
    });
    return n;
  }

  // The sub-network as a standalone architecture holding copies of its weight slices (conv weights: the
  // first out and in channels, the centre kernel; batch norm: the first channels of gamma, beta and the
  // running statistics; classifier: the first input columns, the whole bias). Nodes are named "stem_conv",
  // "s1b2_conv" (stage 1, block 2), "s1_pool", "classifier", ...
  graph::architecture extract(const moo::integer_genome& x) const {
    graph::architecture a(opt_.input);
    graph::node_id prev = a.input();
    for (auto& [name, l] : pieces(x)) prev = a.add(std::move(l), {prev}, name);
    return a;
  }

  // The sub-network as a runnable chain (the layers of extract(x) in the same order, without the graph).
  train::network sub_network(const moo::integer_genome& x) const {
    train::network net;
    for (auto& p : pieces(x)) net.add(std::move(p.second));
    return net;
  }

  // Adds the parameter gradients of `net`, a sub_network(x) after its backward pass, into the shared
  // gradients, each at the slice the layer was cut from.
  void add_gradients(const moo::integer_genome& x, const train::network& net) {
    const auto slots = layout(x);
    if (net.size() != slots.size() + 1)
      throw moo::dimension_error(moo::detail::message("supernet::add_gradients: the network has ", net.size() - 1,
                                                      " layers, the configuration ", slots.size()));
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const detail::slot& s = slots[i];
      const train::layer& l = net.at(i + 1);
      if (s.kind == detail::slot_kind::stem_conv || s.kind == detail::slot_kind::block_conv) {
        const auto* c = l.get_if<train::conv2d>();
        if (c == nullptr) throw mismatch(i, l);
        shared_conv& w = s.kind == detail::slot_kind::stem_conv ? stem_conv_ : conv_[s.index];
        add_conv_slice(w.grad, c->weight_grad(), s);
      } else if (s.kind == detail::slot_kind::stem_bn || s.kind == detail::slot_kind::block_bn) {
        const auto* b = l.get_if<train::batch_norm>();
        if (b == nullptr) throw mismatch(i, l);
        shared_bn& w = s.kind == detail::slot_kind::stem_bn ? stem_bn_ : bn_[s.index];
        for (std::size_t ch = 0; ch < s.out; ++ch) {
          w.gamma_grad[ch] += b->gamma_grad()[ch];
          w.beta_grad[ch] += b->beta_grad()[ch];
        }
      } else if (s.kind == detail::slot_kind::classifier) {
        const auto* f = l.get_if<train::linear>();
        if (f == nullptr) throw mismatch(i, l);
        for (std::size_t k = 0; k < opt_.classes; ++k) {
          for (std::size_t j = 0; j < s.out; ++j) fc_.grad(k, j) += f->weight_grad()(k, j);
          fc_.bias_grad[k] += f->bias_grad()[k];
        }
      }
    }
  }

  // Copies the batch-norm running statistics of `net`, a sub_network(x), into the shared ones (the first
  // channels of each); training does this for the largest sub-network.
  void set_running_statistics(const moo::integer_genome& x, const train::network& net) {
    const auto slots = layout(x);
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const detail::slot& s = slots[i];
      if (s.kind != detail::slot_kind::stem_bn && s.kind != detail::slot_kind::block_bn) continue;
      const auto* b = net.at(i + 1).get_if<train::batch_norm>();
      if (b == nullptr) throw mismatch(i, net.at(i + 1));
      shared_bn& w = s.kind == detail::slot_kind::stem_bn ? stem_bn_ : bn_[s.index];
      std::copy_n(b->running_mean().begin(), s.out, w.running_mean.begin());
      std::copy_n(b->running_var().begin(), s.out, w.running_var.begin());
    }
  }

  // Sets every shared gradient to zero.
  void zero_grad() {
    for (auto& p : parameters()) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
  }

  // The shared trainable tensors with their gradients (an optimizer steps on these).
  std::vector<train::parameter_ref> parameters() {
    std::vector<train::parameter_ref> p;
    auto add = [&](std::string name, auto& v, auto& g) {
      p.push_back({std::move(name), {v.data(), v.size()}, {g.data(), g.size()}, true});
    };
    add("stem_conv.weight", stem_conv_.weight, stem_conv_.grad);
    add("stem_bn.gamma", stem_bn_.gamma, stem_bn_.gamma_grad);
    add("stem_bn.beta", stem_bn_.beta, stem_bn_.beta_grad);
    for (std::size_t i = 0; i < conv_.size(); ++i) {
      add(block_name(i) + "_conv.weight", conv_[i].weight, conv_[i].grad);
      add(block_name(i) + "_bn.gamma", bn_[i].gamma, bn_[i].gamma_grad);
      add(block_name(i) + "_bn.beta", bn_[i].beta, bn_[i].beta_grad);
    }
    add("classifier.weight", fc_.weight, fc_.grad);
    add("classifier.bias", fc_.bias, fc_.bias_grad);
    return p;
  }

  // Every array that defines the super-network's function (parameters and running statistics), named,
  // in a fixed order: what save/load store.
  std::vector<std::pair<std::string, std::span<float>>> state() {
    std::vector<std::pair<std::string, std::span<float>>> out;
    for (auto& p : parameters()) out.emplace_back(p.name, p.value);
    auto stats = [&](const std::string& name, shared_bn& b) {
      out.emplace_back(name + ".running_mean", std::span<float>(b.running_mean.data(), b.running_mean.size()));
      out.emplace_back(name + ".running_var", std::span<float>(b.running_var.data(), b.running_var.size()));
    };
    stats("stem_bn", stem_bn_);
    for (std::size_t i = 0; i < bn_.size(); ++i) stats(block_name(i) + "_bn", bn_[i]);
    return out;
  }
  std::vector<std::pair<std::string, std::span<const float>>> state() const {
    std::vector<std::pair<std::string, std::span<const float>>> out;
    for (auto& [name, v] : const_cast<supernet&>(*this).state()) out.emplace_back(name, v);
    return out;
  }

  // The shared tensors (tests write known values into them; the stem and block indices are 0-based).
  shared_conv& stem_conv() { return stem_conv_; }
  shared_bn& stem_bn() { return stem_bn_; }
  shared_conv& block_conv(std::size_t s, std::size_t b) { return conv_.at(block_index(s, b)); }
  shared_bn& block_bn(std::size_t s, std::size_t b) { return bn_.at(block_index(s, b)); }
  shared_linear& classifier() { return fc_; }
  const shared_conv& stem_conv() const { return stem_conv_; }
  const shared_bn& stem_bn() const { return stem_bn_; }
  const shared_conv& block_conv(std::size_t s, std::size_t b) const { return conv_.at(block_index(s, b)); }
  const shared_bn& block_bn(std::size_t s, std::size_t b) const { return bn_.at(block_index(s, b)); }
  const shared_linear& classifier() const { return fc_; }

  // Input channels of block b of stage s at the largest sizes.
  std::size_t max_in_channels(std::size_t s, std::size_t b) const {
    if (b > 0) return opt_.stage_channels[s];
    return s == 0 ? opt_.stem_channels : opt_.stage_channels[s - 1];
  }

 private:
  void validate() const {
    using moo::detail::message;
    const auto& o = opt_;
    auto fail = [](const std::string& what) { throw moo::value_error("supernet_options: " + what); };
    if (o.input[0] == 0 || o.input[1] == 0 || o.input[2] == 0)
      fail(message("input shape ", o.input[0], "x", o.input[1], "x", o.input[2], " must be positive"));
    if (o.classes < 2) fail(message("classes ", o.classes, " must be at least 2"));
    if (o.stem_channels == 0) fail("stem_channels must be positive");
    if (o.stage_channels.empty()) fail("stage_channels is empty (at least one stage)");
    for (std::size_t c : o.stage_channels)
      if (c == 0) fail(message("stage_channels ", moo::detail::describe(o.stage_channels), " must be positive"));
    if (o.min_depth == 0 || o.min_depth > o.max_depth)
      fail(message("depths ", o.min_depth, "..", o.max_depth, " must satisfy 1 <= min_depth <= max_depth"));
    if (o.kernels.empty()) fail("kernels is empty");
    for (std::size_t i = 0; i < o.kernels.size(); ++i)
      if (o.kernels[i] % 2 == 0 || (i > 0 && o.kernels[i] <= o.kernels[i - 1]))
        fail(message("kernels ", moo::detail::describe(o.kernels), " must be odd and increasing"));
    if (o.widths.empty()) fail("widths is empty");
    for (std::size_t i = 0; i < o.widths.size(); ++i)
      if (!(o.widths[i] > 0.0 && o.widths[i] <= 1.0) || (i > 0 && o.widths[i] <= o.widths[i - 1]))
        fail(message("widths ", moo::detail::describe(o.widths), " must be increasing fractions in (0, 1]"));
    if (o.widths.back() != 1.0) fail(message("widths ", moo::detail::describe(o.widths), " must end with 1"));
    if (!(o.bn_eps > 0.0f) || !(o.bn_momentum > 0.0f && o.bn_momentum <= 1.0f))
      fail(message("bn_eps ", o.bn_eps, " must be positive and bn_momentum ", o.bn_momentum, " in (0, 1]"));
    std::size_t h = o.input[1], w = o.input[2];
    const std::size_t pools = o.stage_channels.size() - 1 + (o.stem_pool ? 1 : 0);
    for (std::size_t i = 0; i < pools; ++i) {
      h /= 2;
      w /= 2;
    }
    if (h == 0 || w == 0)
      fail(message("input ", o.input[1], "x", o.input[2], " is too small for ", pools, " 2x2 max pools"));
    const std::size_t widest = std::max(o.stem_channels, *std::max_element(o.stage_channels.begin(), o.stage_channels.end()));
    if (!train::detail::product_within({widest, widest, o.kernels.back(), o.kernels.back()}))
      fail(message("a block of ", widest, " channels with ", o.kernels.back(), "x", o.kernels.back(),
                   " kernels holds more than 2^28 weights"));
  }

  void build_space() {
    const std::size_t g = genes_per_stage();
    space_.lower.assign(stages() * g, 0);
    space_.upper.assign(stages() * g, 0);
    for (std::size_t s = 0; s < stages(); ++s) {
      space_.lower[s * g] = static_cast<long>(opt_.min_depth);
      space_.upper[s * g] = static_cast<long>(opt_.max_depth);
      for (std::size_t b = 0; b < opt_.max_depth; ++b) {
        space_.upper[s * g + 1 + 2 * b] = static_cast<long>(opt_.kernels.size() - 1);
        space_.upper[s * g + 2 + 2 * b] = static_cast<long>(opt_.widths.size() - 1);
      }
    }
    space_.about = description();
    space_.genes_per_stage = g;
  }

  static void fill_uniform(std::span<float> v, double bound, moo::rng& r) {
    for (auto& x : v) x = static_cast<float>(r.uniform(-bound, bound));
  }

  static shared_conv make_conv(std::size_t out, std::size_t in, std::size_t k, moo::rng& r) {
    shared_conv c;
    c.weight = train::tensor::from_shape({out, in, k, k});
    fill_uniform({c.weight.data(), c.weight.size()}, 1.0 / std::sqrt(static_cast<double>(in * k * k)), r);
    c.grad = train::zeros({out, in, k, k});
    return c;
  }

  static shared_bn make_bn(std::size_t c) {
    shared_bn b;
    b.gamma = train::zeros_vector(c);
    std::fill(b.gamma.begin(), b.gamma.end(), 1.0f);
    b.beta = train::zeros_vector(c);
    b.running_mean = train::zeros_vector(c);
    b.running_var = train::zeros_vector(c);
    std::fill(b.running_var.begin(), b.running_var.end(), 1.0f);
    b.gamma_grad = train::zeros_vector(c);
    b.beta_grad = train::zeros_vector(c);
    return b;
  }

  void init(moo::rng& r) {
    stem_conv_ = make_conv(opt_.stem_channels, opt_.input[0], 3, r);
    stem_bn_ = make_bn(opt_.stem_channels);
    for (std::size_t s = 0; s < stages(); ++s)
      for (std::size_t b = 0; b < opt_.max_depth; ++b) {
        conv_.push_back(make_conv(opt_.stage_channels[s], max_in_channels(s, b), opt_.kernels.back(), r));
        bn_.push_back(make_bn(opt_.stage_channels[s]));
      }
    const std::size_t last = opt_.stage_channels.back();
    fc_.weight = xt::xtensor<float, 2>::from_shape({opt_.classes, last});
    fill_uniform({fc_.weight.data(), fc_.weight.size()}, 1.0 / std::sqrt(static_cast<double>(last)), r);
    fc_.bias = train::zeros_vector(opt_.classes);
    fill_uniform({fc_.bias.data(), fc_.bias.size()}, 1.0 / std::sqrt(static_cast<double>(last)), r);
    fc_.grad = xt::xtensor<float, 2>::from_shape({opt_.classes, last});
    std::fill(fc_.grad.begin(), fc_.grad.end(), 0.0f);
    fc_.bias_grad = train::zeros_vector(opt_.classes);
  }

  std::size_t block_index(std::size_t s, std::size_t b) const {
    if (s >= stages() || b >= opt_.max_depth)
      throw moo::value_error(moo::detail::message("supernet: no block ", b, " in stage ", s, " (", stages(),
                                                  " stages of ", opt_.max_depth, " blocks)"));
    return s * opt_.max_depth + b;
  }

  // "s1b2" for block index i (1-based stage and block).
  std::string block_name(std::size_t i) const {
    return moo::detail::message("s", i / opt_.max_depth + 1, "b", i % opt_.max_depth + 1);
  }

  // Calls f(slot, height, width) for each layer of the sub-network's chain in order, with the spatial
  // size of the layer's output. The one description of the chain: counts, layers and gradients follow it.
  template <class F>
  void for_each_layer(const moo::integer_genome& x, F&& f) const {
    using detail::slot_kind;
    const subnet_config c = decode(x);
    std::size_t h = opt_.input[1], w = opt_.input[2];
    f(detail::slot{slot_kind::stem_conv, 0, opt_.stem_channels, opt_.input[0], 3, "stem_conv"}, h, w);
    f(detail::slot{slot_kind::stem_bn, 0, opt_.stem_channels, 0, 0, "stem_bn"}, h, w);
    f(detail::slot{slot_kind::relu, 0, 0, 0, 0, "stem_relu"}, h, w);
    if (opt_.stem_pool) {
      h /= 2;
      w /= 2;
      f(detail::slot{slot_kind::pool, 0, 0, 0, 0, "stem_pool"}, h, w);
    }
    std::size_t in = opt_.stem_channels;
    for (std::size_t s = 0; s < c.stages.size(); ++s) {
      if (s > 0) {
        h /= 2;
        w /= 2;
        f(detail::slot{slot_kind::pool, 0, 0, 0, 0, moo::detail::message("s", s, "_pool")}, h, w);
      }
      for (std::size_t b = 0; b < c.stages[s].size(); ++b) {
        const auto& blk = c.stages[s][b];
        const std::size_t i = s * opt_.max_depth + b;
        const std::string base = block_name(i);
        f(detail::slot{slot_kind::block_conv, i, blk.channels, in, blk.kernel, base + "_conv"}, h, w);
        f(detail::slot{slot_kind::block_bn, i, blk.channels, 0, 0, base + "_bn"}, h, w);
        f(detail::slot{slot_kind::relu, 0, 0, 0, 0, base + "_relu"}, h, w);
        in = blk.channels;
      }
    }
    f(detail::slot{slot_kind::gap, 0, 0, 0, 0, "gap"}, 1, 1);
    f(detail::slot{slot_kind::classifier, 0, in, 0, 0, "classifier"}, 1, 1);
  }

  // The slot of each layer of the chain, in order.
  std::vector<detail::slot> layout(const moo::integer_genome& x) const {
    std::vector<detail::slot> out;
    for_each_layer(x, [&](const detail::slot& s, std::size_t, std::size_t) { out.push_back(s); });
    return out;
  }

  // The layers of the sub-network's chain, named, with copies of their weight slices.
  std::vector<std::pair<std::string, train::layer>> pieces(const moo::integer_genome& x) const {
    using detail::slot_kind;
    std::vector<std::pair<std::string, train::layer>> out;
    for (const detail::slot& s : layout(x)) {
      switch (s.kind) {
        case slot_kind::stem_conv: out.emplace_back(s.name, conv_slice(stem_conv_, s)); break;
        case slot_kind::block_conv: out.emplace_back(s.name, conv_slice(conv_[s.index], s)); break;
        case slot_kind::stem_bn: out.emplace_back(s.name, bn_slice(stem_bn_, s)); break;
        case slot_kind::block_bn: out.emplace_back(s.name, bn_slice(bn_[s.index], s)); break;
        case slot_kind::relu: out.emplace_back(s.name, train::relu{}); break;
        case slot_kind::pool: out.emplace_back(s.name, train::max_pool2d({.kernel = 2, .name = s.name})); break;
        case slot_kind::gap: out.emplace_back(s.name, train::global_avg_pool({.name = s.name})); break;
        case slot_kind::classifier: {
          train::linear fc({.in_features = s.out, .out_features = opt_.classes, .name = s.name});
          for (std::size_t k = 0; k < opt_.classes; ++k) {
            for (std::size_t j = 0; j < s.out; ++j) fc.weight()(k, j) = fc_.weight(k, j);
            fc.bias()[k] = fc_.bias[k];
          }
          out.emplace_back(s.name, std::move(fc));
          break;
        }
      }
    }
    return out;
  }

  // Offset of a k x k kernel's centre inside the largest kernel of w.
  static std::size_t centre(const train::tensor& w, std::size_t k) { return (w.shape()[2] - k) / 2; }

  // A convolution holding the slice s of w: the first out and in channels, the centre kernel.
  static train::conv2d conv_slice(const shared_conv& w, const detail::slot& s) {
    train::conv2d c({.in_channels = s.in, .out_channels = s.out, .kernel = s.kernel, .padding = s.kernel / 2,
                     .bias = false, .name = s.name});
    const std::size_t off = centre(w.weight, s.kernel);
    for (std::size_t o = 0; o < s.out; ++o)
      for (std::size_t i = 0; i < s.in; ++i)
        for (std::size_t kh = 0; kh < s.kernel; ++kh)
          for (std::size_t kw = 0; kw < s.kernel; ++kw) c.weight()(o, i, kh, kw) = w.weight(o, i, off + kh, off + kw);
    return c;
  }

  // A batch norm holding the first s.out channels of w's parameters and running statistics.
  train::batch_norm bn_slice(const shared_bn& w, const detail::slot& s) const {
    train::batch_norm b({.channels = s.out, .eps = opt_.bn_eps, .momentum = opt_.bn_momentum, .name = s.name});
    std::copy_n(w.gamma.begin(), s.out, b.gamma().begin());
    std::copy_n(w.beta.begin(), s.out, b.beta().begin());
    std::copy_n(w.running_mean.begin(), s.out, b.running_mean().begin());
    std::copy_n(w.running_var.begin(), s.out, b.running_var().begin());
    return b;
  }

  static void add_conv_slice(train::tensor& dst, const train::tensor& g, const detail::slot& s) {
    const std::size_t off = centre(dst, s.kernel);
    for (std::size_t o = 0; o < s.out; ++o)
      for (std::size_t i = 0; i < s.in; ++i)
        for (std::size_t kh = 0; kh < s.kernel; ++kh)
          for (std::size_t kw = 0; kw < s.kernel; ++kw) dst(o, i, off + kh, off + kw) += g(o, i, kh, kw);
  }

  static moo::dimension_error mismatch(std::size_t i, const train::layer& l) {
    return moo::dimension_error(moo::detail::message("supernet: layer ", i + 1, " of the network (", l.label(),
                                                     ") is not the one the configuration puts there"));
  }

  supernet_options opt_;
  supernet_space space_;
  shared_conv stem_conv_;
  shared_bn stem_bn_;
  std::vector<shared_conv> conv_;  // stage-major, max_depth per stage
  std::vector<shared_bn> bn_;
  shared_linear fc_;
};

}  // namespace nas
