// MODNAS's search loop (Sukthanker et al., "Multi-objective Differentiable Neural Architecture Search",
// ICLR 2025, Algorithm 1), on nas::train: one run trains a hypernetwork that maps (preference, device
// features) to the architecture parameters of a differentiable super-network, for every training device
// at once. Each step alternates, as DARTS's first-order bi-level search:
//   1. weights: a random training device t and preference r ~ Dirichlet(c, ..., c); alpha = H(r, f_t);
//      one straight-through Gumbel architecture sample; cross-entropy on a training batch; one SGD
//      (momentum, cosine-annealed) step on the super-network's weights;
//   2. hypernetwork (after warmup_steps): for every training device t, r_t ~ Dirichlet; alpha_t =
//      H(r_t, f_t); a sample; on one validation batch the two normalised objectives
//        L_1 = cross-entropy / ln(classes)       (1 = the loss of a uniform guess)
//        L_2 = (E_w[cost] - min cost) / (max cost - min cost)   (the device's latency table, or MACs,
//              expected under the soft weights w = softmax((alpha + g) / tau) of the sample)
//      and their gradients with respect to the hypernetwork's parameters Phi (two backward passes
//      through H; each scaled to unit length, normalize_objectives); then moo::preference_mgd:
//      s_t = r_t . grad L_t, normalised, min-norm combination over the devices; Adam steps Phi along it.
// Before step 0 the hypernetwork is fitted to map preferences to architectures whose expected hardware
// cost follows the preference (pretrain_steps; the reference code also starts from a pretrained one).
// A non-finite loss, gradient or weight stops the search with a moo::value_error naming the step and
// the quantity, before anything is written: the last checkpoint stays the last good state.
// Checkpoints (every checkpoint_every steps and at the end, written atomically with a CRC-32) hold the
// step, the random stream, the super-network's weights and batch-norm statistics, the hypernetwork, and
// both optimisers' states: a resumed search continues bit for bit. A checkpoint of another configuration
// (options, devices, data sizes) is refused with moo::io_error.
// After the search, architecture_for(preference, device) is the most likely architecture (argmax per
// edge of H(r, f)); sweep.hpp turns K preferences per device into fronts.
// Example:
//   nas::modnas::search s(space, {.hidden = {32}}, devices, train, val, {.steps = 600, .checkpoint = "ck"});
//   s.run();
//   auto arch = s.architecture_for(std::vector{0.3, 0.7}, devices[0].features);
#pragma once

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <numbers>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/gradient/min_norm.hpp"
#include "moo/io/codec.hpp"
#include "moo/io/file.hpp"
#include "nas/modnas/device.hpp"
#include "nas/modnas/hypernetwork.hpp"
#include "nas/modnas/supernet.hpp"
#include "nas/train/data.hpp"
#include "nas/train/loss.hpp"
#include "nas/train/optim.hpp"
#include "nas/train/parallel.hpp"
#include "nas/train/schedule.hpp"

