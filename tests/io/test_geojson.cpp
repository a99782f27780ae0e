// QuPath GeoJSON: areas read from what QuPath exports; detections written in its dialect, read
// back field by field; CSV; nothing visible before commit.
#include <gtest/gtest.h>

#include <cmath>

#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "muse/errors.hpp"
#include "muse/geojson.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

using nlohmann::json;
using test::TempDir;

std::vector<ClassInfo> classes() { return {{"Lymphocyte", {160, 90, 160}}, {"Tumor", {200, 0, 0}}}; }

Detection detection(double x, double y, int cls) {
    Detection d;
    d.x = x;
    d.y = y;
    d.class_index = cls;
    d.score = cls == 0 ? 0.75f : 0.6f;
    d.probabilities = cls == 0 ? std::vector<float>{0.75f, 0.2f} : std::vector<float>{0.3f, 0.6f};
    return d;
}

TEST(GeoJsonRegions, ReadsPolygonsWithHolesAndMultiPolygonsFromQuPathExports) {
    TempDir dir;
    test::write_file(dir / "a.geojson", R"({"type":"FeatureCollection","features":[
      {"type":"Feature","id":"1","geometry":{"type":"Polygon","coordinates":[[[0,0],[100,0],[100,100],[0,100],[0,0]],
                                                                              [[40,40],[60,40],[60,60],[40,60],[40,40]]]},
       "properties":{"objectType":"annotation","classification":{"name":"Tumor","color":[200,0,0]}}},
      {"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[200,0],[210,0],[210,10]]],[[[300,0],[310,0],[310,10]]]]},
       "properties":{"objectType":"annotation"}},
      {"type":"Feature","geometry":{"type":"Point","coordinates":[5,5]},"properties":{"objectType":"annotation"}}]})");
    const auto regions = read_geojson_regions(dir / "a.geojson");
    ASSERT_EQ(regions.size(), 3u);
    EXPECT_EQ(regions[0].outer.size(), 4u) << "the closing position is dropped";
    EXPECT_TRUE(regions[0].contains(10, 10));
    EXPECT_FALSE(regions[0].contains(50, 50)) << "inside the hole";
    EXPECT_FALSE(regions[0].contains(150, 10));
    EXPECT_TRUE(regions[2].contains(309, 1));
    // A bare geometry and an array of features are accepted too, as QuPath does.
    test::write_file(dir / "b.json", R"({"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10]]]})");
    EXPECT_EQ(read_geojson_regions(dir / "b.json").size(), 1u);
    test::write_file(dir / "c.json", R"([{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}}])");
    EXPECT_EQ(read_geojson_regions(dir / "c.json").size(), 1u);
}

TEST(GeoJsonRegionsBadInput, ErrorsSayWhatIsWrong) {
    TempDir dir;
    test::write_file(dir / "broken.geojson", "{\"type\": \"FeatureCollection\", ");
    EXPECT_THROW(read_geojson_regions(dir / "broken.geojson"), CorruptFile);
    test::write_file(dir / "points.geojson", R"({"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}})");
    try {
        read_geojson_regions(dir / "points.geojson");
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("holds no area"), std::string::npos);
    }
    test::write_file(dir / "short.geojson", R"({"type":"Polygon","coordinates":[[[0,0],[1,1]]]})");
    EXPECT_THROW(read_geojson_regions(dir / "short.geojson"), CorruptFile);
    EXPECT_THROW(read_geojson_regions(dir / "missing.geojson"), IoError);
}

