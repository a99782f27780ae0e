// The pieces of GeoJSON reading that the region reader and the annotation reader share:
// parsing a file with errors that name it, and turning coordinates into polygons and points.
#pragma once

#include <array>
#include <cstdint>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "muse/geometry.hpp"

namespace muse::io {

/// The parsed document. Throws IoError (cannot open) or CorruptFile (not JSON), naming `path`.
nlohmann::json read_json_file(const std::filesystem::path& path);

/// A GeoJSON Polygon's rings (outer first, then holes). `where` names the file in errors.
Polygon polygon_of(const nlohmann::json& rings, const std::string& where);

/// The polygons of a Polygon or MultiPolygon geometry; empty for any other geometry type.
std::vector<Polygon> polygons_of_geometry(const nlohmann::json& geometry, const std::string& where);

/// The positions of a Point or MultiPoint geometry; empty for any other geometry type.
std::vector<Point> points_of_geometry(const nlohmann::json& geometry, const std::string& where);

/// QuPath's object type of a feature's properties: objectType, the legacy object_type, or type;
/// "annotation" when none is given (QuPath imports such a feature as an annotation).
std::string object_type(const nlohmann::json& properties);

/// A feature's classification as QuPath writes it.
struct ClassRef {
    std::string name;  ///< "" = unclassified; a derived class's names joined by ": "
    std::array<std::uint8_t, 3> color{0, 0, 0};
    bool has_color = false;
};

/// The classification of a feature's properties: a string ("Tumor"), an object ({"name",
/// "color"}) or a derived class ({"names": [...]}). CorruptFile naming `where` when malformed.
ClassRef class_of(const nlohmann::json& properties, const std::string& where);

/// The features of a document as QuPath exports them: a FeatureCollection, one Feature, an
/// array of Features, or a bare geometry (returned as a Feature without properties).
std::vector<nlohmann::json> features_of(const nlohmann::json& doc);

}  // namespace muse::io
