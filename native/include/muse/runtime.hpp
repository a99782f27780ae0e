// Process-wide compute settings: how many CPU threads the model's math may use.
//
//   muse::set_compute_threads(0);   // 0 = one per CPU core (the default muse applies)
//   muse::set_compute_threads(2);   // or an explicit count, e.g. from --threads
//
// LibTorch on Debian starts with a single thread; muse's programs call
// set_compute_threads(0) at start-up so that, by default, all cores are used.
// Thread-safety: call before starting model work; LibTorch reads the setting per operation.
#pragma once

namespace muse {

/// Number of CPU cores available to this process (at least 1).
int default_compute_threads();

/// Sets LibTorch's intra-op (and OpenMP) thread count; `threads` <= 0 means the default.
/// Returns the count that was applied.
int set_compute_threads(int threads);

/// The thread count currently in effect.
int compute_threads();

}  // namespace muse
