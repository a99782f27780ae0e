#include "annotation_model.hpp"

#include <cmath>
#include <limits>

namespace muse::viewer {
namespace {

constexpr std::size_t kUndoDepth = 200;

double area_of(const Polygon& p) {
    double a = 0;
    for (std::size_t i = 0; i < p.outer.size(); ++i) {
        const Point& u = p.outer[i];
        const Point& v = p.outer[(i + 1) % p.outer.size()];
        a += u.x * v.y - v.x * u.y;
    }
    return std::abs(a) / 2;
}

}  // namespace

std::size_t AnnotationModel::point_count() const {
    std::size_t n = 0;
    for (const auto& c : objects_.points) n += c.points.size();
    return n;
}

void AnnotationModel::commit(AnnotationObjects next) {
    history_.push_back(std::move(objects_));
    if (history_.size() > kUndoDepth) history_.erase(history_.begin());
    objects_ = std::move(next);
    Q_EMIT changed();
}

void AnnotationModel::add_area(const Polygon& area, const std::string& name) {
    AnnotationObjects next = objects_;
    next.areas.push_back({name, area});
    commit(std::move(next));
}

void AnnotationModel::add_point(const ClassInfo& c, const Point& p) {
    AnnotationObjects next = objects_;
    for (auto& set : next.points) {
        if (set.class_name == c.name) {
            set.points.push_back(p);
            commit(std::move(next));
            return;
        }
    }
    next.points.push_back({c.name, c.color, true, {p}});
    commit(std::move(next));
}

bool AnnotationModel::remove_at(const Point& p, double tolerance) {
    double best = tolerance * tolerance;
    int best_set = -1, best_point = -1;
    for (std::size_t s = 0; s < objects_.points.size(); ++s) {
        const auto& pts = objects_.points[s].points;
        for (std::size_t i = 0; i < pts.size(); ++i) {
            const double d = (pts[i].x - p.x) * (pts[i].x - p.x) + (pts[i].y - p.y) * (pts[i].y - p.y);
            if (d <= best) {
                best = d;
                best_set = static_cast<int>(s);
                best_point = static_cast<int>(i);
            }
        }
    }
    AnnotationObjects next = objects_;
    if (best_set >= 0) {
        auto& pts = next.points[best_set].points;
        pts.erase(pts.begin() + best_point);
        if (pts.empty()) next.points.erase(next.points.begin() + best_set);
        commit(std::move(next));
        return true;
    }
    int smallest = -1;
    double smallest_area = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < objects_.areas.size(); ++i) {
        const double a = area_of(objects_.areas[i].polygon);
        if (objects_.areas[i].polygon.contains(p.x, p.y) && a < smallest_area) {
            smallest_area = a;
            smallest = static_cast<int>(i);
        }
    }
    if (smallest < 0) return false;
    next.areas.erase(next.areas.begin() + smallest);
    commit(std::move(next));
    return true;
}

void AnnotationModel::clear() {
    if (objects_.areas.empty() && objects_.points.empty()) return;
    commit({});
}

bool AnnotationModel::undo() {
    if (history_.empty()) return false;
    objects_ = std::move(history_.back());
    history_.pop_back();
    Q_EMIT changed();
    return true;
}

std::size_t AnnotationModel::load(const std::filesystem::path& path) {
    AnnotationObjects next = read_qupath_annotation_objects(path);
    const std::size_t unclassified = next.unclassified_points;
    next.unclassified_points = 0;
    commit(std::move(next));
    return unclassified;
}

void AnnotationModel::save(const std::filesystem::path& path) const {
    write_qupath_annotations(path, objects_);
}

}  // namespace muse::viewer
