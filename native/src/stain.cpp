// Colour deconvolution into haematoxylin / eosin / residual, stain changes, and the presets.
#include "muse/stain.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "muse/errors.hpp"

namespace muse {
namespace {

using Mat3 = std::array<std::array<double, 3>, 3>;

/// Rows: the optical density of one unit of haematoxylin, eosin and DAB in R, G, B
/// (Ruifrok & Johnston 2001), each normalised to length 1.
Mat3 stain_vectors() {
    Mat3 m = {{{0.650, 0.704, 0.286}, {0.072, 0.990, 0.105}, {0.268, 0.570, 0.776}}};
    for (auto& row : m) {
        const double n = std::sqrt(row[0] * row[0] + row[1] * row[1] + row[2] * row[2]);
        for (double& v : row) v /= n;
    }
    return m;
}

Mat3 inverse(const Mat3& a) {
    const double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
                       a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                       a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    Mat3 r{};
    r[0][0] = (a[1][1] * a[2][2] - a[1][2] * a[2][1]) / det;
    r[0][1] = (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det;
    r[0][2] = (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det;
    r[1][0] = (a[1][2] * a[2][0] - a[1][0] * a[2][2]) / det;
    r[1][1] = (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det;
    r[1][2] = (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det;
    r[2][0] = (a[1][0] * a[2][1] - a[1][1] * a[2][0]) / det;
    r[2][1] = (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det;
    r[2][2] = (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det;
    return r;
}

}  // namespace

bool StainChange::is_identity() const {
    return h_scale == 1.0 && e_scale == 1.0 && h_shift == 0.0 && e_shift == 0.0 && rgb_gain[0] == 1.0 &&
           rgb_gain[1] == 1.0 && rgb_gain[2] == 1.0;
}

void change_stains(std::uint8_t* rgb, std::size_t pixels, const StainChange& c) {
    if (c.is_identity()) return;
    static const Mat3 stains = stain_vectors();
    static const Mat3 unmix = inverse(stains);  // OD (row) x unmix = concentrations (row)
    // Optical density of each byte value; 0 is read as 1 so that black stays finite.
    static const std::array<float, 256> od = [] {
        std::array<float, 256> t{};
        for (int v = 0; v < 256; ++v) t[v] = static_cast<float>(-std::log(std::max(v, 1) / 255.0));
        return t;
    }();
    // The whole change is linear in OD: OD' = OD x (unmix x D x stains) + shift x stains.
    Mat3 mix{};
    const double scale[3] = {c.h_scale, c.e_scale, 1.0};
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) {
            double v = 0.0;
            for (int s = 0; s < 3; ++s) v += unmix[i][s] * scale[s] * stains[s][j];
            mix[i][j] = v;
        }
    }
    double offset[3];
    for (int j = 0; j < 3; ++j) offset[j] = c.h_shift * stains[0][j] + c.e_shift * stains[1][j];
    float m[3][3], off[3], gain[3];
    for (int i = 0; i < 3; ++i) {
        off[i] = static_cast<float>(offset[i]);
        gain[i] = static_cast<float>(255.0 * c.rgb_gain[i]);
        for (int j = 0; j < 3; ++j) m[i][j] = static_cast<float>(mix[i][j]);
    }
    for (std::size_t p = 0; p < pixels; ++p) {
        std::uint8_t* px = rgb + 3 * p;
        const float d0 = od[px[0]], d1 = od[px[1]], d2 = od[px[2]];
        for (int j = 0; j < 3; ++j) {
            const float d = std::max(0.0f, d0 * m[0][j] + d1 * m[1][j] + d2 * m[2][j] + off[j]);
            const float v = gain[j] * std::exp(-d);
            px[j] = static_cast<std::uint8_t>(std::clamp(v + 0.5f, 0.0f, 255.0f));
        }
    }
}

std::vector<std::string> stain_preset_names() {
    return {"weak-h", "strong-h", "strong-e", "weak-h-strong-e", "yellow-tint", "far-lab", "blue-lab"};
}

StainChange stain_preset(const std::string& name) {
    StainChange c;
    if (name == "weak-h") {
        c.h_scale = 0.6;
    } else if (name == "strong-h") {
        c.h_scale = 1.5;
    } else if (name == "strong-e") {
        c.e_scale = 1.6;
    } else if (name == "weak-h-strong-e") {
        c.h_scale = 0.6;
        c.e_scale = 1.6;
    } else if (name == "yellow-tint") {
        c.rgb_gain = {1.0, 0.92, 0.78};
    } else if (name == "far-lab") {
        // Everything at once, and more: what another organ's lab with its own protocol and
        // scanner may look like (fine-tuning is measured where there is a gap to close).
        c.h_scale = 0.45;
        c.e_scale = 2.0;
        c.rgb_gain = {1.0, 0.9, 0.75};
    } else if (name == "blue-lab") {
        // far-lab's opposite: haematoxylin-heavy, pale eosin, a cold scanner. Fine-tuning recipes
        // are chosen on far-lab; this lab, never looked at while choosing, is where they are
        // confirmed.
        c.h_scale = 1.7;
        c.e_scale = 0.5;
        c.rgb_gain = {0.8, 0.9, 1.0};
    } else if (name != "none") {
        std::string names;
        for (const auto& n : stain_preset_names()) names += (names.empty() ? "" : ", ") + n;
        throw InvalidArgument("unknown stain change '" + name + "': use one of " + names);
    }
    return c;
}

RgbImage resample_image(const RgbImage& image, double factor) {
    if (!(factor > 0.0) || !std::isfinite(factor) || factor > 16.0 || factor < 1.0 / 16.0) {
        throw InvalidArgument("resampling factor must be between 1/16 and 16, got " + std::to_string(factor));
    }
    const int w = std::max(1, static_cast<int>(std::lround(image.width * factor)));
    const int h = std::max(1, static_cast<int>(std::lround(image.height * factor)));
    RgbImage out(w, h);
    if (image.width == 0 || image.height == 0) return out;
    cv::Mat src(image.height, image.width, CV_8UC3, const_cast<std::uint8_t*>(image.pixels.data()));
    cv::Mat dst(h, w, CV_8UC3, out.pixels.data());
    cv::resize(src, dst, cv::Size(w, h), 0, 0, factor < 1.0 ? cv::INTER_AREA : cv::INTER_CUBIC);
    return out;
}

}  // namespace muse
