// The safetensors container: an 8-byte header length, a JSON header, then raw tensor bytes.
// Chosen for model files because it is read without executing anything and is widely
// readable (Python `safetensors`, Rust, JS); muse keeps its model config in "__metadata__".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/file_reader.hpp"

namespace muse::io {

struct SafetensorsEntry {
    std::string name;
    std::string dtype;                 ///< "F32", "I64", ... as the format spells them
    std::vector<std::int64_t> shape;
    std::uint64_t offset = 0;          ///< absolute byte offset in the file
    std::uint64_t size = 0;            ///< bytes
};

struct SafetensorsHeader {
    std::vector<SafetensorsEntry> tensors;        ///< in file order
    std::map<std::string, std::string> metadata;  ///< "__metadata__" (string to string)
};

/// Bytes per element of a safetensors dtype name, or 0 when the name is unknown.
std::size_t safetensors_dtype_size(const std::string& dtype);

/// Reads and validates the header: JSON syntax, known dtypes, shape consistent with the byte
/// range, ranges inside the file, contiguous and non-overlapping. Throws UnsupportedFormat when
/// the file is not safetensors at all, CorruptFile when it is one but is damaged.
SafetensorsHeader read_safetensors_header(const FileReader& file);

/// A tensor to be written: contiguous little-endian bytes.
struct SafetensorsBlob {
    std::string name;
    std::string dtype;
    std::vector<std::int64_t> shape;
    const void* data = nullptr;
    std::uint64_t size = 0;
};

/// Writes a complete safetensors file atomically (temporary file, then rename).
void write_safetensors(const std::string& path, const std::vector<SafetensorsBlob>& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace muse::io
