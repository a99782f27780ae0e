// Deciding border candidates once the tiles around them are done.
#include "detect/seam_merge.hpp"

#include <algorithm>
#include <cmath>

#include "detect/decode.hpp"
#include "muse/errors.hpp"

namespace muse::detect {
namespace {

bool outranked_within(const Detection& c, const std::vector<Detection>& others, double radius) {
    for (const Detection& o : others) {
        if (&o == &c) continue;
        if (std::hypot(o.x - c.x, o.y - c.y) <= radius && outranks(o, c)) return true;
    }
    return false;
}

}  // namespace

SeamMerger::SeamMerger(int cols, int rows, std::int64_t grid_u0, std::int64_t grid_v0, int core_px, double radius_px,
                       std::vector<char> planned, Emit emit)
    : cols_(cols), rows_(rows), u0_(grid_u0), v0_(grid_v0), core_(core_px), radius_(radius_px),
      tiles_(static_cast<std::size_t>(cols) * rows), emit_(std::move(emit)) {
    if (!(radius_px >= 0) || 2 * radius_px >= core_px) {
        throw InvalidArgument("merge radius " + std::to_string(radius_px) + " px must be less than half the tile core (" +
                              std::to_string(core_px) + " px)");
    }
    if (planned.size() != tiles_.size()) throw InvalidArgument("seam merge: planned mask of the wrong size");
    for (std::size_t i = 0; i < tiles_.size(); ++i) {
        if (!planned[i]) tiles_[i].done = tiles_[i].decided = true;
    }
}

SeamMerger::TileState* SeamMerger::at(int col, int row) {
    if (col < 0 || row < 0 || col >= cols_ || row >= rows_) return nullptr;
    return &tiles_[static_cast<std::size_t>(row) * cols_ + col];
}

double SeamMerger::inset(const Detection& d, int col, int row) const {
    const double cu = static_cast<double>(u0_ + static_cast<std::int64_t>(col) * core_) - 0.5;
    const double cv = static_cast<double>(v0_ + static_cast<std::int64_t>(row) * core_) - 0.5;
    return std::min({d.x - cu, cu + core_ - d.x, d.y - cv, cv + core_ - d.y});
}

bool SeamMerger::neighbourhood_done(int col, int row) {
    for (int dr = -1; dr <= 1; ++dr) {
        for (int dc = -1; dc <= 1; ++dc) {
            const TileState* t = at(col + dc, row + dr);
            if (t && !t->done) return false;
        }
    }
    return true;
}

void SeamMerger::add(int col, int row, std::vector<Detection> candidates) {
    TileState* tile = at(col, row);
    if (!tile || tile->done) throw InvalidArgument("seam merge: tile added twice or outside the grid");
    tile->done = true;
    for (Detection& c : candidates) {
        const double in = inset(c, col, row);
        if (in > radius_) {
            // Every candidate within the radius of this one is in this tile.
            if (!outranked_within(c, candidates, radius_)) {
                Detection copy = c;
                emit_(std::move(copy));
            }
        }
    }
    for (Detection& c : candidates) {
        const double in = inset(c, col, row);
        if (in <= 2 * radius_) {
            if (in <= radius_) tile->pending.push_back(c);
            tile->band.push_back(std::move(c));
        }
    }
    for (int dr = -1; dr <= 1; ++dr) {
        for (int dc = -1; dc <= 1; ++dc) {
            TileState* t = at(col + dc, row + dr);
            if (t && t->done && !t->decided && neighbourhood_done(col + dc, row + dr)) decide(col + dc, row + dr);
        }
    }
}

void SeamMerger::decide(int col, int row) {
    TileState* tile = at(col, row);
    std::vector<Detection> nearby;
    for (int dr = -1; dr <= 1; ++dr) {
        for (int dc = -1; dc <= 1; ++dc) {
            if (const TileState* t = at(col + dc, row + dr)) nearby.insert(nearby.end(), t->band.begin(), t->band.end());
        }
    }
    for (Detection& c : tile->pending) {
        bool beaten = false;
        for (const Detection& o : nearby) {
            const bool same = o.x == c.x && o.y == c.y && o.score == c.score && o.class_index == c.class_index;
            if (!same && std::hypot(o.x - c.x, o.y - c.y) <= radius_ && outranks(o, c)) {
                beaten = true;
                break;
            }
        }
        if (!beaten) emit_(std::move(c));
    }
    tile->pending.clear();
    tile->pending.shrink_to_fit();
    tile->decided = true;
    for (int dr = -1; dr <= 1; ++dr) {
        for (int dc = -1; dc <= 1; ++dc) release(col + dc, row + dr);
    }
}

void SeamMerger::release(int col, int row) {
    TileState* tile = at(col, row);
    if (!tile || !tile->decided || tile->band.empty()) return;
    for (int dr = -1; dr <= 1; ++dr) {
        for (int dc = -1; dc <= 1; ++dc) {
            const TileState* t = at(col + dc, row + dr);
            if (t && !t->decided) return;  // a neighbour still needs this band
        }
    }
    std::vector<Detection>().swap(tile->band);
}

std::size_t SeamMerger::held() const {
    std::size_t n = 0;
    for (const auto& t : tiles_) n += t.band.size() + t.pending.size();
    return n;
}

}  // namespace muse::detect
