// CPU description for benchmark headers (bench_machine.hpp).
#include "bench_machine.hpp"

#include <fstream>

#include "muse/precision.hpp"

namespace muse::bench {

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
        }
    }
    return "unknown CPU";
}

std::string machine_line() {
    const std::string isa = native_bf16_isa();
    return "CPU: " + cpu_model() + "; native bfloat16: " + (isa.empty() ? "none" : isa);
}

}  // namespace muse::bench
