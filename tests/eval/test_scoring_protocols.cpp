// MCSpatNet's greedy matching next to the optimal one, per-image counts, pooling test folds and
// the bootstrap interval over images.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "muse/errors.hpp"
#include "muse/eval.hpp"

namespace muse {
namespace {

TEST(GreedyMatching, RowMajorReferencePointsTakeTheirNearestUnusedPrediction) {
    // t0 (row 0) comes first and takes p0, its nearest; t1 then has only p1 (4 px away).
    const std::vector<Point> truth = {{10, 5}, {10, 0}};  // given out of row order on purpose
    const std::vector<Point> pred = {{10, 1}, {10, 9}};
    const auto m = match_points_greedy(truth, pred, 6.0);
    EXPECT_EQ(m, (std::vector<std::pair<int, int>>{{0, 1}, {1, 0}}));
}

TEST(GreedyMatching, TakesFewerPairsThanTheOptimumWhereOrderMisleadsIt) {
    // t0 (first in row order) takes p0, its nearest, leaving t1 with nothing within the radius;
    // the optimal matching pairs t0-p1 and t1-p0.
    const std::vector<Point> truth = {{0, 0}, {-5, 1}};
    const std::vector<Point> pred = {{-1, 0}, {4, 0}};
    EXPECT_EQ(match_points_greedy(truth, pred, 5.0).size(), 1u);
    EXPECT_EQ(match_points(pred, truth, 5.0).size(), 2u);
}

TEST(GreedyMatching, RadiusIsStrictAsAKdTreeBound) {
    EXPECT_TRUE(match_points_greedy({{0, 0}}, {{6, 0}}, 6.0).empty()) << "exactly at the radius: not a match";
    EXPECT_EQ(match_points_greedy({{0, 0}}, {{5.999, 0}}, 6.0).size(), 1u);
    EXPECT_TRUE(match_points_greedy({}, {{1, 1}}, 6.0).empty());
    EXPECT_THROW(match_points_greedy({{0, 0}}, {{1, 1}}, -1.0), InvalidArgument);
}

TEST(GreedyMatching, NeverMoreThanOptimalAndAlwaysOneToOneOnRandomScenes) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> u(0.0, 80.0);
    std::size_t greedy_total = 0, optimal_total = 0;
    for (int trial = 0; trial < 25; ++trial) {
        std::vector<Point> truth(50 + trial), pred(45 + 2 * trial);
        for (auto& p : truth) p = {u(rng), u(rng)};
        for (auto& p : pred) p = {u(rng), u(rng)};
        const auto g = match_points_greedy(truth, pred, 6.0);
        std::vector<char> used_t(truth.size(), 0), used_p(pred.size(), 0);
        for (const auto& [i, j] : g) {
            EXPECT_LT(std::hypot(truth[i].x - pred[j].x, truth[i].y - pred[j].y), 6.0);
            EXPECT_FALSE(used_t[i]++) << "reference point used twice";
            EXPECT_FALSE(used_p[j]++) << "prediction used twice";
        }
        const std::size_t optimal = match_points(pred, truth, 6.0).size();
        EXPECT_LE(g.size(), optimal) << "trial " << trial;
        greedy_total += g.size();
        optimal_total += optimal;
    }
    EXPECT_LT(greedy_total, optimal_total) << "dense random scenes must show the difference somewhere";
}

EvalImage image(const std::string& name, std::vector<LabelledPoint> truth, std::vector<LabelledPoint> pred) {
    EvalImage e;
    e.name = name;
    e.truth = std::move(truth);
    e.predictions = std::move(pred);
    return e;
}

TEST(ScoringProtocols, EvaluateKeepsEachImagesCountsAndTheRule) {
    EvalOptions hungarian;
    hungarian.matching = Matching::hungarian;
    const auto imgs = {image("a", {{0, 0, 0}, {-5, 1, 0}}, {{-1, 0, 0}, {4, 0, 0}}),
                       image("b", {{50, 50, 1}}, {{80, 80, 1}})};
    const EvalReport g = evaluate(imgs, {"A", "B"}, {});
    const EvalReport h = evaluate(imgs, {"A", "B"}, hungarian);
    EXPECT_EQ(g.matching, Matching::greedy) << "greedy is the default: the literature's protocol";
    EXPECT_EQ(g.classes[0].true_positives, 1);
    EXPECT_EQ(h.classes[0].true_positives, 2);
    ASSERT_EQ(g.per_image.size(), 2u);
    EXPECT_EQ(g.per_image[0].name, "a");
    EXPECT_EQ(g.per_image[0].classes[0].true_positives, 1);
    EXPECT_EQ(g.per_image[1].classes[1].false_positives, 1);
    EXPECT_EQ(g.per_image[1].classes[1].false_negatives, 1);
    EXPECT_DOUBLE_EQ(g.per_image[0].mean_f1, 0.5) << "class A F1 1/2; class B is absent from the image";
    EXPECT_DOUBLE_EQ(g.per_image[1].mean_f1, 0.0);
    const auto j = nlohmann::json::parse(eval_report_json(g));
    EXPECT_EQ(j["matching"], "greedy");
    EXPECT_EQ(j["per_image"].size(), 2u);
    const std::string table = eval_per_image_table(g);
    EXPECT_LT(table.find("\nb "), table.find("\na ")) << "worst image first:\n" << table;
    EXPECT_EQ(parse_matching("hungarian"), Matching::hungarian);
    EXPECT_THROW(parse_matching("nearest"), InvalidArgument);
}

TEST(ScoringProtocols, PoolingFoldsEqualsScoringAllImagesAtOnce) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(0.0, 100.0);
    std::uniform_int_distribution<int> cls(0, 2);
    std::vector<EvalImage> all;
    for (int i = 0; i < 9; ++i) {
        std::vector<LabelledPoint> t(30), p(28);
        for (auto& q : t) q = {u(rng), u(rng), cls(rng)};
        for (auto& q : p) q = {u(rng), u(rng), cls(rng)};
        all.push_back(image("img" + std::to_string(i), t, p));
    }
    const std::vector<std::string> names = {"L", "T", "S"};
    const EvalReport whole = evaluate(all, names, {});
    const EvalReport pooled = pool_reports({evaluate({all.begin(), all.begin() + 4}, names, {}),
                                            evaluate({all.begin() + 4, all.end()}, names, {})});
    EXPECT_EQ(pooled.images, 9);
    EXPECT_DOUBLE_EQ(pooled.mean_f1, whole.mean_f1);
    for (int c = 0; c < 3; ++c) EXPECT_EQ(pooled.classes[c].true_positives, whole.classes[c].true_positives);
    EXPECT_EQ(pooled.detection.false_positives, whole.detection.false_positives);
    EvalOptions other;
    other.radius_um = 4.0;
    EXPECT_THROW(pool_reports({whole, evaluate(all, names, other)}), InvalidArgument);
    EXPECT_THROW(pool_reports({}), InvalidArgument);
}

