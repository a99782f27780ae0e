// ModelConfig <-> the JSON stored in a model file's metadata.
#pragma once

#include <string>

#include "muse/model.hpp"

namespace muse::model {

/// Version of the model-file config written by this build; readers accept <= this.
constexpr int kModelFormatVersion = 2;  ///< 2: normalization.od_transform (written only by files that have one)

/// Serialises `config` (with format name and version) as a JSON object.
std::string config_to_json(const ModelConfig& config);

/// Parses and validates the JSON of a model file; `source` names the file in errors.
/// Throws CorruptFile for malformed JSON or fields, UnsupportedFormat for a newer format version.
ModelConfig config_from_json(const std::string& json, const std::string& source);

}  // namespace muse::model
