// Slide tiles loaded in the background for the viewer: the UI thread asks for what it shows
// and paints what is there; loader threads read the rest and say when a tile arrives.
#pragma once

#include <QImage>
#include <QObject>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "muse/slide.hpp"

namespace muse::viewer {

/// Tile (col, row) of pyramid `level`: kTilePx x kTilePx pixels of that level (less at the
/// right and bottom edges).
struct TileKey {
    int level = 0;
    int col = 0;
    int row = 0;
    bool operator==(const TileKey& o) const { return level == o.level && col == o.col && row == o.row; }
};

struct TileKeyHash {
    std::size_t operator()(const TileKey& k) const {
        return (static_cast<std::size_t>(k.level) * 1000003u + static_cast<std::size_t>(k.col)) * 1000033u +
               static_cast<std::size_t>(k.row);
    }
};

/// Thread-safety: get(), want() and the counters from the UI thread; tileLoaded is emitted on
/// the thread that owns the cache (queued from the loaders).
class TileCache : public QObject {
    Q_OBJECT
public:
    static constexpr int kTilePx = 512;

    /// `capacity` tiles are kept (least recently used go first); `threads` loaders.
    TileCache(std::shared_ptr<const SlideSource> slide, int threads = 2, std::size_t capacity = 192,
              QObject* parent = nullptr);
    ~TileCache() override;  // stops the loaders; a read in progress finishes first

    /// The tile when loaded (a light grey tile when its read failed), else a null image.
    QImage get(const TileKey& key);
    /// Replaces the queue with `keys`, most wanted first; loaded and loading tiles are skipped.
    /// Tiles no longer wanted are never read. `in_view`: how many tiles the view shows; the
    /// cache grows to hold them with room to spare (up to kMaxTiles), so that arriving tiles
    /// never push out others of the same view.
    void want(const std::vector<TileKey>& keys, std::size_t in_view = 0);
    std::size_t capacity() const;
    static constexpr std::size_t kMaxTiles = 1024;

    /// The level-0 rectangle a tile covers: x, y, width, height.
    void tile_rect(const TileKey& key, double& x, double& y, double& w, double& h) const;
    const SlideSource& slide() const { return *slide_; }

    std::size_t loaded_count() const;  ///< tiles read so far (failed reads included)
    std::size_t pending_count() const;  ///< tiles queued or being read
    std::size_t failed_count() const;

Q_SIGNALS:
    void tileLoaded();

private:
    void load_loop();

    std::shared_ptr<const SlideSource> slide_;
    std::size_t base_capacity_, capacity_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<TileKey> queue_;
    std::unordered_set<TileKey, TileKeyHash> loading_;
    std::list<TileKey> recency_;  // front = most recently used
    std::unordered_map<TileKey, std::pair<QImage, std::list<TileKey>::iterator>, TileKeyHash> tiles_;
    std::size_t loaded_ = 0, failed_ = 0;
    bool stop_ = false;
    std::vector<std::thread> loaders_;
};

}  // namespace muse::viewer
