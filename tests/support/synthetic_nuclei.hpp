// Synthetic H&E-like images with known nuclei, for training, detection and tiling tests that
// must not depend on data files.
#pragma once

#include <cstdint>
#include <vector>

#include "muse/annotations.hpp"

namespace muse::test {

/// Two classes a small network can tell apart quickly: class 0 small dark-blue round nuclei
/// (radius 2 um), class 1 larger purple ones (radius 3.5 um), on a pale pink background with
/// noise; nuclei keep at least 9 um apart. At 0.5 um/px that is 4 px, 7 px and 18 px; finer
/// `mpp` draws them larger in pixels. Deterministic in `seed`.
LabelledImage synthetic_nuclei_image(int width, int height, int nuclei, std::uint64_t seed, double mpp = 0.5);

/// Class names for synthetic_nuclei_image.
std::vector<ClassInfo> synthetic_classes();

}  // namespace muse::test

#include "muse/model.hpp"

namespace muse::test {

/// The small detector configuration the tests train and load: r50_w16 at 96 px with the
/// synthetic classes and heads `head_hidden` wide.
ModelConfig synthetic_detector_config(int head_hidden = 64);

}  // namespace muse::test

#include "muse/model.hpp"

namespace muse::test {

/// A small detector (r50_w16) trained on synthetic_nuclei_image data until it finds those
/// nuclei reliably. Loaded from the committed fixture tests/fixtures/synthetic-detector.muse:
/// training gives different weights on different CPUs (their float32 kernels round in another
/// order and training amplifies it), and tests such as tiled-versus-whole agreement depend on
/// how confident those weights are, so every machine must test the same weights. Without the
/// fixture it is trained (train_synthetic_detector) and kept in the build tree's test cache.
Model synthetic_detector();

/// The recipe of that detector (about 20 s on 2 cores); muse_make_test_detector writes the
/// fixture with it (tests/fixtures/README.md).
Model train_synthetic_detector();

}  // namespace muse::test
