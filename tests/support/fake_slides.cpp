// Test slides.
#include "support/fake_slides.hpp"

#include <cmath>

#include "muse/errors.hpp"

namespace muse::test {
namespace {

class GradientPyramid final : public SlideSource {
public:
    GradientPyramid(std::int64_t w, std::int64_t h, int levels, double mpp) : SlideSource("gradient-pyramid"), mpp_(mpp) {
        for (int l = 0; l < levels; ++l) levels_.push_back({w >> l, h >> l, static_cast<double>(1 << l)});
    }
    std::string format() const override { return "test-pyramid"; }
    const std::vector<SlideLevel>& levels() const override { return levels_; }
    double mpp() const override { return mpp_; }
    RgbImage read_region(int level, std::int64_t x, std::int64_t y, int width, int height) const override {
        const int ds = 1 << level;
        RgbImage out(width, height);
        for (int r = 0; r < height; ++r) {
            for (int c = 0; c < width; ++c) {
                const std::int64_t lx = x / ds + c, ly = y / ds + r;  // level pixel
                std::uint8_t* p = out.at(c, r);
                if (lx < 0 || ly < 0 || lx >= levels_[level].width || ly >= levels_[level].height) {
                    p[0] = p[1] = p[2] = 255;
                    continue;
                }
                // Mean of (X mod 256) over the block X = lx*ds .. lx*ds + ds - 1 (no wrap inside a block
                // as long as ds divides 256).
                const double mx = static_cast<double>((lx * ds) % 256) + (ds - 1) / 2.0;
                const double my = static_cast<double>((ly * ds) % 256) + (ds - 1) / 2.0;
                p[0] = static_cast<std::uint8_t>(std::lround(mx - 0.001));
                p[1] = static_cast<std::uint8_t>(std::lround(my - 0.001));
                p[2] = 128;
            }
        }
        return out;
    }

private:
    double mpp_;
    std::vector<SlideLevel> levels_;
};

class FailingSlide final : public SlideSource {
public:
    FailingSlide(std::unique_ptr<SlideSource> inner, double bx, double by)
        : SlideSource(inner->path()), inner_(std::move(inner)), bx_(bx), by_(by) {}
    std::string format() const override { return inner_->format(); }
    const std::vector<SlideLevel>& levels() const override { return inner_->levels(); }
    double mpp() const override { return inner_->mpp(); }
    RgbImage read_region(int level, std::int64_t x, std::int64_t y, int width, int height) const override {
        const double ds = inner_->levels()[level].downsample;
        if (bx_ >= x && by_ >= y && bx_ < x + width * ds && by_ < y + height * ds) {
            throw CorruptFile("'" + path().string() + "': damaged JPEG tile (test)");
        }
        return inner_->read_region(level, x, y, width, height);
    }

private:
    std::unique_ptr<SlideSource> inner_;
    double bx_, by_;
};

}  // namespace

std::unique_ptr<SlideSource> gradient_pyramid(std::int64_t width, std::int64_t height, int levels, double mpp) {
    return std::make_unique<GradientPyramid>(width, height, levels, mpp);
}

std::unique_ptr<SlideSource> failing_slide(std::unique_ptr<SlideSource> inner, double bad_x, double bad_y) {
    return std::make_unique<FailingSlide>(std::move(inner), bad_x, bad_y);
}

}  // namespace muse::test
