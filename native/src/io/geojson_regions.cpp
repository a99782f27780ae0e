// Reading areas (Polygon / MultiPolygon) from QuPath GeoJSON.
#include "io/geojson_geometry.hpp"
#include "muse/errors.hpp"
#include "muse/geojson.hpp"

namespace muse {

std::vector<Polygon> read_geojson_regions(const std::filesystem::path& path) {
    const std::string where = "'" + path.string() + "'";
    std::vector<Polygon> regions;
    for (const auto& feature : io::features_of(io::read_json_file(path))) {
        if (!feature.contains("geometry") || feature["geometry"].is_null()) continue;
        for (auto& p : io::polygons_of_geometry(feature["geometry"], where)) regions.push_back(std::move(p));
    }
    if (regions.empty()) {
        throw InvalidArgument(where + " holds no area (Polygon or MultiPolygon): draw a rectangle or polygon annotation "
                                      "in QuPath and export it as GeoJSON");
    }
    return regions;
}

}  // namespace muse
