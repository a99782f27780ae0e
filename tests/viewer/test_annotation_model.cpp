// The viewer's annotations: add, delete, undo, and the save/load round trip in QuPath's dialect.
#include <gtest/gtest.h>

#include <QSignalSpy>

#include <nlohmann/json.hpp>

#include "annotation_model.hpp"
#include "muse/errors.hpp"
#include "support/test_env.hpp"

namespace muse::viewer {
namespace {

const ClassInfo kTumor{"Tumor", {200, 0, 0}}, kLymph{"Lymphocyte", {0, 0, 220}};

Polygon square(double x, double y, double side) {
    return {{{x, y}, {x + side, y}, {x + side, y + side}, {x, y + side}}, {}};
}

TEST(AnnotationModel, AddDeleteAndUndoEveryChange) {
    AnnotationModel m;
    QSignalSpy changed(&m, &AnnotationModel::changed);
    m.add_area(square(0, 0, 100));
    m.add_area(square(20, 20, 30));  // inside the first
    m.add_point(kTumor, {30, 30});
    m.add_point(kTumor, {40, 40});
    m.add_point(kLymph, {60, 60});
    EXPECT_EQ(changed.count(), 5);
    ASSERT_EQ(m.objects().points.size(), 2u) << "one set of points per class";
    EXPECT_EQ(m.objects().points[0].points.size(), 2u);
    EXPECT_EQ(m.point_count(), 3u);

    EXPECT_TRUE(m.remove_at({41, 41}, 3));  // the nearest point within reach goes first
    EXPECT_EQ(m.point_count(), 2u);
    EXPECT_DOUBLE_EQ(m.objects().points[0].points[0].x, 30);
    EXPECT_TRUE(m.remove_at({25, 45}, 3));  // no point there: the smallest area holding it
    ASSERT_EQ(m.objects().areas.size(), 1u);
    EXPECT_DOUBLE_EQ(m.objects().areas[0].polygon.outer[2].x, 100);
    EXPECT_FALSE(m.remove_at({500, 500}, 3));
    EXPECT_TRUE(m.remove_at({60, 61}, 3));
    EXPECT_EQ(m.objects().points.size(), 1u) << "a class without points is gone";

    EXPECT_TRUE(m.undo());  // the Lymphocyte point is back
    EXPECT_EQ(m.point_count(), 2u);
    EXPECT_TRUE(m.undo());  // the inner area
    EXPECT_EQ(m.objects().areas.size(), 2u);
    EXPECT_TRUE(m.undo());  // the point at (40, 40)
    EXPECT_EQ(m.point_count(), 3u);
    m.clear();
    EXPECT_TRUE(m.objects().areas.empty());
    EXPECT_TRUE(m.undo());
    EXPECT_EQ(m.objects().areas.size(), 2u) << "clearing is undone too";
    while (m.undo()) {
    }
    EXPECT_TRUE(m.objects().areas.empty());
    EXPECT_FALSE(m.can_undo());
}

TEST(AnnotationModel, SaveLoadRoundTripIsQuPathsAnnotationDialect) {
    test::TempDir dir;
    AnnotationModel m;
    m.add_area(square(10, 20, 300));
    m.add_point(kTumor, {50.5, 60.25});
    m.add_point(kLymph, {100, 200});
    m.save(dir / "a.geojson");

    const nlohmann::json doc = nlohmann::json::parse(test::read_file(dir / "a.geojson"));
    ASSERT_EQ(doc["features"].size(), 3u);
    for (const auto& f : doc["features"]) EXPECT_EQ(f["properties"]["objectType"], "annotation");
    EXPECT_EQ(doc["features"][0]["geometry"]["type"], "Polygon");
    EXPECT_EQ(doc["features"][1]["properties"]["classification"]["name"], "Tumor");
    EXPECT_EQ(doc["features"][1]["properties"]["classification"]["color"], nlohmann::json({200, 0, 0}));

    AnnotationModel back;
    back.load(dir / "a.geojson");
    ASSERT_EQ(back.objects().areas.size(), 1u);
    EXPECT_EQ(back.objects().areas[0].polygon.outer.size(), 4u);
    EXPECT_DOUBLE_EQ(back.objects().areas[0].polygon.outer[2].y, 320);
    ASSERT_EQ(back.objects().points.size(), 2u);
    EXPECT_EQ(back.objects().points[0].class_name, "Tumor");
    EXPECT_DOUBLE_EQ(back.objects().points[0].points[0].y, 60.25);
    EXPECT_EQ(back.objects().points[1].color, kLymph.color);
    back.save(dir / "b.geojson");
    EXPECT_EQ(test::read_file(dir / "a.geojson"), test::read_file(dir / "b.geojson")) << "saving what was loaded changes nothing";

    test::write_file(dir / "bad.geojson", "[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1]}}]");
    EXPECT_THROW(back.load(dir / "bad.geojson"), CorruptFile);
    EXPECT_EQ(back.objects().points.size(), 2u) << "a failed load changes nothing";
}

}  // namespace
}  // namespace muse::viewer
