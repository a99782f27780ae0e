// Writing pictures: PNG, atomically (the file appears whole or not at all).
#pragma once

#include <filesystem>

#include <QImage>

namespace muse::overlay {

/// Encodes `image` as PNG and writes it to `path` through a temporary file and a rename.
/// Throws IoError naming the file.
void write_png(const QImage& image, const std::filesystem::path& path);

}  // namespace muse::overlay
