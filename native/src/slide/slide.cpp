// open_slide(): the driver registry, and the MPP rules shared by the drivers.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "muse/errors.hpp"
#include "slide/sources.hpp"

namespace muse {

std::unique_ptr<SlideSource> open_slide(const std::filesystem::path& path) {
    const std::string where = "'" + path.string() + "'";
    {
        std::ifstream probe(path, std::ios::binary);
        if (!probe) throw IoError("cannot open " + where + ": " + std::strerror(errno));
    }
    if (std::filesystem::is_directory(path)) throw IoError(where + " is a directory, not a slide");
    // Order matters: a tiled TIFF is both an OpenSlide slide and an image; OpenSlide reads its pyramid.
    if (auto s = slide::open_with_openslide(path)) return s;
    if (auto s = slide::open_plain_image(path)) return s;
    throw UnsupportedFormat(where + " is neither a slide OpenSlide reads (SVS, NDPI, MRXS, SCN, VMS, BIF, tiled TIFF, ...) "
                                    "nor a PNG, JPEG, TIFF or BMP image");
}

int level_for_downsample(const SlideSource& slide, double downsample) {
    const auto& levels = slide.levels();
    int level = 0;
    for (int l = 0; l < static_cast<int>(levels.size()); ++l) {
        if (levels[l].downsample <= downsample * 1.001) level = l;
    }
    return level;
}

double slide_mpp(const SlideSource& slide, double given) {
    const double mpp = given > 0 ? given : slide.mpp();
    if (!(mpp > 0)) {
        throw InvalidArgument("'" + slide.path().string() + "' does not say its pixel size (MPP); give it with --mpp " +
                              "(e.g. 0.25 for 40x, 0.5 for 20x scans)");
    }
    // Microscopy scans lie between about 0.1 um/px (100x) and a few um/px (overviews); outside
    // 0.05-100 a number is a typo or a wrong unit, and would give an empty result, not an error.
    if (!(mpp >= kMinMpp && mpp <= kMaxMpp)) {
        char shown[32];
        std::snprintf(shown, sizeof shown, "%g", mpp);  // 1e+308, not 309 digits
        throw InvalidArgument("'" + slide.path().string() + "': a pixel size of " + shown + " um/px " +
                              (given > 0 ? "(given with --mpp)" : "(from the file)") + " is outside " +
                              std::to_string(kMinMpp).substr(0, 4) + "-" + std::to_string(static_cast<int>(kMaxMpp)) +
                              " um/px; give the micrometres per pixel with --mpp (0.25 for 40x, 0.5 for 20x)");
    }
    return mpp;
}

double mpp_from_properties(const std::function<std::string(const std::string&)>& property) {
    auto number = [](const std::string& s) {
        char* end = nullptr;
        const double v = s.empty() ? 0.0 : std::strtod(s.c_str(), &end);
        return (end && *end == '\0' && std::isfinite(v) && v > 0) ? v : 0.0;
    };
    const double mx = number(property("openslide.mpp-x")), my = number(property("openslide.mpp-y"));
    if (mx > 0 && my > 0) return (mx + my) / 2;
    if (mx > 0) return mx;
    const double res = number(property("tiff.XResolution"));
    const std::string unit = property("tiff.ResolutionUnit");
    if (res <= 0) return 0.0;
    if (unit == "centimeter") return std::abs(res - 10.0) < 1e-9 ? 0.0 : 1e4 / res;  // libvips' default: unknown
    if (unit == "inch") return 25400.0 / res;
    return 0.0;
}

}  // namespace muse
