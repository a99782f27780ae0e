// The registry of MUSE architecture variants: each is a configuration, not a class.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace muse::model {

enum class Family { VisionTransformer, ResNet };

struct Variant {
    std::string name;
    std::string description;
    Family family = Family::VisionTransformer;
    // Vision transformer encoders (DINO layout, patch 16, mlp ratio 4, qkv bias).
    std::int64_t embed_dim = 0;
    std::int64_t depth = 0;
    std::int64_t heads = 0;
    std::vector<int> feature_blocks;  ///< 0-based blocks whose (normed) tokens feed the decoder
    // ResNet encoders (bottleneck v1.5).
    std::vector<int> stage_blocks;    ///< bottleneck blocks per stage
    std::int64_t base_width = 64;     ///< bottleneck width of the first stage (ResNet-50: 64)
    std::int64_t feature_dim = 0;     ///< channels of the dense map
};

/// All variants, in a fixed order (the order `muse import --help` lists them).
const std::vector<Variant>& variants();

/// The variant called `name`; throws InvalidArgument listing the known names.
const Variant& find_variant(const std::string& name);

}  // namespace muse::model
