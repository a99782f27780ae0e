// Drawing of synthetic nuclei.
#include "support/synthetic_nuclei.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace muse::test {

std::vector<ClassInfo> synthetic_classes() { return {{"Small", {40, 40, 200}}, {"Large", {160, 60, 160}}}; }

LabelledImage synthetic_nuclei_image(int width, int height, int nuclei, std::uint64_t seed, double mpp) {
    std::mt19937_64 rng(seed);
    const double px_per_um = 1.0 / mpp;
    const double margin = 3.0 * px_per_um;
    std::uniform_real_distribution<double> ux(margin, width - margin), uy(margin, height - margin), unit(0.0, 1.0);
    std::normal_distribution<double> noise(0.0, 6.0);
    LabelledImage img;
    img.name = "synthetic-" + std::to_string(seed);
    img.mpp = mpp;
    img.image = RgbImage(width, height);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            std::uint8_t* p = img.image.at(x, y);
            const int base[3] = {236, 214, 226};
            for (int c = 0; c < 3; ++c) p[c] = static_cast<std::uint8_t>(std::clamp(base[c] + noise(rng), 0.0, 255.0));
        }
    }
    for (int attempt = 0; attempt < nuclei * 50 && static_cast<int>(img.nuclei.size()) < nuclei; ++attempt) {
        const double cx = ux(rng), cy = uy(rng);
        bool free = true;
        for (const auto& n : img.nuclei) free = free && std::hypot(n.x - cx, n.y - cy) >= 9.0 * px_per_um;
        if (!free) continue;
        const int cls = unit(rng) < 0.5 ? 0 : 1;
        const double r = (cls == 0 ? 2.0 : 3.5) * px_per_um;
        const int colour[2][3] = {{50, 40, 150}, {150, 70, 150}};
        for (int y = static_cast<int>(cy - r - 1); y <= static_cast<int>(cy + r + 1); ++y) {
            for (int x = static_cast<int>(cx - r - 1); x <= static_cast<int>(cx + r + 1); ++x) {
                if (x < 0 || y < 0 || x >= width || y >= height) continue;
                if (std::hypot(x - cx, y - cy) > r) continue;
                std::uint8_t* p = img.image.at(x, y);
                for (int c = 0; c < 3; ++c) {
                    p[c] = static_cast<std::uint8_t>(std::clamp(colour[cls][c] + noise(rng), 0.0, 255.0));
                }
            }
        }
        img.nuclei.push_back({cx, cy, cls});
    }
    return img;
}

}  // namespace muse::test

#include "muse/train.hpp"

namespace muse::test {

Model synthetic_detector() {
    const std::filesystem::path fixture = std::filesystem::path(MUSE_TEST_FIXTURES_DIR) / "synthetic-detector.muse";
    if (std::filesystem::exists(fixture)) return Model::load(fixture);
    const std::filesystem::path cache = std::filesystem::path(MUSE_TEST_CACHE_DIR) / "synthetic-detector-v2.muse";
    if (std::filesystem::exists(cache)) return Model::load(cache);
    const Model m = train_synthetic_detector();
    std::filesystem::create_directories(cache.parent_path());
    m.save(cache);  // atomic: concurrent test processes may both train, one file wins whole
    return m;
}

ModelConfig synthetic_detector_config(int head_hidden) {
    ModelConfig c;
    c.arch = "r50_w16";
    c.img_size = 96;
    c.classes = synthetic_classes();
    c.detection.head_hidden = head_hidden;
    return c;
}

Model train_synthetic_detector() {
    const ModelConfig c = synthetic_detector_config();
    std::vector<LabelledImage> train, val;
    for (int i = 0; i < 8; ++i) train.push_back(synthetic_nuclei_image(128, 128, 14, 100 + i));
    for (int i = 0; i < 2; ++i) val.push_back(synthetic_nuclei_image(128, 128, 14, 900 + i));
    TrainOptions o;
    o.epochs = 80;
    o.batch = 4;
    o.tile_px = 96;
    o.lr = 2e-3;
    o.lr_min = 2e-4;
    o.val_every = 80;
    o.scale_jitter = 0.15;
    return train_detector(c, {}, train, val, o).model;
}

}  // namespace muse::test
