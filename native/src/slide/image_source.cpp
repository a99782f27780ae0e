// Plain images (and pixels in memory) as one-level slides.
#include <algorithm>
#include <cstring>

#include <opencv2/imgcodecs.hpp>

#include "muse/errors.hpp"
#include "slide/sources.hpp"

namespace muse::slide {
namespace {

class ImageSource final : public SlideSource {
public:
    ImageSource(const std::filesystem::path& path, RgbImage image, double mpp)
        : SlideSource(path), image_(std::move(image)), mpp_(mpp) {
        levels_.push_back({image_.width, image_.height, 1.0});
    }

    std::string format() const override { return "image"; }
    const std::vector<SlideLevel>& levels() const override { return levels_; }
    double mpp() const override { return mpp_; }

    RgbImage read_region(int level, std::int64_t x, std::int64_t y, int width, int height) const override {
        if (level != 0 || width <= 0 || height <= 0) {
            throw InvalidArgument("read_region: '" + path().string() + "' has one level; asked level " +
                                  std::to_string(level) + ", " + std::to_string(width) + "x" + std::to_string(height));
        }
        RgbImage out(width, height);
        std::fill(out.pixels.begin(), out.pixels.end(), std::uint8_t{255});
        const std::int64_t x0 = std::max<std::int64_t>(x, 0), x1 = std::min<std::int64_t>(x + width, image_.width);
        const std::int64_t y0 = std::max<std::int64_t>(y, 0), y1 = std::min<std::int64_t>(y + height, image_.height);
        for (std::int64_t row = y0; row < y1 && x0 < x1; ++row) {
            std::memcpy(out.at(static_cast<int>(x0 - x), static_cast<int>(row - y)),
                        image_.at(static_cast<int>(x0), static_cast<int>(row)), static_cast<std::size_t>(x1 - x0) * 3);
        }
        return out;
    }

private:
    RgbImage image_;
    double mpp_;
    std::vector<SlideLevel> levels_;
};

}  // namespace

std::unique_ptr<SlideSource> open_plain_image(const std::filesystem::path& path) {
    if (!cv::haveImageReader(path.string())) return nullptr;
    // Plain image formats carry no trustworthy pixel size for muse: the caller gives --mpp.
    return std::make_unique<ImageSource>(path, read_image_file(path), 0.0);
}

std::unique_ptr<SlideSource> image_source(RgbImage image, double mpp, const std::filesystem::path& name) {
    return std::make_unique<ImageSource>(name, std::move(image), mpp);
}

}  // namespace muse::slide

namespace muse {

std::unique_ptr<SlideSource> image_slide(RgbImage image, double mpp, const std::string& name) {
    return slide::image_source(std::move(image), mpp, name);
}

}  // namespace muse
