// A user's annotations as QuPath exports them: areas (rectangles, polygons with holes,
// MultiPolygons) and classified Points / MultiPoint annotations; class names as strings,
// objects and derived classes; unknown and missing classes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "muse/annotations.hpp"
#include "muse/errors.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

using nlohmann::json;
using test::TempDir;

std::vector<ClassInfo> model_classes() {
    return {{"Lymphocyte", {160, 90, 160}}, {"Tumor", {200, 0, 0}}, {"Stroma", {150, 200, 150}}};
}

json square(double x0, double y0, double side) {
    return json::array({json::array({{x0, y0}, {x0 + side, y0}, {x0 + side, y0 + side}, {x0, y0 + side}, {x0, y0}})});
}

json feature(const json& geometry, const json& properties) {
    return {{"type", "Feature"}, {"id", "00000000-0000-0000-0000-000000000000"}, {"geometry", geometry},
            {"properties", properties}};
}

json points(const std::vector<std::pair<double, double>>& xy, const json& classification) {
    json coords = json::array();
    for (const auto& [x, y] : xy) coords.push_back({x, y});
    const json geometry = xy.size() == 1 ? json{{"type", "Point"}, {"coordinates", coords[0]}}
                                         : json{{"type", "MultiPoint"}, {"coordinates", coords}};
    return feature(geometry, {{"objectType", "annotation"}, {"classification", classification}});
}

std::filesystem::path write(const TempDir& dir, const std::string& name, const json& doc) {
    const auto path = dir.path() / name;
    test::write_file(path, doc.dump());
    return path;
}

AnnotationReadOptions options(bool allow_new = false) {
    AnnotationReadOptions o;
    o.classes = model_classes();
    o.allow_new_classes = allow_new;
    return o;
}

TEST(GeoJsonAnnotations, ReadsAreasWithTheClassifiedPointsInsideThem) {
    TempDir dir;
    // A rectangle with a hole, a MultiPolygon of two squares, an area without points, a
    // detection (ignored) and points classified by string, object and derived class.
    json rect_with_hole = square(0, 0, 100);
    rect_with_hole.push_back(square(40, 40, 20)[0]);
    const json doc = {
        {"type", "FeatureCollection"},
        {"features",
         {feature({{"type", "Polygon"}, {"coordinates", rect_with_hole}},
                  {{"objectType", "annotation"}, {"name", "square A"}, {"classification", {{"name", "Region*"}, {"color", {0, 0, 180}}}}}),
          feature({{"type", "MultiPolygon"}, {"coordinates", {square(200, 0, 50), square(300, 0, 50)}}},
                  {{"objectType", "annotation"}}),
          feature({{"type", "Polygon"}, {"coordinates", square(500, 500, 50)}}, {{"objectType", "annotation"}}),
          feature({{"type", "Polygon"}, {"coordinates", square(0, 0, 1000)}}, {{"objectType", "detection"}}),
          points({{10, 10}, {90, 20}, {50, 50}, {210, 10}}, "Tumor"),
          points({{20, 80}}, {{"name", "Lymphocyte"}, {"color", {160, 90, 160}}}),
          points({{320, 30}, {900, 900}}, {{"names", {"Stroma"}}, {"color", {150, 200, 150}}})}}};
    const AnnotationSet set = read_qupath_annotations(write(dir, "a.geojson", doc), options());
    ASSERT_EQ(set.regions.size(), 3u) << "the rectangle and the two squares of the MultiPolygon";
    EXPECT_EQ(set.regions[0].name, "square A");
    EXPECT_EQ(set.regions[1].name, "area 2");
    ASSERT_EQ(set.regions[0].nuclei.size(), 3u) << "(50, 50) lies in the hole";
    EXPECT_EQ(set.regions[0].nuclei[0].class_index, 1);
    EXPECT_DOUBLE_EQ(set.regions[0].nuclei[1].x, 90.0);
    EXPECT_EQ(set.regions[0].nuclei[2].class_index, 0);
    ASSERT_EQ(set.regions[1].nuclei.size(), 1u);
    EXPECT_EQ(set.regions[2].nuclei.size(), 1u);
    EXPECT_EQ(set.regions[2].nuclei[0].class_index, 2);
    EXPECT_FALSE(set.regions[0].area.contains(50, 50));
    EXPECT_EQ(set.areas_without_points, 1u);
    EXPECT_EQ(set.points_outside, 2u) << "(50, 50) in the hole and (900, 900) outside every area";
    EXPECT_EQ(set.classes.size(), 3u);
    EXPECT_TRUE(set.new_classes.empty());
}

