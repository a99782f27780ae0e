// Pigment and red blood cells drawn into training tiles: soft-edged masks blended in colour,
// each worked on only in the square around it.
#include "train/distractors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "muse/errors.hpp"
#include "train/random.hpp"

namespace muse::train {
namespace {

// From a labelled nucleus' point to a distractor's outline: the point marks the nucleus' centre,
// and a tumour nucleus reaches 5-7 um from it; 8 um keeps the outline and its soft edge off it.
constexpr double kClearanceUm = 8.0;
constexpr int kPlacementTries = 12;

/// A filled ellipse into an 8-bit mask, anti-aliased and at quarter-pixel precision (OpenCV
/// anti-aliases only 8-bit images), centre in the mask's pixels.
void draw_ellipse(cv::Mat& mask, double cx, double cy, double ax, double ay, double angle_deg, int value) {
    constexpr int kShift = 2;
    constexpr double kScale = 1 << kShift;
    cv::ellipse(mask, cv::Point(static_cast<int>(std::lround(cx * kScale)), static_cast<int>(std::lround(cy * kScale))),
                cv::Size(static_cast<int>(std::lround(ax * kScale)), static_cast<int>(std::lround(ay * kScale))), angle_deg,
                0, 360, cv::Scalar(value), cv::FILLED, cv::LINE_AA, kShift);
}

/// Softens an 8-bit mask into a float alpha in [0, opacity].
cv::Mat soft_alpha(const cv::Mat& mask, double sigma_px, double opacity) {
    cv::Mat alpha;
    mask.convertTo(alpha, CV_32F, opacity / 255.0);
    cv::GaussianBlur(alpha, alpha, cv::Size(0, 0), sigma_px);
    return alpha;
}

/// Blends `colour` into `roi` with `alpha`, with a little per-pixel texture so the object is
/// not a flat patch of paint.
void blend(cv::Mat& roi, const cv::Mat& alpha, const cv::Vec3f& colour, double texture, std::mt19937_64& rng) {
    std::normal_distribution<float> noise(0.f, static_cast<float>(texture));
    for (int r = 0; r < roi.rows; ++r) {
        const float* a = alpha.ptr<float>(r);
        auto* px = roi.ptr<cv::Vec3b>(r);
        for (int c = 0; c < roi.cols; ++c) {
            if (a[c] <= 0.f) continue;
            const float n = noise(rng);
            for (int ch = 0; ch < 3; ++ch) {
                px[c][ch] = cv::saturate_cast<std::uint8_t>((1.f - a[c]) * static_cast<float>(px[c][ch]) + a[c] * (colour[ch] + n));
            }
        }
    }
}

/// A point at most `distance` from (x, y) in any direction.
void offset_within(std::mt19937_64& rng, double x, double y, double distance, double& ox, double& oy) {
    const double angle = uniform(rng, 0.0, 2 * std::acos(-1.0)), d = uniform(rng, 0.0, distance);
    ox = x + d * std::cos(angle);
    oy = y + d * std::sin(angle);
}

/// Where an object of `radius` px may go: its outline `clearance` px or more from every nucleus.
/// (Nuclei just outside the tile are not known here; a distractor may cover their edge.)
bool place(int side, double radius, double clearance, const std::vector<LabelledPoint>& nuclei, std::mt19937_64& rng,
           double& x, double& y) {
    for (int t = 0; t < kPlacementTries; ++t) {
        x = uniform(rng, 0.0, side);
        y = uniform(rng, 0.0, side);
        const double keep = radius + clearance;
        const bool clear = std::none_of(nuclei.begin(), nuclei.end(), [&](const LabelledPoint& p) {
            return (p.x - x) * (p.x - x) + (p.y - y) * (p.y - y) < keep * keep;
        });
        if (clear) return true;
    }
    return false;
}

/// The square of the tile a distractor at (x, y) of `radius` can change, its soft edge included.
cv::Rect reach(const cv::Mat& tile, double x, double y, double radius, double sigma_px) {
    const double r = radius + 4 * sigma_px + 2;
    const int x0 = static_cast<int>(std::floor(x - r)), y0 = static_cast<int>(std::floor(y - r));
    const int x1 = static_cast<int>(std::ceil(x + r)), y1 = static_cast<int>(std::ceil(y + r));
    return cv::Rect(x0, y0, x1 - x0, y1 - y0) & cv::Rect(0, 0, tile.cols, tile.rows);
}

void paste_pigment(cv::Mat& tile, double x, double y, double radius, double px_per_um, std::mt19937_64& rng) {
    const double sigma = std::max(0.3, 0.25 * px_per_um);
    const cv::Rect box = reach(tile, x, y, radius, sigma);
    if (box.empty()) return;
    cv::Mat mask = cv::Mat::zeros(box.size(), CV_8U);
    // A clump of 1-3 overlapping blobs inside the radius.
    const int blobs = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int b = 0; b < blobs; ++b) {
        const double r = radius * uniform(rng, 0.45, 0.8);
        double cx = x, cy = y;
        offset_within(rng, x, y, radius - r, cx, cy);
        draw_ellipse(mask, cx - box.x, cy - box.y, r, r * uniform(rng, 0.5, 1.0), uniform(rng, 0, 180), 255);
    }
    const cv::Mat alpha = soft_alpha(mask, sigma, uniform(rng, 0.75, 1.0));
    // From golden brown (haemosiderin) to black (carbon): little blue, red above green.
    const double dark = uniform(rng, 0.0, 1.0);
    const cv::Vec3f brown(static_cast<float>(uniform(rng, 110, 150)), static_cast<float>(uniform(rng, 70, 100)),
                          static_cast<float>(uniform(rng, 25, 50)));
    const cv::Vec3f black(static_cast<float>(uniform(rng, 25, 45)), static_cast<float>(uniform(rng, 20, 40)),
                          static_cast<float>(uniform(rng, 15, 35)));
    cv::Mat roi = tile(box);
    blend(roi, alpha, brown * (1 - dark) + black * dark, 8.0, rng);
}

void paste_blood_cells(cv::Mat& tile, double x, double y, double radius, double px_per_um, std::mt19937_64& rng) {
    const double sigma = std::max(0.3, 0.2 * px_per_um);
    const cv::Rect box = reach(tile, x, y, radius, sigma);
    if (box.empty()) return;
    const cv::Vec3f red(static_cast<float>(uniform(rng, 215, 245)), static_cast<float>(uniform(rng, 50, 100)),
                        static_cast<float>(uniform(rng, 55, 105)));
    const double cell = uniform(rng, 3.25, 4.25) * px_per_um;  // one cell's radius, within the group's (>= 4.5 um)
    const int cells = radius > 1.5 * cell ? std::uniform_int_distribution<int>(2, 7)(rng) : 1;
    cv::Mat mask = cv::Mat::zeros(box.size(), CV_8U);
    cv::Mat one(box.size(), CV_8U);
    for (int i = 0; i < cells; ++i) {
        double cx = x, cy = y;
        offset_within(rng, x, y, std::max(0.0, radius - cell), cx, cy);
        const double squash = uniform(rng, 0.75, 1.0);
        const double angle = uniform(rng, 0, 180);
        one.setTo(0);
        draw_ellipse(one, cx - box.x, cy - box.y, cell, cell * squash, angle, 255);
        draw_ellipse(one, cx - box.x, cy - box.y, cell * 0.45, cell * 0.45 * squash, angle, 204);  // a paler centre
        mask = cv::max(mask, one);
    }
    const cv::Mat alpha = soft_alpha(mask, sigma, uniform(rng, 0.75, 0.95));
    cv::Mat roi = tile(box);
    blend(roi, alpha, red, 5.0, rng);
}

}  // namespace