namespace nas::modnas {

// The hardware objective: expected latency from the device's table, or expected MACs.
enum class hardware_objective { latency, macs };

struct search_options {
  std::size_t steps = 1000;
  std::size_t batch_size = 64;
  std::size_t warmup_steps = 0;   // weight-only steps first (the hypernetwork is frozen)
  // Super-network weights: SGD with momentum, learning rate cosine-annealed from lr to lr_min over steps.
  double lr = 0.05;
  double lr_min = 0.001;
  double momentum = 0.9;
  double weight_decay = 3e-4;
  // Hypernetwork: Adam (DARTS's architecture optimiser: lr 3e-4, betas (0.5, 0.999), weight decay 1e-3).
  double hyper_lr = 3e-4;
  double hyper_beta1 = 0.5;
  double hyper_weight_decay = 1e-3;
  double dirichlet = 1.0;         // concentration of the preference distribution (1: uniform on the simplex)
  hardware_objective hardware = hardware_objective::latency;
  moo::preference_mgd_options mgd = {};
  // Scale each objective's gradient (in Phi) to unit length before the preference weighs them. Not in the
  // paper: here the cross-entropy gradient through the straight-through sample is orders of magnitude
  // smaller than the hardware gradient, and without it every preference but (1, 0) collapsed to the
  // cheapest architecture (one architecture for all 32 preference x device pairs on Fashion-MNIST).
  bool normalize_objectives = true;
  // Before the search, the hypernetwork is fitted (Adam, pretrain_lr) so that its architectures' expected
  // normalised hardware cost follows the preference: cost(H(r, f_t)) ~ r_error (all weight on the error:
  // the most expensive end of the space; all on hardware: the cheapest), on random preferences and
  // training devices, without touching the super-network: the preference sweep then spans the cost
  // range, and the search moves each preference's architectures toward lower error. (A one-sided budget,
  // max(0, cost - r_error)^2, made every preference the cheapest architecture.) The reference code starts
  // from a pretrained hypernetwork too; this target is ours. 0 steps: the random initialisation.
  std::size_t pretrain_steps = 1000;
  double pretrain_lr = 0.01;
  std::filesystem::path checkpoint = {};  // empty: no checkpoints
  std::size_t checkpoint_every = 100;
  std::size_t threads = 0;        // nas::train's threads (0: leave the setting)
  std::uint64_t seed = 1;
};

// What one step measured.
struct search_step {
  std::size_t step = 0;
  double train_loss = 0.0;                // cross-entropy of the weight step's sample
  std::vector<double> val_loss = {};      // per training device: L_1 (normalised cross-entropy); empty in warm-up
  std::vector<double> hardware = {};      // per training device: L_2 (normalised expected cost)
  std::vector<double> device_weights = {};  // the min-norm weights over the devices
  double seconds = 0.0;
};

// A Dirichlet(c, ..., c) sample of m entries (gamma variates by Marsaglia & Tsang 2000, normalised).
inline std::vector<double> dirichlet(std::size_t m, double concentration, moo::rng& r) {
  if (m == 0 || !(concentration > 0.0) || !std::isfinite(concentration))
    throw moo::value_error(moo::detail::message("dirichlet: ", m, " entries with concentration ", concentration,
                                                " (needs m >= 1 and a finite concentration > 0)"));
  auto gamma = [&r](double a) {
    const double boost = a < 1.0 ? 1.0 : 0.0;  // Gamma(a) = Gamma(a + 1) * U^(1/a) for a < 1
    const double d = a + boost - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    double x;
    for (;;) {
      double z, v;
      do {
        z = r.normal();
        v = 1.0 + c * z;
      } while (v <= 0.0);
      v = v * v * v;
      double u = r.uniform();
      while (u <= 0.0) u = r.uniform();
      if (std::log(u) < 0.5 * z * z + d - d * v + d * std::log(v)) {
        x = d * v;
        break;
      }
    }
    if (boost > 0.0) {
      double u = r.uniform();
      while (u <= 0.0) u = r.uniform();
      x *= std::pow(u, 1.0 / a);
    }
    return x;
  };
  std::vector<double> p(m);
  double s = 0.0;
  for (double& v : p) s += v = gamma(concentration);
  if (!(s > 0.0)) {  // every gamma underflowed (tiny concentrations): one vertex
    std::fill(p.begin(), p.end(), 0.0);
    p[r.index(m)] = 1.0;
    return p;
  }
  for (double& v : p) v /= s;
  return p;
}

namespace detail {

// Batches of a data set in a fixed pseudo-random order: batch i is part of epoch i / (n / batch_size),
// whose permutation is a function of (seed, epoch) alone, so any step's batch can be rebuilt on resume.
class epoch_batches {
 public:
  epoch_batches(const nas::train::dataset& d, std::size_t batch_size, std::uint64_t seed)
      : d_(&d), bs_(batch_size), seed_(seed) {
    if (batch_size == 0) throw moo::value_error("modnas search: batch_size must be positive");
    if (d.size() < batch_size)
      throw moo::value_error(moo::detail::message("modnas search: a data set of ", d.size(), " samples is smaller than one batch of ",
                                                  batch_size));
  }
  void get(std::size_t i, nas::train::batch& b) {
    const std::size_t per_epoch = d_->size() / bs_;
    const std::size_t epoch = i / per_epoch, pos = (i % per_epoch) * bs_;
    if (epoch != epoch_ || order_.empty()) {
      order_.resize(d_->size());
      std::iota(order_.begin(), order_.end(), std::size_t{0});
      moo::rng r(seed_ ^ (0x9E3779B97F4A7C15ull * (epoch + 1)));
      r.shuffle(order_.begin(), order_.end());
      epoch_ = epoch;
    }
    const nas::train::shape4 s = d_->sample_shape();
    const std::size_t per = s[1] * s[2] * s[3];
    nas::train::ensure_shape(b.images, {bs_, s[1], s[2], s[3]});
    b.labels.resize(bs_);
    for (std::size_t k = 0; k < bs_; ++k) {
      const std::size_t src = order_[pos + k];
      b.labels[k] = d_->labels[src];
      std::copy_n(d_->images.data() + src * per, per, b.images.data() + k * per);
    }
  }

