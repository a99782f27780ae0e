// libFuzzer target: reading a .muse model file (safetensors header, JSON config, checksums,
// tensors), what QuPath and the CLI load from a path the user picks.
#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.hpp"
#include "model/model_file.hpp"
#include "muse/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto contents = muse::model::read_model_file(muse::fuzz::input_path(data, size));
        (void)contents;
    } catch (const muse::Error&) {
    }
    return 0;
}
