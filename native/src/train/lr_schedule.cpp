// The cosine learning-rate schedule.
#include "train/lr_schedule.hpp"

#include <cmath>

namespace muse::train {

double cosine_lr(double lr, double lr_min, std::int64_t step, std::int64_t total) {
    static const double pi = std::acos(-1.0);
    return lr_min + 0.5 * (lr - lr_min) * (1.0 + std::cos(pi * static_cast<double>(step) / static_cast<double>(total)));
}

void set_learning_rate(torch::optim::Adam& adam, double lr) {
    for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
}

}  // namespace muse::train
