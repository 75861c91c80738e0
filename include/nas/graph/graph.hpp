// Everything of nas::graph: the architecture DAG, the convex-merge layer, JSON and weights files,
// Graphviz export, and random architectures.
#pragma once

#include "nas/graph/architecture.hpp"
#include "nas/graph/convex_merge.hpp"
#include "nas/graph/dot.hpp"
#include "nas/graph/layers.hpp"
#include "nas/graph/random.hpp"
#include "nas/graph/serialize.hpp"
