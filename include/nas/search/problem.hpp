// Architecture search as a Lamarckian moo::problem: evaluating a candidate trains it in place
// (nas/search/training.hpp), then measures each objective of a compile-time list (nas/objectives.hpp)
// on the trained network, in the list's order. Objectives marked `exclusive` (measured latency) are
// measured while no other candidate trains (nas::measurement_gate), so parallel training cannot
// distort them. Also the cheap objectives of the list as a moo::cheap_objectives functor, for
// density-based selection (Elsken et al. 2019, LEMONADE, Algorithm 1).
// Example:
//   nas::network_problem problem(space, split.first, {.epochs = 1},
//                                nas::validation_error{.data = &split.second}, nas::parameter_count{});
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/hana/for_each.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/unpack.hpp>

#include "moo/core/error.hpp"
#include "nas/objectives.hpp"
#include "nas/search/candidate.hpp"
#include "nas/search/space.hpp"
#include "nas/search/training.hpp"

namespace nas {

// The names of a hana::tuple of objectives, in order.
template <class Tuple>
std::vector<std::string> objective_names(const Tuple& objectives) {
  std::vector<std::string> names;
  boost::hana::for_each(objectives, [&](const auto& o) { names.emplace_back(std::remove_cvref_t<decltype(o)>::name); });
  return names;
}

// The cheap objectives among O... as a moo::cheap_objectives functor over candidates (values of the
// cheap objectives, in the list's order).
template <objective... O>
struct cheap_objectives_of {
  using tuple_type = decltype(cheap_objectives(std::declval<boost::hana::tuple<O...>>()));
  tuple_type cheap;

  cheap_objectives_of() = default;
  explicit cheap_objectives_of(const boost::hana::tuple<O...>& all) : cheap(cheap_objectives(all)) {}

  static constexpr std::size_t count = decltype(boost::hana::length(std::declval<tuple_type>()))::value;
  std::size_t size() const { return count; }
  void operator()(const candidate& c, std::span<double> out) const {
    std::size_t j = 0;
    boost::hana::for_each(cheap, [&](const auto& o) { out[j++] = static_cast<double>(o(c.net)); });
  }
};

template <objective... O>
class network_problem {
  static_assert(sizeof...(O) >= 1, "network_problem needs at least one objective");

 public:
  using genome_type = candidate;
  using objectives_type = boost::hana::tuple<O...>;

  // `train` must outlive the problem (as must the data sets objectives point to).
  network_problem(network_space space, const train::dataset& train, training_options t, O... objectives)
      : space_(std::move(space)), train_(&train), opt_(t), objectives_(std::move(objectives)...) {
    if (train.size() == 0) throw moo::value_error("network_problem: the training set is empty");
  }

  const network_space& space() const { return space_; }
  std::size_t num_objectives() const { return sizeof...(O); }
  const objectives_type& objectives() const { return objectives_; }
  std::vector<std::string> names() const { return objective_names(objectives_); }
  const training_options& training() const { return opt_; }
  const train::dataset& training_set() const { return *train_; }
  cheap_objectives_of<O...> cheap() const { return cheap_objectives_of<O...>(objectives_); }

  // Trains c in place, then writes its objectives into out (exclusive ones measured alone).
  void evaluate(candidate& c, std::span<double> out) const {
    check_outputs(out);
    {
      std::shared_lock lock(*gate_);
      train_candidate(c, *train_, opt_);
    }
    measure(c, out);
  }

  // One round of a training in rounds (a moo::resumable_problem, for moo::successive_halving): trains c
  // on from where its last round stopped for round.budget epochs, then measures it as evaluate does.
  void evaluate(candidate& c, const moo::budget_round& round, std::span<double> out) const {
    check_outputs(out);
    {
      std::shared_lock lock(*gate_);
      train_candidate(c, *train_, opt_, round);
    }
    measure(c, out);
  }

 private:
  static void check_outputs(std::span<double> out) {
    if (out.size() != sizeof...(O))
      throw moo::dimension_error(moo::detail::message("network_problem::evaluate: ", out.size(), " outputs for ",
                                                      sizeof...(O), " objectives"));
  }

  // Writes the objectives of c into out, in the list's order (exclusive ones measured alone).
  void measure(const candidate& c, std::span<double> out) const {
    std::size_t j = 0;
    boost::hana::for_each(objectives_, [&](const auto& o) {
      using obj = std::remove_cvref_t<decltype(o)>;
      double v;
      if constexpr (is_exclusive<obj>) {
        std::unique_lock lock(*gate_);
        v = static_cast<double>(o(c.net));
      } else {
        std::shared_lock lock(*gate_);
        v = static_cast<double>(o(c.net));
      }
      if (!std::isfinite(v))
        throw moo::value_error(moo::detail::message("objective '", obj::name, "' of candidate #", hex_id(c.id),
                                                    " is ", v));
      out[j++] = v;
    });
  }

  network_space space_;
  const train::dataset* train_;
  training_options opt_;
  objectives_type objectives_;
  std::shared_ptr<measurement_gate> gate_ = std::make_shared<measurement_gate>();
};

}  // namespace nas
