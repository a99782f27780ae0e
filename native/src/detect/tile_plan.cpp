// Level choice, grid layout and exact resampling of tiles.
#include "detect/tile_plan.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "muse/errors.hpp"

namespace muse::detect {

TilePlan reading_plan(const SlideSource& slide, double model_mpp, double slide_mpp, int tile_px) {
    if (!(model_mpp > 0) || !(slide_mpp > 0)) throw InvalidArgument("tile plan needs positive MPPs");
    TilePlan plan;
    plan.s = model_mpp / slide_mpp;
    // The coarsest level that still has at least the model's resolution (never upsample a
    // level when a finer one exists).
    const auto& levels = slide.levels();
    for (int l = 0; l < static_cast<int>(levels.size()); ++l) {
        if (plan.s / levels[l].downsample >= 1.0 - 1e-3) plan.level = l;
    }
    plan.r = plan.s / levels[plan.level].downsample;
    // A level within 1 % of an integer factor is read as that factor, with the plan's scale
    // snapped to it so that coordinates stay exact: the model then sees the slide up to 1 % off
    // its MPP (e.g. 0.499 instead of 0.5 um/px), which it cannot tell, and reading skips a
    // resampling pass per tile that on 2 cores costs the model about 15 % of its throughput.
    const double k = std::round(plan.r);
    if (k >= 1.0 && std::abs(plan.r - k) <= kIntegerFactorTolerance * k) {
        plan.r = k;
        plan.s = k * levels[plan.level].downsample;
    }
    plan.tile_px = tile_px;
    plan.core_px = tile_px;
    return plan;
}

TilePlan plan_tiles(const SlideSource& slide, const TilePlanOptions& o,
                    const std::function<bool(double, double, double, double)>& keep) {
    if (o.tile_px % 32 != 0 || o.stride_px <= 0 || o.margin_px % o.stride_px != 0 || 2 * o.margin_px >= o.tile_px) {
        throw InvalidArgument("tile plan: tile " + std::to_string(o.tile_px) + " px with margin " +
                              std::to_string(o.margin_px) + " px does not fit (margin a multiple of the stride " +
                              std::to_string(o.stride_px) + ", less than half the tile)");
    }
    TilePlan plan = reading_plan(slide, o.model_mpp, o.slide_mpp, o.tile_px);
    const auto& levels = slide.levels();
    plan.margin_px = o.margin_px;
    plan.core_px = o.tile_px - 2 * o.margin_px;

    double x0 = o.x0, y0 = o.y0, x1 = o.x1, y1 = o.y1;
    if (!(x1 > x0 && y1 > y0)) {
        x0 = 0;
        y0 = 0;
        x1 = static_cast<double>(levels[0].width);
        y1 = static_cast<double>(levels[0].height);
    }
    // Model-frame pixels whose centres fall inside the region.
    const auto u_begin = static_cast<std::int64_t>(std::ceil(plan.to_model(x0 - 0.5) - 1e-9));
    const auto v_begin = static_cast<std::int64_t>(std::ceil(plan.to_model(y0 - 0.5) - 1e-9));
    const auto u_end = static_cast<std::int64_t>(std::ceil(plan.to_model(x1 - 0.5) - 1e-9));
    const auto v_end = static_cast<std::int64_t>(std::ceil(plan.to_model(y1 - 0.5) - 1e-9));
    plan.grid_u0 = u_begin;
    plan.grid_v0 = v_begin;
    plan.cols = static_cast<int>(std::max<std::int64_t>(1, (u_end - u_begin + plan.core_px - 1) / plan.core_px));
    plan.rows = static_cast<int>(std::max<std::int64_t>(1, (v_end - v_begin + plan.core_px - 1) / plan.core_px));
    for (int row = 0; row < plan.rows; ++row) {
        for (int col = 0; col < plan.cols; ++col) {
            PlannedTile t;
            t.col = col;
            t.row = row;
            t.u0 = plan.grid_u0 + static_cast<std::int64_t>(col) * plan.core_px - plan.margin_px;
            t.v0 = plan.grid_v0 + static_cast<std::int64_t>(row) * plan.core_px - plan.margin_px;
            const double cx0 = plan.to_level0(static_cast<double>(plan.core_u0(t)) - 0.5);
            const double cy0 = plan.to_level0(static_cast<double>(plan.core_v0(t)) - 0.5);
            const double cx1 = plan.to_level0(static_cast<double>(plan.core_u0(t) + plan.core_px) - 0.5);
            const double cy1 = plan.to_level0(static_cast<double>(plan.core_v0(t) + plan.core_px) - 0.5);
            if (!keep || keep(cx0, cy0, cx1, cy1)) plan.tiles.push_back(t);
        }
    }
    return plan;
}

RgbImage read_tile(const SlideSource& slide, const TilePlan& plan, const PlannedTile& tile) {
    const SlideLevel& lv = slide.levels()[plan.level];
    const int t = plan.tile_px;
    const double k = std::round(plan.r);
    RgbImage out(t, t);
    cv::Mat dst(t, t, CV_8UC3, out.pixels.data());
    if (std::abs(plan.r - k) < 1e-6 && k >= 1) {
        // Integer factor: the tile is exactly k x k blocks of level pixels starting at u0 * k.
        const int side = static_cast<int>(k) * t;
        RgbImage px = slide.read_region(plan.level, static_cast<std::int64_t>(std::llround(tile.u0 * k * lv.downsample)),
                                        static_cast<std::int64_t>(std::llround(tile.v0 * k * lv.downsample)), side, side);
        cv::Mat src(side, side, CV_8UC3, px.pixels.data());
        if (k == 1) src.copyTo(dst);
        else cv::resize(src, dst, cv::Size(t, t), 0, 0, cv::INTER_AREA);
        return out;
    }
    // General factor: level position of model pixel u is (u + 0.5) r - 0.5. Read the window that
    // covers the tile plus the interpolation support, smooth it if shrinking, then warp.
    const double a0 = (tile.u0 + 0.5) * plan.r - 0.5, b0 = (tile.v0 + 0.5) * plan.r - 0.5;
    const double span = (t - 1) * plan.r;
    const int pad = 3 + static_cast<int>(std::ceil(plan.r));
    const auto wx = static_cast<std::int64_t>(std::floor(a0)) - pad, wy = static_cast<std::int64_t>(std::floor(b0)) - pad;
    const int ww = static_cast<int>(std::ceil(a0 + span)) - static_cast<int>(wx) + pad + 1;
    const int wh = static_cast<int>(std::ceil(b0 + span)) - static_cast<int>(wy) + pad + 1;
    RgbImage px = slide.read_region(plan.level, static_cast<std::int64_t>(std::llround(wx * lv.downsample)),
                                    static_cast<std::int64_t>(std::llround(wy * lv.downsample)), ww, wh);
    cv::Mat src(wh, ww, CV_8UC3, px.pixels.data());
    if (plan.r > 1.0) {
        const double sigma = 0.5 * std::sqrt(plan.r * plan.r - 1.0);  // anti-aliasing before shrinking
        cv::GaussianBlur(src, src, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
    }
    const cv::Mat m = (cv::Mat_<double>(2, 3) << plan.r, 0, a0 - static_cast<double>(wx), 0, plan.r, b0 - static_cast<double>(wy));
    cv::warpAffine(src, dst, m, dst.size(), cv::INTER_CUBIC | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    return out;
}

}  // namespace muse::detect