 private:
  const nas::train::dataset* d_;
  std::size_t bs_;
  std::uint64_t seed_;
  std::size_t epoch_ = 0;
  std::vector<std::size_t> order_;
};

// Every float array of a network's state: its parameters, then each batch norm's running statistics.
inline std::vector<std::pair<std::string, std::span<float>>> network_state(nas::train::network& net) {
  std::vector<std::pair<std::string, std::span<float>>> s;
  for (auto& p : net.parameters()) s.emplace_back(p.name, p.value);
  for (std::size_t i = 1; i < net.size(); ++i)
    if (auto* bn = net.at(i).get_if<nas::train::batch_norm>()) {
      s.emplace_back(moo::detail::message("node", i, ".running_mean"), std::span<float>(bn->running_mean().data(), bn->running_mean().size()));
      s.emplace_back(moo::detail::message("node", i, ".running_var"), std::span<float>(bn->running_var().data(), bn->running_var().size()));
    }
  return s;
}

inline constexpr char search_magic[8] = {'M', 'O', 'O', 'M', 'O', 'D', 'N', 'S'};
inline constexpr std::uint32_t search_format_version = 1;

}  // namespace detail

class search {
 public:
  // hyper: the hypernetwork's shape; its objectives (2), device_features, edges and candidates are set
  // here from the devices and the space. Devices: at least one, all with the space's candidates, a table
  // per edge (measure_supernet_device) or per candidate, and feature vectors of one length. The two data
  // sets are referenced, not copied: they must outlive the search. Not copyable (the optimisers hold
  // views of the super-network's weights).
  search(supernet_options space, hypernetwork_options hyper, std::vector<device> devices, const nas::train::dataset& train,
         const nas::train::dataset& validation, search_options o)
      : space_(std::move(space)), devices_(std::move(devices)), opt_(std::move(o)),
        train_(train, opt_.batch_size, opt_.seed * 2 + 1), val_(validation, opt_.batch_size, opt_.seed * 2 + 2),
        rng_(opt_.seed), train_size_(train.size()), val_size_(validation.size()), classes_(train.classes) {
    if (devices_.empty()) throw moo::value_error("modnas search: no training devices");
    if (opt_.checkpoint_every == 0) throw moo::value_error("modnas search: checkpoint_every must be positive");
    if (!(opt_.dirichlet > 0.0)) throw moo::value_error(moo::detail::message("modnas search: dirichlet ", opt_.dirichlet, " must be positive"));
    if (train.classes != space_.classes || validation.classes != space_.classes)
      throw moo::value_error(moo::detail::message("modnas search: the data sets have ", train.classes, " and ", validation.classes,
                                                  " classes, the space ", space_.classes));
    const std::size_t edges = edge_count(space_);
    for (const device& d : devices_) {
      d.validate();
      if (d.candidates != space_.candidates)
        throw moo::value_error(moo::detail::message("modnas search: device '", d.name, "' has other candidates than the space"));
      if (d.latency.size() != space_.candidates.size() && d.latency.size() != edges * space_.candidates.size())
        throw moo::dimension_error(moo::detail::message("modnas search: device '", d.name, "' has a latency table of ", d.latency.size(),
                                                        " values for ", edges, " edges x ", space_.candidates.size(), " candidates"));
      if (opt_.hardware == hardware_objective::macs && d.macs.empty())
        throw moo::value_error(moo::detail::message("modnas search: device '", d.name, "' has no MAC table"));
      if (opt_.hardware == hardware_objective::macs && d.macs.size() != space_.candidates.size() &&
          d.macs.size() != edges * space_.candidates.size())
        throw moo::dimension_error(moo::detail::message("modnas search: device '", d.name, "' has a MAC table of ", d.macs.size(),
                                                        " values for ", edges, " edges x ", space_.candidates.size(), " candidates"));
      if (d.features.size() != devices_[0].features.size())
        throw moo::dimension_error(moo::detail::message("modnas search: device '", d.name, "' has ", d.features.size(),
                                                        " features, device '", devices_[0].name, "' ", devices_[0].features.size()));
    }
    hyper.objectives = 2;
    hyper.device_features = devices_[0].features.size();
    hyper.edges = edges;
    hyper.candidates = space_.candidates.size();
    hyper_ = hypernetwork(std::move(hyper));
    moo::rng init(opt_.seed + 0x5eed);
    net_ = supernet(space_, init);
    sgd_ = nas::train::sgd({.lr = opt_.lr, .momentum = opt_.momentum, .weight_decay = opt_.weight_decay});
    adam_ = nas::train::adam({.lr = opt_.hyper_lr, .beta1 = opt_.hyper_beta1, .weight_decay = opt_.hyper_weight_decay});
    params_ = net_.parameters();
    pretrain();
  }

