// bfloat16 inference (muse/precision.hpp): the choice follows what the CPU (and
// DNNL_MAX_CPU_ISA) offers, outputs stay float32 and close to float32's, and detections agree.
// Where the CPU has no native bfloat16 (or oneDNN is capped below it, as `isa_capped_avx2` runs
// these cases again) asking for it must be a clear error instead, and that is what is checked.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include <ATen/ATen.h>

#include "muse/detect.hpp"
#include "muse/errors.hpp"
#include "muse/model.hpp"
#include "muse/precision.hpp"
#include "model/network.hpp"
#include "model/weights.hpp"
#include "support/synthetic_nuclei.hpp"

namespace muse {
namespace {

TEST(Precision, NamesRoundTripAndBadNamesAreErrors) {
    for (Precision p : {Precision::Auto, Precision::Fp32, Precision::Bf16}) EXPECT_EQ(parse_precision(to_string(p)), p);
    try {
        parse_precision("fp16");
        FAIL() << "fp16 is not offered";
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("auto, fp32 or bf16"), std::string::npos) << e.what();
    }
}

TEST(Precision, AutoIsBf16ExactlyWhereTheCpuHasNativeBf16) {
    const std::string isa = native_bf16_isa();
    EXPECT_TRUE(isa.empty() || isa == "AVX512-BF16" || isa == "AMX-BF16") << isa;
    EXPECT_EQ(resolve_precision(Precision::Auto), isa.empty() ? Precision::Fp32 : Precision::Bf16);
    EXPECT_EQ(resolve_precision(Precision::Fp32), Precision::Fp32);
    if (!isa.empty()) EXPECT_EQ(resolve_precision(Precision::Bf16), Precision::Bf16);
    const char* cap = std::getenv("DNNL_MAX_CPU_ISA");
    if (cap && std::string(cap) == "AVX2") EXPECT_EQ(isa, "") << "oneDNN capped at AVX2 has no bfloat16 kernels";
    if (isa.empty()) {
        try {
            resolve_precision(Precision::Bf16);
            FAIL() << "bf16 without native bfloat16 must be refused";
        } catch (const InvalidArgument& e) {
            EXPECT_NE(std::string(e.what()).find("use auto or fp32"), std::string::npos) << e.what();
        }
    }
}

/// True where bfloat16 can run; elsewhere checks that a forward pass refuses it clearly.
bool bf16_runs_here(const Model& m) {
    if (!native_bf16_isa().empty()) return true;
    EXPECT_THROW(m.forward(image_to_tensor(test::synthetic_nuclei_image(64, 64, 3, 1).image), Precision::Bf16), InvalidArgument);
    std::cout << "[ precision ] no native bfloat16 here: checked that bf16 is refused\n";
    return false;
}

/// ||a - b|| / ||a||
double relative_error(const at::Tensor& a, const at::Tensor& b) {
    return (a - b).norm().item<double>() / a.norm().item<double>();
}

TEST(Precision, Bf16OutputsAreFloat32AndCloseToFloat32s) {
    if (!bf16_runs_here(test::synthetic_detector())) return;
    const LabelledImage img = test::synthetic_nuclei_image(256, 256, 40, 8100);
    const at::Tensor rgb = image_to_tensor(img.image);
    struct Case {
        std::string name;
        Model model;
    };
    ModelConfig vit;
    vit.arch = "vit_small";
    vit.img_size = 224;
    for (const Case& c : {Case{"trained r50_w16", test::synthetic_detector()}, Case{"untrained vit_small", Model::create_untrained(vit, 3)}}) {
        const ForwardOutput f32 = c.model.forward(rgb, Precision::Fp32);
        const ForwardOutput b16 = c.model.forward(rgb, Precision::Bf16);
        ASSERT_EQ(b16.dense_map.scalar_type(), at::kFloat) << c.name;
        ASSERT_EQ(b16.dense_map.sizes(), f32.dense_map.sizes()) << c.name;
        const double err = relative_error(f32.dense_map, b16.dense_map);
        std::cout << "[ precision ] " << c.name << ": dense map relative error bf16 vs fp32 " << err << "\n";
        EXPECT_GT(err, 0.0) << c.name << ": bfloat16 must really run (8-bit mantissa)";
        EXPECT_LT(err, 0.05) << c.name;
        // float32 after bfloat16 is float32 again (to Winograd's 1e-5: its kernels start on a shape's second call).
        EXPECT_LT(relative_error(f32.dense_map, c.model.forward(rgb, Precision::Fp32).dense_map), 1e-4) << c.name;
    }
    // Point features, as `muse features --precision bf16` computes them.
    const Model m = test::synthetic_detector();
    std::vector<Point> points;
    for (const auto& n : img.nuclei) points.push_back({n.x, n.y});
    const double err = relative_error(m.point_features(img.image, points, Precision::Fp32),
                                      m.point_features(img.image, points, Precision::Bf16));
    std::cout << "[ precision ] point features relative error " << err << "\n";
    EXPECT_LT(err, 0.05);
}

// Training and fine-tuning passes (model::forward_dense): under bfloat16 the dense map comes back
// float32 and gradients reach float32 leaves: the stain fit's twelve numbers and the weights.
// Single gradient elements carry bfloat16's rounding through every layer back, so what is
// compared is what the optimisers use: the twelve numbers' gradient, and the direction of a whole
// weight's gradient (cosine similarity).
TEST(Precision, Bf16TrainingPassesGiveFloat32GradientsCloseToFloat32s) {
    const Model m = test::synthetic_detector();
    if (!bf16_runs_here(m)) {
        model::Network net = model::build_network(m.config());
        EXPECT_THROW(model::forward_dense(net, at::zeros({1, 3, 64, 64}), Precision::Bf16), InvalidArgument);
        return;
    }
    const LabelledImage img = test::synthetic_nuclei_image(128, 128, 20, 8300);
    const at::Tensor rgb = image_to_tensor(img.image);
    struct Grads {
        at::Tensor dense, stain, weight;
    };
    auto run = [&](Precision p) {
        model::Network net = model::build_network(m.config());
        model::load_weights(*net.net, m.state_dict(), "the synthetic detector");
        net.net->eval();
        const at::Tensor matrix = at::eye(3).set_requires_grad(true), offset = at::zeros({3}).set_requires_grad(true);
        const at::Tensor dense = model::forward_dense(net, model::normalise_rgb(rgb, m.config(), matrix, offset), p);
        EXPECT_EQ(dense.scalar_type(), at::kFloat) << to_string(p);
        dense.square().mean().backward();
        const at::Tensor first = net.net->parameters().front();  // the encoder's first convolution
        EXPECT_TRUE(first.grad().defined()) << to_string(p);
        return Grads{dense.detach(), at::cat({matrix.grad().flatten(), offset.grad()}), first.grad().flatten().clone()};
    };
    const Grads f32 = run(Precision::Fp32), b16 = run(Precision::Bf16);
    const double dense_err = relative_error(f32.dense, b16.dense);
    const double stain_cos = at::cosine_similarity(f32.stain, b16.stain, 0).item<double>();
    const double weight_cos = at::cosine_similarity(f32.weight, b16.weight, 0).item<double>();
    std::cout << "[ precision ] training pass, bf16 vs fp32: dense map relative error " << dense_err
              << "; gradient cosine (relative error): the stain numbers' " << stain_cos << " ("
              << relative_error(f32.stain, b16.stain) << "), the first weight's " << weight_cos << " ("
              << relative_error(f32.weight, b16.weight) << ")\n";
    EXPECT_GT(dense_err, 0.0) << "bfloat16 must really run";
    EXPECT_LT(dense_err, 0.05);
    EXPECT_GT(stain_cos, 0.95);
    EXPECT_GT(weight_cos, 0.9);
}

TEST(Precision, Bf16DetectionsMatchFloat32sWithinAPixelAndClass) {
    const Model m = test::synthetic_detector();
    if (!bf16_runs_here(m)) return;
    std::size_t total = 0, matched = 0;
    for (int i = 0; i < 4; ++i) {
        const LabelledImage img = test::synthetic_nuclei_image(384, 384, 60, 8200 + i);
        DetectOptions o;
        const auto f32 = detect_image(m, img.image, img.mpp, o);
        o.precision = Precision::Bf16;
        const auto b16 = detect_image(m, img.image, img.mpp, o);
        for (const auto& a : f32) {
            ++total;
            for (const auto& b : b16) {
                if (std::hypot(a.x - b.x, a.y - b.y) <= 1.0 && a.class_index == b.class_index) {
                    ++matched;
                    break;
                }
            }
        }
        EXPECT_NEAR(static_cast<double>(b16.size()), static_cast<double>(f32.size()), 0.02 * f32.size() + 1);
    }
    ASSERT_GT(total, 150u);
    std::cout << "[ precision ] " << matched << " of " << total << " float32 detections have a bfloat16 one within 1 px, same class\n";
    EXPECT_GE(static_cast<double>(matched), 0.99 * static_cast<double>(total));
}

}  // namespace
}  // namespace muse
