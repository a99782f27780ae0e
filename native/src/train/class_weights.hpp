// Cross-entropy weights per nucleus class from how often each class is labelled: shared by
// training (counts over the training images) and fine-tuning (counts over the annotated regions,
// where a class the lab adds may have a few dozen points beside thousands of the others).
#pragma once

#include <cstddef>
#include <vector>

#include "muse/geometry.hpp"

namespace muse::train {

/// Adds one to `counts[class_index]` for each of `nuclei` (whose classes must be in range).
void add_class_counts(const std::vector<LabelledPoint>& nuclei, std::vector<double>& counts);

/// (mean count / count of c)^power for each class, normalised to mean 1 over all classes, so a
/// rare class counts more; a class without labels gets weight 1 (before normalisation). Empty
/// (= equal weights) for power 0 or when nothing is labelled.
std::vector<double> class_balance_weights(const std::vector<double>& counts, double power);

}  // namespace muse::train
