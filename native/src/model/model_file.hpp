// The muse model file: safetensors with the reference's state-dict names and shapes, and the
// ModelConfig as JSON under the metadata key "muse.config". Reading it executes nothing.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <ATen/core/Tensor.h>

#include "muse/model.hpp"

namespace muse::model {

constexpr const char* kConfigMetadataKey = "muse.config";

struct ModelFileContents {
    ModelConfig config;
    std::map<std::string, at::Tensor> weights;
};

/// True when the file starts like a safetensors file (plausible header length, then '{').
bool has_model_file_signature(const std::filesystem::path& path);

/// Reads a model file. Throws UnsupportedFormat when it is not one (or is safetensors without
/// a muse config), CorruptFile when it is damaged.
ModelFileContents read_model_file(const std::filesystem::path& path);

/// Writes a model file atomically. Tensors are stored contiguous, in name order, bit-exact.
void write_model_file(const std::filesystem::path& path, const ModelConfig& config,
                      const std::map<std::string, at::Tensor>& weights);

}  // namespace muse::model
