// Adam's per-parameter state under the parameters' names, so that a checkpoint file can carry
// it and a resumed run continues exactly where the interrupted one stopped.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/optim/adam.h>

namespace muse::train {

using NamedParameters = std::vector<std::pair<std::string, at::Tensor>>;

/// `name + ".exp_avg" / ".exp_avg_sq" / ".step"` for every parameter that has state (a checkpoint
/// file keeps them apart from the weights under a prefix: model::put_prefixed).
std::map<std::string, at::Tensor> save_adam_state(const torch::optim::Adam& adam, const NamedParameters& params);

/// Puts saved state back; parameters without saved state start fresh. Throws CorruptFile when a
/// saved tensor's shape does not match its parameter.
void restore_adam_state(torch::optim::Adam& adam, const NamedParameters& params,
                        const std::map<std::string, at::Tensor>& saved);

}  // namespace muse::train