TEST(GeoJsonAnnotations, AnAreaNamedNoNucleiIsAnnotatedWithoutPoints) {
    TempDir dir;
    const json doc = json::array({feature({{"type", "Polygon"}, {"coordinates", square(0, 0, 64)}}, {{"name", "No nuclei"}}),
                                  points({{500, 500}}, "Tumor")});
    const AnnotationSet set = read_qupath_annotations(write(dir, "b.json", doc), options());
    ASSERT_EQ(set.regions.size(), 1u);
    EXPECT_TRUE(set.regions[0].nuclei.empty());
    EXPECT_EQ(set.points_outside, 1u);
}

TEST(GeoJsonAnnotations, NewClassesWhenAllowedKeepTheirColour) {
    TempDir dir;
    const json doc = json::array({feature({{"type", "Polygon"}, {"coordinates", square(0, 0, 64)}}, json::object()),
                                  points({{5, 5}}, {{"name", "Necrosis"}, {"color", {10, 20, 30}}}),
                                  points({{6, 6}}, "Mitosis"), points({{7, 7}}, "Tumor")});
    const AnnotationSet set = read_qupath_annotations(write(dir, "c.geojson", doc), options(true));
    ASSERT_EQ(set.classes.size(), 5u);
    EXPECT_EQ(set.classes[3].name, "Necrosis");
    EXPECT_EQ(set.classes[3].color, (std::array<std::uint8_t, 3>{10, 20, 30}));
    EXPECT_EQ(set.classes[4].name, "Mitosis");
    EXPECT_EQ(set.new_classes, (std::vector<std::string>{"Necrosis", "Mitosis"}));
    ASSERT_EQ(set.regions[0].nuclei.size(), 3u);
    EXPECT_EQ(set.regions[0].nuclei[0].class_index, 3);
    EXPECT_EQ(set.regions[0].nuclei[1].class_index, 4);
    EXPECT_EQ(set.regions[0].nuclei[2].class_index, 1);
}

// Colour channels outside 0-255 (another tool's file, or 1e24 as the fuzzer found: a cast with
// undefined behaviour before) are clamped; a colour that is not a finite number is an error.
TEST(GeoJsonAnnotations, ColourChannelsOutOfRangeAreClamped) {
    TempDir dir;
    const json doc = json::array({feature({{"type", "Polygon"}, {"coordinates", square(0, 0, 64)}}, json::object()),
                                  points({{5, 5}}, {{"name", "Necrosis"}, {"color", {1.33e24, -7, 99.6}}})});
    const AnnotationSet set = read_qupath_annotations(write(dir, "e.geojson", doc), options(true));
    ASSERT_EQ(set.classes.size(), 4u);
    EXPECT_EQ(set.classes[3].color, (std::array<std::uint8_t, 3>{255, 0, 100}));
}

TEST(GeoJsonAnnotationsBadInput, UnknownClassesAreListedWithTheModelsClasses) {
    TempDir dir;
    const json doc = json::array({feature({{"type", "Polygon"}, {"coordinates", square(0, 0, 64)}}, json::object()),
                                  points({{5, 5}}, "Necrosis"), points({{6, 6}}, "tumor"), points({{7, 7}}, "Necrosis")});
    try {
        read_qupath_annotations(write(dir, "d.geojson", doc), options());
        FAIL() << "expected an error";
    } catch (const InvalidArgument& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("d.geojson"), std::string::npos) << msg;
        EXPECT_NE(msg.find("'Necrosis', 'tumor'"), std::string::npos) << msg;
        EXPECT_NE(msg.find("'Lymphocyte', 'Tumor', 'Stroma'"), std::string::npos) << msg;
    }
}

