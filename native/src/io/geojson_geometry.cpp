// GeoJSON coordinates -> points and polygons, shared by the region and annotation readers.
#include "io/geojson_geometry.hpp"

#include <cerrno>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "io/json_numbers.hpp"
#include "muse/errors.hpp"

namespace muse::io {
namespace {

/// The "type" member when it is a string, else "" (an unknown type, reported as such by the
/// caller): a non-string "type" must never escape as a JSON library exception (found by fuzzing).
std::string type_name(const nlohmann::json& node) {
    if (!node.is_object()) return "";
    auto it = node.find("type");
    return it != node.end() && it->is_string() ? it->get<std::string>() : "";
}

using nlohmann::json;

Point position_of(const json& p, const std::string& where) {
    if (!p.is_array() || p.size() < 2 || !p[0].is_number() || !p[1].is_number()) {
        throw CorruptFile(where + ": a position is not [x, y]");
    }
    return {p[0].get<double>(), p[1].get<double>()};
}

std::vector<Point> ring_of(const json& coords, const std::string& where) {
    if (!coords.is_array()) throw CorruptFile(where + ": a polygon ring is not an array of positions");
    std::vector<Point> ring;
    for (const auto& p : coords) ring.push_back(position_of(p, where));
    if (ring.size() >= 2 && ring.front().x == ring.back().x && ring.front().y == ring.back().y) ring.pop_back();
    if (ring.size() < 3) throw CorruptFile(where + ": a polygon ring has fewer than 3 distinct positions");
    return ring;
}

void collect_features(const json& node, std::vector<json>& out) {
    if (node.is_array()) {
        for (const auto& item : node) collect_features(item, out);
        return;
    }
    if (!node.is_object()) return;
    const std::string type = type_name(node);
    if (type == "FeatureCollection") {
        collect_features(node.value("features", json::array()), out);
    } else if (type == "Feature") {
        out.push_back(node);
    } else if (!type.empty()) {  // a bare geometry
        out.push_back(json{{"type", "Feature"}, {"geometry", node}, {"properties", json::object()}});
    }
}

}  // namespace

json read_json_file(const std::filesystem::path& path) {
    const std::string where = "'" + path.string() + "'";
    std::ifstream in(path);
    if (!in) throw IoError("cannot open " + where + ": " + std::strerror(errno));
    try {
        return json::parse(in);
    } catch (const json::exception& e) {
        throw CorruptFile(where + " is not valid JSON: " + e.what());
    }
}

Polygon polygon_of(const json& rings, const std::string& where) {
    if (!rings.is_array() || rings.empty()) throw CorruptFile(where + ": a Polygon has no rings");
    Polygon poly;
    poly.outer = ring_of(rings[0], where);
    for (std::size_t i = 1; i < rings.size(); ++i) poly.holes.push_back(ring_of(rings[i], where));
    return poly;
}

std::vector<Polygon> polygons_of_geometry(const json& geometry, const std::string& where) {
    std::vector<Polygon> out;
    if (!geometry.is_object()) return out;
    const std::string type = type_name(geometry);
    if (type == "Polygon") {
        out.push_back(polygon_of(geometry.value("coordinates", json()), where));
    } else if (type == "MultiPolygon") {
        const json coords = geometry.value("coordinates", json::array());
        if (!coords.is_array()) throw CorruptFile(where + ": a MultiPolygon's coordinates are not an array");
        for (const auto& rings : coords) out.push_back(polygon_of(rings, where));
    } else if (type == "GeometryCollection") {
        for (const auto& g : geometry.value("geometries", json::array())) {
            for (auto& p : polygons_of_geometry(g, where)) out.push_back(std::move(p));
        }
    }
    return out;
}

std::vector<Point> points_of_geometry(const json& geometry, const std::string& where) {
    std::vector<Point> out;
    if (!geometry.is_object()) return out;
    const std::string type = type_name(geometry);
    if (type == "Point") {
        out.push_back(position_of(geometry.value("coordinates", json()), where));
    } else if (type == "MultiPoint") {
        const json coords = geometry.value("coordinates", json::array());
        if (!coords.is_array()) throw CorruptFile(where + ": a MultiPoint's coordinates are not an array");
        for (const auto& p : coords) out.push_back(position_of(p, where));
    } else if (type == "GeometryCollection") {
        for (const auto& g : geometry.value("geometries", json::array())) {
            for (const auto& p : points_of_geometry(g, where)) out.push_back(p);
        }
    }
    return out;
}

std::string object_type(const json& props) {
    for (const char* key : {"objectType", "object_type", "type"}) {
        if (props.contains(key) && props[key].is_string()) return props[key].get<std::string>();
    }
    return "annotation";  // QuPath imports a feature without one as an annotation
}

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
            const auto v = json_finite(k["color"][i]);
            if (!v) throw CorruptFile(where + ": a classification colour is not a finite number");
            c.color[i] = static_cast<std::uint8_t>(std::lround(std::clamp(*v, 0.0, 255.0)));
        }
        c.has_color = true;
    }
    return c;
}

std::vector<json> features_of(const json& doc) {
    std::vector<json> out;
    collect_features(doc, out);
    return out;
}

}  // namespace muse::io