TEST(DetectionWriter, GeoJsonIsQuPathsDetectionDialectFieldByField) {
    TempDir dir;
    DetectionWriterOptions o;
    o.classes = classes();
    auto w = DetectionWriter::create(dir / "d.geojson", o);
    w->write(detection(10.123, 20.5, 0));
    w->write(detection(1234.5, 99, 1));
    EXPECT_FALSE(std::filesystem::exists(dir / "d.geojson")) << "nothing visible before commit";
    w->commit();
    EXPECT_EQ(w->count(), 2u);
    const json j = json::parse(test::read_file(dir / "d.geojson"));
    EXPECT_EQ(j["type"], "FeatureCollection");
    ASSERT_EQ(j["features"].size(), 2u);
    const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    std::set<std::string> ids;
    for (const auto& f : j["features"]) {
        EXPECT_EQ(f["type"], "Feature");
        ASSERT_TRUE(f["id"].is_string());
        EXPECT_TRUE(std::regex_match(f["id"].get<std::string>(), uuid)) << f["id"];
        ids.insert(f["id"]);
        EXPECT_EQ(f["geometry"]["type"], "Point");
        ASSERT_EQ(f["geometry"]["coordinates"].size(), 2u);
        const auto& p = f["properties"];
        EXPECT_EQ(p["objectType"], "detection");
        ASSERT_TRUE(p["classification"].is_object());
        EXPECT_TRUE(p["classification"]["name"].is_string());
        ASSERT_EQ(p["classification"]["color"].size(), 3u) << "QuPath refuses a class object without a colour";
        for (const auto& c : p["classification"]["color"]) EXPECT_TRUE(c.is_number_integer());
        ASSERT_TRUE(p["measurements"].is_object());
        for (const auto& [name, value] : p["measurements"].items()) EXPECT_TRUE(value.is_number()) << name;
    }
    EXPECT_EQ(ids.size(), 2u);
    const auto& first = j["features"][0];
    EXPECT_DOUBLE_EQ(first["geometry"]["coordinates"][0].get<double>(), 10.12) << "two decimals, as QuPath writes";
    EXPECT_DOUBLE_EQ(first["geometry"]["coordinates"][1].get<double>(), 20.5);
    EXPECT_EQ(first["properties"]["classification"]["name"], "Lymphocyte");
    EXPECT_EQ(first["properties"]["classification"]["color"], json({160, 90, 160}));
    EXPECT_DOUBLE_EQ(first["properties"]["measurements"]["Score"].get<double>(), 0.75);
    EXPECT_DOUBLE_EQ(first["properties"]["measurements"]["Probability: Tumor"].get<double>(), 0.2);
    EXPECT_EQ(j["features"][1]["properties"]["classification"]["name"], "Tumor");
}

TEST(GeoJsonDetections, WhatTheWriterWritesReadsBackWithClassesColoursAndProbabilities) {
    TempDir dir;
    DetectionWriterOptions o;
    o.classes = classes();
    auto points = DetectionWriter::create(dir / "p.geojson", o);
    points->write(detection(10.25, 20.5, 0));
    points->write(detection(1234.5, 99, 1));
    points->write(detection(7, 8, 0));
    points->commit();
    o.geometry = DetectionGeometry::Ellipse;
    auto ellipses = DetectionWriter::create(dir / "e.geojson", o);
    ellipses->write(detection(100, 200, 1));
    ellipses->commit();

    const DetectionSet p = read_geojson_detections(dir / "p.geojson");
    ASSERT_EQ(p.classes.size(), 2u) << "classes in order of first appearance";
    EXPECT_EQ(p.classes[0].name, "Lymphocyte");
    EXPECT_EQ(p.classes[0].color, (std::array<std::uint8_t, 3>{160, 90, 160}));
    EXPECT_EQ(p.classes[1].name, "Tumor");
    ASSERT_EQ(p.detections.size(), 3u);
    EXPECT_NEAR(p.detections[0].x, 10.25, 0.01);
    EXPECT_NEAR(p.detections[0].y, 20.5, 0.01);
    EXPECT_EQ(p.detections[1].class_index, 1);
    EXPECT_EQ(p.detections[2].class_index, 0);
    EXPECT_FLOAT_EQ(p.detections[0].score, 0.75f);
    ASSERT_EQ(p.detections[0].probabilities.size(), 2u);
    EXPECT_FLOAT_EQ(p.detections[0].probabilities[1], 0.2f);

    const DetectionSet e = read_geojson_detections(dir / "e.geojson");
    ASSERT_EQ(e.detections.size(), 1u);
    EXPECT_NEAR(e.detections[0].x, 100, 1e-6) << "an ellipse stands at its centre";
    EXPECT_NEAR(e.detections[0].y, 200, 1e-6);
}

