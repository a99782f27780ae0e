// The areas and classified points a user draws in the viewer, with undo, saved and loaded as
// QuPath GeoJSON (the dialect `muse finetune --annotations` and QuPath read).
#pragma once

#include <QObject>

#include <filesystem>
#include <string>
#include <vector>

#include "muse/annotations.hpp"
#include "muse/nucleus_class.hpp"

namespace muse::viewer {

/// UI thread only. Every change emits changed() and can be undone.
class AnnotationModel : public QObject {
    Q_OBJECT
public:
    explicit AnnotationModel(QObject* parent = nullptr) : QObject(parent) {}

    const AnnotationObjects& objects() const { return objects_; }
    std::size_t point_count() const;

    void add_area(const Polygon& area, const std::string& name = "");
    /// Adds `p` (level-0 pixels) to the points of class `c` (created with c's colour).
    void add_point(const ClassInfo& c, const Point& p);
    /// Removes the point nearest `p` within `tolerance` (level-0 pixels), else the smallest area
    /// containing `p`. False when nothing is there.
    bool remove_at(const Point& p, double tolerance);
    void clear();

    bool can_undo() const { return !history_.empty(); }
    /// Goes back one change (adding, removing, clearing or loading). False when there is none.
    bool undo();

    /// Replaces the content with a QuPath GeoJSON file's areas and classified points (an
    /// undoable change) and returns how many points it had without a class (not loaded: a
    /// point must have a class). Throws IoError / CorruptFile naming the file; nothing changes then.
    std::size_t load(const std::filesystem::path& path);
    /// Writes atomically. Throws IoError.
    void save(const std::filesystem::path& path) const;

Q_SIGNALS:
    void changed();

private:
    void commit(AnnotationObjects next);

    AnnotationObjects objects_;
    std::vector<AnnotationObjects> history_;
};

}  // namespace muse::viewer
