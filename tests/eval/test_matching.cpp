// Hungarian assignment, radius-bounded point matching and detection F1 on hand-made cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include <nlohmann/json.hpp>

#include "eval/hungarian.hpp"
#include "muse/errors.hpp"
#include "muse/eval.hpp"

namespace muse {
namespace {

double brute_force_min_cost(const std::vector<double>& cost, int rows, int cols) {
    // Every injective map of rows into columns (rows <= cols), by recursion.
    double best = std::numeric_limits<double>::infinity();
    std::vector<char> used(cols, 0);
    std::function<void(int, double)> go = [&](int r, double sum) {
        if (r == rows) {
            best = std::min(best, sum);
            return;
        }
        for (int c = 0; c < cols; ++c) {
            if (used[c]) continue;
            used[c] = 1;
            go(r + 1, sum + cost[r * cols + c]);
            used[c] = 0;
        }
    };
    go(0, 0.0);
    return best;
}

TEST(Hungarian, SolvesAKnownSquareProblem) {
    // The cheapest assignment is the anti-diagonal-ish (0->1, 1->0, 2->2), total 1 + 2 + 2 = 5.
    const std::vector<double> cost = {4, 1, 3,  //
                                      2, 0, 5,  //
                                      3, 2, 2};
    const std::vector<int> col = eval::solve_assignment(cost, 3, 3);
    EXPECT_EQ(col, (std::vector<int>{1, 0, 2}));
}

TEST(Hungarian, MatchesBruteForceOnRandomRectangularProblems) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(0.0, 10.0);
    for (int trial = 0; trial < 200; ++trial) {
        const int rows = 1 + trial % 5, cols = rows + (trial / 5) % 3;
        std::vector<double> cost(rows * cols);
        for (auto& c : cost) c = std::round(u(rng));  // ties on purpose
        const std::vector<int> col = eval::solve_assignment(cost, rows, cols);
        double total = 0.0;
        std::vector<char> seen(cols, 0);
        for (int r = 0; r < rows; ++r) {
            ASSERT_GE(col[r], 0);
            ASSERT_FALSE(seen[col[r]]) << "column used twice";
            seen[col[r]] = 1;
            total += cost[r * cols + col[r]];
        }
        EXPECT_DOUBLE_EQ(total, brute_force_min_cost(cost, rows, cols)) << "trial " << trial;
        // The transposed problem through min_cost_pairs gives the same total.
        std::vector<double> t(cost.size());
        for (int r = 0; r < rows; ++r) {
            for (int c = 0; c < cols; ++c) t[c * rows + r] = cost[r * cols + c];
        }
        double t_total = 0.0;
        const auto pairs = eval::min_cost_pairs(t, cols, rows);
        EXPECT_EQ(pairs.size(), static_cast<std::size_t>(rows));
        for (const auto& [r, c] : pairs) t_total += t[r * rows + c];
        EXPECT_DOUBLE_EQ(t_total, total);
    }
}

TEST(PointMatching, PrefersMorePairsOverNearerOnes) {
    // a0 is nearest to b0, but only a0 can reach b1: the right matching is a0-b1, a1-b0.
    const std::vector<Point> a = {{0, 0}, {-5, 0}};
    const std::vector<Point> b = {{-1, 0}, {4, 0}};
    const auto m = match_points(a, b, 5.0);
    EXPECT_EQ(m, (std::vector<std::pair<int, int>>{{0, 1}, {1, 0}}));
}

TEST(PointMatching, RadiusIsInclusiveAndPairsAreOneToOne) {
    const std::vector<Point> a = {{0, 0}, {0.5, 0}};
    const std::vector<Point> b = {{6, 0}};
    const auto m = match_points(a, b, 6.0);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].second, 0);
    EXPECT_EQ(m[0].first, 1) << "the nearer of the two takes the only partner";
    EXPECT_EQ(match_points(a, b, 5.5).size(), 1u) << "a point exactly at the radius matches";
    EXPECT_TRUE(match_points(a, b, 5.49).empty());
    EXPECT_TRUE(match_points({}, b, 6.0).empty());
    EXPECT_THROW(match_points(a, b, -1.0), InvalidArgument);
}

/// Maximum bipartite matching size by simple augmenting paths, for cross-checking.
std::size_t max_pairs(const std::vector<Point>& a, const std::vector<Point>& b, double r) {
    std::vector<int> owner(b.size(), -1);
    std::function<bool(int, std::vector<char>&)> augment = [&](int i, std::vector<char>& seen) {
        for (std::size_t j = 0; j < b.size(); ++j) {
            if (seen[j] || std::hypot(a[i].x - b[j].x, a[i].y - b[j].y) > r) continue;
            seen[j] = 1;
            if (owner[j] < 0 || augment(owner[j], seen)) {
                owner[j] = i;
                return true;
            }
        }
        return false;
    };
    std::size_t n = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        std::vector<char> seen(b.size(), 0);
        if (augment(static_cast<int>(i), seen)) ++n;
    }
    return n;
}

