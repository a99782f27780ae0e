// Synthetic H&E-like images with known nuclei, for training, detection and tiling tests that
// must not depend on data files.
#pragma once

#include <cstdint>
#include <vector>

#include "muse/annotations.hpp"

namespace muse::test {

/// Two classes a small network can tell apart quickly: class 0 small dark-blue round nuclei
/// (radius 4 px), class 1 larger purple ones (radius 7 px), on a pale pink background with
/// noise. Nuclei keep at least 18 px apart. Deterministic in `seed`.
LabelledImage synthetic_nuclei_image(int width, int height, int nuclei, std::uint64_t seed, double mpp = 0.5);

/// Class names for synthetic_nuclei_image.
std::vector<ClassInfo> synthetic_classes();

}  // namespace muse::test
