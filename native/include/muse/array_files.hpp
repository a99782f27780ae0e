// Small array and point files used around the model: NumPy .npy matrices and `x,y` CSV points.
//
//   std::vector<muse::Point> pts = muse::read_points_csv("points.csv");   // header: x,y
//   muse::write_npy_f32("feats.npy", values.data(), {rows, cols});       // atomic write
//
// Thread-safety: free functions without shared state; safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "muse/geometry.hpp"

namespace muse {

/// Reads points from a CSV whose first non-empty line is the header `x,y` (further columns
/// are ignored). Units are whatever the caller's frame is (tile pixels for `muse features`).
/// Throws IoError (cannot open) or InvalidArgument naming the file and line of a bad row.
std::vector<Point> read_points_csv(const std::filesystem::path& path);

/// A float32 array read from a .npy file.
struct NpyArray {
    std::vector<std::int64_t> shape;
    std::vector<float> values;  ///< C order
};

/// Writes a little-endian float32 C-order .npy file atomically (temporary file, then rename).
void write_npy_f32(const std::filesystem::path& path, const float* values, const std::vector<std::int64_t>& shape);

/// Reads a float32 (or float64, converted) C-order .npy file. Throws UnsupportedFormat for
/// other dtypes or Fortran order, CorruptFile when damaged.
NpyArray read_npy_f32(const std::filesystem::path& path);

}  // namespace muse
