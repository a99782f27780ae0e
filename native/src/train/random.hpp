// The random draws the augmentations share.
#pragma once

#include <random>

namespace muse::train {

/// A uniform draw from [lo, hi).
inline double uniform(std::mt19937_64& rng, double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
}

}  // namespace muse::train