  search(const search&) = delete;
  search& operator=(const search&) = delete;

  // The normalised expected hardware cost (L_2) of E x K soft mixing weights on device d, and its gradient
  // in alpha (through each edge's softmax at the space's temperature) in dalpha.
  double soft_hardware_cost(const device& d, std::span<const double> soft, std::vector<double>& dalpha) const {
    const auto& tab = table(d);
    const std::size_t e = edge_count(space_), k = space_.candidates.size();
    if (soft.size() != e * k)
      throw moo::dimension_error(moo::detail::message("modnas search: ", soft.size(), " mixing weights for ", e, " x ", k));
    const auto [lo, hi] = cost_range(d);
    const double span = hi > lo ? hi - lo : 1.0;
    double cost = 0.0;
    dalpha.assign(e * k, 0.0);
    std::vector<double> g(k);
    for (std::size_t j = 0; j < e; ++j) {
      for (std::size_t c = 0; c < k; ++c) {
        g[c] = tab[(tab.size() == k ? 0 : j * k) + c] / span;
        cost += soft[j * k + c] * g[c];
      }
      const auto dz = softmax_backward(soft.subspan(j * k, k), g, space_.temperature);
      std::copy(dz.begin(), dz.end(), dalpha.begin() + static_cast<std::ptrdiff_t>(j * k));
    }
    return cost - lo / span;
  }

  const supernet_options& space() const { return space_; }
  const std::vector<device>& devices() const { return devices_; }
  const search_options& options() const { return opt_; }
  std::size_t steps_done() const { return step_; }
  supernet& super_network() { return net_; }
  hypernetwork& hyper() { return hyper_; }
  const hypernetwork& hyper() const { return hyper_; }

