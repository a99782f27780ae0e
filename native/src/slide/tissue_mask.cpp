// Low-resolution tissue detection by colour saturation and brightness.
#include "slide/tissue_mask.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "muse/errors.hpp"
#include "muse/log.hpp"

namespace muse::slide {

bool TissueMask::any(double x0, double y0, double x1, double y1) const {
    const int c0 = std::max(0, static_cast<int>(std::floor(x0 / level0_per_px)));
    const int r0 = std::max(0, static_cast<int>(std::floor(y0 / level0_per_px)));
    const int c1 = std::min(width, static_cast<int>(std::ceil(x1 / level0_per_px)));
    const int r1 = std::min(height, static_cast<int>(std::ceil(y1 / level0_per_px)));
    for (int r = r0; r < r1; ++r) {
        for (int c = c0; c < c1; ++c) {
            if (on[static_cast<std::size_t>(r) * width + c]) return true;
        }
    }
    return false;
}

double TissueMask::fraction() const {
    if (on.empty()) return 0.0;
    return static_cast<double>(std::count(on.begin(), on.end(), std::uint8_t{1})) / static_cast<double>(on.size());
}

double TissueMask::tissue_area_px2(double x0, double y0, double x1, double y1, const std::vector<Polygon>& regions) const {
    std::int64_t count = 0;
    const int c0 = std::max(0, static_cast<int>(std::floor(x0 / level0_per_px)));
    const int c1 = std::min(width, static_cast<int>(std::ceil(x1 / level0_per_px)));
    const int r0 = std::max(0, static_cast<int>(std::floor(y0 / level0_per_px)));
    const int r1 = std::min(height, static_cast<int>(std::ceil(y1 / level0_per_px)));
    for (int r = r0; r < r1; ++r) {
        const double cy = (r + 0.5) * level0_per_px;
        if (cy < y0 || cy >= y1) continue;
        for (int c = c0; c < c1; ++c) {
            if (!on[static_cast<std::size_t>(r) * width + c]) continue;
            const double cx = (c + 0.5) * level0_per_px;
            if (cx < x0 || cx >= x1) continue;
            if (!regions.empty() &&
                std::none_of(regions.begin(), regions.end(), [&](const Polygon& p) { return p.contains(cx, cy); })) {
                continue;
            }
            ++count;
        }
    }
    return static_cast<double>(count) * level0_per_px * level0_per_px;
}

TissueMask compute_tissue_mask(const SlideSource& slide, double level0_per_px) {
    const auto& levels = slide.levels();
    const int level = level_for_downsample(slide, level0_per_px);
    const SlideLevel& lv = levels[level];
    TissueMask mask;
    mask.level0_per_px = level0_per_px;
    mask.width = std::max(1, static_cast<int>(std::ceil(levels[0].width / level0_per_px)));
    mask.height = std::max(1, static_cast<int>(std::ceil(levels[0].height / level0_per_px)));
    cv::Mat small(mask.height, mask.width, CV_8UC3, cv::Scalar(255, 255, 255));
    // Mask pixels per level pixel, and chunks of whole mask pixels so that chunk borders align.
    const double level_per_mask = level0_per_px / lv.downsample;
    const int chunk_mask_px = std::max(1, static_cast<int>(2048 / std::max(1.0, level_per_mask)));
    for (int my = 0; my < mask.height; my += chunk_mask_px) {
        for (int mx = 0; mx < mask.width; mx += chunk_mask_px) {
            const int mw = std::min(chunk_mask_px, mask.width - mx), mh = std::min(chunk_mask_px, mask.height - my);
            const auto lx = static_cast<std::int64_t>(std::llround(mx * level_per_mask));
            const auto ly = static_cast<std::int64_t>(std::llround(my * level_per_mask));
            const int lw = std::max(1, static_cast<int>(std::llround((mx + mw) * level_per_mask)) - static_cast<int>(lx));
            const int lh = std::max(1, static_cast<int>(std::llround((my + mh) * level_per_mask)) - static_cast<int>(ly));
            RgbImage px;
            try {
                px = slide.read_region(level, static_cast<std::int64_t>(lx * lv.downsample),
                                       static_cast<std::int64_t>(ly * lv.downsample), lw, lh);
            } catch (const CorruptFile& e) {
                // Unreadable here: count it as tissue, so that its tiles are tried (and reported)
                // one by one rather than silently dropped.
                log(LogLevel::Warning, std::string("tissue mask: ") + e.what() + "; treated as tissue");
                small(cv::Rect(mx, my, mw, mh)).setTo(cv::Scalar(120, 60, 120));
                continue;
            }
            cv::Mat chunk(px.height, px.width, CV_8UC3, px.pixels.data());
            cv::Mat down;
            cv::resize(chunk, down, cv::Size(mw, mh), 0, 0, cv::INTER_AREA);
            down.copyTo(small(cv::Rect(mx, my, mw, mh)));
        }
    }
    cv::Mat hsv;
    cv::cvtColor(small, hsv, cv::COLOR_RGB2HSV);
    cv::Mat tissue(mask.height, mask.width, CV_8U);
    for (int r = 0; r < mask.height; ++r) {
        for (int c = 0; c < mask.width; ++c) {
            const cv::Vec3b v = hsv.at<cv::Vec3b>(r, c);
            tissue.at<std::uint8_t>(r, c) = (v[1] > 0.07 * 255 && v[2] < 0.92 * 255) ? 1 : 0;
        }
    }
    cv::dilate(tissue, tissue, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
    mask.on.assign(tissue.datastart, tissue.dataend);
    return mask;
}

}  // namespace muse::slide
