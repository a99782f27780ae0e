// A nucleus class as models and annotation files name it.
//
//   muse::ClassInfo tumour{"Tumor", {200, 0, 0}};
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace muse {

struct ClassInfo {
    std::string name;
    std::array<std::uint8_t, 3> color{0, 0, 0};  ///< RGB, as QuPath shows the class
};

}  // namespace muse
