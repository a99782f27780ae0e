// libFuzzer target: the restricted pickle reader (the data.pkl of a torch .pth checkpoint).
// Any muse::Error is an expected refusal; anything else (another exception, a crash, a leak,
// undefined behaviour, a hang) is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "io/pickle.hpp"
#include "muse/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto doc = muse::io::pickle::Document::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz input");
        (void)doc.root().kind;
    } catch (const muse::Error&) {
    }
    return 0;
}
