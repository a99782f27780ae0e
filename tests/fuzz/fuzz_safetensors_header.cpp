// libFuzzer target: the safetensors header (length, JSON, dtypes, shapes and byte ranges).
#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.hpp"
#include "io/file_reader.hpp"
#include "io/safetensors.hpp"
#include "muse/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const muse::io::FileReader file(muse::fuzz::input_path(data, size));
        const auto header = muse::io::read_safetensors_header(file);
        (void)header;
    } catch (const muse::Error&) {
    }
    return 0;
}
