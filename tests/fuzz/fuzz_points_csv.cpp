// libFuzzer target: the points CSV (`muse eval --points`, x,y per line).
#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.hpp"
#include "muse/array_files.hpp"
#include "muse/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto points = muse::read_points_csv(muse::fuzz::input_path(data, size));
        (void)points;
    } catch (const muse::Error&) {
    }
    return 0;
}
