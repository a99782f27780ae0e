// Where the programs (`muse`, `muse-viewer`) find the default model when none is named.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace muse::apps {

/// File name of the default model (models/ in the source tree, share/muse/models when installed).
inline constexpr const char* kDefaultModelName = "muse-default.muse";

/// The default model: $MUSE_DEFAULT_MODEL when set (and then only there); otherwise
/// <prefix>/share/muse/models next to the installed executable, then the source tree's models/.
/// Empty when none exists; `looked` gets the places.
std::filesystem::path find_default_model(std::vector<std::string>* looked);

/// `given` when not empty, else the default model; IoError listing where it looked.
std::string model_or_default(const std::string& given);

}  // namespace muse::apps