TEST(GeoJsonDetections, QuPathExportsOldMeasurementListsUnclassifiedObjectsAndBadFiles) {
    TempDir dir;
    test::write_file(dir / "q.geojson", R"([
      {"type":"Feature","geometry":{"type":"Point","coordinates":[5,6]},
       "properties":{"objectType":"cell","measurements":[{"name":"Score","value":0.5}]}},
      {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,2],[0,2],[0,0]]]},
       "properties":{"objectType":"detection","classification":"Tumor"}},
      {"type":"Feature","geometry":{"type":"Point","coordinates":[1,1]},"properties":{"objectType":"annotation"}}])");
    const DetectionSet d = read_geojson_detections(dir / "q.geojson");
    ASSERT_EQ(d.detections.size(), 2u) << "annotations are not detections";
    EXPECT_EQ(d.classes[0].name, kUnclassified);
    EXPECT_FLOAT_EQ(d.detections[0].score, 0.5f);
    EXPECT_TRUE(d.detections[0].probabilities.empty());
    EXPECT_NEAR(d.detections[1].x, 2, 1e-9);
    EXPECT_NEAR(d.detections[1].y, 1, 1e-9);
    EXPECT_TRUE(std::isnan(d.detections[1].score));
    test::write_file(dir / "bad.geojson", R"({"type":"Feature","geometry":{"type":"Point","coordinates":[1]},
       "properties":{"objectType":"detection"}})");
    try {
        read_geojson_detections(dir / "bad.geojson");
        FAIL();
    } catch (const CorruptFile& e) {
        EXPECT_NE(std::string(e.what()).find("bad.geojson"), std::string::npos) << e.what();
    }
    EXPECT_THROW(read_geojson_detections(dir / "missing.geojson"), IoError);
}

TEST(DetectionWriter, EllipsesAreFlaggedPolygonsAroundTheNucleus) {
    TempDir dir;
    DetectionWriterOptions o;
    o.classes = classes();
    o.geometry = DetectionGeometry::Ellipse;
    o.ellipse_radius_px = 5.0;
    auto w = DetectionWriter::create(dir / "e.geojson", o);
    w->write(detection(100, 200, 1));
    w->commit();
    const json g = json::parse(test::read_file(dir / "e.geojson"))["features"][0]["geometry"];
    EXPECT_EQ(g["type"], "Polygon");
    EXPECT_EQ(g["isEllipse"], true);
    const auto& ring = g["coordinates"][0];
    EXPECT_EQ(ring.front(), ring.back()) << "closed ring";
    double x0 = 1e9, x1 = -1e9;
    for (const auto& p : ring) {
        x0 = std::min(x0, p[0].get<double>());
        x1 = std::max(x1, p[0].get<double>());
    }
    EXPECT_NEAR(x0, 95, 1e-9);
    EXPECT_NEAR(x1, 105, 1e-9);
}

TEST(DetectionWriter, CsvAndAbandonedWritesLeaveNothing) {
    TempDir dir;
    DetectionWriterOptions o;
    o.classes = classes();
    o.format = OutputFormat::Csv;
    {
        auto w = DetectionWriter::create(dir / "d.csv", o);
        w->write(detection(1, 2, 1));
        w->commit();
    }
    EXPECT_EQ(test::read_file(dir / "d.csv"), "x,y,class,score\n1.00,2.00,Tumor,0.6000\n");
    {
        auto w = DetectionWriter::create(dir / "gone.geojson", DetectionWriterOptions{OutputFormat::GeoJson,
                                                                                      DetectionGeometry::Point, 6.0, classes()});
        w->write(detection(1, 2, 0));
    }  // destroyed without commit: a cancelled run
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
    EXPECT_EQ(files, 1u) << "only d.csv: no partial file, no temporary left";
    EXPECT_EQ(output_format_for("x.CSV"), OutputFormat::Csv);
    EXPECT_EQ(output_format_for("x.geojson"), OutputFormat::GeoJson);
    auto w = DetectionWriter::create(dir / "bad.geojson", o);
    EXPECT_THROW(w->write(detection(1, 2, 7)), InvalidArgument);
}

TEST(DetectionObjectName, SaysMuseAndTheModelAsTheQuPathExtensionExpects) {
    EXPECT_EQ(detection_object_name("/opt/models/muse-default.muse"), "MUSE muse-default");
    EXPECT_EQ(detection_object_name("lab 2.MUSE"), "MUSE lab 2");
    EXPECT_EQ(detection_object_name("weights.pt"), "MUSE weights.pt");
    EXPECT_EQ(detection_object_name(""), "MUSE");
    EXPECT_EQ(detection_object_name(".muse"), "MUSE");
}

}  // namespace
}  // namespace muse
