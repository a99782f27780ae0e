// RGB pixel buffers, and reading plain image files (PNG, JPEG, TIFF, BMP) into them.
//
//   muse::RgbImage tile = muse::read_image_file("samples/tile.png");
//   std::uint8_t red_of_first_pixel = tile.pixels[0];
//
// Thread-safety: RgbImage is a plain value; read_image_file may be called from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace muse {

/// 8-bit RGB pixels, row-major, 3 bytes per pixel, no padding between rows.
struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;  ///< size width * height * 3

    RgbImage() = default;
    RgbImage(int w, int h) : width(w), height(h), pixels(static_cast<std::size_t>(w) * h * 3, 0) {}
    std::uint8_t* at(int x, int y) { return pixels.data() + (static_cast<std::size_t>(y) * width + x) * 3; }
    const std::uint8_t* at(int x, int y) const {
        return pixels.data() + (static_cast<std::size_t>(y) * width + x) * 3;
    }
};

/// Reads an image file into RGB (grey is expanded, alpha dropped, 16-bit scaled to 8-bit).
/// Throws IoError when the file is missing, UnsupportedFormat when it cannot be decoded.
RgbImage read_image_file(const std::filesystem::path& path);

}  // namespace muse
