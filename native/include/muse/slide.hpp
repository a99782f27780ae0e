// Whole-slide images and plain images as one kind of pixel source.
//
//   std::unique_ptr<muse::SlideSource> slide = muse::open_slide("samples/CMU-1-Small-Region.svs");
//   slide->mpp();                                        // 0.499 (0 when the file does not say)
//   muse::RgbImage px = slide->read_region(0, 1000, 1850, 512, 512);
//
// Formats: everything OpenSlide reads (SVS, NDPI, MRXS, SCN, VMS, BIF, tiled TIFF, ...), and
// plain PNG / JPEG / TIFF / BMP images as one-level slides. Coordinates are level-0 pixels,
// x = column. Thread-safety: read_region may be called from several threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "muse/image.hpp"

namespace muse {

struct SlideLevel {
    std::int64_t width = 0;   ///< pixels of this level
    std::int64_t height = 0;
    double downsample = 1.0;  ///< level-0 pixels per pixel of this level
};

class SlideSource {
public:
    virtual ~SlideSource() = default;

    /// The driver that opened it: an OpenSlide vendor ("aperio", "generic-tiff", ...) or "image".
    virtual std::string format() const = 0;
    /// Level 0 first, then ever coarser levels.
    virtual const std::vector<SlideLevel>& levels() const = 0;
    /// Micrometres per level-0 pixel from the file's metadata; 0 when it does not say.
    virtual double mpp() const = 0;
    /// RGB pixels of `level`: `width` x `height` pixels of that level whose top-left corner is
    /// (x, y) in level-0 pixels. Parts outside the slide are white, as empty glass.
    /// Throws CorruptFile when the file cannot be decoded there.
    virtual RgbImage read_region(int level, std::int64_t x, std::int64_t y, int width, int height) const = 0;

    const std::filesystem::path& path() const { return path_; }

protected:
    explicit SlideSource(std::filesystem::path path) : path_(std::move(path)) {}

private:
    std::filesystem::path path_;
};

/// Opens a slide or a plain image. Throws IoError (missing, unreadable) or UnsupportedFormat
/// (neither OpenSlide nor the image decoders know the file), naming it.
std::unique_ptr<SlideSource> open_slide(const std::filesystem::path& path);

/// An image already in memory as a one-level slide of `mpp` um/px; `name` stands for it in messages.
std::unique_ptr<SlideSource> image_slide(RgbImage image, double mpp, const std::string& name);

/// Reads `width` x `height` RGB pixels of `level` whose top-left corner is (x, y) in level-0
/// pixels (the contract of SlideSource::read_region). Called from several threads at once.
using RegionReader = std::function<RgbImage(int level, std::int64_t x, std::int64_t y, int width, int height)>;

/// A slide whose pixels the caller supplies, e.g. an image viewer's or QuPath's own reader:
/// levels (level 0 first, downsample 1, then increasing) and MPP (0 = unknown) describe it,
/// `read` gives the pixels. `name` stands for the slide in messages. Detection, tissue masks and
/// fine-tuning treat it exactly like a file. A reader that returns the wrong size is reported
/// as CorruptFile; what the reader throws passes through. Throws InvalidArgument for bad levels.
std::unique_ptr<SlideSource> make_pixel_feed(const std::string& name, std::vector<SlideLevel> levels, double mpp,
                                             RegionReader read);

/// The coarsest level whose downsample does not exceed `downsample` (level-0 pixels per wanted
/// pixel; 0.1 % tolerance for the rounding of level sizes in slide files), so that what is read
/// is never coarser than wanted; level 0 when no level is that fine.
int level_for_downsample(const SlideSource& slide, double downsample);

/// The pixel sizes muse accepts, um/px: anything outside is an error (a typo or a wrong unit).
constexpr double kMinMpp = 0.05;
constexpr double kMaxMpp = 100.0;

/// The level-0 MPP to work with: `given` when > 0, else the slide's own. Throws InvalidArgument
/// naming the slide when neither is known or it lies outside [kMinMpp, kMaxMpp] (the one
/// message every caller shows).
double slide_mpp(const SlideSource& slide, double given);

/// The MPP that OpenSlide-style properties give: openslide.mpp-x/-y, else tiff.XResolution
/// with tiff.ResolutionUnit (centimeter or inch; 10 px/cm, the default libvips writes, counts
/// as unknown). 0 when unknown. `property` returns "" for an absent name.
double mpp_from_properties(const std::function<std::string(const std::string&)>& property);

}  // namespace muse
