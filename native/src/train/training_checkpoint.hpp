// The whole state of a training run in one file, so that a run stopped after hours (Ctrl-C, a
// killed job, a machine taken back) continues where it stopped and ends with exactly the
// weights an uninterrupted run would have: the weights and BatchNorm statistics, the weights'
// moving average, the best validated weights, Adam's state, the augmentation's random stream
// and the epoch history. A model file (safetensors, checksummed, written atomically) whose
// provenance holds the state; tensors beyond the model's carry a prefix.
#pragma once

#include <cstddef>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/weights.hpp"
#include "muse/model.hpp"
#include "muse/train.hpp"

namespace muse::train {

struct TrainingState {
    int epoch = 0;                 ///< epochs finished
    model::NamedTensors weights;   ///< the network's parameters and buffers after `epoch`
    model::NamedTensors average;   ///< the moving average of the weights (empty without EMA)
    model::NamedTensors best;      ///< the best validated weights so far (empty before a validation)
    model::NamedTensors adam;      ///< save_adam_state(), names without a prefix
    std::mt19937_64 random_stream;  ///< the augmentation's generator (stored as its standard text form)
    std::vector<std::size_t> order;  ///< the training images' order, shuffled in place each epoch
    int best_epoch = 0;
    double best_f1 = -1.0;
    std::vector<EpochReport> history;
};

/// Writes `state` to `path` atomically. `identity` names what a resume must share with this run
/// (options, images, architecture); it is stored and compared by read_training_checkpoint.
void write_training_checkpoint(const std::filesystem::path& path, const ModelConfig& config, const TrainingState& state,
                               const nlohmann::json& identity);

/// Reads a checkpoint written by write_training_checkpoint. InvalidArgument when there is none,
/// when it is another kind of file, or when its identity differs from `identity` (both shown);
/// CorruptFile when it is damaged.
TrainingState read_training_checkpoint(const std::filesystem::path& path, const nlohmann::json& identity);

}  // namespace muse::train
