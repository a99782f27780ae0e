// Reading a user's annotations from QuPath GeoJSON: annotated areas and the classified
// points inside them.
#include <algorithm>
#include <array>

#include "io/geojson_geometry.hpp"
#include "muse/annotations.hpp"
#include "muse/errors.hpp"

namespace muse {
namespace {

using nlohmann::json;

/// QuPath's object type: objectType, the legacy object_type, or type (when not "Feature").
std::string object_type(const json& props) {
    for (const char* key : {"objectType", "object_type", "type"}) {
        if (props.contains(key) && props[key].is_string()) return props[key].get<std::string>();
    }
    return "annotation";  // QuPath imports a feature without one as an annotation
}

struct ClassRef {
    std::string name;  ///< "" = unclassified
    std::array<std::uint8_t, 3> color{0, 0, 0};
    bool has_color = false;
};

ClassRef class_of(const json& props, const std::string& where) {
    ClassRef c;
    if (!props.contains("classification") || props["classification"].is_null()) return c;
    const json& k = props["classification"];
    if (k.is_string()) {
        c.name = k.get<std::string>();
        return c;
    }
    if (!k.is_object()) throw CorruptFile(where + ": a classification is neither a string nor an object");
    if (k.contains("name") && k["name"].is_string()) {
        c.name = k["name"].get<std::string>();
    } else if (k.contains("names") && k["names"].is_array()) {
        for (const auto& part : k["names"]) {
            if (!part.is_string()) throw CorruptFile(where + ": a derived classification's names are not strings");
            c.name += (c.name.empty() ? "" : ": ") + part.get<std::string>();
        }
    } else {
        throw CorruptFile(where + ": a classification object has neither 'name' nor 'names'");
    }
    if (k.contains("color") && k["color"].is_array() && k["color"].size() >= 3) {
        for (int i = 0; i < 3; ++i) {
            if (!k["color"][i].is_number()) throw CorruptFile(where + ": a classification colour is not numeric");
            c.color[i] = static_cast<std::uint8_t>(std::clamp(k["color"][i].get<int>(), 0, 255));
        }
        c.has_color = true;
    }
    return c;
}

}  // namespace

AnnotationSet read_qupath_annotations(const std::filesystem::path& path, const AnnotationReadOptions& options) {
    const std::string where = "'" + path.string() + "'";
    std::vector<AnnotationArea> areas;
    std::vector<ClassifiedPoints> point_sets;
    std::size_t unclassified_points = 0;
    int feature_index = 0;
    for (const auto& f : io::features_of(io::read_json_file(path))) {
        ++feature_index;
        const json props = f.contains("properties") && f["properties"].is_object() ? f["properties"] : json::object();
        if (object_type(props) != "annotation") continue;
        if (!f.contains("geometry") || f["geometry"].is_null()) continue;
        const std::string at = where + " (feature " + std::to_string(feature_index) + ")";
        const std::string name = props.contains("name") && props["name"].is_string() ? props["name"].get<std::string>() : "";
        for (auto& polygon : io::polygons_of_geometry(f["geometry"], at)) areas.push_back({name, std::move(polygon)});
        std::vector<Point> points = io::points_of_geometry(f["geometry"], at);
        if (points.empty()) continue;
        const ClassRef cls = class_of(props, at);
        if (cls.name.empty()) {
            unclassified_points += points.size();
            continue;
        }
        point_sets.push_back({cls.name, cls.color, cls.has_color, std::move(points)});
    }
    if (unclassified_points > 0) {
        throw InvalidArgument(where + ": " + std::to_string(unclassified_points) +
                              " point(s) have no classification; give every point a class in QuPath "
                              "(set the class of the Points annotation)");
    }
    return assemble_annotations(std::move(areas), point_sets, options, where);
}

}  // namespace muse
