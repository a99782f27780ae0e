// Training tiles: a random window of a labelled image, resampled to the model's MPP (with
// scale jitter), flipped, rotated by multiples of 90 degrees, colour- and stain-jittered,
// blurred and JPEG-compressed at random, with its nuclei moved along.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include <ATen/core/Tensor.h>

#include "muse/annotations.hpp"

namespace muse::train {

struct AugmentOptions {
    int tile_px = 256;
    double model_mpp = 0.5;
    bool flips = true;
    bool rotations = true;
    double colour_jitter = 0.2;
    double scale_jitter = 0.1;
    double stain_jitter = 0.0;      ///< H and E concentrations scaled by 1 +- this, shifted by +- a fifth of it (OD)
    double blur_probability = 0.0;  ///< chance of a Gaussian blur, sigma 0.4-1.5 px (focus, scanner optics)
    double jpeg_probability = 0.0;  ///< chance of JPEG re-encoding at quality 40-90 (compressed slides)
    double distractor_probability = 0.0;  ///< chance of pasting 1-4 pigment specks or blood cells away from the nuclei (train/distractors.hpp)
};

struct TrainingTile {
    at::Tensor rgb;                     ///< uint8 [tile_px, tile_px, 3]
    std::vector<LabelledPoint> nuclei;  ///< tile pixels; only those inside the tile
};

/// The random flips, quarter turns, distractors, colour and stain jitter, blur and JPEG noise of a training tile, in place: `rgb`
/// ([S, S, 3] uint8), its `nuclei` (tile pixels) and, when given, a per-proposal map `grid`
/// ([G, G], any dtype) that turns with the tile (the proposal grid is symmetric under them).
void augment_tile(at::Tensor& rgb, std::vector<LabelledPoint>& nuclei, at::Tensor* grid, const AugmentOptions& options,
                  std::mt19937_64& rng);

/// A random training tile of `image`. Window parts outside the image are white (glass).
TrainingTile make_training_tile(const LabelledImage& image, const AugmentOptions& options, std::mt19937_64& rng);

/// Turns a square [S, S, 3] tile by `quarter_turns` x 90 degrees counter-clockwise (as seen on
/// screen) and moves `nuclei` with it; the geometric part of the augmentation, exposed for tests.
at::Tensor rotate_tile(const at::Tensor& rgb, int quarter_turns, std::vector<LabelledPoint>& nuclei);

/// Mirrors the tile left-right (`horizontal`) or top-bottom and moves `nuclei` with it.
at::Tensor flip_tile(const at::Tensor& rgb, bool horizontal, std::vector<LabelledPoint>& nuclei);

}  // namespace muse::train
