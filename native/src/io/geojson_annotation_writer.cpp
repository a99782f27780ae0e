// Writing a user's areas and classified points as QuPath GeoJSON annotations, the dialect that
// read_qupath_annotation_objects and QuPath's File > Import objects read.
#include <string>

#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "muse/annotations.hpp"

namespace muse {
namespace {

using nlohmann::json;

json ring_json(const std::vector<Point>& ring) {
    json coords = json::array();
    for (const Point& p : ring) coords.push_back({p.x, p.y});
    if (!ring.empty()) coords.push_back({ring.front().x, ring.front().y});  // GeoJSON rings are closed
    return coords;
}

}  // namespace

void write_qupath_annotations(const std::filesystem::path& path, const AnnotationObjects& objects) {
    json features = json::array();
    for (const AnnotationArea& a : objects.areas) {
        json rings = json::array({ring_json(a.polygon.outer)});
        for (const auto& hole : a.polygon.holes) rings.push_back(ring_json(hole));
        json props = {{"objectType", "annotation"}};
        if (!a.name.empty()) props["name"] = a.name;
        features.push_back({{"type", "Feature"}, {"geometry", {{"type", "Polygon"}, {"coordinates", rings}}}, {"properties", props}});
    }
    for (const ClassifiedPoints& c : objects.points) {
        if (c.points.empty()) continue;
        json coords = json::array();
        for (const Point& p : c.points) coords.push_back({p.x, p.y});
        json cls = {{"name", c.class_name}};
        if (c.has_color) cls["color"] = {c.color[0], c.color[1], c.color[2]};
        features.push_back({{"type", "Feature"},
                            {"geometry", {{"type", "MultiPoint"}, {"coordinates", coords}}},
                            {"properties", {{"objectType", "annotation"}, {"classification", cls}}}});
    }
    io::write_file_atomically(path, json({{"type", "FeatureCollection"}, {"features", features}}).dump(1) + "\n");
}

}  // namespace muse
