// Test-time augmentation: a batch's proposals averaged over the tiles and their mirror images.
#pragma once

#include <ATen/core/Tensor.h>

#include "muse/model.hpp"

namespace muse::detect {

/// Model::predict on `rgb` (uint8 [B, T, T, 3]) and on its horizontal, vertical and double
/// flips; each flipped output is mapped back to the tiles' frame (proposal grid and dense map
/// mirrored, coordinates x -> T - 1 - x as the training flips use) and the four are averaged:
/// class probabilities, predicted points and the dense map. Four forward passes: about 4x the
/// time of predict. The average is exactly equivariant to the flips.
Proposals predict_with_flips(const Model& model, const at::Tensor& rgb, Precision precision = Precision::Fp32);

/// predict_with_flips when `flips`, else Model::predict.
Proposals predict_tiles(const Model& model, const at::Tensor& rgb, bool flips, Precision precision = Precision::Fp32);

}  // namespace muse::detect
