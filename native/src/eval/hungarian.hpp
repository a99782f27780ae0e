// Minimum-cost one-to-one assignment (the Hungarian method) on a dense cost matrix.
#pragma once

#include <vector>

namespace muse::eval {

/// Assigns each of the `rows` rows to a distinct column of a rows x cols matrix (row-major
/// `cost`), minimising the total cost; rows <= cols is required. Returns the column of each
/// row. O(rows^2 * cols): shortest augmenting paths with row and column potentials.
std::vector<int> solve_assignment(const std::vector<double>& cost, int rows, int cols);

/// The same for any shape: pairs (row, column) of a minimum-cost assignment of
/// min(rows, cols) pairs.
std::vector<std::pair<int, int>> min_cost_pairs(const std::vector<double>& cost, int rows, int cols);

}  // namespace muse::eval
