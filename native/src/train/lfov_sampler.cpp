// Placing LFoV windows around annotated regions and reading them as training samples.
#include "train/lfov_sampler.hpp"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include "muse/errors.hpp"

namespace muse::train {
namespace {

int round_up_32(double px) { return std::max(32, static_cast<int>(std::ceil(px / 32.0 - 1e-9)) * 32); }

/// The region's bounding box in the model frame: [u0, u1) x [v0, v1).
void region_box(const detect::TilePlan& plan, const AnnotatedRegion& region, double& u0, double& v0, double& u1,
                double& v1) {
    double x0, y0, x1, y1;
    region.area.bounds(x0, y0, x1, y1);
    u0 = plan.to_model(x0 - 0.5) + 0.5;
    v0 = plan.to_model(y0 - 0.5) + 0.5;
    u1 = plan.to_model(x1 - 0.5) + 0.5;
    v1 = plan.to_model(y1 - 0.5) + 0.5;
}

std::int64_t model_extent(const detect::TilePlan& plan, std::int64_t level0_px) {
    return static_cast<std::int64_t>(std::floor(static_cast<double>(level0_px) / plan.s + 1e-9));
}

}  // namespace

std::int64_t place_window(double r0, double r1, int side, std::int64_t extent, std::mt19937_64& rng) {
    if (side <= 0 || extent <= 0) throw InvalidArgument("an LFoV window needs a positive side and slide extent");
    auto a = static_cast<std::int64_t>(std::floor(r0)), b = static_cast<std::int64_t>(std::ceil(r1));
    a = std::clamp<std::int64_t>(a, 0, extent - 1);
    b = std::clamp<std::int64_t>(b, a + 1, extent);
    std::int64_t lo, hi;
    if (b - a <= side) {  // the region fits: the window contains it
        lo = b - side;
        hi = a;
    } else {  // the region is larger: the window lies inside it
        lo = a;
        hi = b - side;
    }
    // Inside the slide, or covering all of a slide shorter than the window.
    const std::int64_t slide_lo = std::min<std::int64_t>(0, extent - side);
    const std::int64_t slide_hi = std::max<std::int64_t>(0, extent - side);
    lo = std::max(lo, slide_lo);
    hi = std::min(hi, slide_hi);
    if (hi < lo) hi = lo;  // cannot happen for a clipped span; keeps the draw well-defined
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
}

int lfov_side(const detect::TilePlan& plan, const SlideSource& slide, const AnnotatedRegion& region,
              const LfovOptions& o) {
    const auto& l0 = slide.levels()[0];
    const int slide_side = round_up_32(static_cast<double>(std::max(model_extent(plan, l0.width), model_extent(plan, l0.height))));
    int side = o.sample_px;
    if (!o.lfov) {
        double u0, v0, u1, v1;
        region_box(plan, region, u0, v0, u1, v1);
        side = round_up_32(std::max(u1 - u0, v1 - v0));
    }
    return std::min(side, slide_side);
}

LfovSample make_lfov_sample(const SlideSource& slide, const detect::TilePlan& base_plan, const AnnotatedRegion& region,
                            const LfovOptions& o, std::mt19937_64& rng, bool augment) {
    if (o.sample_px % 32 != 0 || o.sample_px < 32) {
        throw InvalidArgument("the LFoV sample side must be a positive multiple of 32, got " + std::to_string(o.sample_px));
    }
    detect::TilePlan plan = base_plan;
    const int side = lfov_side(plan, slide, region, o);
    if (side % o.stride_px != 0) throw InvalidArgument("the LFoV sample side must be a multiple of the proposal stride");
    plan.tile_px = side;
    plan.core_px = side;
    double u0, v0, u1, v1;
    region_box(plan, region, u0, v0, u1, v1);
    const auto& l0 = slide.levels()[0];
    LfovSample s;
    s.side = side;
    s.u0 = place_window(u0, u1, side, model_extent(plan, l0.width), rng);
    s.v0 = place_window(v0, v1, side, model_extent(plan, l0.height), rng);
    detect::PlannedTile tile;
    tile.u0 = s.u0;
    tile.v0 = s.v0;
    const RgbImage px = detect::read_tile(slide, plan, tile);
    at::Tensor rgb = at::from_blob(const_cast<std::uint8_t*>(px.pixels.data()), {side, side, 3}, at::kByte).clone();

    // The region's nuclei and the proposals that lie in the region, in sample pixels.
    for (const auto& n : region.nuclei) {
        const double x = plan.to_model(n.x) - static_cast<double>(s.u0), y = plan.to_model(n.y) - static_cast<double>(s.v0);
        if (x >= 0 && y >= 0 && x <= side - 1 && y <= side - 1) s.nuclei.push_back({x, y, n.class_index});
    }
    const int g = side / o.stride_px;
    at::Tensor grid = at::zeros({g, g}, at::kBool);
    auto inside = grid.accessor<bool, 2>();
    const double centre = o.stride_px / 2.0;  // proposal_grid: cell centres at (j + 0.5) x stride
    for (int r = 0; r < g; ++r) {
        const double y = plan.to_level0(static_cast<double>(s.v0) + r * o.stride_px + centre);
        for (int c = 0; c < g; ++c) {
            const double x = plan.to_level0(static_cast<double>(s.u0) + c * o.stride_px + centre);
            inside[r][c] = region.area.contains(x, y);
        }
    }
    if (augment) augment_tile(rgb, s.nuclei, &grid, o.augment, rng);
    s.rgb = rgb.contiguous();
    s.in_region = grid.contiguous().reshape({-1});
    return s;
}

}  // namespace muse::train
