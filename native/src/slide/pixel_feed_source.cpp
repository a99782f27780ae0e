// A slide whose pixels the caller supplies (QuPath's ImageServer through the Java API): the
// tile plan, tissue mask, reader pool and seam merge run on it exactly as on a file.
#include <cmath>

#include "muse/errors.hpp"
#include "muse/slide.hpp"

namespace muse {
namespace {

class PixelFeedSource final : public SlideSource {
public:
    PixelFeedSource(std::string name, std::vector<SlideLevel> levels, double mpp, RegionReader read)
        : SlideSource(std::move(name)), levels_(std::move(levels)), mpp_(mpp), read_(std::move(read)) {}

    std::string format() const override { return "pixel-feed"; }
    const std::vector<SlideLevel>& levels() const override { return levels_; }
    double mpp() const override { return mpp_; }

    RgbImage read_region(int level, std::int64_t x, std::int64_t y, int width, int height) const override {
        if (level < 0 || level >= static_cast<int>(levels_.size())) {
            throw InvalidArgument("'" + path().string() + "' has no level " + std::to_string(level));
        }
        if (width <= 0 || height <= 0) throw InvalidArgument("a region to read must not be empty");
        RgbImage px = read_(level, x, y, width, height);
        if (px.width != width || px.height != height ||
            px.pixels.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3) {
            throw CorruptFile("'" + path().string() + "' supplied " + std::to_string(px.width) + "x" +
                              std::to_string(px.height) + " pixels (" + std::to_string(px.pixels.size()) +
                              " bytes) for a " + std::to_string(width) + "x" + std::to_string(height) + " RGB region");
        }
        return px;
    }

private:
    std::vector<SlideLevel> levels_;
    double mpp_;
    RegionReader read_;
};

}  // namespace

std::unique_ptr<SlideSource> make_pixel_feed(const std::string& name, std::vector<SlideLevel> levels, double mpp,
                                             RegionReader read) {
    const std::string where = "pixel source '" + name + "'";
    if (!read) throw InvalidArgument(where + " has no reader");
    if (levels.empty()) throw InvalidArgument(where + " has no levels");
    if (!(std::isfinite(mpp) && mpp >= 0)) throw InvalidArgument(where + ": MPP must be >= 0 (0 = unknown)");
    for (std::size_t i = 0; i < levels.size(); ++i) {
        const SlideLevel& l = levels[i];
        if (l.width <= 0 || l.height <= 0) {
            throw InvalidArgument(where + ": level " + std::to_string(i) + " is empty (" + std::to_string(l.width) + "x" +
                                  std::to_string(l.height) + ")");
        }
        const bool first_ok = i > 0 || std::abs(l.downsample - 1.0) < 1e-9;
        const bool order_ok = i == 0 || l.downsample > levels[i - 1].downsample;
        if (!std::isfinite(l.downsample) || !first_ok || !order_ok) {
            throw InvalidArgument(where + ": level downsamples must start at 1 and increase (level " + std::to_string(i) +
                                  " has " + std::to_string(l.downsample) + ")");
        }
    }
    return std::make_unique<PixelFeedSource>(name, std::move(levels), mpp, std::move(read));
}

}  // namespace muse
