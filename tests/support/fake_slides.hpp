// SlideSource implementations for tests: a pyramid whose pixels are a known function of the
// level-0 position, and a wrapper that fails on chosen regions.
#pragma once

#include <functional>
#include <memory>

#include "muse/slide.hpp"

namespace muse::test {

/// Level 0 pixel (x, y) = (x mod 256, y mod 256, 128); level L (downsample 2^L) holds the exact
/// block averages of level 0. `levels` levels, `mpp` at level 0.
std::unique_ptr<SlideSource> gradient_pyramid(std::int64_t width, std::int64_t height, int levels, double mpp);

/// Delegates to `inner`, but throws CorruptFile for reads whose level-0 rectangle contains
/// (bad_x, bad_y).
std::unique_ptr<SlideSource> failing_slide(std::unique_ptr<SlideSource> inner, double bad_x, double bad_y);

}  // namespace muse::test
