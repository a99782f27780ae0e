// Reading a user's annotations from QuPath GeoJSON: the areas and classified points as drawn,
// and the annotated regions they make.
#include <string>
#include <utility>

#include "io/geojson_geometry.hpp"
#include "muse/annotations.hpp"
#include "muse/errors.hpp"

namespace muse {

AnnotationObjects read_qupath_annotation_objects(const std::filesystem::path& path) {
    using nlohmann::json;
    const std::string where = "'" + path.string() + "'";
    AnnotationObjects out;
    int feature_index = 0;
    for (const auto& f : io::features_of(io::read_json_file(path))) {
        ++feature_index;
        const json props = f.contains("properties") && f["properties"].is_object() ? f["properties"] : json::object();
        if (io::object_type(props) != "annotation") continue;
        if (!f.contains("geometry") || f["geometry"].is_null()) continue;
        const std::string at = where + " (feature " + std::to_string(feature_index) + ")";
        const std::string name = props.contains("name") && props["name"].is_string() ? props["name"].get<std::string>() : "";
        for (auto& polygon : io::polygons_of_geometry(f["geometry"], at)) out.areas.push_back({name, std::move(polygon)});
        std::vector<Point> points = io::points_of_geometry(f["geometry"], at);
        if (points.empty()) continue;
        const io::ClassRef cls = io::class_of(props, at);
        if (cls.name.empty()) {
            out.unclassified_points += points.size();
            continue;
        }
        out.points.push_back({cls.name, cls.color, cls.has_color, std::move(points)});
    }
    return out;
}

AnnotationSet read_qupath_annotations(const std::filesystem::path& path, const AnnotationReadOptions& options) {
    const std::string where = "'" + path.string() + "'";
    AnnotationObjects objects = read_qupath_annotation_objects(path);
    if (objects.unclassified_points > 0) {
        throw InvalidArgument(where + ": " + std::to_string(objects.unclassified_points) +
                              " point(s) have no classification; give every point a class in QuPath "
                              "(set the class of the Points annotation)");
    }
    return assemble_annotations(std::move(objects.areas), objects.points, options, where);
}

}  // namespace muse