TEST(GeoJsonAnnotationsBadInput, ErrorsSayWhatIsWrong) {
    TempDir dir;
    const json area = feature({{"type", "Polygon"}, {"coordinates", square(0, 0, 64)}}, json::object());
    // Points without a class.
    const json unclassified = json::array({area, feature({{"type", "MultiPoint"}, {"coordinates", {{1, 1}, {2, 2}}}},
                                                         {{"objectType", "annotation"}})});
    try {
        read_qupath_annotations(write(dir, "e.geojson", unclassified), options());
        FAIL() << "expected an error";
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("2 point(s) have no classification"), std::string::npos) << e.what();
    }
    // No annotated area at all.
    EXPECT_THROW(read_qupath_annotations(write(dir, "f.geojson", json::array({area})), options()), InvalidArgument);
    // Malformed: a classification object without a name, a bad position, not JSON, missing.
    EXPECT_THROW(read_qupath_annotations(write(dir, "g.geojson", json::array({area, points({{1, 1}}, {{"color", {1, 2, 3}}})})),
                                         options()),
                 CorruptFile);
    EXPECT_THROW(read_qupath_annotations(
                     write(dir, "h.geojson", json::array({area, feature({{"type", "Point"}, {"coordinates", {1}}},
                                                                        {{"classification", "Tumor"}})})),
                     options()),
                 CorruptFile);
    test::write_file(dir.path() / "i.geojson", "{\"type\": \"FeatureCollection\", ");
    EXPECT_THROW(read_qupath_annotations(dir.path() / "i.geojson", options()), CorruptFile);
    EXPECT_THROW(read_qupath_annotations(dir.path() / "missing.geojson", options()), IoError);
}

TEST(AnnotationAssembly, TheSameRulesForAreasAndPointsFromTheApi) {
    AnnotationReadOptions o;
    o.classes = {{"Tumor", {200, 0, 0}}, {"Stroma", {0, 200, 0}}};
    const Polygon square{{{0, 0}, {100, 0}, {100, 100}, {0, 100}}, {}};
    const Polygon far{{{500, 500}, {600, 500}, {600, 600}, {500, 600}}, {}};
    const Polygon empty{{{300, 0}, {400, 0}, {400, 100}, {300, 100}}, {}};
    const AnnotationSet a = assemble_annotations({{"", square}, {"", far}, {"No Nuclei", empty}},
                                                 {{"Stroma", {0, 0, 0}, false, {{10, 10}, {20, 20}, {900, 900}}}}, o, "the API");
    ASSERT_EQ(a.regions.size(), 2u);  // the square (points) and the area named "no nuclei"; `far` has none
    EXPECT_EQ(a.regions[0].name, "area 1");
    ASSERT_EQ(a.regions[0].nuclei.size(), 2u);
    EXPECT_EQ(a.regions[0].nuclei[0].class_index, 1);
    EXPECT_EQ(a.regions[1].name, "No Nuclei");
    EXPECT_TRUE(a.regions[1].nuclei.empty());
    EXPECT_EQ(a.points_outside, 1u);
    EXPECT_EQ(a.areas_without_points, 1u);
}

TEST(AnnotationAssemblyBadInput, PointsWithoutAClassAreRejected) {
    AnnotationReadOptions o;
    o.classes = {{"Tumor", {200, 0, 0}}};
    const Polygon square{{{0, 0}, {100, 0}, {100, 100}, {0, 100}}, {}};
    try {
        assemble_annotations({{"", square}}, {{"", {0, 0, 0}, false, {{10, 10}}}}, o, "the API");
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("the API: 1 point(s) have no classification"), std::string::npos) << e.what();
    }
}

