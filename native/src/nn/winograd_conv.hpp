// 3x3 stride-1 convolutions through oneDNN's Winograd kernels, for inference only.
//
// The decoder of every MUSE variant is mostly 3x3 stride-1 convolutions (87 % of the ResNet-50
// model's arithmetic at 224 px). LibTorch runs them with oneDNN's direct algorithm; oneDNN's
// Winograd kernels (F(2x2,3x3) and F(4x4,3x3)) need 2.25-4x fewer multiplications and measured
// here 2-2.7x faster per convolution, with differences of about 1e-5 on outputs of magnitude 5
// (docs/performance.md). oneDNN has these kernels only for AVX-512 CPUs: elsewhere `create`
// returns nullptr and the caller keeps LibTorch's convolution.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include <ATen/core/Tensor.h>

namespace muse::nn {

class WinogradConv {
public:
    /// A convolution y = relu?(conv3x3(x, weight, padding 1) + bias) with `weight` float32
    /// [out, in, 3, 3] and `bias` [out], kept by reference (the caller must not modify them).
    /// Returns nullptr when this machine's oneDNN has no Winograd kernel for these channels,
    /// or when MUSE_WINOGRAD=0 is set in the environment (to compare with LibTorch's direct
    /// convolution).
    static std::shared_ptr<WinogradConv> create(const at::Tensor& weight, const at::Tensor& bias, bool relu);

    /// `x`: float32 [N, in, H, W], any memory format. Returns [N, out, H, W]. Safe to call from
    /// several threads at once.
    ///
    /// Setting up the kernel for a shape transforms the weights (oneDNN does this on one thread:
    /// about 2 s for the largest ResNet-50 decoder convolution), so a shape gets the Winograd
    /// kernel from its second consecutive call on; until then, and for shapes that alternate,
    /// LibTorch's direct convolution runs. A one-tile command pays nothing; a slide's thousands
    /// of equal tiles get the fast kernel.
    at::Tensor operator()(const at::Tensor& x) const;

    /// True when the latest call ran on the Winograd kernel (for tests and benchmarks).
    bool last_call_was_winograd() const;

    ~WinogradConv();

private:
    struct Plan;
    WinogradConv(const at::Tensor& weight, const at::Tensor& bias, bool relu);
    struct Shape {
        std::int64_t n = 0, h = 0, w = 0;
        bool operator==(const Shape& o) const { return n == o.n && h == o.h && w == o.w; }
    };
    /// The kernel set-up for `shape`, or nullptr when LibTorch should convolve this call.
    /// oneDNN picks its blocking, and so the layout of the transformed weights, per shape. Only
    /// the latest shape's plan is kept (the transformed weights take 1.8-4x the memory of the
    /// plain ones); a new plan reuses the previous one's weights when the layout is the same.
    std::shared_ptr<const Plan> plan_for(const Shape& shape) const;
    std::shared_ptr<const Plan> make_plan(const Shape& shape) const;

    at::Tensor weight_;  // [out, in, 3, 3], shared with the caller (LibTorch's path uses it as is)
    at::Tensor bias_;    // [out]
    bool relu_;
    mutable std::mutex mutex_;
    mutable std::shared_ptr<const Plan> plan_;  // the latest shape's kernel
    mutable Shape pending_;                     // a shape seen once, not planned yet
    mutable std::atomic<bool> last_winograd_{false};
};

}  // namespace muse::nn