TEST(ScoringProtocols, BootstrapIntervalHoldsTheEstimateAndWidensWithDisagreeingImages) {
    std::vector<EvalImage> same, mixed;
    for (int i = 0; i < 20; ++i) {
        // Every image alike: each resample gives the same pooled F1.
        same.push_back(image("s" + std::to_string(i), {{0, 0, 0}, {20, 20, 0}}, {{0, 0, 0}, {50, 50, 0}}));
        // Half perfect, half all wrong: resamples disagree.
        mixed.push_back(i % 2 ? image("m" + std::to_string(i), {{0, 0, 0}}, {{0, 0, 0}})
                              : image("m" + std::to_string(i), {{0, 0, 0}}, {{40, 40, 0}}));
    }
    const EvalReport a = evaluate(same, {"A"}, {});
    const Interval ia = bootstrap_mean_f1(a, 500);
    EXPECT_NEAR(ia.low, a.mean_f1, 1e-12);
    EXPECT_NEAR(ia.high, a.mean_f1, 1e-12);
    const EvalReport b = evaluate(mixed, {"A"}, {});
    const Interval ib = bootstrap_mean_f1(b, 2000, 0.95, 7);
    EXPECT_LT(ib.low, b.mean_f1);
    EXPECT_GT(ib.high, b.mean_f1);
    EXPECT_GT(ib.high - ib.low, 0.15) << "20 images that disagree: a wide interval";
    const Interval again = bootstrap_mean_f1(b, 2000, 0.95, 7);
    EXPECT_EQ(again.low, ib.low) << "a fixed seed gives the same interval";
    EXPECT_THROW(bootstrap_mean_f1(b, 0), InvalidArgument);
    EXPECT_THROW(bootstrap_mean_f1(EvalReport{}, 10), InvalidArgument);
}

}  // namespace
}  // namespace muse
