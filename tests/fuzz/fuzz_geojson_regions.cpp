// libFuzzer target: GeoJSON regions (`muse detect --regions`).
#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.hpp"
#include "muse/errors.hpp"
#include "muse/geojson.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto regions = muse::read_geojson_regions(muse::fuzz::input_path(data, size));
        (void)regions;
    } catch (const muse::Error&) {
    }
    return 0;
}
