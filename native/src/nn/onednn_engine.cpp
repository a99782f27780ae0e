// The shared oneDNN CPU engine, byte buffers and the fast paths' environment switch.
#include "nn/onednn_engine.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <ATen/ATen.h>

namespace muse::nn {

const dnnl::engine& onednn_cpu_engine() {
    static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    return engine;
}

at::Tensor onednn_byte_buffer(std::size_t bytes) {
    return at::empty({static_cast<std::int64_t>(std::max<std::size_t>(bytes, 1))}, at::TensorOptions().dtype(at::kByte));
}

bool onednn_path_switched_off(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && std::strcmp(v, "0") == 0;
}

}  // namespace muse::nn
