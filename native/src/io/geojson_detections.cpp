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

/// Calls `visit(name, value)` for each numeric measurement as QuPath writes them: an object
/// {name: value} (0.4 and later) or a list of {name, value} (0.2-0.3). Non-numeric values are
/// skipped (QuPath writes NaN as null).
template <typename Visit>
void for_each_measurement(const json& props, Visit visit) {
    if (!props.contains("measurements")) return;
    const json& m = props["measurements"];
    if (m.is_object()) {
        for (auto it = m.begin(); it != m.end(); ++it) {
            if (it.value().is_number()) visit(it.key(), it.value().get<double>());
        }
    } else if (m.is_array()) {
        for (const auto& e : m) {
            if (e.is_object() && e.contains("name") && e["name"].is_string() && e.contains("value") && e["value"].is_number()) {
                visit(e["name"].get<std::string>(), e["value"].get<double>());
            }
        }
    }
}

}  // namespace

DetectionSet read_geojson_detections(const std::filesystem::path& path) {
    const std::string where = "'" + path.string() + "'";
    const float unknown = std::numeric_limits<float>::quiet_NaN();
    const std::string prefix = kProbabilityPrefix;
    DetectionSet out;
    std::map<std::string, int> class_index;
    // "Probability: X" columns in order of first appearance; each detection keeps its values in
    // that order (short vectors, not a map of every measurement), reordered to classes at the end.
    std::map<std::string, std::size_t> column;
    std::vector<std::string> column_names;
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

        float score = unknown, own_probability = unknown;
        std::vector<float> probabilities;
        for_each_measurement(props, [&](const std::string& name, double value) {
            if (name == "Score") {
                score = static_cast<float>(value);
            } else if (name.rfind(prefix, 0) == 0) {
                auto [c, fresh] = column.emplace(name.substr(prefix.size()), column_names.size());
                if (fresh) column_names.push_back(c->first);
                if (probabilities.size() <= c->second) probabilities.resize(c->second + 1, unknown);
                probabilities[c->second] = static_cast<float>(value);
                if (c->first == cls.name) own_probability = static_cast<float>(value);
            }
        });
        if (std::isnan(score)) score = own_probability;
        for (const Point& p : positions) {
            Detection d;
            d.x = p.x;
            d.y = p.y;
            d.class_index = it->second;
            d.score = score;
            d.probabilities = probabilities;
            out.detections.push_back(std::move(d));
        }
    }
    // Probabilities in the order of the classes, known only once every feature is read.
    if (!column_names.empty()) {
        std::vector<int> source(out.classes.size(), -1);
        for (std::size_t k = 0; k < out.classes.size(); ++k) {
            if (auto c = column.find(out.classes[k].name); c != column.end()) source[k] = static_cast<int>(c->second);
        }
        for (Detection& d : out.detections) {
            std::vector<float> ordered(out.classes.size(), unknown);
            for (std::size_t k = 0; k < ordered.size(); ++k) {
                if (source[k] >= 0 && static_cast<std::size_t>(source[k]) < d.probabilities.size()) ordered[k] = d.probabilities[source[k]];
            }
            d.probabilities = std::move(ordered);
        }
    }
    return out;
}

}  // namespace muse
