// Moving named weights in and out of a network, with a complete report when they do not fit.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <torch/nn/module.h>

namespace muse::model {

using NamedTensors = std::map<std::string, at::Tensor>;

/// Copies `weights` into `net` (parameters and buffers, by state-dict name). Unless every name
/// matches in both directions with equal shapes, throws ModelMismatch listing the missing,
/// unexpected and misshaped entries (with counts, got vs expected shapes), all at once.
/// `what` describes the target for the message ("architecture 'vit_small'"). Names starting
/// with `may_be_missing` (e.g. "head.", to start detection heads afresh on a pretrained
/// backbone) may be absent; they keep their current values.
void load_weights(torch::nn::Module& net, const NamedTensors& weights, const std::string& what,
                  const std::string& may_be_missing = "");

/// The network's parameters and buffers under their state-dict names (shared storage).
NamedTensors weights_of(const torch::nn::Module& net);

/// A copy of weights_of(net) that later training steps do not change (checkpoints, best epoch).
NamedTensors copy_weights_of(const torch::nn::Module& net);

/// Moves the entries of `all` whose names start with `prefix` into the result, named without
/// it: how a checkpoint file's extra tensor sets (optimiser state, averages) come apart again.
NamedTensors take_prefixed(NamedTensors& all, const std::string& prefix);

/// Adds `named` to `all` under `prefix + name`: the inverse of take_prefixed.
void put_prefixed(NamedTensors& all, const NamedTensors& named, const std::string& prefix);

/// Number of trainable parameter values (BatchNorm statistics excluded).
std::int64_t count_parameters(const torch::nn::Module& net);

/// Deterministic fresh initialisation from `seed` (own generator, no global RNG state):
/// weight matrices/kernels uniform(+-1/sqrt(fan_in)), biases 0, norm scales 1, BatchNorm
/// statistics (0, 1), token/position embeddings N(0, 0.02).
void init_untrained(torch::nn::Module& net, std::uint64_t seed);

}  // namespace muse::model
