// Knowledge distillation of a child from its parent after an approximate morphism (Elsken et al. 2019,
// LEMONADE, sec. 3.2; Hinton et al. 2015): the child (student, training mode) is trained on the
// parent's (teacher, eval mode) softened outputs with the backend's distillation_loss, by SGD with a
// cosine-annealed learning rate, for a fixed budget of epochs or steps.
#pragma once

#include <cstddef>
#include <cstdint>

#include "moo/core/error.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/train/data.hpp"
#include "nas/train/loss.hpp"
#include "nas/train/network.hpp"
#include "nas/train/optim.hpp"
#include "nas/train/schedule.hpp"

namespace nas::morphism {

// Budget and settings of distill.
struct distill_options {
  std::size_t epochs = 1;      // passes over the data
  std::size_t max_steps = 0;   // stop after this many steps (0: no limit)
  std::size_t batch_size = 64;
  double lr = 0.02;            // initial learning rate, annealed to 0 (cosine) over the budget
  double momentum = 0.9;
  double weight_decay = 5e-4;
  double temperature = 4.0;    // softening of both distributions
  double alpha = 0.9;          // weight of the soft targets; 1 - alpha weighs the hard labels
  std::uint64_t seed = 1;      // shuffling
};

// What a distillation run did.
struct distill_result {
  std::size_t steps = 0;
  double first_loss = 0.0;  // mean loss over the first epoch (or the steps run, if fewer)
  double last_loss = 0.0;   // mean loss over the last epoch
};

// Distils student from teacher on data for the budget in o; the teacher's mode is restored, the
// student is left in training mode.
inline distill_result distill(train::network& student, train::network& teacher, const train::dataset& data,
                              const distill_options& o) {
  if (o.epochs == 0 && o.max_steps == 0) return {};
  train::data_loader loader(data, {.batch_size = o.batch_size, .shuffle = true, .seed = o.seed});
  const std::size_t per_epoch = loader.batches();
  std::size_t total = per_epoch * o.epochs;
  if (o.max_steps != 0 && (total == 0 || o.max_steps < total)) total = o.max_steps;
  const std::size_t epochs = (total + per_epoch - 1) / per_epoch;
  train::sgd opt({.lr = o.lr, .momentum = o.momentum, .weight_decay = o.weight_decay});
  train::distillation_loss loss({.temperature = o.temperature, .alpha = o.alpha});
  const train::cosine_annealing schedule{.lr_max = o.lr, .lr_min = 0.0, .t_max = static_cast<double>(total)};
  const bool teacher_training = teacher.training();
  teacher.eval();
  student.train();
  const auto params = student.parameters();
  train::tensor grad, soft;
  train::batch b;
  distill_result res;
  for (std::size_t e = 0; e < epochs && res.steps < total; ++e) {
    loader.reset();
    double sum = 0.0;
    std::size_t seen = 0;
    while (res.steps < total && loader.next(b)) {
      soft = teacher.forward(b.images);
      const train::tensor& z = student.forward(b.images);
      opt.set_lr(schedule(static_cast<double>(res.steps)));
      const double l = loss(z, soft, b.labels, grad);
      student.backward(grad);
      opt.step(params);
      ++res.steps;
      sum += l * static_cast<double>(b.size());
      seen += b.size();
    }
    const double mean = seen == 0 ? 0.0 : sum / static_cast<double>(seen);
    if (e == 0) res.first_loss = mean;
    res.last_loss = mean;
  }
  teacher.set_training(teacher_training);
  return res;
}

// Distils the child architecture from its parent and writes the learned weights back into the child.
// Example: auto child = shrink_conv{}.apply(parent, site, rng); distill(child, parent, train_set, {.epochs = 1});
inline distill_result distill(graph::architecture& child, const graph::architecture& parent, const train::dataset& data,
                              const distill_options& o) {
  train::network student = child.compile();
  train::network teacher = parent.compile();
  const distill_result res = distill(student, teacher, data, o);
  child.update_from(student);
  return res;
}

}  // namespace nas::morphism
