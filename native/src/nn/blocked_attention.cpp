// Blocked multi-head attention on oneDNN: per-shape kernels, one task per block of query rows.
#include "nn/blocked_attention.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "nn/onednn_engine.hpp"

namespace muse::nn {
namespace {

using dnnl::memory;
constexpr auto kF32 = memory::data_type::f32;

/// Query rows per task: 64 rows of scores over 1025 tokens are 262 KB, which stays in a core's
/// L2 cache between the three steps.
constexpr std::int64_t kRows = 64;

/// The three oneDNN kernels for one block shape. The memory descriptions carry the strides of
/// the qkv tensor, so q, k and v are read where they lie, with no copy. Scores and their
/// softmax are float32 in either precision; in bfloat16 the softmax writes its probabilities
/// as bfloat16 for the second product (the reference under autocast rounds the scores too).
struct Kernels {
    memory::desc q, k_transposed, scores, probabilities, v, out;
    dnnl::matmul product, mix;
    dnnl::softmax_v2_forward softmax;
    std::size_t scratch_bytes = 0;
};

struct Shape {
    std::int64_t rows, tokens, head_dim, channels;
    float scale;
    bool bf16;
    bool operator<(const Shape& o) const {
        return std::tie(rows, tokens, head_dim, channels, scale, bf16) <
               std::tie(o.rows, o.tokens, o.head_dim, o.channels, o.scale, o.bf16);
    }
};

/// Builds the kernels; nullptr where oneDNN has none for this shape.
std::shared_ptr<const Kernels> build(const Shape& s) {
    const memory::dim qkv_row = 3 * s.channels;
    const auto type = s.bf16 ? memory::data_type::bf16 : kF32;
    auto k = std::make_shared<Kernels>();
    k->q = memory::desc({s.rows, s.head_dim}, type, memory::dims{qkv_row, 1});
    k->k_transposed = memory::desc({s.head_dim, s.tokens}, type, memory::dims{1, qkv_row});
    k->scores = memory::desc({s.rows, s.tokens}, kF32, memory::dims{s.tokens, 1});
    k->probabilities = memory::desc({s.rows, s.tokens}, type, memory::dims{s.tokens, 1});
    k->v = memory::desc({s.tokens, s.head_dim}, type, memory::dims{qkv_row, 1});
    k->out = memory::desc({s.rows, s.head_dim}, type, memory::dims{s.channels, 1});
    const dnnl::engine& engine = onednn_cpu_engine();
    try {
        dnnl::primitive_attr scaled;
        scaled.set_output_scales(0, {s.scale});  // (q k^T) * scale: the reference's order
        scaled.set_scratchpad_mode(dnnl::scratchpad_mode::user);
        dnnl::primitive_attr plain;
        plain.set_scratchpad_mode(dnnl::scratchpad_mode::user);
        const dnnl::matmul::primitive_desc product({k->q, k->k_transposed, k->scores}, scaled, engine);
        const dnnl::softmax_v2_forward::primitive_desc softmax(
            {dnnl::prop_kind::forward_inference, dnnl::algorithm::softmax_accurate, k->scores, k->probabilities, 1},
            plain, engine);
        const dnnl::matmul::primitive_desc mix({k->probabilities, k->v, k->out}, plain, engine);
        k->product = dnnl::matmul(product);
        k->softmax = dnnl::softmax_v2_forward(softmax);
        k->mix = dnnl::matmul(mix);
        k->scratch_bytes = std::max({product.scratchpad_desc().get_size(), softmax.scratchpad_desc().get_size(),
                                     mix.scratchpad_desc().get_size()});
    } catch (const dnnl::error&) {
        return nullptr;
    }
    return k;
}

/// Kernels per shape, built once: a model runs the same shapes in every block and every tile.
std::shared_ptr<const Kernels> kernels_for(const Shape& s) {
    static std::mutex mutex;
    static std::map<Shape, std::shared_ptr<const Kernels>> cache;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(s);
    if (it == cache.end()) it = cache.emplace(s, build(s)).first;
    return it->second;
}

}  // namespace

bool blocked_attention_applies(const at::Tensor& qkv) {
    static const bool disabled = onednn_path_switched_off("MUSE_BLOCKED_ATTENTION");
    const bool supported_type = qkv.scalar_type() == at::kFloat || qkv.scalar_type() == at::kBFloat16;
    return !disabled && qkv.dim() == 3 && supported_type && qkv.device().is_cpu() &&
           qkv.is_contiguous() && qkv.size(2) % 3 == 0 && !(c10::GradMode::is_enabled() && qkv.requires_grad());
}

at::Tensor blocked_attention(const at::Tensor& qkv, std::int64_t heads, double scale) {
    const std::int64_t batch = qkv.size(0), tokens = qkv.size(1), channels = qkv.size(2) / 3;
    const std::int64_t head_dim = channels / heads;
    const std::int64_t full_blocks = tokens / kRows, tail_rows = tokens % kRows;
    const std::int64_t blocks = full_blocks + (tail_rows > 0 ? 1 : 0);
    const auto scale_f = static_cast<float>(scale);
    const bool bf16 = qkv.scalar_type() == at::kBFloat16;
    const std::shared_ptr<const Kernels> full =
        full_blocks > 0 ? kernels_for({kRows, tokens, head_dim, channels, scale_f, bf16}) : nullptr;
    const std::shared_ptr<const Kernels> tail =
        tail_rows > 0 ? kernels_for({tail_rows, tokens, head_dim, channels, scale_f, bf16}) : nullptr;
    if ((full_blocks > 0 && !full) || (tail_rows > 0 && !tail)) return {};

    at::Tensor out = at::empty({batch, tokens, channels}, qkv.options());
    auto* const qkv_data = static_cast<char*>(qkv.data_ptr());
    auto* const out_data = static_cast<char*>(out.data_ptr());
    const std::int64_t element = static_cast<std::int64_t>(qkv.element_size());
    const std::size_t scratch_bytes = std::max(full ? full->scratch_bytes : 0, tail ? tail->scratch_bytes : 0);
    const dnnl::engine& engine = onednn_cpu_engine();

    // Tasks in (image, head, block) order, so a thread's consecutive tasks reuse one head's k and v.
    at::parallel_for(0, batch * heads * blocks, 1, [&](std::int64_t begin, std::int64_t end) {
        dnnl::stream stream(engine);
        const auto block_elements = static_cast<std::size_t>(kRows * tokens);
        std::unique_ptr<float[]> scores(new float[block_elements]);
        // float32: the softmax overwrites the scores; bfloat16: it writes a buffer of its own.
        std::unique_ptr<char[]> probabilities(bf16 ? new char[block_elements * 2] : nullptr);
        void* const probabilities_data = bf16 ? static_cast<void*>(probabilities.get()) : scores.get();
        std::unique_ptr<char[]> scratch(new char[std::max<std::size_t>(scratch_bytes, 1)]);
        const memory::desc scratch_desc({static_cast<memory::dim>(scratch_bytes)}, memory::data_type::u8,
                                        memory::dims{1});
        for (std::int64_t task = begin; task < end; ++task) {
            const std::int64_t block = task % blocks, head = (task / blocks) % heads, image = task / (blocks * heads);
            const Kernels& k = block < full_blocks ? *full : *tail;
            const std::int64_t row0 = block * kRows;
            char* const base = qkv_data + (image * tokens * 3 * channels + head * head_dim) * element;
            memory q(k.q, engine, base + row0 * 3 * channels * element);
            memory k_t(k.k_transposed, engine, base + channels * element);
            memory v(k.v, engine, base + 2 * channels * element);
            memory s(k.scores, engine, scores.get());
            memory p(k.probabilities, engine, probabilities_data);
            memory o(k.out, engine, out_data + ((image * tokens + row0) * channels + head * head_dim) * element);
            memory pad(scratch_desc, engine, scratch.get());
            k.product.execute(stream, {{DNNL_ARG_SRC, q}, {DNNL_ARG_WEIGHTS, k_t}, {DNNL_ARG_DST, s},
                                       {DNNL_ARG_SCRATCHPAD, pad}});
            k.softmax.execute(stream, {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, p}, {DNNL_ARG_SCRATCHPAD, pad}});
            k.mix.execute(stream, {{DNNL_ARG_SRC, p}, {DNNL_ARG_WEIGHTS, v}, {DNNL_ARG_DST, o},
                                   {DNNL_ARG_SCRATCHPAD, pad}});
        }
        stream.wait();
    });
    return out;
}

}  // namespace muse::nn
