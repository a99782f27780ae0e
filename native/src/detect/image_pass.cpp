// Whole-image passes: resampling to the model's MPP, reflection padding, coordinate mapping.
#include "detect/image_pass.hpp"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "detect/decode.hpp"
#include "detect/flip_averaging.hpp"
#include "muse/detect.hpp"
#include "muse/errors.hpp"

namespace muse::detect {
namespace {

/// Image px -> model (tile) px, with pixel centres mapping onto pixel centres.
double to_tile(double v, double scale) { return (v + 0.5) * scale - 0.5; }
double to_image(double v, double scale) { return (v + 0.5) / scale - 0.5; }

}  // namespace

ImagePass run_on_image(const Model& model, const RgbImage& image, double mpp, bool tta, Precision precision) {
    if (image.width <= 0 || image.height <= 0) throw InvalidArgument("the image is empty");
    if (!(mpp > 0.0) || !std::isfinite(mpp)) throw InvalidArgument("the image's mpp must be positive, got " + std::to_string(mpp));
    ImagePass pass;
    pass.scale = mpp / model.config().mpp;
    cv::Mat src(image.height, image.width, CV_8UC3, const_cast<std::uint8_t*>(image.pixels.data()));
    cv::Mat scaled = src;
    if (std::abs(pass.scale - 1.0) > 1e-6) {
        const int w = std::max(1, static_cast<int>(std::lround(image.width * pass.scale)));
        const int h = std::max(1, static_cast<int>(std::lround(image.height * pass.scale)));
        cv::resize(src, scaled, cv::Size(w, h), 0, 0, pass.scale < 1.0 ? cv::INTER_AREA : cv::INTER_CUBIC);
    }
    pass.width = scaled.cols;
    pass.height = scaled.rows;
    const int side = (std::max(scaled.cols, scaled.rows) + 31) / 32 * 32;
    pass.tile_px = side;
    at::Tensor tile = at::empty({1, side, side, 3}, at::kByte);
    cv::Mat padded(side, side, CV_8UC3, tile.data_ptr());
    cv::copyMakeBorder(scaled, padded, 0, side - scaled.rows, 0, side - scaled.cols, cv::BORDER_REFLECT_101);
    pass.proposals = predict_tiles(model, tile, tta, precision);
    return pass;
}

std::vector<Detection> detections_of(const ImagePass& pass, const ScoreThresholds& score_threshold, double merge_radius_um,
                                     double model_mpp) {
    std::vector<Detection> all = decode_proposals(pass.proposals.points[0], pass.proposals.probs[0], score_threshold,
                                                  merge_radius_um / model_mpp);
    std::vector<Detection> inside;
    for (Detection& d : all) {
        if (d.x < -0.5 || d.y < -0.5 || d.x >= pass.width - 0.5 || d.y >= pass.height - 0.5) continue;
        d.x = to_image(d.x, pass.scale);
        d.y = to_image(d.y, pass.scale);
        inside.push_back(std::move(d));
    }
    return inside;
}

std::vector<int> classes_at(const Model& model, const ImagePass& pass, const std::vector<LabelledPoint>& points) {
    std::vector<Point> in_tile;
    in_tile.reserve(points.size());
    const double hi = static_cast<double>(pass.tile_px);
    for (const auto& p : points) {
        in_tile.push_back({std::clamp(to_tile(p.x, pass.scale), 0.0, hi), std::clamp(to_tile(p.y, pass.scale), 0.0, hi)});
    }
    std::vector<int> classes;
    if (in_tile.empty()) return classes;
    at::Tensor probs = model.class_probabilities_at(pass.proposals.dense_map, pass.tile_px, in_tile);
    // argmax over the nucleus classes only: the point is known to be a nucleus
    at::Tensor best = probs.narrow(1, 0, probs.size(1) - 1).argmax(1).contiguous();
    const std::int64_t* b = best.data_ptr<std::int64_t>();
    classes.assign(b, b + best.numel());
    return classes;
}

}  // namespace muse::detect

namespace muse {

void DetectOptions::validate() const {
    if (!(score_threshold >= 0.0 && score_threshold < 1.0)) {
        throw InvalidArgument("score_threshold must be in [0, 1) (0 = the model's), got " + std::to_string(score_threshold));
    }
    if (!(merge_radius_um >= 0.0) || !std::isfinite(merge_radius_um)) {
        throw InvalidArgument("merge_radius_um must be >= 0 (0 = the model's), got " + std::to_string(merge_radius_um));
    }
    resolve_precision(precision);  // bf16 without native bfloat16: the error now, not after the first tile
}

std::vector<Detection> detect_image(const Model& model, const RgbImage& image, double mpp, const DetectOptions& options) {
    options.validate();
    const DetectionConfig& d = model.config().detection;
    const detect::ImagePass pass = detect::run_on_image(model, image, mpp, options.tta, options.precision);
    return detect::detections_of(pass, detect::thresholds_for(d, options.score_threshold),
                                 options.merge_radius_um > 0 ? options.merge_radius_um : d.merge_radius_um,
                                 model.config().mpp);
}

}  // namespace muse
