// libFuzzer target: GeoJSON detections (`muse eval` and `muse render` read them).
#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.hpp"
#include "muse/errors.hpp"
#include "muse/geojson.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto detections = muse::read_geojson_detections(muse::fuzz::input_path(data, size));
        (void)detections;
    } catch (const muse::Error&) {
    }
    return 0;
}
