// Annotated regions from the areas a user drew and the classified points they clicked: which
// areas count, which class each point has. One set of rules for every way annotations arrive
// (QuPath GeoJSON files, the Java API).
#include <algorithm>
#include <cctype>
#include <map>

#include "muse/annotations.hpp"
#include "muse/errors.hpp"

namespace muse {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/// A colour for a new class that has none: spread around the hue circle.
std::array<std::uint8_t, 3> generated_color(std::size_t index) {
    static const std::array<std::uint8_t, 3> palette[] = {{0, 114, 178}, {230, 159, 0}, {0, 158, 115}, {204, 121, 167},
                                                          {86, 180, 233}, {213, 94, 0}, {240, 228, 66}, {90, 90, 90}};
    return palette[index % (sizeof palette / sizeof palette[0])];
}

}  // namespace

AnnotationSet assemble_annotations(std::vector<AnnotationArea> areas, const std::vector<ClassifiedPoints>& point_sets,
                                   const AnnotationReadOptions& options, const std::string& where) {
    for (const auto& ps : point_sets) {
        if (ps.class_name.empty()) {
            throw InvalidArgument(where + ": " + std::to_string(ps.points.size()) +
                                  " point(s) have no classification; give every point a class");
        }
    }
    AnnotationSet set;
    set.classes = options.classes;
    std::map<std::string, int> index_of;
    for (std::size_t i = 0; i < set.classes.size(); ++i) index_of[set.classes[i].name] = static_cast<int>(i);
    std::vector<std::string> unknown;
    for (const auto& ps : point_sets) {
        if (index_of.count(ps.class_name)) continue;
        if (options.allow_new_classes) {
            ClassInfo c{ps.class_name, ps.has_color ? ps.color : generated_color(set.classes.size())};
            index_of[c.name] = static_cast<int>(set.classes.size());
            set.classes.push_back(c);
            set.new_classes.push_back(c.name);
        } else if (std::find(unknown.begin(), unknown.end(), ps.class_name) == unknown.end()) {
            unknown.push_back(ps.class_name);
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
    for (const auto& ps : point_sets) {
        const int cls = index_of.at(ps.class_name);
        for (const auto& p : ps.points) {
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
        if (inside[a].empty() && lower(areas[a].name) != "no nuclei") {
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
