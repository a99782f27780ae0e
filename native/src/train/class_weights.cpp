// Class weights from label counts.
#include "train/class_weights.hpp"

#include <cmath>

namespace muse::train {

void add_class_counts(const std::vector<LabelledPoint>& nuclei, std::vector<double>& counts) {
    for (const auto& n : nuclei) counts[static_cast<std::size_t>(n.class_index)] += 1;
}

std::vector<double> class_balance_weights(const std::vector<double>& counts, double power) {
    if (power <= 0 || counts.empty()) return {};
    double total = 0;
    std::size_t present = 0;
    for (double c : counts) total += c, present += c > 0;
    if (present == 0) return {};
    // The mean over the labelled classes only: an unlabelled class must not make the others rare.
    const double mean = total / static_cast<double>(present);
    std::vector<double> w(counts.size(), 1.0);
    double sum = 0;
    for (std::size_t c = 0; c < counts.size(); ++c) {
        if (counts[c] > 0) w[c] = std::pow(mean / counts[c], power);
        sum += w[c];
    }
    for (double& v : w) v *= static_cast<double>(counts.size()) / sum;
    return w;
}

}  // namespace muse::train
