// NSGA-III (Deb & Jain 2014) for three or more objectives: SBX + polynomial mutation of randomly paired
// parents, reference-direction survival (selection/nsga3.hpp). The population defaults to the number of
// directions rounded up to a multiple of four (91 Das-Dennis directions -> 92). Example:
//   auto res = moo::nsga3{{.generations = 400, .seed = 1, .survival = moo::das_dennis(12, 3)}}.run(moo::dtlz2{3});
//   moo::nsga3 energy{{.survival = moo::riesz_s_energy(100, 3, 7)}};  // any number of directions
#pragma once

#include "moo/algorithm/evolver.hpp"
#include "moo/selection/nsga3.hpp"
#include "moo/selection/random_mating.hpp"
#include "moo/selection/reference_directions.hpp"
#include "moo/variation/sbx_pm.hpp"

namespace moo {

using nsga3 = evolver<sbx_pm, nsga3_survival, random_mating>;

}  // namespace moo
