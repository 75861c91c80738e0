// MODNAS (Sukthanker et al., "Multi-objective Differentiable Neural Architecture Search", ICLR 2025): one
// search run yields a Pareto front of architectures per device. The pieces:
//   moo/gradient/min_norm.hpp   multiple-gradient descent (min-norm solver, preference_mgd)
//   nas/modnas/mixed_op.hpp     mixed operations (softmax / straight-through Gumbel)
//   nas/modnas/supernet.hpp     the cell super-network, architectures, per-edge device tables
//   nas/modnas/device.hpp       devices: measured latency tables, MACs, feature vectors
//   nas/modnas/hypernetwork.hpp preference + device features -> architecture parameters
//   nas/modnas/search.hpp       the search loop (weights by SGD, hypernetwork by MGD + Adam), checkpoints
//   nas/modnas/sweep.hpp        preference sweep, brief training, measured fronts per device, random baseline
// Example (examples/modnas_fashion_mnist.cpp is the whole study):
//   nas::modnas::search s(space, {.hidden = {32}}, train_devices, train, val, {.steps = 600});
//   s.run();
//   auto sw = nas::modnas::sweep(s, all_devices, 8);
#pragma once

#include "moo/gradient/min_norm.hpp"
#include "nas/modnas/device.hpp"
#include "nas/modnas/hypernetwork.hpp"
#include "nas/modnas/mixed_op.hpp"
#include "nas/modnas/search.hpp"
#include "nas/modnas/supernet.hpp"
#include "nas/modnas/sweep.hpp"
