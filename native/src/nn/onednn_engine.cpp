// The shared oneDNN CPU engine and the fast paths' environment switch.
#include "nn/onednn_engine.hpp"

#include <cstdlib>
#include <cstring>

namespace muse::nn {

const dnnl::engine& onednn_cpu_engine() {
    static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    return engine;
}

bool onednn_path_switched_off(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && std::strcmp(v, "0") == 0;
}

}  // namespace muse::nn
