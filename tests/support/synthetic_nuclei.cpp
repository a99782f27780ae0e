// Drawing of synthetic nuclei.
#include "support/synthetic_nuclei.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace muse::test {

std::vector<ClassInfo> synthetic_classes() { return {{"Small", {40, 40, 200}}, {"Large", {160, 60, 160}}}; }

LabelledImage synthetic_nuclei_image(int width, int height, int nuclei, std::uint64_t seed, double mpp) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> ux(6.0, width - 6.0), uy(6.0, height - 6.0), unit(0.0, 1.0);
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
        for (const auto& n : img.nuclei) free = free && std::hypot(n.x - cx, n.y - cy) >= 18.0;
        if (!free) continue;
        const int cls = unit(rng) < 0.5 ? 0 : 1;
        const double r = cls == 0 ? 4.0 : 7.0;
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
