#include "train/distractors.hpp"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace muse::train {
namespace {

constexpr double kClearanceUm = 3.0;  // between a distractor's outline and a labelled nucleus' point
constexpr int kPlacementTries = 12;

double uniform(std::mt19937_64& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }

/// An ellipse into a float mask (anti-aliased by drawing at 4x subpixel precision).
void draw_ellipse(cv::Mat& mask, double cx, double cy, double ax, double ay, double angle_deg, float value) {
    constexpr int kShift = 2;
    constexpr double kScale = 1 << kShift;
    cv::ellipse(mask, cv::Point(static_cast<int>(std::lround(cx * kScale)), static_cast<int>(std::lround(cy * kScale))),
                cv::Size(static_cast<int>(std::lround(ax * kScale)), static_cast<int>(std::lround(ay * kScale))), angle_deg,
                0, 360, cv::Scalar(value), cv::FILLED, cv::LINE_AA, kShift);
}

/// Blends `colour` into the tile with `alpha` (float mask in [0, 1]), with a little per-pixel
/// texture so the object is not a flat paint patch.
void blend(cv::Mat& tile, const cv::Mat& alpha, const cv::Vec3f& colour, double texture, std::mt19937_64& rng) {
    std::normal_distribution<float> noise(0.f, static_cast<float>(texture));
    for (int r = 0; r < tile.rows; ++r) {
        const float* a = alpha.ptr<float>(r);
        auto* px = tile.ptr<cv::Vec3b>(r);
        for (int c = 0; c < tile.cols; ++c) {
            if (a[c] <= 0.f) continue;
            const float n = noise(rng);
            for (int ch = 0; ch < 3; ++ch) {
                const float v = (1.f - a[c]) * static_cast<float>(px[c][ch]) + a[c] * (colour[ch] + n);
                px[c][ch] = cv::saturate_cast<std::uint8_t>(v);
            }
        }
    }
}

/// A point at most `distance` from (x, y), so that a part of that reach stays inside the object.
void offset_within(std::mt19937_64& rng, double x, double y, double distance, double& ox, double& oy) {
    const double angle = uniform(rng, 0.0, 2 * std::acos(-1.0)), d = uniform(rng, 0.0, distance);
    ox = x + d * std::cos(angle);
    oy = y + d * std::sin(angle);
}

/// Where an object of `radius` px may go: its outline `clearance` px or more from every nucleus.
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

void paste_pigment(cv::Mat& tile, double x, double y, double radius, double px_per_um, std::mt19937_64& rng) {
    cv::Mat alpha = cv::Mat::zeros(tile.size(), CV_32F);
    // A clump of 1-3 overlapping blobs inside the radius.
    const int blobs = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int b = 0; b < blobs; ++b) {
        const double r = radius * uniform(rng, 0.45, 0.8);
        double cx = x, cy = y;
        offset_within(rng, x, y, radius - r, cx, cy);
        draw_ellipse(alpha, cx, cy, r, r * uniform(rng, 0.5, 1.0), uniform(rng, 0, 180), 1.f);
    }
    cv::GaussianBlur(alpha, alpha, cv::Size(0, 0), std::max(0.3, 0.25 * px_per_um));
    alpha *= uniform(rng, 0.75, 1.0);
    // From golden brown (haemosiderin) to black (carbon): low blue, red above green.
    const double dark = uniform(rng, 0.0, 1.0);
    const cv::Vec3f brown(static_cast<float>(uniform(rng, 110, 150)), static_cast<float>(uniform(rng, 70, 100)),
                          static_cast<float>(uniform(rng, 25, 50)));
    const cv::Vec3f black(static_cast<float>(uniform(rng, 25, 45)), static_cast<float>(uniform(rng, 20, 40)),
                          static_cast<float>(uniform(rng, 15, 35)));
    blend(tile, alpha, brown * (1 - dark) + black * dark, 8.0, rng);
}

void paste_blood_cells(cv::Mat& tile, double x, double y, double radius, double px_per_um, std::mt19937_64& rng) {
    const cv::Vec3f red(static_cast<float>(uniform(rng, 215, 245)), static_cast<float>(uniform(rng, 50, 100)),
                        static_cast<float>(uniform(rng, 55, 105)));
    const double cell = uniform(rng, 3.25, 4.25) * px_per_um;  // radius of one cell, within the group's (>= 4.5 um)
    const int cells = radius > 1.5 * cell ? std::uniform_int_distribution<int>(2, 7)(rng) : 1;
    cv::Mat alpha = cv::Mat::zeros(tile.size(), CV_32F);
    for (int i = 0; i < cells; ++i) {
        double cx = x, cy = y;
        offset_within(rng, x, y, std::max(0.0, radius - cell), cx, cy);
        const double squash = uniform(rng, 0.75, 1.0);
        const double angle = uniform(rng, 0, 180);
        cv::Mat one = cv::Mat::zeros(tile.size(), CV_32F);
        draw_ellipse(one, cx, cy, cell, cell * squash, angle, 1.f);
        draw_ellipse(one, cx, cy, cell * 0.45, cell * 0.45 * squash, angle, 0.8f);  // the slightly paler centre
        alpha = cv::max(alpha, one);
    }
    cv::GaussianBlur(alpha, alpha, cv::Size(0, 0), std::max(0.3, 0.2 * px_per_um));
    alpha *= uniform(rng, 0.75, 0.95);
    blend(tile, alpha, red, 5.0, rng);
}

}  // namespace

std::vector<PastedDistractor> paste_distractors(at::Tensor& rgb, const std::vector<LabelledPoint>& nuclei, double mpp,
                                                std::mt19937_64& rng) {
    const int side = static_cast<int>(rgb.size(0));
    cv::Mat tile(side, static_cast<int>(rgb.size(1)), CV_8UC3, rgb.data_ptr());
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
