// Nucleus detection with a model that has detection heads.
//
//   muse::Model model = muse::Model::load("models/muse-default.muse");
//   muse::RgbImage img = muse::read_image_file("patch.png");
//   std::vector<muse::Detection> nuclei = muse::detect_image(model, img, 0.5);
//
// Thread-safety: free functions; a Model may be shared by several threads.
#pragma once

#include <vector>

#include "muse/detection.hpp"
#include "muse/image.hpp"

namespace muse {

class Model;

struct DetectOptions {
    double score_threshold = 0.0;  ///< 0 = the model's (detection.score_threshold)
    double merge_radius_um = 0.0;  ///< 0 = the model's (detection.merge_radius_um)

    void validate() const;  ///< throws InvalidArgument naming the bad field
};

/// Nuclei in a whole in-memory image of `mpp` micrometres per pixel, in that image's pixel
/// coordinates. The image is resampled to the model's MPP when they differ, padded by
/// reflection to a square whose side is a multiple of 32, and processed in one pass (meant for
/// patches up to a few thousand pixels; slides go through the tiled slide pipeline).
std::vector<Detection> detect_image(const Model& model, const RgbImage& image, double mpp,
                                    const DetectOptions& options = {});

}  // namespace muse
