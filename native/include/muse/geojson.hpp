// QuPath's GeoJSON dialect (qupath-facts.md section 4): regions in, detections out.
//
//   std::vector<muse::Polygon> roi = muse::read_geojson_regions("tumour-area.geojson");
//
//   muse::DetectionWriterOptions o;
//   o.classes = model.config().classes;
//   auto out = muse::DetectionWriter::create("nuclei.geojson", o);
//   out->write(detection);   // level-0 pixels
//   out->commit();           // the file appears whole, or not at all
//
// Thread-safety: a writer is used by one thread at a time.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "muse/detection.hpp"
#include "muse/geometry.hpp"
#include "muse/nucleus_class.hpp"

namespace muse {

/// The areas of a GeoJSON file as QuPath exports them (a FeatureCollection, one Feature, an
/// array of Features, or a bare geometry): every Polygon and MultiPolygon, holes included
/// (QuPath writes rectangles and ellipses as polygons). Points and lines are ignored.
/// Coordinates are level-0 pixels. Throws IoError, or CorruptFile naming the file and what is
/// malformed; InvalidArgument when the file holds no area at all.
std::vector<Polygon> read_geojson_regions(const std::filesystem::path& path);

/// Detections read back from a GeoJSON file, e.g. to show them.
struct DetectionSet {
    /// In order of first appearance, with the file's colours (grey when a class has none);
    /// unclassified objects form the class kUnclassified.
    std::vector<ClassInfo> classes;
    /// Level-0 pixels; class_index into `classes`; score = the "Score" measurement, else the
    /// "Probability: <class>" one, else NaN; probabilities = "Probability: <class>" for every
    /// class in order (NaN where missing), empty when the file has none.
    std::vector<Detection> detections;
};

inline constexpr const char* kUnclassified = "Unclassified";

/// The detection and cell objects of a GeoJSON file (FeatureCollection, Feature, array or bare
/// geometry): points as they are, polygons and ellipses at their centroid; annotations and
/// tiles are ignored. Throws IoError, or CorruptFile naming the file and what is malformed.
DetectionSet read_geojson_detections(const std::filesystem::path& path);

enum class OutputFormat { GeoJson, Csv };
enum class DetectionGeometry { Point, Ellipse };

struct DetectionWriterOptions {
    OutputFormat format = OutputFormat::GeoJson;
    DetectionGeometry geometry = DetectionGeometry::Point;
    double ellipse_radius_px = 6.0;   ///< level-0 pixels, for DetectionGeometry::Ellipse
    std::vector<ClassInfo> classes;   ///< the model's classes, in index order
    std::string object_type = "detection";  ///< QuPath objectType: "detection", or "annotation" (pseudo-labels to review)
    std::string name;                 ///< GeoJSON only: a name on every object (none when empty)
};

/// The name MUSE gives its detection objects: "MUSE <model file's stem>" ("MUSE" without one).
/// QuPath's extension replaces only objects so named (qupath-extension MuseMarks, the same
/// rule), so detections imported from the CLI's GeoJSON are recognised as MUSE's too.
std::string detection_object_name(const std::filesystem::path& model_file);

/// Streams detections into a file: GeoJSON FeatureCollection of QuPath detection objects
/// (classification {name, color}, measurements "Score" and "Probability: <class>"), or CSV
/// with the header x,y,class,score. Nothing is visible under the target name until commit().
class DetectionWriter {
public:
    static std::unique_ptr<DetectionWriter> create(const std::filesystem::path& target,
                                                   const DetectionWriterOptions& options);
    virtual ~DetectionWriter() = default;
    /// `d` in level-0 pixels.
    virtual void write(const Detection& d) = 0;
    /// Completes the file and renames it into place. Throws IoError.
    virtual void commit() = 0;
    virtual std::size_t count() const = 0;
};

/// "GeoJSON" / "CSV" chosen from a file name's extension (.geojson/.json -> GeoJSON, .csv -> CSV).
OutputFormat output_format_for(const std::filesystem::path& path);

}  // namespace muse
