// MOEA/D (Zhang & Li 2007) in its generational batch form: one subproblem per weight vector, SBX +
// polynomial mutation of two parents from the subproblem's neighbourhood, batch evaluation, then
// neighbourhood replacement (selection/moead.hpp). The decomposition is a policy. Example:
//   auto res = moo::moead<>{{.population = 100, .generations = 250, .seed = 1,
//                            .survival = {{.neighbours = 20, .max_replacements = 2}}}}.run(moo::zdt1{});
//   moo::moead<moo::pbi> pbi_version{{.population = 91, .survival = {{.decomposition = {.theta = 5}}}}};
#pragma once

#include "moo/algorithm/evolver.hpp"
#include "moo/selection/decomposition.hpp"
#include "moo/selection/moead.hpp"
#include "moo/selection/random_mating.hpp"
#include "moo/variation/sbx_pm.hpp"

namespace moo {

// The mating policy is unused: moead_survival chooses the parents itself.
template <decomposition Decomposition = tchebycheff>
using moead = evolver<sbx_pm, moead_survival<Decomposition>, random_mating>;

}  // namespace moo
