// NSGA-II (Deb et al. 2002): SBX + polynomial mutation, binary tournament on rank and crowding,
// rank-and-crowding survival. Example:
//   auto res = moo::nsga2{{.population = 100, .generations = 250, .seed = 1}}.run(moo::zdt1{});
#pragma once

#include "moo/algorithm/evolver.hpp"
#include "moo/selection/nsga2.hpp"
#include "moo/selection/tournament.hpp"
#include "moo/variation/sbx_pm.hpp"

namespace moo {

using nsga2 = evolver<sbx_pm, nsga2_survival, binary_tournament>;

}  // namespace moo
