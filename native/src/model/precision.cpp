// Precision names and the run-time choice of bfloat16 (muse/precision.hpp).
#include "muse/precision.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include "muse/errors.hpp"

namespace muse {

Precision parse_precision(const std::string& name) {
    if (name == "auto") return Precision::Auto;
    if (name == "fp32") return Precision::Fp32;
    if (name == "bf16") return Precision::Bf16;
    throw InvalidArgument("precision must be auto, fp32 or bf16, got '" + name + "'");
}

std::string to_string(Precision precision) {
    switch (precision) {
        case Precision::Auto: return "auto";
        case Precision::Fp32: return "fp32";
        case Precision::Bf16: return "bf16";
    }
    return "?";
}

std::string native_bf16_isa() {
    // oneDNN's own view of the CPU (cpuid and the OS's AMX permission), capped by
    // DNNL_MAX_CPU_ISA: the kernels the convolutions and matrix products will really get.
    // The ISA values are nested bit sets: AMX includes AVX512-BF16.
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    const auto has = [isa](dnnl_cpu_isa_t level) { return (isa & level) == static_cast<unsigned>(level); };
    if (has(dnnl_cpu_isa_avx512_core_amx)) return "AMX-BF16";
    if (has(dnnl_cpu_isa_avx512_core_bf16)) return "AVX512-BF16";
    return "";
}

Precision resolve_precision(Precision precision) {
    static const bool native = !native_bf16_isa().empty();  // the CPU does not change while we run
    if (precision == Precision::Auto) return native ? Precision::Bf16 : Precision::Fp32;
    if (precision == Precision::Bf16 && !native) {
        throw InvalidArgument("precision bf16 needs a CPU with native bfloat16 arithmetic (AVX512-BF16 or AMX-BF16, as "
                              "oneDNN reports it, DNNL_MAX_CPU_ISA included); this one has none: use auto or fp32");
    }
    return precision;
}

}  // namespace muse
