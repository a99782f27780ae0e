// Checksums that let a file prove its integrity: XXH3 64-bit (Debian's libxxhash, header-only
// use), fast enough to verify a model's weights at every load (several GB/s).
#pragma once

#include <cstddef>
#include <string>

namespace muse::io {

/// XXH3-64 of `size` bytes as 16 lower-case hex digits.
std::string checksum_hex(const void* data, std::size_t size);

/// The name of the algorithm, as stored beside the checksums.
constexpr const char* kChecksumAlgorithm = "xxh3-64";

}  // namespace muse::io
