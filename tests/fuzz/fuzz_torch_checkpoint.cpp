// libFuzzer target: importing a torch .pth checkpoint (zip container, pickle, tensor records),
// the reader `muse import` runs on a file downloaded from anywhere.
#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.hpp"
#include "model/checkpoint_import.hpp"
#include "muse/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto backbone = muse::model::read_checkpoint_backbone(muse::fuzz::input_path(data, size));
        (void)backbone;
    } catch (const muse::Error&) {
    }
    return 0;
}
