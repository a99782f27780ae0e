// The arithmetic precision of a model's forward pass, and of training's and fine-tuning's passes.
//
//   muse::Precision p = muse::parse_precision("auto");   // from --precision or a preference
//   muse::Precision used = muse::resolve_precision(p);   // Bf16 where the CPU has it, else Fp32
//   model.predict(tiles, used);
//
// bfloat16 keeps float32's exponent range with an 8-bit mantissa: the network's forward pass
// runs under LibTorch's CPU autocast (convolutions and matrix products in bfloat16 on oneDNN's
// AMX or AVX512-BF16 kernels, 2-7x the float32 rate; other operations in their inputs' type),
// while the input normalisation before it and the heads, their softmax, decoding and
// coordinates after it stay float32. A Model keeps bfloat16 copies of its weights beside the
// float32 ones (made by its first bfloat16 pass), so it serves both precisions. In training and
// fine-tuning (TrainOptions / FinetuneOptions::precision) the weights, the optimiser and the
// losses stay float32 and the passes cast the weights to bfloat16 as they go. Chosen by what the CPU reports at run time, never at build time;
// on CPUs without native bfloat16, `auto` is float32 and `bf16` is refused with a clear error.
// Thread-safety: the functions are safe to call from any thread.
#pragma once

#include <string>

namespace muse {

enum class Precision {
    Auto,  ///< Bf16 where the CPU has native bfloat16 arithmetic, Fp32 elsewhere
    Fp32,
    Bf16,  ///< only on CPUs with native bfloat16 (resolve_precision refuses it elsewhere)
};

/// "auto" | "fp32" | "bf16"; InvalidArgument otherwise.
Precision parse_precision(const std::string& name);
std::string to_string(Precision precision);

/// The CPU's native bfloat16 arithmetic as oneDNN will use it: "AMX-BF16", "AVX512-BF16", or ""
/// (none, or limited by DNNL_MAX_CPU_ISA, which this honours).
std::string native_bf16_isa();

/// Auto -> Bf16 when native_bf16_isa() is not empty, else Fp32; Fp32 as it is; Bf16 as it is
/// where the CPU has native bfloat16, else InvalidArgument: without it bfloat16 would be
/// emulated, slower than float32, and under DNNL_MAX_CPU_ISA=AVX2 oneDNN cannot run it at all.
Precision resolve_precision(Precision precision);

}  // namespace muse
