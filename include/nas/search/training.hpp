// Training a candidate network in place, the expensive part of evaluating it: an approximate-morphism
// child is first distilled from its parent (Hinton et al. 2015; Elsken et al. 2019, sec. 3.2), then every
// network is trained by SGD with momentum and a cosine-annealed rate (a starting network from scratch
// for `initial_epochs`, a child fine-tuned from its inherited weights for `epochs`). The shuffling seed
// comes from the candidate's id, so the result does not depend on which thread or machine trains it.
// A loss that becomes NaN or infinite stops training with nas::training_diverged (the search drops the
// child and logs why).
#pragma once

#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "nas/morphism/distill.hpp"
#include "nas/search/candidate.hpp"
#include "nas/train/data.hpp"
#include "nas/train/fit.hpp"
#include "nas/train/loss.hpp"
#include "nas/train/optim.hpp"
#include "nas/train/schedule.hpp"

namespace nas {

// A network whose training loss became NaN or infinite.
class training_diverged : public moo::error {
 public:
  using moo::error::error;
};

struct training_options {
  double epochs = 1.0;           // fine-tuning of a child (fractional: a share of an epoch's batches)
  double initial_epochs = 3.0;   // training of a starting network from scratch
  std::size_t batch_size = 128;
  double lr = 0.05;              // initial rate, cosine-annealed to 0 over the budget
  double momentum = 0.9;
  double weight_decay = 5e-4;
  morphism::distill_options distill = {.epochs = 0, .max_steps = 0};  // {.epochs = 0, .max_steps = 0}: fine-tune only
  std::uint64_t seed = 1;        // mixed with the candidate's id for shuffling
};

// What training did to a candidate.
struct training_report {
  std::size_t steps = 0;
  double last_loss = 0.0;  // mean loss over the last epoch (or partial epoch)
};

namespace detail {

// The candidate's shuffling seed; an approximate-morphism child is first distilled from its teacher
// (which is then dropped). Throws training_diverged if the distillation loss is not finite.
inline std::uint64_t distill_first(candidate& c, const train::dataset& data, const training_options& o) {
  const std::uint64_t seed = o.seed * 0x9e3779b97f4a7c15ULL ^ c.id;
  if (c.teacher) {
    auto d = o.distill;
    d.seed = seed;
    if (d.epochs != 0 || d.max_steps != 0) {
      const auto r = morphism::distill(c.net, *c.teacher, data, d);
      if (!std::isfinite(r.last_loss))
        throw training_diverged(moo::detail::message("candidate #", hex_id(c.id), " (", c.op,
                                                     "): distillation loss is ", r.last_loss));
    }
    c.teacher.reset();
  }
  return seed;
}

}  // namespace detail

// Trains c.net in place on `data` for the budget in o (distilling from c.teacher first, then dropping
// it); throws training_diverged naming the candidate, the epoch and the step if the loss is not finite.
inline training_report train_candidate(candidate& c, const train::dataset& data, const training_options& o) {
  const bool initial = c.parent == 0 && c.epochs == 0.0;
  const double budget = initial ? o.initial_epochs : o.epochs;
  if (!(budget >= 0.0) || !std::isfinite(budget))
    throw moo::value_error(moo::detail::message("train_candidate: budget of ", budget, " epochs"));
  const std::uint64_t seed = detail::distill_first(c, data, o);
  training_report rep;
  if (budget == 0.0) return rep;
  train::network net = c.net.compile();
  train::data_loader loader(data, {.batch_size = o.batch_size, .shuffle = true, .seed = seed});
  const std::size_t per_epoch = loader.batches();
  const auto total = static_cast<std::size_t>(std::ceil(budget * static_cast<double>(per_epoch)));
  train::softmax_cross_entropy loss;
  train::sgd opt({.lr = o.lr, .momentum = o.momentum, .weight_decay = o.weight_decay});
  const train::cosine_annealing schedule{.lr_max = o.lr, .lr_min = 0.0, .t_max = static_cast<double>(total)};
  const auto params = net.parameters();
  net.train();
  train::tensor grad;
  train::batch b;
  std::size_t epoch = 0;
  while (rep.steps < total) {
    loader.reset();
    double sum = 0.0;
    std::size_t seen = 0;
    while (rep.steps < total && loader.next(b)) {
      opt.set_lr(schedule(static_cast<double>(rep.steps)));
      const double l = train::train_step(net, b, loss, opt, params, grad);
      if (!std::isfinite(l))
        throw training_diverged(moo::detail::message("candidate #", hex_id(c.id), " (", c.op, "): training loss is ", l,
                                                     " at epoch ", epoch, ", step ", rep.steps));
      ++rep.steps;
      sum += l * static_cast<double>(b.size());
      seen += b.size();
    }
    rep.last_loss = seen == 0 ? 0.0 : sum / static_cast<double>(seen);
    ++epoch;
  }
  c.net.update_from(net);
  c.epochs += budget;
  return rep;
}

// Trains c.net in place for one round of a training in rounds (successive halving): continues from
// c.training (momentum, schedule position, shuffling position) unless round.restart, in which case a new
// cosine schedule of round.horizon epochs starts here (momentum is kept, as in SGDR); spends
// ceil(round.budget * batches per epoch) steps and saves where it stopped back into c.training. Two
// rounds equal one round of both budgets on the same schedule, bit for bit, also with the candidate
// serialized in between. An approximate-morphism child is distilled first, as by train_candidate.
inline training_report train_candidate(candidate& c, const train::dataset& data, const training_options& o,
                                       const moo::budget_round& round) {
  if (!(round.budget >= 0.0) || !std::isfinite(round.budget) || !(round.horizon >= 0.0) || !std::isfinite(round.horizon))
    throw moo::value_error(moo::detail::message("train_candidate: a round of ", round.budget, " epochs on a schedule of ",
                                                round.horizon));
  const std::uint64_t seed = detail::distill_first(c, data, o);
  training_report rep;
  train::network net = c.net.compile();
  train::data_loader loader(data, {.batch_size = o.batch_size, .shuffle = true, .seed = seed});
  const std::size_t per_epoch = loader.batches();
  training_state& st = c.training;
  // The loader where the last round left it: the same reshuffles, the same batches taken.
  train::batch b;
  for (std::uint64_t e = 0; e < st.reshuffles; ++e) loader.reset();
  for (std::uint64_t i = 0; i < st.batch; ++i) (void)loader.next(b);
  if (round.restart || st.steps == 0) {
    st.step = 0;
    st.steps = static_cast<std::uint64_t>(std::ceil(round.horizon * static_cast<double>(per_epoch)));
  }
  const auto round_steps = static_cast<std::uint64_t>(std::ceil(round.budget * static_cast<double>(per_epoch)));
  if (round_steps == 0) return rep;
  train::softmax_cross_entropy loss;
  train::sgd opt({.lr = o.lr, .momentum = o.momentum, .weight_decay = o.weight_decay});
  const auto params = net.parameters();
  opt.set_momentum(std::move(st.momentum));
  const train::cosine_annealing schedule{.lr_max = o.lr, .lr_min = 0.0,
                                         .t_max = static_cast<double>(std::max<std::uint64_t>(st.steps, 1))};
  net.train();
  train::tensor grad;
  double sum = 0.0;
  std::size_t seen = 0;
  for (std::uint64_t done = 0; done < round_steps;) {
    if (!loader.next(b)) {
      loader.reset();
      ++st.reshuffles;
      st.batch = 0;
      rep.last_loss = seen == 0 ? rep.last_loss : sum / static_cast<double>(seen);
      sum = 0.0;
      seen = 0;
      continue;
    }
    ++st.batch;
    opt.set_lr(schedule(static_cast<double>(st.step)));
    const double l = train::train_step(net, b, loss, opt, params, grad);
    if (!std::isfinite(l))
      throw training_diverged(moo::detail::message("candidate #", hex_id(c.id), " (", c.op, "): training loss is ", l,
                                                   " at step ", st.step, " of its schedule"));
    ++st.step;
    ++done;
    ++rep.steps;
    sum += l * static_cast<double>(b.size());
    seen += b.size();
  }
  if (seen != 0) rep.last_loss = sum / static_cast<double>(seen);
  st.momentum = opt.momentum();
  c.net.update_from(net);
  c.epochs += round.budget;
  return rep;
}

// Keeps timing away from training: trainings run side by side (shared), a measurement (latency) runs
// alone (exclusive), waiting until no training runs, and no training starts while one waits or runs.
class measurement_gate {
 public:
  void lock_shared() {
    std::unique_lock l(m_);
    cv_.wait(l, [&] { return !exclusive_ && waiting_ == 0; });
    ++shared_;
  }
  void unlock_shared() {
    std::lock_guard l(m_);
    if (--shared_ == 0) cv_.notify_all();
  }
  void lock() {
    std::unique_lock l(m_);
    ++waiting_;
    cv_.wait(l, [&] { return !exclusive_ && shared_ == 0; });
    --waiting_;
    exclusive_ = true;
  }
  void unlock() {
    std::lock_guard l(m_);
    exclusive_ = false;
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::size_t shared_ = 0;
  std::size_t waiting_ = 0;
  bool exclusive_ = false;
};

}  // namespace nas
