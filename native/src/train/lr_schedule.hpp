// The cosine learning-rate schedule that supervised training and fine-tuning share.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/optim/adam.h>

namespace muse::train {

/// lr_min + (lr - lr_min) (1 + cos(pi step / total)) / 2: lr at step 0, lr_min at step total.
double cosine_lr(double lr, double lr_min, std::int64_t step, std::int64_t total);

/// Sets the learning rate of every parameter group of `adam`: `lr`, times the group's entry of
/// `group_scales` when given (one per group, in order; std::logic_error otherwise).
void set_learning_rate(torch::optim::Adam& adam, double lr, const std::vector<double>& group_scales = {});

}  // namespace muse::train
