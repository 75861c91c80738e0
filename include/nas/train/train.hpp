// Everything of the training backend: tensors, layers, network, losses, SGD, schedules, data, metrics.
#pragma once

#include "nas/train/data.hpp"
#include "nas/train/fit.hpp"
#include "nas/train/layer.hpp"
#include "nas/train/loss.hpp"
#include "nas/train/metrics.hpp"
#include "nas/train/network.hpp"
#include "nas/train/optim.hpp"
#include "nas/train/parallel.hpp"
#include "nas/train/schedule.hpp"
#include "nas/train/tensor.hpp"
