// H&E stain changes in optical-density space: what makes one lab's slides look unlike
// another's (more or less haematoxylin, more eosin, a scanner's tint), for training
// augmentation and for simulating another lab when measuring robustness.
//
//   muse::RgbImage img = muse::read_image_file("patch.png");
//   muse::change_stains(img.pixels.data(), img.pixels.size() / 3, muse::stain_preset("weak-h-strong-e"));
//
// Method: each pixel's optical density OD_c = -ln(I_c / 255) is split into haematoxylin, eosin
// and a residual (DAB) concentration with Ruifrok & Johnston's stain vectors (colour
// deconvolution); each stain's concentration is scaled and shifted, recombined and turned back
// into RGB, then multiplied by per-channel gains (a scanner's light and sensor).
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "muse/image.hpp"

namespace muse {

struct StainChange {
    double h_scale = 1.0, e_scale = 1.0;  ///< multiply each stain's concentration
    double h_shift = 0.0, e_shift = 0.0;  ///< then add this much optical density of the stain
    std::array<double, 3> rgb_gain{1.0, 1.0, 1.0};  ///< finally scale R, G, B (scanner tint)

    bool is_identity() const;
};

/// Applies `change` to `pixels` interleaved RGB bytes in place.
void change_stains(std::uint8_t* rgb, std::size_t pixels, const StainChange& change);

/// Named changes for robustness checks (docs/detection.md lists their values):
/// "weak-h", "strong-h", "strong-e", "weak-h-strong-e", "yellow-tint", "far-lab" (all at once, stronger).
StainChange stain_preset(const std::string& name);
std::vector<std::string> stain_preset_names();

/// `image` resampled by `factor` (2 = twice as many pixels per side), area-averaged when
/// shrinking and cubic when enlarging; how a scan at another pixel size would look.
RgbImage resample_image(const RgbImage& image, double factor);

}  // namespace muse
