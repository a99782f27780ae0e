// The shared oneDNN CPU engine.
#include "nn/onednn_engine.hpp"

namespace muse::nn {

const dnnl::engine& onednn_cpu_engine() {
    static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    return engine;
}

}  // namespace muse::nn
