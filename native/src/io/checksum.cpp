#include "io/checksum.hpp"

#include <cstdint>
#include <cstdio>

#define XXH_INLINE_ALL  // header-only: nothing to link, nothing to bundle
#include <xxhash.h>

namespace muse::io {

std::string checksum_hex(const void* data, std::size_t size) {
    const std::uint64_t h = XXH3_64bits(data, size);
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

}  // namespace muse::io
