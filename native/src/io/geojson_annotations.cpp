// Reading a user's annotations from QuPath GeoJSON: annotated areas and the classified
// points inside them.
#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include "io/geojson_geometry.hpp"
#include "muse/annotations.hpp"
#include "muse/errors.hpp"

namespace muse {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

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

/// A colour for a new class that has none in the file: spread around the hue circle.
std::array<std::uint8_t, 3> generated_color(std::size_t index) {
    static const std::array<std::uint8_t, 3> palette[] = {{0, 114, 178}, {230, 159, 0}, {0, 158, 115}, {204, 121, 167},
                                                          {86, 180, 233}, {213, 94, 0}, {240, 228, 66}, {90, 90, 90}};
    return palette[index % (sizeof palette / sizeof palette[0])];
}

}  // namespace

AnnotationSet read_qupath_annotations(const std::filesystem::path& path, const AnnotationReadOptions& options) {
    const std::string where = "'" + path.string() + "'";
    struct Area {
        std::string name;
        Polygon polygon;
        bool marked_empty = false;
    };
    struct PointsFeature {
        ClassRef cls;
        std::vector<Point> points;
    };
    std::vector<Area> areas;
    std::vector<PointsFeature> point_features;
    std::size_t unclassified_points = 0;
    int feature_index = 0;
    for (const auto& f : io::features_of(io::read_json_file(path))) {
        ++feature_index;
        const json props = f.contains("properties") && f["properties"].is_object() ? f["properties"] : json::object();
        if (object_type(props) != "annotation") continue;
        if (!f.contains("geometry") || f["geometry"].is_null()) continue;
        const std::string at = where + " (feature " + std::to_string(feature_index) + ")";
        const std::string name = props.contains("name") && props["name"].is_string() ? props["name"].get<std::string>() : "";
        for (auto& polygon : io::polygons_of_geometry(f["geometry"], at)) {
            Area a;
            a.name = name;
            a.polygon = std::move(polygon);
            a.marked_empty = lower(name) == "no nuclei";
            areas.push_back(std::move(a));
        }
        std::vector<Point> points = io::points_of_geometry(f["geometry"], at);
        if (points.empty()) continue;
        PointsFeature pf{class_of(props, at), std::move(points)};
        if (pf.cls.name.empty()) {
            unclassified_points += pf.points.size();
            continue;
        }
        point_features.push_back(std::move(pf));
    }
    if (unclassified_points > 0) {
        throw InvalidArgument(where + ": " + std::to_string(unclassified_points) +
                              " point(s) have no classification; give every point a class in QuPath "
                              "(set the class of the Points annotation)");
    }

    AnnotationSet set;
    set.classes = options.classes;
    std::map<std::string, int> index_of;
    for (std::size_t i = 0; i < set.classes.size(); ++i) index_of[set.classes[i].name] = static_cast<int>(i);
    std::vector<std::string> unknown;
    for (const auto& pf : point_features) {
        if (index_of.count(pf.cls.name)) continue;
        if (options.allow_new_classes) {
            ClassInfo c{pf.cls.name, pf.cls.has_color ? pf.cls.color : generated_color(set.classes.size())};
            index_of[c.name] = static_cast<int>(set.classes.size());
            set.classes.push_back(c);
            set.new_classes.push_back(c.name);
        } else if (std::find(unknown.begin(), unknown.end(), pf.cls.name) == unknown.end()) {
            unknown.push_back(pf.cls.name);
        }
    }
    if (!unknown.empty()) {
        std::string msg = where + ": point classes the model does not have: ";
        for (std::size_t i = 0; i < unknown.size(); ++i) msg += (i ? ", '" : "'") + unknown[i] + "'";
        msg += " (the model's classes: ";
        for (std::size_t i = 0; i < options.classes.size(); ++i) msg += (i ? ", '" : "'") + options.classes[i].name + "'";
        msg += "); rename them in QuPath, or add them as new classes (--new-classes)";
        throw InvalidArgument(msg);
    }

    std::vector<std::vector<LabelledPoint>> inside(areas.size());
    for (const auto& pf : point_features) {
        const int cls = index_of.at(pf.cls.name);
        for (const auto& p : pf.points) {
            bool used = false;
            for (std::size_t a = 0; a < areas.size(); ++a) {
                if (areas[a].polygon.contains(p.x, p.y)) {
                    inside[a].push_back({p.x, p.y, cls});
                    used = true;
                }
            }
            if (!used) ++set.points_outside;
        }
    }
    for (std::size_t a = 0; a < areas.size(); ++a) {
        if (inside[a].empty() && !areas[a].marked_empty) {
            ++set.areas_without_points;
            continue;
        }
        AnnotatedRegion r;
        r.name = areas[a].name.empty() ? "area " + std::to_string(a + 1) : areas[a].name;
        r.area = std::move(areas[a].polygon);
        r.nuclei = std::move(inside[a]);
        set.regions.push_back(std::move(r));
    }
    if (set.regions.empty()) {
        throw InvalidArgument(where + " has no annotated area: draw rectangle or polygon annotations and click the "
                                      "nuclei inside them with the Points tool, one class per Points annotation (" +
                              std::to_string(areas.size()) + " area(s) and " + std::to_string(set.points_outside) +
                              " point(s) outside them found)");
    }
    return set;
}

}  // namespace muse
