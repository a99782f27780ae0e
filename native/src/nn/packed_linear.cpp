// Packed linear layers: per-shape oneDNN matrix products with weights reordered once.
#include "nn/packed_linear.hpp"


#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <c10/core/GradMode.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "nn/onednn_engine.hpp"

namespace muse::nn {
namespace {

using dnnl::memory;
constexpr auto kF32 = memory::data_type::f32;

/// A bfloat16 pass: muse's bfloat16 autocast is on (model/bf16_autocast.hpp).
bool bf16_pass() { return at::autocast::is_cpu_enabled() && at::autocast::get_autocast_cpu_dtype() == at::kBFloat16; }

memory::data_type onednn_type(at::ScalarType t) { return t == at::kBFloat16 ? memory::data_type::bf16 : kF32; }

}  // namespace

struct PackedLinear::Plan {
    memory::desc src, bias, residual, dst;
    dnnl::matmul::primitive_desc pd;
    dnnl::matmul product;
    std::shared_ptr<const at::Tensor> weights;  ///< in pd.weights_desc()'s layout; shared between plans
};

PackedLinear::PackedLinear() = default;
PackedLinear::~PackedLinear() = default;

bool PackedLinear::applies(const at::Tensor& x, const at::Tensor& weight) {
    static const bool disabled = onednn_path_switched_off("MUSE_PACKED_LINEAR");
    const bool type_ok = at::autocast::is_cpu_enabled()
                             ? bf16_pass() && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16)
                             : x.scalar_type() == at::kFloat;
    return !disabled && type_ok && x.dim() == 3 && weight.scalar_type() == at::kFloat && x.device().is_cpu() &&
           x.is_contiguous() && !(c10::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad()));
}

std::shared_ptr<const PackedLinear::Plan> PackedLinear::plan_for(const PlanKey& key, const at::Tensor& weight) const {
    std::lock_guard<std::mutex> lock(mutex_);
    // Tensors made under InferenceMode have no version counter (nothing trains them).
    const std::int64_t version = weight.is_inference() ? -1 : static_cast<std::int64_t>(weight._version());
    if (!weight_.is_same(weight) || weight.data_ptr() != weight_data_ || version != weight_version_) {
        plans_.clear();  // new or modified weights: every plan reorders them again
        weight_ = weight;
        weight_data_ = weight.data_ptr();
        weight_version_ = version;
    }
    if (auto it = plans_.find(key); it != plans_.end()) return it->second;

    const std::int64_t out = weight.size(0), in = weight.size(1);
    const auto compute = onednn_type(key.compute);
    const dnnl::engine& engine = onednn_cpu_engine();
    auto p = std::make_shared<Plan>();
    p->src = memory::desc({key.rows, in}, compute, memory::format_tag::ab);
    p->bias = memory::desc({1, out}, kF32, memory::format_tag::ab);
    p->dst = memory::desc({key.rows, out}, onednn_type(key.result), memory::format_tag::ab);
    p->residual = memory::desc({key.rows, out}, onednn_type(key.residual), memory::format_tag::ab);
    try {
        dnnl::primitive_attr attr;
        attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // per call: concurrent calls share nothing
        dnnl::post_ops ops;
        if (key.then == LinearThen::Gelu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
        if (key.then == LinearThen::AddResidual) ops.append_binary(dnnl::algorithm::binary_add, p->residual);
        attr.set_post_ops(ops);
        const memory::desc any_weights({in, out}, compute, memory::format_tag::any);
        p->pd = dnnl::matmul::primitive_desc({p->src, any_weights, p->bias, p->dst}, attr, engine);
        p->product = dnnl::matmul(p->pd);
        for (const auto& [k, other] : plans_) {
            if (other && other->pd.weights_desc() == p->pd.weights_desc()) p->weights = other->weights;
        }
        if (!p->weights) {
            auto packed = std::make_shared<at::Tensor>(onednn_byte_buffer(p->pd.weights_desc().get_size()));
            // W^T [in, out] as a strided view of W [out, in]: the reorder reads it in place
            // (and converts it to bfloat16 for bfloat16 plans).
            const at::Tensor plain = weight.contiguous();
            memory from(memory::desc({in, out}, kF32, memory::dims{1, in}), engine, plain.data_ptr());
            memory to(p->pd.weights_desc(), engine, packed->data_ptr());
            at::internal::lazy_init_num_threads();
            dnnl::stream stream(engine);
            dnnl::reorder(from, to).execute(stream, from, to);
            stream.wait();
            p->weights = packed;
        }
    } catch (const dnnl::error&) {
        p = nullptr;  // no kernel for this shape: LibTorch computes it
    }
    plans_[key] = p;
    return p;
}

at::Tensor PackedLinear::operator()(const at::Tensor& x_in, const at::Tensor& weight, const at::Tensor& bias,
                                    LinearThen then, const at::Tensor& residual) const {
    // A bfloat16 pass computes as autocast would: bfloat16 product (float32 accumulation, here
    // float32 bias and GELU too), a bfloat16 result, which a residual sum promotes to the
    // residual's type (the token stream stays float32).
    const std::int64_t out = weight.size(0);
    // Anything else (no bias, a residual that would broadcast) is LibTorch's to compute.
    const bool residual_fits =
        then != LinearThen::AddResidual ||
        (residual.defined() && residual.sizes() == at::IntArrayRef({x_in.size(0), x_in.size(1), out}));
    if (!bias.defined() || bias.scalar_type() != at::kFloat || weight.size(1) != x_in.size(2) || !residual_fits) return {};
    const at::ScalarType compute = bf16_pass() ? at::kBFloat16 : at::kFloat;
    const at::Tensor x = x_in.to(compute);
    const at::ScalarType residual_type = then == LinearThen::AddResidual ? residual.scalar_type() : compute;
    const at::ScalarType result = then == LinearThen::AddResidual ? at::promote_types(residual_type, compute) : compute;
    const std::int64_t rows = x.size(0) * x.size(1);
    const std::shared_ptr<const Plan> p = plan_for({rows, then, compute, result, residual_type}, weight);
    if (!p) return {};
    // oneDNN runs its own OpenMP loops: make this thread's OpenMP team the size LibTorch uses.
    at::internal::lazy_init_num_threads();
    const dnnl::engine& engine = onednn_cpu_engine();
    const at::Tensor b = bias.contiguous();
    at::Tensor y = at::empty({x.size(0), x.size(1), out}, x.options().dtype(result));
    at::Tensor scratch = onednn_byte_buffer(p->pd.scratchpad_desc().get_size());
    memory src(p->src, engine, x.data_ptr()), dst(p->dst, engine, y.data_ptr());
    memory weights(p->pd.weights_desc(), engine, p->weights->data_ptr());
    memory bias_memory(p->bias, engine, b.data_ptr());
    memory scratch_memory(p->pd.scratchpad_desc(), engine, scratch.data_ptr());
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src},
                                            {DNNL_ARG_WEIGHTS, weights},
                                            {DNNL_ARG_BIAS, bias_memory},
                                            {DNNL_ARG_DST, dst},
                                            {DNNL_ARG_SCRATCHPAD, scratch_memory}};
    at::Tensor residual_contiguous;
    if (then == LinearThen::AddResidual) {
        residual_contiguous = residual.contiguous();
        args.insert({DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1,
                     memory(p->residual, engine, residual_contiguous.data_ptr())});
    }
    dnnl::stream stream(engine);
    p->product.execute(stream, args);
    stream.wait();
    return y;
}

}  // namespace muse::nn