  // The normalised hardware objective of an architecture on a device (table-based, in [0, 1]).
  double hardware_cost(const device& d, const architecture& a) const {
    const auto [lo, hi] = cost_range(d);
    const double c = opt_.hardware == hardware_objective::latency ? d.latency_of(a) : d.macs_of(a);
    return hi > lo ? (c - lo) / (hi - lo) : 0.0;
  }

  // The architecture parameters H(r, f) and the most likely architecture for a preference (over
  // {error, hardware}) and a device feature vector (a training device's, or a held-out one's).
  std::vector<double> alpha_for(std::span<const double> preference, std::span<const double> features) {
    return hyper_.forward(preference, features);
  }
  architecture architecture_for(std::span<const double> preference, std::span<const double> features) {
    return most_likely(hyper_.forward(preference, features), space_.candidates.size());
  }

  // One step (weights, then the hypernetwork unless in warm-up).
  search_step step() {
    const auto t0 = std::chrono::steady_clock::now();
    if (opt_.threads != 0) nas::train::set_num_threads(opt_.threads);
    search_step rec{.step = step_};
    // 1. The super-network's weights.
    {
      const std::size_t t = static_cast<std::size_t>(rng_.index(devices_.size()));
      const auto pref = dirichlet(2, opt_.dirichlet, rng_);
      net_.set_alpha(hyper_.forward(pref, devices_[t].features));
      net_.sample(rng_);
      train_.get(step_, batch_);
      net_.network().train();
      const auto& logits = net_.network().forward(batch_.images);
      rec.train_loss = ce_(logits, batch_.labels, grad_);
      check(rec.train_loss, "the training loss");
      net_.network().backward(grad_);
      for (const auto& p : params_) check_all(p.grad, "a weight gradient", p.name);
      const double frac = opt_.steps > 1 ? static_cast<double>(step_) / static_cast<double>(opt_.steps) : 0.0;
      sgd_.set_lr(opt_.lr_min + 0.5 * (opt_.lr - opt_.lr_min) * (1.0 + std::cos(std::numbers::pi * frac)));
      sgd_.step(params_);
    }
    // 2. The hypernetwork.
    if (step_ >= opt_.warmup_steps) {
      val_.get(step_, batch_);
      const std::size_t n = hyper_.parameter_count();
      std::vector<moo::matrix> grads;
      moo::matrix prefs(devices_.size(), 2);
      const double norm_ce = std::log(static_cast<double>(classes_));
      for (std::size_t t = 0; t < devices_.size(); ++t) {
        const auto pref = dirichlet(2, opt_.dirichlet, rng_);
        prefs(t, 0) = pref[0];
        prefs(t, 1) = pref[1];
        net_.set_alpha(hyper_.forward(pref, devices_[t].features));
        net_.sample(rng_);
        net_.network().train();
        const auto& logits = net_.network().forward(batch_.images);
        const double l1 = ce_(logits, batch_.labels, grad_) / norm_ce;
        check(l1, "the validation loss");
        for (float& g : grad_) g = static_cast<float>(g / norm_ce);
        net_.network().backward(grad_);
        const std::vector<double> d1 = net_.alpha_grad();
        // L_2 under the soft weights, and its alpha gradient through each edge's softmax.
        std::vector<double> d2;
        const double cost = soft_hardware_cost(devices_[t], net_.soft_weights(), d2);
        check(cost, "the hardware objective");
        rec.val_loss.push_back(l1);
        rec.hardware.push_back(cost);
        // Both objectives' gradients with respect to Phi: two backward passes through H.
        moo::matrix g(2, n);
        hyper_.forward(pref, devices_[t].features);
        for (int m = 0; m < 2; ++m) {
          hyper_.zero_grad();
          hyper_.backward(m == 0 ? d1 : d2);
          std::size_t c = 0;
          for (const auto& p : hyper_.parameters())
            for (const float v : p.grad) g(static_cast<std::size_t>(m), c++) = v;
          if (opt_.normalize_objectives) {
            double nn = 0.0;
            for (const double v : g.row(static_cast<std::size_t>(m))) nn += v * v;
            nn = std::sqrt(nn);
            if (nn > 0.0)
              for (double& v : g.row(static_cast<std::size_t>(m))) v /= nn;
          }
        }
        grads.push_back(std::move(g));
      }
      const moo::min_norm_result dir = moo::preference_mgd(grads, prefs, opt_.mgd);
      rec.device_weights = dir.weights;
      std::size_t c = 0;
      auto hp = hyper_.parameters();
      for (const auto& p : hp)
        for (float& v : p.grad) {
          v = static_cast<float>(dir.direction[c++]);
          check(v, "the hypernetwork's update direction");
        }
      adam_.step(hp);
      for (const auto& p : hp) check_all(p.value, "a hypernetwork weight", p.name);
    }
    for (const auto& p : params_) check_all(p.value, "a super-network weight", p.name);
    ++step_;
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rec;
  }

