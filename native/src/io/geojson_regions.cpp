// Reading areas (Polygon / MultiPolygon) from QuPath GeoJSON.
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "muse/errors.hpp"
#include "muse/geojson.hpp"

namespace muse {
namespace {

using nlohmann::json;

std::vector<Point> ring_of(const json& coords, const std::string& where) {
    if (!coords.is_array()) throw CorruptFile(where + ": a polygon ring is not an array of positions");
    std::vector<Point> ring;
    for (const auto& p : coords) {
        if (!p.is_array() || p.size() < 2 || !p[0].is_number() || !p[1].is_number()) {
            throw CorruptFile(where + ": a position is not [x, y]");
        }
        ring.push_back({p[0].get<double>(), p[1].get<double>()});
    }
    if (ring.size() >= 2 && ring.front().x == ring.back().x && ring.front().y == ring.back().y) ring.pop_back();
    if (ring.size() < 3) throw CorruptFile(where + ": a polygon ring has fewer than 3 distinct positions");
    return ring;
}

Polygon polygon_of(const json& rings, const std::string& where) {
    if (!rings.is_array() || rings.empty()) throw CorruptFile(where + ": a Polygon has no rings");
    Polygon poly;
    poly.outer = ring_of(rings[0], where);
    for (std::size_t i = 1; i < rings.size(); ++i) poly.holes.push_back(ring_of(rings[i], where));
    return poly;
}

void collect(const json& node, const std::string& where, std::vector<Polygon>& out) {
    if (node.is_array()) {
        for (const auto& item : node) collect(item, where, out);
        return;
    }
    if (!node.is_object()) return;
    const std::string type = node.value("type", "");
    if (type == "FeatureCollection") {
        collect(node.value("features", json::array()), where, out);
    } else if (type == "Feature") {
        if (node.contains("geometry") && !node["geometry"].is_null()) collect(node["geometry"], where, out);
    } else if (type == "Polygon") {
        out.push_back(polygon_of(node.value("coordinates", json()), where));
    } else if (type == "MultiPolygon") {
        for (const auto& rings : node.value("coordinates", json::array())) out.push_back(polygon_of(rings, where));
    } else if (type == "GeometryCollection") {
        collect(node.value("geometries", json::array()), where, out);
    }
}

}  // namespace

std::vector<Polygon> read_geojson_regions(const std::filesystem::path& path) {
    const std::string where = "'" + path.string() + "'";
    std::ifstream in(path);
    if (!in) throw IoError("cannot open " + where + ": " + std::strerror(errno));
    json doc;
    try {
        doc = json::parse(in);
    } catch (const json::exception& e) {
        throw CorruptFile(where + " is not valid JSON: " + e.what());
    }
    std::vector<Polygon> regions;
    collect(doc, where, regions);
    if (regions.empty()) {
        throw InvalidArgument(where + " holds no area (Polygon or MultiPolygon): draw a rectangle or polygon annotation "
                                      "in QuPath and export it as GeoJSON");
    }
    return regions;
}

}  // namespace muse
