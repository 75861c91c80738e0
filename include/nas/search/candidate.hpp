// A network as a genome of an evolutionary architecture search: the architecture with its weights and
// batch-norm statistics, its lineage (its id, its parent's id, the operator that made it), and, for a
// child of an approximate morphism, the parent it must be distilled from before training (Elsken et al.
// 2019, LEMONADE, sec. 3.2). Evaluation trains it in place (a Lamarckian genome): the trained network is
// what joins the population and what its children inherit. Candidates travel through checkpoints and
// MPI messages with moo::io::serializer.
// Example:
//   nas::candidate c{.net = std::move(arch), .id = 7, .op = "initial"};
//   std::cout << c;   // "#00000007 initial, 1,234 params"
#pragma once

#include <cstddef>
#include <cstdint>
#include <iomanip>
#include <istream>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "moo/io/serialize.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/graph/serialize.hpp"

namespace nas {

// Where a training that runs in rounds stopped (successive halving, nas/search/training.hpp): the SGD
// momentum buffers, the position on the learning-rate schedule and in the data loader's shuffling
// stream. Continuing from it equals never having stopped, bit for bit. Empty for a network trained in
// one go (or not yet trained in rounds); a morphism's child starts empty.
struct training_state {
  std::vector<std::vector<float>> momentum;  // per parameter of the compiled network, in its order
  std::uint64_t step = 0;        // steps done on the current schedule
  std::uint64_t steps = 0;       // the current schedule's length in steps (0: none started)
  std::uint64_t reshuffles = 0;  // epochs the data loader has started since it was made
  std::uint64_t batch = 0;       // batches taken in the loader's current epoch
  bool operator==(const training_state&) const = default;
};

struct candidate {
  graph::architecture net;
  std::uint32_t id = 0;       // random, drawn from the search's rng (unique with overwhelming probability)
  std::uint32_t parent = 0;   // 0: a starting network
  std::string op = "initial"; // the morphism that made it from its parent
  bool function_preserving = true;
  double epochs = 0.0;              // epochs of training in its lineage, inherited ones included
  std::optional<graph::architecture> teacher = std::nullopt;  // parent to distil from first (approximate morphisms)
  training_state training = {};     // where training in rounds stopped (successive halving)
};

// "#0000002a widen_conv from #00000007, 1234 params"
inline std::ostream& operator<<(std::ostream& os, const candidate& c) {
  const auto flags = os.flags();
  os << '#' << std::hex << std::setw(8) << std::setfill('0') << c.id;
  os << ' ' << c.op;
  if (c.parent != 0) os << " from #" << std::setw(8) << c.parent;
  os.flags(flags);
  os << ", " << c.net.parameter_count() << " params";
  return os;
}

// An id as 8 hex digits.
inline std::string hex_id(std::uint32_t id) {
  std::ostringstream os;
  os << std::hex << std::setw(8) << std::setfill('0') << id;
  return os.str();
}

}  // namespace nas

// A candidate in a checkpoint or an MPI message: lineage fields, then the architecture (graph and
// weights, bit for bit), then the teacher if any, then the training state (since checkpoint format 3).
template <>
struct moo::io::serializer<nas::candidate> {
  static void write(std::ostream& os, const nas::candidate& c) {
    moo::io::write(os, c.id);
    moo::io::write(os, c.parent);
    moo::io::write(os, c.op);
    moo::io::write(os, c.function_preserving);
    moo::io::write(os, c.epochs);
    moo::io::write(os, c.net);
    moo::io::write(os, c.teacher.has_value());
    if (c.teacher) moo::io::write(os, *c.teacher);
    moo::io::write(os, c.training.momentum);
    moo::io::write(os, c.training.step);
    moo::io::write(os, c.training.steps);
    moo::io::write(os, c.training.reshuffles);
    moo::io::write(os, c.training.batch);
  }
  static nas::candidate read(std::istream& is) {
    const auto id = moo::io::read<std::uint32_t>(is);
    const auto parent = moo::io::read<std::uint32_t>(is);
    auto op = moo::io::read<std::string>(is);
    const bool preserving = moo::io::read<bool>(is);
    const double epochs = moo::io::read<double>(is);
    nas::candidate c{.net = moo::io::read<nas::graph::architecture>(is), .id = id, .parent = parent,
                     .op = std::move(op), .function_preserving = preserving, .epochs = epochs};
    if (moo::io::read<bool>(is)) c.teacher = moo::io::read<nas::graph::architecture>(is);
    c.training.momentum = moo::io::read<std::vector<std::vector<float>>>(is);
    c.training.step = moo::io::read<std::uint64_t>(is);
    c.training.steps = moo::io::read<std::uint64_t>(is);
    c.training.reshuffles = moo::io::read<std::uint64_t>(is);
    c.training.batch = moo::io::read<std::uint64_t>(is);
    return c;
  }
};
