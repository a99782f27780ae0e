// The slide drivers, tried in order by open_slide(): each returns nullptr for a file that is
// not its format, and throws for a file that is its format but broken.
#pragma once

#include <filesystem>
#include <memory>

#include "muse/slide.hpp"

namespace muse::slide {

std::unique_ptr<SlideSource> open_with_openslide(const std::filesystem::path& path);
std::unique_ptr<SlideSource> open_plain_image(const std::filesystem::path& path);

/// A source over pixels already in memory (one level), e.g. for tests and pixel feeds.
std::unique_ptr<SlideSource> image_source(RgbImage image, double mpp, const std::filesystem::path& name);

}  // namespace muse::slide