std::vector<PastedDistractor> paste_distractors(at::Tensor& rgb, const std::vector<LabelledPoint>& nuclei, double mpp,
                                                std::mt19937_64& rng) {
    if (rgb.dim() != 3 || rgb.size(2) != 3 || rgb.size(0) != rgb.size(1) || rgb.scalar_type() != at::kByte ||
        !rgb.is_contiguous() || !(mpp > 0)) {
        throw InvalidArgument("paste_distractors needs a contiguous square uint8 [S, S, 3] tile and an mpp > 0");
    }
    const int side = static_cast<int>(rgb.size(0));
    cv::Mat tile(side, side, CV_8UC3, rgb.data_ptr());
    const double px_per_um = 1.0 / mpp;
    std::vector<PastedDistractor> pasted;
    const int count = std::uniform_int_distribution<int>(1, 4)(rng);
    for (int i = 0; i < count; ++i) {
        PastedDistractor d;
        d.kind = std::uniform_int_distribution<int>(0, 1)(rng) == 0 ? DistractorKind::Pigment : DistractorKind::BloodCells;
        d.radius = (d.kind == DistractorKind::Pigment ? uniform(rng, 1.0, 4.5) : uniform(rng, 4.5, 10.0)) * px_per_um;
        if (!place(side, d.radius, kClearanceUm * px_per_um, nuclei, rng, d.x, d.y)) continue;
        if (d.kind == DistractorKind::Pigment) {
            paste_pigment(tile, d.x, d.y, d.radius, px_per_um, rng);
        } else {
            paste_blood_cells(tile, d.x, d.y, d.radius, px_per_um, rng);
        }
        pasted.push_back(d);
    }
    return pasted;
}

}  // namespace muse::train
