// Classification losses on logits of shape N x K x 1 x 1, averaged over the batch, each returning the
// loss and writing its gradient with respect to the logits: softmax cross-entropy with optional label
// smoothing (Szegedy et al. 2016, sec. 7), and knowledge distillation from a teacher's logits (Hinton,
// Vinyals & Dean 2015), which approximate network morphisms use to recover a parent's function.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "moo/core/error.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

namespace detail {

// Checks that logits are N x K x 1 x 1 with N >= 1 labels in [0, K); `who` names the loss. An empty
// batch is refused: the mean over no samples is 0 / 0.
inline void check_logits(const char* who, const tensor& logits, std::span<const std::int32_t> labels, bool need_labels) {
  const shape4 s = shape_of(logits);
  if (s[2] != 1 || s[3] != 1 || s[1] < 2)
    throw shape_error(moo::detail::message(who, ": logits must have shape [N, K, 1, 1] with K >= 2, got ", to_string(s)));
  if (s[0] == 0)
    throw moo::value_error(moo::detail::message(who, ": empty batch (logits of shape ", to_string(s),
                                                "): the mean loss over no samples is undefined"));
  if (!need_labels && labels.empty()) return;
  if (labels.size() != s[0])
    throw shape_error(moo::detail::message(who, ": ", labels.size(), " labels for logits of shape ", to_string(s)));
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= s[1])
      throw moo::value_error(moo::detail::message(who, ": label ", labels[i], " of sample ", i, " is not in [0, ", s[1], ")"));
}

// Writes softmax(z / t) of one row of k logits into p (double precision) and returns log-sum-exp(z / t).
inline double softmax_row(const float* z, std::size_t k, double t, double* p) {
  double m = z[0] / t;
  for (std::size_t j = 1; j < k; ++j) m = std::max(m, z[j] / t);
  double s = 0.0;
  for (std::size_t j = 0; j < k; ++j) {
    p[j] = std::exp(z[j] / t - m);
    s += p[j];
  }
  for (std::size_t j = 0; j < k; ++j) p[j] /= s;
  return m + std::log(s);
}

}  // namespace detail

struct cross_entropy_options {
  // Weight eps moved from the true class to a uniform distribution: target = (1 - eps) onehot + eps / K.
  float label_smoothing = 0.0f;
};

// Mean softmax cross-entropy; matches torch.nn.CrossEntropyLoss(label_smoothing = eps).
class softmax_cross_entropy {
 public:
  explicit softmax_cross_entropy(cross_entropy_options o = {}) : opt_(o) {
    if (!(opt_.label_smoothing >= 0.0f && opt_.label_smoothing < 1.0f))
      throw moo::value_error(moo::detail::message("softmax_cross_entropy: label_smoothing ", opt_.label_smoothing,
                                                  " is not in [0, 1)"));
  }

  // Returns the mean loss and writes d loss / d logits into grad (resized to the logits' shape).
  double operator()(const tensor& logits, std::span<const std::int32_t> labels, tensor& grad) {
    return compute(logits, labels, &grad);
  }
  // The mean loss only.
  double value(const tensor& logits, std::span<const std::int32_t> labels) { return compute(logits, labels, nullptr); }

 private:
  double compute(const tensor& logits, std::span<const std::int32_t> labels, tensor* grad) {
    detail::check_logits("softmax_cross_entropy", logits, labels, true);
    const shape4 s = shape_of(logits);
    const std::size_t n = s[0], k = s[1];
    if (grad != nullptr) ensure_shape(*grad, s);
    p_.resize(k);
    const double eps = opt_.label_smoothing, off = eps / static_cast<double>(k), on = 1.0 - eps + off;
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const float* z = logits.data() + i * k;
      const double lse = detail::softmax_row(z, k, 1.0, p_.data());
      const auto y = static_cast<std::size_t>(labels[i]);
      double li = 0.0;
      for (std::size_t j = 0; j < k; ++j) {
        const double target = j == y ? on : off;
        if (target > 0.0) li -= target * (z[j] - lse);
      }
      total += li;
      if (grad != nullptr)
        for (std::size_t j = 0; j < k; ++j)
          grad->data()[i * k + j] = static_cast<float>((p_[j] - (j == y ? on : off)) / static_cast<double>(n));
    }
    return total / static_cast<double>(n);
  }

  cross_entropy_options opt_;
  std::vector<double> p_;
};

struct distillation_options {
  double temperature = 4.0;
  // Weight of the soft (teacher) term; 1 - alpha weighs the cross-entropy with the hard labels.
  double alpha = 0.9;
};

// alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * CE(student, labels),
// averaged over the batch (Hinton et al. 2015, sec. 2; T^2 keeps the soft gradients' scale independent
// of T). With alpha = 1 the labels may be empty.
class distillation_loss {
 public:
  explicit distillation_loss(distillation_options o = {}) : opt_(o) {
    if (!(opt_.temperature > 0.0) || !(opt_.alpha >= 0.0 && opt_.alpha <= 1.0))
      throw moo::value_error(moo::detail::message("distillation_loss: temperature ", opt_.temperature,
                                                  " must be positive and alpha ", opt_.alpha, " in [0, 1]"));
  }

  // Returns the loss and writes d loss / d student logits into grad.
  double operator()(const tensor& student, const tensor& teacher, std::span<const std::int32_t> labels, tensor& grad) {
    return compute(student, teacher, labels, &grad);
  }
  double value(const tensor& student, const tensor& teacher, std::span<const std::int32_t> labels) {
    return compute(student, teacher, labels, nullptr);
  }

 private:
  double compute(const tensor& student, const tensor& teacher, std::span<const std::int32_t> labels, tensor* grad) {
    const bool hard = opt_.alpha < 1.0;
    detail::check_logits("distillation_loss", student, labels, hard);
    if (shape_of(teacher) != shape_of(student))
      throw shape_error(moo::detail::message("distillation_loss: teacher logits of shape ", to_string(shape_of(teacher)),
                                             " for student logits of shape ", to_string(shape_of(student))));
    const shape4 s = shape_of(student);
    const std::size_t n = s[0], k = s[1];
    if (grad != nullptr) ensure_shape(*grad, s);
    ps_.resize(k);
    pt_.resize(k);
    p1_.resize(k);
    const double t = opt_.temperature, a = opt_.alpha, nn = static_cast<double>(n);
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const float* zs = student.data() + i * k;
      const float* zt = teacher.data() + i * k;
      const double lse_s = detail::softmax_row(zs, k, t, ps_.data());
      const double lse_t = detail::softmax_row(zt, k, t, pt_.data());
      double kl = 0.0;
      for (std::size_t j = 0; j < k; ++j)
        if (pt_[j] > 0.0) kl += pt_[j] * ((zt[j] / t - lse_t) - (zs[j] / t - lse_s));
      double ce = 0.0;
      if (hard) {
        const double lse1 = detail::softmax_row(zs, k, 1.0, p1_.data());
        ce = -(zs[labels[i]] - lse1);
      }
      total += a * t * t * kl + (1.0 - a) * ce;
      if (grad != nullptr)
        for (std::size_t j = 0; j < k; ++j) {
          double g = a * t * (ps_[j] - pt_[j]);
          if (hard) g += (1.0 - a) * (p1_[j] - (static_cast<std::size_t>(labels[i]) == j ? 1.0 : 0.0));
          grad->data()[i * k + j] = static_cast<float>(g / nn);
        }
    }
    return total / nn;
  }

  distillation_options opt_;
  std::vector<double> ps_, pt_, p1_;
};

}  // namespace nas::train