TEST(PointMatching, FindsTheLargestMatchingOnDenseRandomScenes) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(0.0, 60.0);
    for (int trial = 0; trial < 30; ++trial) {
        std::vector<Point> a(40 + trial), b(35 + 2 * trial);
        for (auto& p : a) p = {u(rng), u(rng)};
        for (auto& p : b) p = {u(rng), u(rng)};
        const auto m = match_points(a, b, 6.0);
        EXPECT_EQ(m.size(), max_pairs(a, b, 6.0)) << "trial " << trial;
        for (const auto& [i, j] : m) EXPECT_LE(std::hypot(a[i].x - b[j].x, a[i].y - b[j].y), 6.0);
    }
}

TEST(Evaluate, CountsPerClassAndPoolsOverImages) {
    EvalImage one;
    one.name = "one";
    one.mpp = 0.5;  // 3 um = 6 px
    one.truth = {{10, 10, 0}, {50, 50, 1}, {90, 90, 1}};
    one.predictions = {{12, 10, 0},    // TP class 0 (2 px)
                       {50, 57, 1},    // 7 px: too far -> FP class 1, and (50,50) is a FN
                       {90, 91, 0}};   // right place, wrong class: FP class 0 and FN class 1
    EvalImage two;
    two.name = "two";
    two.mpp = 0.25;  // 3 um = 12 px
    two.truth = {{0, 0, 1}};
    two.predictions = {{0, 11, 1}};  // TP at this finer resolution
    const EvalReport r = evaluate({one, two}, {"A", "B"}, {});
    ASSERT_EQ(r.classes.size(), 2u);
    EXPECT_EQ(r.classes[0].true_positives, 1);
    EXPECT_EQ(r.classes[0].false_positives, 1);
    EXPECT_EQ(r.classes[0].false_negatives, 0);
    EXPECT_EQ(r.classes[1].true_positives, 1);
    EXPECT_EQ(r.classes[1].false_positives, 1);
    EXPECT_EQ(r.classes[1].false_negatives, 2);
    EXPECT_NEAR(r.classes[0].f1, 2.0 / 3.0, 1e-12);  // 2TP / (2TP + FP + FN) = 2/3
    EXPECT_NEAR(r.classes[1].f1, 2.0 / 5.0, 1e-12);
    EXPECT_NEAR(r.mean_f1, (2.0 / 3.0 + 2.0 / 5.0) / 2.0, 1e-12);
    EXPECT_EQ(r.detection.true_positives, 3);  // class ignored: (90,91) now matches
    EXPECT_EQ(r.detection.false_positives, 1);
    EXPECT_EQ(r.detection.false_negatives, 1);
    EXPECT_EQ(r.images, 2);
}

TEST(Evaluate, AccuracyAtReferencePointsAndReports) {
    EvalImage img;
    img.name = "x";
    img.truth = {{1, 1, 0}, {20, 20, 1}, {40, 40, 2}, {60, 60, 2}};
    img.class_at_truth = {0, 2, 2, 2};
    const EvalReport r = evaluate({img}, {"L", "T", "S"}, {});
    EXPECT_EQ(r.accuracy_points, 4);
    EXPECT_EQ(r.accuracy_correct, 3);
    EXPECT_DOUBLE_EQ(r.accuracy, 0.75);
    EXPECT_DOUBLE_EQ(r.mean_f1, 0.0) << "no predictions: every F1 is 0";
    const auto j = nlohmann::json::parse(eval_report_json(r));
    EXPECT_EQ(j["classes"].size(), 3u);
    EXPECT_EQ(j["classes"][2]["false_negatives"], 2);
    EXPECT_DOUBLE_EQ(j["accuracy_at_reference_points"]["accuracy"].get<double>(), 0.75);
    const std::string table = eval_report_table(r);
    EXPECT_NE(table.find("mean F1 over classes"), std::string::npos) << table;
    EXPECT_NE(table.find("75.00 %"), std::string::npos) << table;
}

TEST(EvaluateBadInput, ClassOutOfRangeAndBadSettingsAreNamed) {
    EvalImage img;
    img.name = "slide-3";
    img.predictions = {{1, 1, 3}};
    try {
        evaluate({img}, {"A", "B", "C"}, {});
        FAIL() << "expected an error";
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("image 'slide-3': prediction 0 has class 3, outside 0..2"), std::string::npos)
            << e.what();
    }
    EvalOptions bad;
    bad.radius_um = 0.0;
    EXPECT_THROW(evaluate({}, {"A"}, bad), InvalidArgument);
    EXPECT_THROW(evaluate({}, {}, {}), InvalidArgument);
    img.predictions.clear();
    img.truth = {{1, 1, 0}};
    img.class_at_truth = {0, 1};
    EXPECT_THROW(evaluate({img}, {"A", "B"}, {}), InvalidArgument);
}

}  // namespace
}  // namespace muse