  // Runs the remaining steps; checkpoints every checkpoint_every steps and at the end (if a path is set).
  // on_step (optional) sees every step's record.
  void run(const std::function<void(const search_step&)>& on_step = {}) {
    while (step_ < opt_.steps) {
      const search_step rec = step();
      if (on_step) on_step(rec);
      if (!opt_.checkpoint.empty() && (step_ % opt_.checkpoint_every == 0 || step_ == opt_.steps)) save(opt_.checkpoint);
    }
  }

  // A description of everything a checkpoint must agree with (not the number of steps, so a finished
  // search can be continued for more).
  std::string fingerprint() const {
    moo::io::codec::byte_writer w;
    w.u64(space_.in_channels), w.u64(space_.height), w.u64(space_.width), w.u64(space_.classes);
    w.u64(space_.channels), w.u64(space_.cells), w.u64(space_.nodes);
    for (const candidate c : space_.candidates) w.u8(static_cast<std::uint8_t>(c));
    w.u8(static_cast<std::uint8_t>(space_.mode)), w.f64(space_.temperature);
    for (const device& d : devices_) {
      w.str(d.name);
      for (const double v : d.latency) w.f64(v);
      for (const double v : d.macs) w.f64(v);
      for (const double v : d.features) w.f64(v);
    }
    w.u64(opt_.batch_size), w.u64(opt_.warmup_steps), w.f64(opt_.lr), w.f64(opt_.lr_min), w.f64(opt_.momentum);
    w.f64(opt_.weight_decay), w.f64(opt_.hyper_lr), w.f64(opt_.hyper_beta1), w.f64(opt_.hyper_weight_decay);
    w.f64(opt_.dirichlet), w.u8(static_cast<std::uint8_t>(opt_.hardware)), w.u8(opt_.mgd.normalize ? 1 : 0);
    w.u8(opt_.normalize_objectives ? 1 : 0), w.u64(opt_.pretrain_steps), w.f64(opt_.pretrain_lr);
    w.u64(opt_.seed), w.u64(train_size_), w.u64(val_size_);
    w.str(hypernetwork_to_bytes(hypernetwork(hyper_.options())));  // the hypernetwork's shape and random initialisation
    return std::move(w.bytes);
  }

  // Writes the whole state (atomically, with a CRC-32).
  void save(const std::filesystem::path& path) {
    moo::io::codec::byte_writer w;
    w.raw(std::string_view(detail::search_magic, sizeof detail::search_magic));
    w.u32(detail::search_format_version);
    w.u32(moo::io::codec::crc32(fingerprint()));
    w.u64(step_);
    for (const auto v : rng_.state()) w.u64(v);
    const auto state = detail::network_state(net_.network());
    w.u64(state.size());
    for (const auto& [name, values] : state) {
      w.str(name);
      w.floats(values);
    }
    w.u64(sgd_.momentum().size());
    for (const auto& v : sgd_.momentum()) w.floats(v);
    w.str(hypernetwork_to_bytes(hyper_));
    w.u64(adam_.steps());
    w.u64(adam_.first_moment().size());
    for (std::size_t i = 0; i < adam_.first_moment().size(); ++i) {
      w.u64(adam_.first_moment()[i].size());
      for (const double v : adam_.first_moment()[i]) w.f64(v);
      for (const double v : adam_.second_moment()[i]) w.f64(v);
    }
    w.u32(moo::io::codec::crc32(w.bytes));
    moo::io::write_atomically(path, w.bytes);
  }

