// The cosine learning-rate schedule.
#include "train/lr_schedule.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace muse::train {

double cosine_lr(double lr, double lr_min, std::int64_t step, std::int64_t total) {
    static const double pi = std::acos(-1.0);
    return lr_min + 0.5 * (lr - lr_min) * (1.0 + std::cos(pi * static_cast<double>(step) / static_cast<double>(total)));
}

void set_learning_rate(torch::optim::Adam& adam, double lr, const std::vector<double>& group_scales) {
    auto& groups = adam.param_groups();
    if (!group_scales.empty() && group_scales.size() != groups.size()) {
        throw std::logic_error("set_learning_rate: " + std::to_string(group_scales.size()) + " scales for " +
                               std::to_string(groups.size()) + " parameter groups");
    }
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const double scale = g < group_scales.size() ? group_scales[g] : 1.0;
        static_cast<torch::optim::AdamOptions&>(groups[g].options()).lr(lr * scale);
    }
}

}  // namespace muse::train
