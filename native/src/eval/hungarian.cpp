// Shortest-augmenting-path Hungarian method with potentials (Kuhn-Munkres, rectangular).
#include "eval/hungarian.hpp"

#include <limits>
#include <stdexcept>

namespace muse::eval {

std::vector<int> solve_assignment(const std::vector<double>& cost, int rows, int cols) {
    if (rows > cols) throw std::invalid_argument("solve_assignment needs rows <= cols");
    if (cost.size() != static_cast<std::size_t>(rows) * cols) throw std::invalid_argument("cost matrix size");
    const double inf = std::numeric_limits<double>::infinity();
    // 1-based arrays; column 0 is the virtual start of each augmenting path.
    std::vector<double> u(rows + 1, 0.0), v(cols + 1, 0.0);
    std::vector<int> owner(cols + 1, 0), way(cols + 1, 0);  // owner[j]: row assigned to column j
    std::vector<double> min_slack(cols + 1);
    std::vector<char> used(cols + 1);
    for (int i = 1; i <= rows; ++i) {
        owner[0] = i;
        int j0 = 0;
        std::fill(min_slack.begin(), min_slack.end(), inf);
        std::fill(used.begin(), used.end(), 0);
        do {
            used[j0] = 1;
            const int i0 = owner[j0];
            double delta = inf;
            int j1 = 0;
            const double* row = cost.data() + static_cast<std::size_t>(i0 - 1) * cols;
            for (int j = 1; j <= cols; ++j) {
                if (used[j]) continue;
                const double reduced = row[j - 1] - u[i0] - v[j];
                if (reduced < min_slack[j]) {
                    min_slack[j] = reduced;
                    way[j] = j0;
                }
                if (min_slack[j] < delta) {
                    delta = min_slack[j];
                    j1 = j;
                }
            }
            for (int j = 0; j <= cols; ++j) {
                if (used[j]) {
                    u[owner[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_slack[j] -= delta;
                }
            }
            j0 = j1;
        } while (owner[j0] != 0);
        do {  // flip the augmenting path
            const int j1 = way[j0];
            owner[j0] = owner[j1];
            j0 = j1;
        } while (j0 != 0);
    }
    std::vector<int> column_of(rows, -1);
    for (int j = 1; j <= cols; ++j) {
        if (owner[j] != 0) column_of[owner[j] - 1] = j - 1;
    }
    return column_of;
}

std::vector<std::pair<int, int>> min_cost_pairs(const std::vector<double>& cost, int rows, int cols) {
    std::vector<std::pair<int, int>> pairs;
    if (rows == 0 || cols == 0) return pairs;
    if (rows <= cols) {
        const std::vector<int> col = solve_assignment(cost, rows, cols);
        for (int r = 0; r < rows; ++r) pairs.emplace_back(r, col[r]);
        return pairs;
    }
    std::vector<double> transposed(cost.size());
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) transposed[static_cast<std::size_t>(c) * rows + r] = cost[static_cast<std::size_t>(r) * cols + c];
    }
    const std::vector<int> row = solve_assignment(transposed, cols, rows);
    for (int c = 0; c < cols; ++c) pairs.emplace_back(row[c], c);
    return pairs;
}

}  // namespace muse::eval
