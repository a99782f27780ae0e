// Reading detections back from GeoJSON (this project's output or QuPath's export) to show them.
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "io/geojson_geometry.hpp"
#include "muse/geojson.hpp"

namespace muse {
namespace {

using nlohmann::json;

constexpr const char* kProbabilityPrefix = "Probability: ";

/// The area-weighted centroid of a ring; the mean of its vertices when it has no area.
Point centroid(const std::vector<Point>& ring) {
    double a = 0, cx = 0, cy = 0, mx = 0, my = 0;
    for (std::size_t i = 0; i < ring.size(); ++i) {
        const Point& p = ring[i];
        const Point& q = ring[(i + 1) % ring.size()];
        const double cross = p.x * q.y - q.x * p.y;
        a += cross;
        cx += (p.x + q.x) * cross;
        cy += (p.y + q.y) * cross;
        mx += p.x;
        my += p.y;
    }
    if (std::abs(a) < 1e-9) return {mx / ring.size(), my / ring.size()};
    return {cx / (3 * a), cy / (3 * a)};
}

/// Measurements as QuPath writes them: an object {name: value} (0.4 and later) or a list of
/// {name, value} (0.2-0.3). Non-numeric values are skipped (QuPath writes NaN as null).
std::map<std::string, double> measurements_of(const json& props) {
    std::map<std::string, double> out;
    if (!props.contains("measurements")) return out;
    const json& m = props["measurements"];
    if (m.is_object()) {
        for (auto it = m.begin(); it != m.end(); ++it) {
            if (it.value().is_number()) out[it.key()] = it.value().get<double>();
        }
    } else if (m.is_array()) {
        for (const auto& e : m) {
            if (e.is_object() && e.contains("name") && e["name"].is_string() && e.contains("value") && e["value"].is_number()) {
                out[e["name"].get<std::string>()] = e["value"].get<double>();
            }
        }
    }
    return out;
}

}  // namespace

DetectionSet read_geojson_detections(const std::filesystem::path& path) {
    const std::string where = "'" + path.string() + "'";
    const float unknown = std::numeric_limits<float>::quiet_NaN();
    DetectionSet out;
    std::map<std::string, int> class_index;
    std::vector<std::map<std::string, double>> measurements;
    bool any_probability = false;
    int feature_index = 0;
    for (const auto& f : io::features_of(io::read_json_file(path))) {
        ++feature_index;
        const json props = f.contains("properties") && f["properties"].is_object() ? f["properties"] : json::object();
        const std::string type = io::object_type(props);
        if (type != "detection" && type != "cell") continue;
        if (!f.contains("geometry") || f["geometry"].is_null()) continue;
        const std::string at = where + " (feature " + std::to_string(feature_index) + ")";
        std::vector<Point> positions = io::points_of_geometry(f["geometry"], at);
        for (const Polygon& p : io::polygons_of_geometry(f["geometry"], at)) positions.push_back(centroid(p.outer));
        if (positions.empty()) continue;

        io::ClassRef cls = io::class_of(props, at);
        if (cls.name.empty()) cls = {kUnclassified, {160, 160, 160}, true};
        auto [it, added] = class_index.emplace(cls.name, static_cast<int>(out.classes.size()));
        if (added) out.classes.push_back({cls.name, cls.has_color ? cls.color : std::array<std::uint8_t, 3>{160, 160, 160}});

        const auto m = measurements_of(props);
        float score = unknown;
        if (auto s = m.find("Score"); s != m.end()) {
            score = static_cast<float>(s->second);
        } else if (auto s2 = m.find(kProbabilityPrefix + cls.name); s2 != m.end()) {
            score = static_cast<float>(s2->second);
        }
        for (const auto& [name, value] : m) any_probability |= name.rfind(kProbabilityPrefix, 0) == 0;
        for (const Point& p : positions) {
            Detection d;
            d.x = p.x;
            d.y = p.y;
            d.class_index = it->second;
            d.score = score;
            out.detections.push_back(std::move(d));
            measurements.push_back(m);
        }
    }
    // Probabilities in the order of the classes, known only once every feature is read.
    if (any_probability) {
        for (std::size_t i = 0; i < out.detections.size(); ++i) {
            auto& probs = out.detections[i].probabilities;
            for (const ClassInfo& c : out.classes) {
                auto p = measurements[i].find(kProbabilityPrefix + c.name);
                probs.push_back(p == measurements[i].end() ? unknown : static_cast<float>(p->second));
            }
        }
    }
    return out;
}

}  // namespace muse
