// Labelled nuclei for training and evaluation: images with classified points.
//
//   auto train = muse::read_brca_m2c("../shared/data/brca-m2c", "split_train.txt");
//   train[0].nuclei[0].class_index;   // 0 lymphocyte, 1 tumour/epithelial, 2 stromal
//
// Thread-safety: free functions without shared state.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "muse/geometry.hpp"
#include "muse/image.hpp"
#include "muse/nucleus_class.hpp"

namespace muse {

/// An image whose nuclei are all labelled (every nucleus in it is one of `nuclei`).
struct LabelledImage {
    std::string name;
    RgbImage image;
    double mpp = 0.5;                   ///< micrometres per pixel of `image`
    std::vector<LabelledPoint> nuclei;  ///< image pixels, x = column
};

/// BRCA-M2C's classes in label order (file labels 1, 2, 3 are indices 0, 1, 2), with the
/// colours QuPath uses for its similar built-in classes.
std::vector<ClassInfo> brca_m2c_classes();

/// Reads a BRCA-M2C label file: one nucleus per line, `Y X CLASS` (pixels, CLASS 1..3).
/// Throws IoError (cannot open) or CorruptFile naming the file and line of a bad row.
std::vector<LabelledPoint> read_brca_m2c_labels(const std::filesystem::path& path);

/// Reads the images listed in `split_file` (one file name per line, relative to `dir` or
/// absolute) from `dir`/images, with labels from `dir`/labels/<stem>_gt_class_coords.txt.
/// Points outside their image are a CorruptFile error. BRCA-M2C patches are at about
/// 0.5 um/px (20x), the default `mpp`.
std::vector<LabelledImage> read_brca_m2c(const std::filesystem::path& dir, const std::filesystem::path& split_file,
                                         double mpp = 0.5);

}  // namespace muse