TEST(GeoJsonAnnotationObjects, WrittenAnnotationsReadBackAsDrawnAndAsQuPathObjects) {
    TempDir dir;
    AnnotationObjects drawn;
    Polygon with_hole{{{0, 0}, {100, 0}, {100, 100}, {0, 100}}, {{{40, 40}, {60, 40}, {60, 60}, {40, 60}}}};
    drawn.areas.push_back({"area 1", with_hole});
    drawn.areas.push_back({"", Polygon{{{200, 0}, {300, 0}, {300, 50}, {200, 50}}, {}}});
    drawn.points.push_back({"Tumor", {200, 0, 0}, true, {{10, 10}, {20.5, 30.25}}});
    drawn.points.push_back({"Lymphocyte", {0, 0, 0}, false, {{250, 25}}});
    write_qupath_annotations(dir.path() / "a.geojson", drawn);

    const json doc = json::parse(test::read_file(dir.path() / "a.geojson"));
    EXPECT_EQ(doc["type"], "FeatureCollection");
    ASSERT_EQ(doc["features"].size(), 4u);
    for (const auto& f : doc["features"]) EXPECT_EQ(f["properties"]["objectType"], "annotation");
    EXPECT_EQ(doc["features"][0]["geometry"]["coordinates"][0].front(), doc["features"][0]["geometry"]["coordinates"][0].back())
        << "closed rings, as GeoJSON requires";
    EXPECT_EQ(doc["features"][2]["properties"]["classification"], json({{"name", "Tumor"}, {"color", {200, 0, 0}}}));

    const AnnotationObjects back = read_qupath_annotation_objects(dir.path() / "a.geojson");
    ASSERT_EQ(back.areas.size(), 2u);
    EXPECT_EQ(back.areas[0].name, "area 1");
    ASSERT_EQ(back.areas[0].polygon.outer.size(), 4u);
    ASSERT_EQ(back.areas[0].polygon.holes.size(), 1u);
    EXPECT_DOUBLE_EQ(back.areas[0].polygon.holes[0][2].x, 60);
    EXPECT_EQ(back.areas[1].name, "");
    ASSERT_EQ(back.points.size(), 2u);
    EXPECT_EQ(back.points[0].class_name, "Tumor");
    EXPECT_TRUE(back.points[0].has_color);
    ASSERT_EQ(back.points[0].points.size(), 2u);
    EXPECT_DOUBLE_EQ(back.points[0].points[1].y, 30.25);
    EXPECT_EQ(back.points[1].class_name, "Lymphocyte");
    EXPECT_FALSE(back.points[1].has_color);
    EXPECT_EQ(back.unclassified_points, 0u);

    // The same file is what fine-tuning reads: two annotated regions with their nuclei.
    const AnnotationSet set = read_qupath_annotations(dir.path() / "a.geojson", options());
    ASSERT_EQ(set.regions.size(), 2u);
    EXPECT_EQ(set.regions[0].nuclei.size(), 2u);
    EXPECT_EQ(set.regions[1].nuclei.size(), 1u);
}

TEST(GeoJsonAnnotationObjects, UnclassifiedPointsAreCountedNotReturned) {
    TempDir dir;
    const auto path = write(dir, "u.geojson", json::array({feature({{"type", "Polygon"}, {"coordinates", square(0, 0, 10)}}, {{"objectType", "annotation"}}),
                                                           points({{1, 1}, {2, 2}}, nullptr)}));
    const AnnotationObjects o = read_qupath_annotation_objects(path);
    EXPECT_EQ(o.areas.size(), 1u);
    EXPECT_TRUE(o.points.empty());
    EXPECT_EQ(o.unclassified_points, 2u);
    EXPECT_THROW(write_qupath_annotations(dir.path() / "no-such-dir" / "x.geojson", o), IoError);
}

}  // namespace
}  // namespace muse