  // Restores a state save() wrote for this configuration (io_error naming the file otherwise; the search
  // is unchanged when loading fails).
  void load(const std::filesystem::path& path) {
    const std::string bytes = moo::io::read_file(path);
    moo::io::codec::byte_reader r(bytes, path.string(), "the header");
    if (r.raw(sizeof detail::search_magic) != std::string_view(detail::search_magic, sizeof detail::search_magic))
      r.fail("not a MODNAS search checkpoint (bad magic)");
    const std::uint32_t version = r.u32();
    if (version != detail::search_format_version) r.fail(moo::detail::message("unsupported format version ", version));
    if (bytes.size() < r.pos() + 4) r.fail("truncated");
    {
      std::uint32_t stored = 0;
      for (int i = 3; i >= 0; --i) stored = (stored << 8) | static_cast<unsigned char>(bytes[bytes.size() - 4 + static_cast<std::size_t>(i)]);
      if (stored != moo::io::codec::crc32(std::string_view(bytes).substr(0, bytes.size() - 4)))
        r.fail("checksum mismatch (the file is truncated or corrupt)");
    }
    if (r.u32() != moo::io::codec::crc32(fingerprint()))
      r.fail("the checkpoint is from a search with another configuration (space, devices, options or data sizes)");
    const std::size_t step = r.u64();
    moo::rng::state_type rs;
    for (auto& v : rs) v = r.u64();
    if (rs == moo::rng::state_type{}) r.fail("an all-zero random state (the generator would only return 0)");
    r.set_context("the super-network");
    auto state = detail::network_state(net_.network());
    if (r.u64() != state.size()) r.fail("another number of weight arrays");
    std::vector<std::vector<float>> values;
    for (const auto& [name, dst] : state) {
      if (r.str() != name) r.fail(moo::detail::message("expected the array ", name));
      values.push_back(r.floats());
      if (values.back().size() != dst.size()) r.fail(moo::detail::message(name, ": ", values.back().size(), " values, expected ", dst.size()));
    }
    r.set_context("the optimisers");
    const std::size_t nm = r.u64();
    if (nm != 0 && nm != params_.size()) r.fail("another number of momentum buffers");
    std::vector<std::vector<float>> momentum;
    for (std::size_t i = 0; i < nm; ++i) {
      momentum.push_back(r.floats());
      if (momentum.back().size() != params_[i].value.size()) r.fail("a momentum buffer of another size");
    }
    const std::string hb = r.str(std::uint64_t{1} << 34);
    hypernetwork h = hypernetwork_from_bytes(hb, path.string() + " (hypernetwork)");
    if (hypernetwork_to_bytes(hypernetwork(h.options())) != hypernetwork_to_bytes(hypernetwork(hyper_.options())))
      r.fail("the hypernetwork has another shape");
    const std::size_t adam_steps = r.u64();
    const std::size_t na = r.u64();
    auto hp = h.parameters();
    if (na != 0 && na != hp.size()) r.fail(moo::detail::message(na, " Adam moments for ", hp.size(), " hypernetwork parameters"));
    if ((na == 0) != (adam_steps == 0)) r.fail(moo::detail::message("Adam moments of ", na, " parameters after ", adam_steps, " steps"));
    std::vector<std::vector<double>> m1(na), m2(na);
    for (std::size_t i = 0; i < na; ++i) {
      const std::size_t len = r.u64();
      if (len != hp[i].value.size()) r.fail(moo::detail::message("Adam moments of ", len, " values for ", hp[i].name, " of ", hp[i].value.size()));
      if (len > r.remaining() / 16) r.fail("truncated");
      m1[i].resize(len);
      m2[i].resize(len);
      for (double& v : m1[i]) v = r.f64();
      for (double& v : m2[i]) v = r.f64();
    }
    if (r.remaining() != 4) r.fail("unexpected bytes after the state");
    // Everything read and checked: apply.
    step_ = step;
    rng_.set_state(rs);
    for (std::size_t i = 0; i < state.size(); ++i) std::copy(values[i].begin(), values[i].end(), state[i].second.begin());
    sgd_.set_momentum(std::move(momentum));
    hyper_ = std::move(h);
    if (na == 0)
      adam_.reset();
    else
      adam_.set_state(adam_steps, std::move(m1), std::move(m2));
  }

