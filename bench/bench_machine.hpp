// What a benchmark ran on, printed at the top of every benchmark: timings from different
// CPUs are not comparable, and the precision `auto` picks depends on the CPU.
#pragma once

#include <string>

namespace muse::bench {

/// The CPU's model name (/proc/cpuinfo), or "unknown CPU".
std::string cpu_model();

/// "CPU: <model>; native bfloat16: AVX512-BF16" (or "none").
std::string machine_line();

}  // namespace muse::bench
