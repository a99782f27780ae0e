// The OpenSlide driver: vendor formats and tiled TIFF, premultiplied ARGB -> RGB over white.
#include "slide/sources.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <openslide.h>

#include "muse/errors.hpp"

namespace muse::slide {
namespace {

class OpenSlideSource final : public SlideSource {
public:
    OpenSlideSource(const std::filesystem::path& path, std::string vendor, openslide_t* handle)
        : SlideSource(path), vendor_(std::move(vendor)), handle_(handle) {
        const int32_t count = openslide_get_level_count(handle_);
        for (int32_t l = 0; l < count; ++l) {
            SlideLevel level;
            openslide_get_level_dimensions(handle_, l, &level.width, &level.height);
            level.downsample = openslide_get_level_downsample(handle_, l);
            levels_.push_back(level);
        }
        mpp_ = mpp_from_properties([this](const std::string& name) {
            const char* v = openslide_get_property_value(handle_, name.c_str());
            return std::string(v ? v : "");
        });
    }
    ~OpenSlideSource() override { openslide_close(handle_); }

    std::string format() const override { return vendor_; }
    const std::vector<SlideLevel>& levels() const override { return levels_; }
    double mpp() const override { return mpp_; }

    RgbImage read_region(int level, std::int64_t x, std::int64_t y, int width, int height) const override {
        if (level < 0 || level >= static_cast<int>(levels_.size()) || width <= 0 || height <= 0) {
            throw InvalidArgument("read_region: level " + std::to_string(level) + " or size " + std::to_string(width) +
                                  "x" + std::to_string(height) + " is out of range for '" + path().string() + "'");
        }
        std::vector<std::uint32_t> argb(static_cast<std::size_t>(width) * height);
        openslide_read_region(handle_, argb.data(), x, y, level, width, height);
        if (const char* err = openslide_get_error(handle_)) {
            throw CorruptFile("'" + path().string() + "': cannot read level " + std::to_string(level) + " at (" +
                              std::to_string(x) + ", " + std::to_string(y) + "): " + err);
        }
        RgbImage out(width, height);
        std::uint8_t* o = out.pixels.data();
        for (const std::uint32_t px : argb) {
            // Premultiplied alpha: over white, each channel gains (255 - alpha).
            const std::uint32_t blank = 255u - (px >> 24);
            *o++ = static_cast<std::uint8_t>(((px >> 16) & 0xff) + blank);
            *o++ = static_cast<std::uint8_t>(((px >> 8) & 0xff) + blank);
            *o++ = static_cast<std::uint8_t>((px & 0xff) + blank);
        }
        return out;
    }

private:
    std::string vendor_;
    openslide_t* handle_;
    std::vector<SlideLevel> levels_;
    double mpp_ = 0.0;
};

}  // namespace

std::unique_ptr<SlideSource> open_with_openslide(const std::filesystem::path& path) {
    const char* vendor = openslide_detect_vendor(path.c_str());
    if (!vendor) return nullptr;
    openslide_t* handle = openslide_open(path.c_str());
    if (!handle) return nullptr;
    if (const char* err = openslide_get_error(handle)) {
        const std::string message = err;
        openslide_close(handle);
        throw CorruptFile("'" + path.string() + "' looks like a " + vendor + " slide but cannot be opened: " + message);
    }
    return std::make_unique<OpenSlideSource>(path, vendor, handle);
}

}  // namespace muse::slide
