// Labelled nuclei for training, fine-tuning and evaluation: fully labelled images, and the
// regions a user annotated on a slide with classified points.
//
//   auto train = muse::read_brca_m2c("../shared/data/brca-m2c", "split_train.txt");
//   train[0].nuclei[0].class_index;   // 0 lymphocyte, 1 tumour/epithelial, 2 stromal
//
//   muse::AnnotationReadOptions o;
//   o.classes = model.config().classes;
//   muse::AnnotationSet a = muse::read_qupath_annotations("annotations.geojson", o);
//   a.regions[0].area;        // level-0 pixels
//   a.regions[0].nuclei;      // every nucleus of that area, classes indexing a.classes
//
// Thread-safety: free functions without shared state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "muse/geometry.hpp"
#include "muse/image.hpp"
#include "muse/nucleus_class.hpp"

namespace muse {

/// An image whose nuclei are all labelled (every nucleus in it is one of `nuclei`).
struct LabelledImage {
    std::string name;
    RgbImage image;
    double mpp = 0.5;                   ///< micrometres per pixel of `image`
    std::vector<LabelledPoint> nuclei;  ///< image pixels, x = column
};

/// BRCA-M2C's classes in label order (file labels 1, 2, 3 are indices 0, 1, 2), with the
/// colours QuPath uses for its similar built-in classes.
std::vector<ClassInfo> brca_m2c_classes();

/// Reads a BRCA-M2C label file: one nucleus per line, `Y X CLASS` (pixels; CLASS 1..3 are
/// BRCA-M2C's, index CLASS - 1; 4..64 are further classes of a data set in the same layout,
/// e.g. a simulated lab that added a class: evaluation matches them to a model's classes by index).
/// Throws IoError (cannot open) or CorruptFile naming the file and line of a bad row.
std::vector<LabelledPoint> read_brca_m2c_labels(const std::filesystem::path& path);

/// Reads the images listed in `split_file` (one file name per line, relative to `dir` or
/// absolute) from `dir`/images, with labels from `dir`/labels/<stem>_gt_class_coords.txt.
/// Points outside their image are a CorruptFile error. BRCA-M2C patches are at about
/// 0.5 um/px (20x), the default `mpp`.
std::vector<LabelledImage> read_brca_m2c(const std::filesystem::path& dir, const std::filesystem::path& split_file,
                                         double mpp = 0.5);

/// A region of a slide that the user annotated completely: every nucleus inside `area` is one
/// of `nuclei`; proposals inside it that match none of them are background.
struct AnnotatedRegion {
    std::string name;                   ///< the annotation's name in QuPath, or "area N" (N from 1, file order)
    Polygon area;                       ///< level-0 pixels
    std::vector<LabelledPoint> nuclei;  ///< level-0 pixels; class indices into AnnotationSet::classes
};

struct AnnotationSet {
    std::vector<ClassInfo> classes;        ///< the given classes, then new ones in order of first use
    std::vector<AnnotatedRegion> regions;
    std::vector<std::string> new_classes;  ///< names added because allow_new_classes was set
    std::size_t points_outside = 0;        ///< classified points in no annotated area (not used)
    std::size_t areas_without_points = 0;  ///< areas neither holding points nor named "no nuclei" (not used)
};

struct AnnotationReadOptions {
    std::vector<ClassInfo> classes;  ///< the model's classes: point classes map onto these by exact name
    bool allow_new_classes = false;  ///< unknown names become new classes instead of an error
};

/// An area a user drew (rectangle, polygon with holes), before it is known to be annotated.
struct AnnotationArea {
    std::string name;  ///< the annotation's name; "no nuclei" marks an area known to hold none
    Polygon polygon;   ///< level-0 pixels
};

/// The points of one class a user clicked (one QuPath Points annotation).
struct ClassifiedPoints {
    std::string class_name;
    std::array<std::uint8_t, 3> color{0, 0, 0};  ///< used when the class is new and has_color
    bool has_color = false;
    std::vector<Point> points;  ///< level-0 pixels
};

/// Areas and classified points as a user drew them, before assembly into annotated regions.
struct AnnotationObjects {
    std::vector<AnnotationArea> areas;
    std::vector<ClassifiedPoints> points;
    std::size_t unclassified_points = 0;  ///< points read without a class (not in `points`)
};

/// The annotated regions among `areas`: an area counts when it holds at least one of the
/// points, or when it is named "no nuclei" (any case); a point inside several areas belongs to
/// each. Class names map onto options.classes by exact name; unknown names are an error that
/// lists them with the model's, unless options.allow_new_classes. `where` names the source in
/// messages (a file, "the annotations"). InvalidArgument when nothing is annotated.
AnnotationSet assemble_annotations(std::vector<AnnotationArea> areas, const std::vector<ClassifiedPoints>& points,
                                   const AnnotationReadOptions& options, const std::string& where);

/// The areas (Polygon / MultiPolygon annotations, holes kept, names kept) and classified points
/// (Point / MultiPoint annotations, one class per feature) of a QuPath GeoJSON file, as drawn:
/// nothing is matched or checked against a model. Detections, cells and tiles are ignored.
/// Errors: IoError / CorruptFile naming the file.
AnnotationObjects read_qupath_annotation_objects(const std::filesystem::path& path);

/// Writes `objects` as a FeatureCollection of QuPath annotations (areas as Polygons with their
/// names, each ClassifiedPoints as one MultiPoint with its classification), atomically: the
/// file appears whole or not at all. read_qupath_annotation_objects gives the same back.
/// Throws IoError.
void write_qupath_annotations(const std::filesystem::path& path, const AnnotationObjects& objects);

/// Reads the annotations of a QuPath GeoJSON export (FeatureCollection, Feature, array, or bare
/// geometry). Areas: Polygon / MultiPolygon annotations (one region per polygon, holes kept);
/// an area is annotated when it holds at least one classified point, or when its name is
/// "no nuclei" (any case: a region known to hold none). Points: Point / MultiPoint annotations,
/// one class per feature, as a string ("Tumor"), an object ({"name", "color"}) or a derived
/// class ({"names": ["Tumor", "Positive"]} -> "Tumor: Positive"). A point inside several areas
/// belongs to each. Detections, cells and tiles are ignored. Errors: IoError / CorruptFile
/// naming the file; InvalidArgument for points without a class, class names the model does
/// not have (listed, with the model's), or a file with no annotated area.
AnnotationSet read_qupath_annotations(const std::filesystem::path& path, const AnnotationReadOptions& options);

}  // namespace muse
