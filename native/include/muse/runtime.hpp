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

/// Makes the C allocator keep freed memory for reuse instead of handing large blocks back to
/// the operating system after every use. LibTorch allocates and frees large temporaries on
/// every forward pass; with glibc's defaults each one is mapped and page-faulted in afresh
/// (measured here: 3.5x slower at 512 px, batch 4; see docs/performance.md). The price is that
/// the process keeps its peak memory until it exits. Process-wide (glibc mallopt), so it is
/// the application's choice: muse's programs call it at start-up; the library never does.
/// Returns false where the C library offers no such setting.
bool retain_freed_memory();

}  // namespace muse
