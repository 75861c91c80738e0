// AGE-MOEA (Panichella, GECCO 2019): SBX + polynomial mutation, binary tournament on (front, survival
// score), survival by the front geometry estimated each generation (selection/agemoea.hpp). Example:
//   auto res = moo::agemoea{{.population = 100, .generations = 250, .seed = 1}}.run(moo::zdt1{});
#pragma once

#include "moo/algorithm/evolver.hpp"
#include "moo/selection/agemoea.hpp"
#include "moo/selection/tournament.hpp"
#include "moo/variation/sbx_pm.hpp"

namespace moo {

using agemoea = evolver<sbx_pm, agemoea_survival, binary_tournament>;

}  // namespace moo
