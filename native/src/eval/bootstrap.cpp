// Bootstrap interval of the pooled mean F1 over images: how much the score depends on which
// images happened to be scored (ten images move it by several points).
#include <algorithm>
#include <cmath>
#include <random>

#include "muse/errors.hpp"
#include "muse/eval.hpp"

namespace muse {

Interval bootstrap_mean_f1(const EvalReport& report, int samples, double level, std::uint64_t seed) {
    if (samples < 1) throw InvalidArgument("bootstrap needs at least one sample, got " + std::to_string(samples));
    if (!(level > 0.0 && level < 1.0)) throw InvalidArgument("bootstrap level must be in (0, 1)");
    if (report.per_image.empty()) throw InvalidArgument("bootstrap needs the report's per-image counts (none)");
    const std::size_t n = report.per_image.size(), k = report.classes.size();
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> pick(0, n - 1);
    std::vector<double> means;
    means.reserve(static_cast<std::size_t>(samples));
    std::vector<std::int64_t> tp(k), fp(k), fn(k);
    for (int s = 0; s < samples; ++s) {
        std::fill(tp.begin(), tp.end(), 0);
        std::fill(fp.begin(), fp.end(), 0);
        std::fill(fn.begin(), fn.end(), 0);
        for (std::size_t i = 0; i < n; ++i) {
            const ImageMetrics& im = report.per_image[pick(rng)];
            for (std::size_t c = 0; c < k; ++c) {
                tp[c] += im.classes[c].true_positives;
                fp[c] += im.classes[c].false_positives;
                fn[c] += im.classes[c].false_negatives;
            }
        }
        double sum = 0.0;
        for (std::size_t c = 0; c < k; ++c) {
            const double d = 2.0 * static_cast<double>(tp[c]) + static_cast<double>(fp[c] + fn[c]);
            sum += d > 0.0 ? 2.0 * static_cast<double>(tp[c]) / d : 0.0;
        }
        means.push_back(k > 0 ? sum / static_cast<double>(k) : 0.0);
    }
    std::sort(means.begin(), means.end());
    auto quantile = [&](double q) {
        const double pos = q * static_cast<double>(means.size() - 1);
        const auto lo = static_cast<std::size_t>(std::floor(pos));
        const std::size_t hi = std::min(lo + 1, means.size() - 1);
        return means[lo] + (pos - static_cast<double>(lo)) * (means[hi] - means[lo]);
    };
    Interval out;
    out.samples = samples;
    out.level = level;
    out.low = quantile((1.0 - level) / 2.0);
    out.high = quantile(1.0 - (1.0 - level) / 2.0);
    return out;
}

}  // namespace muse
