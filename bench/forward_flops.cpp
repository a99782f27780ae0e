// FLOP formulas following the architecture in muse-reference.md sections 1a-1c.
#include "forward_flops.hpp"

#include "model/variants.hpp"

namespace muse::bench {
namespace {

double conv(double out_hw, double k, double in, double out) { return 2.0 * out_hw * k * k * in * out; }

/// UnetBlock: 3x3 (in -> out), then a BasicResBlock of two 3x3 (out -> out), at `hw` pixels.
double unet_block(double hw, double in, double out) { return conv(hw, 3, in, out) + 2 * conv(hw, 3, out, out); }

double vit(const model::Variant& v, std::int64_t side) {
    const double c = static_cast<double>(v.embed_dim), g = static_cast<double>(side / 16), n = g * g + 1;
    const double heads = static_cast<double>(v.heads), d = c / heads;
    double f = conv(g * g, 16, 3, c);  // patch embedding
    const double block = 2 * n * c * 3 * c           // qkv
                         + 2 * 2 * heads * n * n * d  // q k^T and attn v
                         + 2 * n * c * c              // proj
                         + 2 * 2 * n * c * 4 * c;     // mlp
    f += static_cast<double>(v.feature_blocks.back() + 1) * block;
    f += conv(g * g, 1, c, c / 4 + c / 2 + c + 2 * c);  // reassembly 1x1 convs (before resampling)
    f += unet_block(g * g, 3 * c, c) + unet_block(4 * g * g, 1.5 * c, c / 2) + unet_block(16 * g * g, 0.75 * c, c / 4);
    f += conv(16 * g * g, 1, c / 4, c / 4) + conv(4 * g * g, 1, c / 2, c / 4) + conv(g * g, 1, c, c / 4) +
         conv(g * g / 4, 1, 2 * c, c / 4);  // hyper-features
    return f;
}

double resnet(const model::Variant& v, std::int64_t side) {
    const double s = static_cast<double>(side), base = static_cast<double>(v.base_width);
    double hw = (s / 2) * (s / 2);
    double f = conv(hw, 7, 3, base);
    hw /= 4;  // max pool
    double in = base;
    for (int stage = 0; stage < 4; ++stage) {
        const double w = base * (1 << stage);
        for (int block = 0; block < v.stage_blocks[stage]; ++block) {
            const double in_hw = hw;
            if (block == 0 && stage > 0) hw /= 4;  // stride 2 in the 3x3 conv (v1.5)
            f += conv(in_hw, 1, in, w) + conv(hw, 3, w, w) + conv(hw, 1, w, 4 * w);
            if (block == 0) f += conv(hw, 1, in, 4 * w);  // projection shortcut
            in = 4 * w;
        }
    }
    const double s4 = (s / 4) * (s / 4), c = 4 * base;  // c: first stage's channels (256 for R50)
    f += unet_block(s4 / 16, 12 * c, 4 * c) + unet_block(s4 / 4, 6 * c, 2 * c) + unet_block(s4, 3 * c, c);
    f += conv(s4, 1, c, c) + conv(s4 / 4, 1, 2 * c, c) + conv(s4 / 16, 1, 4 * c, c) + conv(s4 / 64, 1, 8 * c, c);
    return f;
}

}  // namespace

double forward_flops(const std::string& arch, std::int64_t side) {
    const model::Variant& v = model::find_variant(arch);
    return v.family == model::Family::ResNet ? resnet(v, side) : vit(v, side);
}

}  // namespace muse::bench
