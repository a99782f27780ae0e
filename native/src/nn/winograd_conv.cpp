// oneDNN Winograd convolution: per-shape plans, layout reorders, LibTorch fallback.
#include "nn/winograd_conv.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "nn/onednn_engine.hpp"

namespace muse::nn {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

/// oneDNN's Winograd forward-inference convolution for one shape; throws dnnl::error when
/// oneDNN has no such kernel (no AVX-512, or channels it does not block).
dnnl::convolution_forward::primitive_desc describe(std::int64_t n, std::int64_t in, std::int64_t out,
                                                   std::int64_t h, std::int64_t w, bool relu) {
    const memory::desc src({n, in, h, w}, kF32, Tag::any);
    const memory::desc weights({out, in, 3, 3}, kF32, Tag::any);
    const memory::desc bias({out}, kF32, Tag::x);
    const memory::desc dst({n, out, h, w}, kF32, Tag::any);
    const dnnl::convolution_forward::desc conv(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_winograd,
                                               src, weights, bias, dst, {1, 1}, {1, 1}, {1, 1});
    dnnl::primitive_attr attr;
    // We hand in the scratch memory per call, so concurrent calls never share a buffer.
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (relu) {
        dnnl::post_ops ops;
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
        attr.set_post_ops(ops);
    }
    return dnnl::convolution_forward::primitive_desc(conv, attr, onednn_cpu_engine());
}

}  // namespace

struct WinogradConv::Plan {
    Shape shape;
    memory::desc src_user, dst_user;  ///< NHWC, as the channels-last tensors lie in memory
    dnnl::convolution_forward::primitive_desc pd;
    dnnl::convolution_forward conv;
    bool reorder_src = false, reorder_dst = false;
    dnnl::reorder src_reorder, dst_reorder;
    at::Tensor weights;  ///< transformed, in the kernel's own layout; shared between plans
};

WinogradConv::WinogradConv(const at::Tensor& weight, const at::Tensor& bias, bool relu)
    : weight_(weight), bias_(bias.contiguous()), relu_(relu) {}

WinogradConv::~WinogradConv() = default;

std::shared_ptr<WinogradConv> WinogradConv::create(const at::Tensor& weight, const at::Tensor& bias, bool relu) {
    if (onednn_path_switched_off("MUSE_WINOGRAD")) return nullptr;
    if (weight.dim() != 4 || weight.size(2) != 3 || weight.size(3) != 3 || weight.scalar_type() != at::kFloat ||
        !bias.defined() || bias.scalar_type() != at::kFloat) {
        return nullptr;
    }
    try {
        describe(1, weight.size(1), weight.size(0), 16, 16, relu);
    } catch (const dnnl::error&) {
        return nullptr;
    }
    return std::shared_ptr<WinogradConv>(new WinogradConv(weight, bias, relu));
}

bool WinogradConv::last_call_was_winograd() const { return last_winograd_.load(); }

std::shared_ptr<const WinogradConv::Plan> WinogradConv::plan_for(const Shape& shape) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (plan_ && plan_->shape == shape) return plan_;
    if (!(pending_ == shape)) {  // first call with this shape: wait and see whether it repeats
        pending_ = shape;
        return nullptr;
    }
    pending_ = Shape{};
    std::shared_ptr<const Plan> p = make_plan(shape);
    if (p) plan_ = p;
    return p;
}

