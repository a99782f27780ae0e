// Compute-thread settings (LibTorch intra-op threads, which also size OpenMP's pool).
#include "muse/runtime.hpp"

#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

bool retain_freed_memory() {
#if defined(__GLIBC__)
    // Serve every size from the heap (no per-allocation mmap) and never trim the heap top.
    const bool no_mmap = mallopt(M_MMAP_MAX, 0) == 1;
    const bool no_trim = mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
    return no_mmap && no_trim;
#else
    return false;
#endif
}

}  // namespace muse