  // load() if the file exists; returns whether it did.
  bool resume(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path)) return false;
    load(path);
    return true;
  }

 private:
  // The hypernetwork's initial fit (search_options::pretrain_steps): (L_2(softmax(H(r, f_t) / tau)) - r_0)^2.
  void pretrain() {
    if (opt_.pretrain_steps == 0) return;
    moo::rng r(opt_.seed ^ 0x9E3779B97F4A7C15ull);
    nas::train::adam a({.lr = opt_.pretrain_lr});
    const std::size_t k = space_.candidates.size();
    std::vector<double> soft, dalpha;
    for (std::size_t i = 0; i < opt_.pretrain_steps; ++i) {
      const std::size_t t = static_cast<std::size_t>(r.index(devices_.size()));
      const auto pref = dirichlet(2, opt_.dirichlet, r);
      const auto& alpha = hyper_.forward(pref, devices_[t].features);
      soft.clear();
      for (std::size_t j = 0; j < alpha.size(); j += k) {
        const auto w = softmax(std::span<const double>(alpha).subspan(j, k), space_.temperature);
        soft.insert(soft.end(), w.begin(), w.end());
      }
      const double cost = soft_hardware_cost(devices_[t], soft, dalpha);
      for (double& v : dalpha) v *= 2.0 * (cost - pref[0]);
      hyper_.zero_grad();
      hyper_.backward(dalpha);
      a.step(hyper_.parameters());
    }
    hyper_.zero_grad();
  }

  const std::vector<double>& table(const device& d) const {
    return opt_.hardware == hardware_objective::latency ? d.latency : d.macs;
  }
  // The cheapest and the most expensive architecture's cost on d (the hardware objective's table).
  std::pair<double, double> cost_range(const device& d) const {
    const std::size_t e = edge_count(space_);
    if (opt_.hardware == hardware_objective::latency) return {d.min_latency(e), d.max_latency(e)};
    return {d.min_macs(e), d.max_macs(e)};
  }
  void check(double v, std::string_view what) const {
    if (!std::isfinite(v))
      throw moo::value_error(moo::detail::message("modnas search: ", what, " is ", v, " at step ", step_,
                                                  " (the search diverged; the last checkpoint is the last good state)"));
  }
  void check_all(std::span<const float> v, std::string_view what, std::string_view name) const {
    for (const float x : v)
      if (!std::isfinite(x))
        throw moo::value_error(moo::detail::message("modnas search: ", what, " of ", name, " is ", x, " at step ", step_,
                                                    " (the search diverged; the last checkpoint is the last good state)"));
  }

  supernet_options space_;
  std::vector<device> devices_;
  search_options opt_;
  detail::epoch_batches train_, val_;
  moo::rng rng_;
  std::size_t train_size_, val_size_, classes_;
  hypernetwork hyper_;
  supernet net_;
  nas::train::sgd sgd_;
  nas::train::adam adam_;
  std::vector<nas::train::parameter_ref> params_;
  nas::train::softmax_cross_entropy ce_;
  nas::train::tensor grad_;
  nas::train::batch batch_;
  std::size_t step_ = 0;
};

}  // namespace nas::modnas
