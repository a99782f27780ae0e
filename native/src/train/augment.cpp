// Window sampling, resampling, flips, quarter turns, distractors, colour and stain jitter, blur
// and JPEG noise of training tiles.
#include "train/augment.hpp"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "muse/stain.hpp"
#include "train/distractors.hpp"
#include "train/random.hpp"

namespace muse::train {
namespace {

/// Colour jitter on float RGB [S, S, 3] in [0, 255]: brightness, contrast, saturation, and a
/// small per-channel gain that imitates stain variation.
void jitter_colours(at::Tensor& rgb, double amount, std::mt19937_64& rng) {
    const double brightness = uniform(rng, 1.0 - amount, 1.0 + amount);
    const double contrast = uniform(rng, 1.0 - amount, 1.0 + amount);
    const double saturation = uniform(rng, 1.0 - amount, 1.0 + amount);
    const float gains[3] = {static_cast<float>(uniform(rng, 1.0 - amount / 4, 1.0 + amount / 4)),
                            static_cast<float>(uniform(rng, 1.0 - amount / 4, 1.0 + amount / 4)),
                            static_cast<float>(uniform(rng, 1.0 - amount / 4, 1.0 + amount / 4))};
    rgb.mul_(brightness);
    const at::Tensor mean = rgb.mean();
    rgb.sub_(mean).mul_(contrast).add_(mean);  // contrast around the mean
    at::Tensor grey = (rgb.select(2, 0) * 0.299 + rgb.select(2, 1) * 0.587 + rgb.select(2, 2) * 0.114).unsqueeze(2);
    rgb.sub_(grey).mul_(saturation).add_(grey);
    rgb.mul_(at::tensor(at::ArrayRef<float>(gains, 3)));
}

/// Another lab's stain: H and E amounts and a small tint, drawn around no change.
void jitter_stains(at::Tensor& rgb, double amount, std::mt19937_64& rng) {
    StainChange c;
    c.h_scale = uniform(rng, 1.0 - amount, 1.0 + amount);
    c.e_scale = uniform(rng, 1.0 - amount, 1.0 + amount);
    c.h_shift = uniform(rng, -amount / 5, amount / 5);
    c.e_shift = uniform(rng, -amount / 5, amount / 5);
    for (double& g : c.rgb_gain) g = uniform(rng, 1.0 - amount / 4, 1.0 + amount / 4);
    change_stains(rgb.data_ptr<std::uint8_t>(), static_cast<std::size_t>(rgb.numel() / 3), c);
}

void blur(at::Tensor& rgb, std::mt19937_64& rng) {
    const int s = static_cast<int>(rgb.size(0));
    cv::Mat m(s, static_cast<int>(rgb.size(1)), CV_8UC3, rgb.data_ptr());
    cv::GaussianBlur(m, m, cv::Size(0, 0), uniform(rng, 0.4, 1.5));
}

void jpeg_noise(at::Tensor& rgb, std::mt19937_64& rng) {
    cv::Mat m(static_cast<int>(rgb.size(0)), static_cast<int>(rgb.size(1)), CV_8UC3, rgb.data_ptr());
    std::vector<std::uint8_t> bytes;
    const int quality = std::uniform_int_distribution<int>(40, 90)(rng);
    cv::imencode(".jpg", m, bytes, {cv::IMWRITE_JPEG_QUALITY, quality});  // channel order is irrelevant here
    cv::imdecode(bytes, cv::IMREAD_COLOR).copyTo(m);
}

}  // namespace

at::Tensor rotate_tile(const at::Tensor& rgb, int quarter_turns, std::vector<LabelledPoint>& nuclei) {
    const int k = ((quarter_turns % 4) + 4) % 4;
    const double last = static_cast<double>(rgb.size(1) - 1);
    for (int t = 0; t < k; ++t) {
        // rot90 over (rows, columns): new[r][c] = old[c][last - r], so (x, y) -> (y, last - x).
        for (auto& p : nuclei) p = {p.y, last - p.x, p.class_index};
    }
    return k == 0 ? rgb : at::rot90(rgb, k, {0, 1}).contiguous();
}

at::Tensor flip_tile(const at::Tensor& rgb, bool horizontal, std::vector<LabelledPoint>& nuclei) {
    const double last = static_cast<double>(rgb.size(horizontal ? 1 : 0) - 1);
    for (auto& p : nuclei) (horizontal ? p.x : p.y) = last - (horizontal ? p.x : p.y);
    return at::flip(rgb, {horizontal ? 1 : 0}).contiguous();
}

TrainingTile make_training_tile(const LabelledImage& image, const AugmentOptions& o, std::mt19937_64& rng) {
    const int s = o.tile_px;
    // Model px per image px, jittered.
    const double scale = image.mpp / o.model_mpp * uniform(rng, 1.0 - o.scale_jitter, 1.0 + o.scale_jitter);
    const int window = std::max(1, static_cast<int>(std::lround(s / scale)));
    auto origin = [&](int size) {
        return size >= window ? static_cast<int>(std::uniform_int_distribution<int>(0, size - window)(rng))
                              : -static_cast<int>(std::uniform_int_distribution<int>(0, window - size)(rng));
    };
    const int x0 = origin(image.image.width), y0 = origin(image.image.height);

    cv::Mat src(image.image.height, image.image.width, CV_8UC3, const_cast<std::uint8_t*>(image.image.pixels.data()));
    cv::Mat crop(window, window, CV_8UC3, cv::Scalar(255, 255, 255));
    const cv::Rect inside = cv::Rect(x0, y0, window, window) & cv::Rect(0, 0, src.cols, src.rows);
    if (inside.area() > 0) src(inside).copyTo(crop(cv::Rect(inside.x - x0, inside.y - y0, inside.width, inside.height)));
    at::Tensor rgb = at::empty({s, s, 3}, at::kByte);
    cv::Mat out(s, s, CV_8UC3, rgb.data_ptr());
    cv::resize(crop, out, cv::Size(s, s), 0, 0, cv::INTER_LINEAR);

    TrainingTile tile;
    const double f = static_cast<double>(s) / window;  // exact scale of the resize
    for (const auto& p : image.nuclei) {
        const double x = (p.x - x0 + 0.5) * f - 0.5, y = (p.y - y0 + 0.5) * f - 0.5;
        if (x >= 0 && y >= 0 && x <= s - 1 && y <= s - 1) tile.nuclei.push_back({x, y, p.class_index});
    }
    augment_tile(rgb, tile.nuclei, nullptr, o, rng);
    tile.rgb = rgb;
    return tile;
}

void augment_tile(at::Tensor& rgb, std::vector<LabelledPoint>& nuclei, at::Tensor* grid, const AugmentOptions& o,
                  std::mt19937_64& rng) {
    std::vector<LabelledPoint> none;
    if (o.flips && std::uniform_int_distribution<int>(0, 1)(rng)) {
        rgb = flip_tile(rgb, true, nuclei);
        if (grid) *grid = flip_tile(*grid, true, none);
    }
    if (o.flips && std::uniform_int_distribution<int>(0, 1)(rng)) {
        rgb = flip_tile(rgb, false, nuclei);
        if (grid) *grid = flip_tile(*grid, false, none);
    }
    if (o.rotations) {
        const int turns = std::uniform_int_distribution<int>(0, 3)(rng);
        rgb = rotate_tile(rgb, turns, nuclei);
        if (grid) *grid = rotate_tile(*grid, turns, none);
    }
    // With these four off, no random number is drawn for them: the stream (and so a model
    // trained from a seed) is the one of earlier versions. They write into a copy: `rgb` may
    // still share its pixels with the caller's source image.
    const bool pixel_noise =
        o.stain_jitter > 0 || o.blur_probability > 0 || o.jpeg_probability > 0 || o.distractor_probability > 0;
    if (pixel_noise) rgb = rgb.clone(at::MemoryFormat::Contiguous);
    // Before the colour changes, so that the lab's stain and the scanner tint act on them too.
    if (o.distractor_probability > 0 && uniform(rng, 0.0, 1.0) < o.distractor_probability) {
        paste_distractors(rgb, nuclei, o.model_mpp, rng);
    }
    if (o.stain_jitter > 0) {
        jitter_stains(rgb, o.stain_jitter, rng);
    }
    if (o.blur_probability > 0 && uniform(rng, 0.0, 1.0) < o.blur_probability) {
        blur(rgb, rng);
    }
    if (o.jpeg_probability > 0 && uniform(rng, 0.0, 1.0) < o.jpeg_probability) {
        jpeg_noise(rgb, rng);
    }
    if (o.colour_jitter > 0) {
        at::Tensor f32 = rgb.to(at::kFloat);
        jitter_colours(f32, o.colour_jitter, rng);
        rgb = f32.clamp_(0, 255).round_().to(at::kByte).contiguous();
    }
}

}  // namespace muse::train
