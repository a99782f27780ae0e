// Compute-thread settings (LibTorch intra-op threads, which also size OpenMP's pool).
#include "muse/runtime.hpp"

#include <thread>

#include <ATen/Parallel.h>

namespace muse {

int default_compute_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
}

int set_compute_threads(int threads) {
    const int n = threads > 0 ? threads : default_compute_threads();
    at::set_num_threads(n);
    return n;
}

int compute_threads() { return at::get_num_threads(); }

}  // namespace muse