std::shared_ptr<const WinogradConv::Plan> WinogradConv::make_plan(const Shape& shape) const {
    auto p = std::make_shared<Plan>();
    p->shape = shape;
    const std::int64_t in = weight_.size(1), out = weight_.size(0);
    p->src_user = memory::desc({shape.n, in, shape.h, shape.w}, kF32, Tag::nhwc);
    p->dst_user = memory::desc({shape.n, out, shape.h, shape.w}, kF32, Tag::nhwc);
    try {
        p->pd = describe(shape.n, in, out, shape.h, shape.w, relu_);
        p->conv = dnnl::convolution_forward(p->pd);
        const dnnl::engine& engine = onednn_cpu_engine();
        if (plan_ && plan_->pd.weights_desc() == p->pd.weights_desc()) {
            p->weights = plan_->weights;
        } else {
            p->weights = onednn_byte_buffer(p->pd.weights_desc().get_size());
            at::Tensor oihw = weight_.contiguous();
            memory plain({{out, in, 3, 3}, kF32, Tag::oihw}, engine, oihw.data_ptr());
            memory transformed(p->pd.weights_desc(), engine, p->weights.data_ptr());
            dnnl::stream stream(engine);
            dnnl::reorder(plain, transformed).execute(stream, plain, transformed);
            stream.wait();
        }
        p->reorder_src = p->pd.src_desc() != p->src_user;
        if (p->reorder_src) p->src_reorder = dnnl::reorder({engine, p->src_user, engine, p->pd.src_desc()});
        p->reorder_dst = p->pd.dst_desc() != p->dst_user;
        if (p->reorder_dst) p->dst_reorder = dnnl::reorder({engine, p->pd.dst_desc(), engine, p->dst_user});
    } catch (const dnnl::error&) {
        return nullptr;  // no Winograd kernel for this shape: LibTorch convolves it
    }
    return p;
}

at::Tensor WinogradConv::operator()(const at::Tensor& input) const {
    // oneDNN runs its own OpenMP loops: make this thread's OpenMP team the size LibTorch uses.
    at::internal::lazy_init_num_threads();
    // Anything but a float32 [N, in, H, W] map goes to LibTorch, which reports what is wrong.
    const bool eligible = input.dim() == 4 && input.scalar_type() == at::kFloat && input.size(1) == weight_.size(1);
    const std::shared_ptr<const Plan> plan = eligible ? plan_for({input.size(0), input.size(2), input.size(3)}) : nullptr;
    last_winograd_ = plan != nullptr;
    if (!plan) {
        at::Tensor y = at::conv2d(input, weight_, bias_, {1, 1}, {1, 1});
        return relu_ ? at::relu_(y) : y;
    }
    const std::int64_t n = input.size(0), h = input.size(2), w = input.size(3), out_ch = weight_.size(0);
    const dnnl::engine& engine = onednn_cpu_engine();
    dnnl::stream stream(engine);
    at::Tensor x = input.contiguous(at::MemoryFormat::ChannelsLast);
    at::Tensor y = at::empty({n, out_ch, h, w}, x.options().memory_format(at::MemoryFormat::ChannelsLast));
    memory src_user(plan->src_user, engine, x.data_ptr());
    memory dst_user(plan->dst_user, engine, y.data_ptr());

    at::Tensor src_buffer, dst_buffer;
    memory src = src_user, dst = dst_user;
    if (plan->reorder_src) {
        src_buffer = onednn_byte_buffer(plan->pd.src_desc().get_size());
        src = memory(plan->pd.src_desc(), engine, src_buffer.data_ptr());
        plan->src_reorder.execute(stream, src_user, src);
    }
    if (plan->reorder_dst) {
        dst_buffer = onednn_byte_buffer(plan->pd.dst_desc().get_size());
        dst = memory(plan->pd.dst_desc(), engine, dst_buffer.data_ptr());
    }
    at::Tensor scratch = onednn_byte_buffer(plan->pd.scratchpad_desc().get_size());
    memory scratch_mem(plan->pd.scratchpad_desc(), engine, scratch.data_ptr());
    memory weights(plan->pd.weights_desc(), engine, plan->weights.data_ptr());
    memory bias(plan->pd.bias_desc(), engine, bias_.data_ptr());
    plan->conv.execute(stream, {{DNNL_ARG_SRC, src},
                                {DNNL_ARG_WEIGHTS, weights},
                                {DNNL_ARG_BIAS, bias},
                                {DNNL_ARG_DST, dst},
                                {DNNL_ARG_SCRATCHPAD, scratch_mem}});
    if (plan->reorder_dst) plan->dst_reorder.execute(stream, dst, dst_user);
    stream.wait();
    return y;
}

}  // namespace muse::nn
