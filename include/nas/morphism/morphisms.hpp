// Everything of nas::morphism: the function-preserving operators (insert_conv_block,
// insert_separable_block, widen_conv, add_residual_skip, add_concat_skip, split_conv,
// add_convex_branch), the approximate ones (remove_layer, shrink_conv, remove_skip), the random
// operator sampler, and knowledge distillation of a child from its parent.
#pragma once

#include "nas/morphism/branch.hpp"
#include "nas/morphism/distill.hpp"
#include "nas/morphism/insert.hpp"
#include "nas/morphism/morphism.hpp"
#include "nas/morphism/remove.hpp"
#include "nas/morphism/sampler.hpp"
#include "nas/morphism/shrink.hpp"
#include "nas/morphism/skip.hpp"
#include "nas/morphism/widen.hpp"
