#include "tile_cache.hpp"

#include <algorithm>
#include <cmath>

#include "muse/log.hpp"
#include "slide_raster.hpp"

namespace muse::viewer {

TileCache::TileCache(std::shared_ptr<const SlideSource> slide, int threads, std::size_t capacity, QObject* parent)
    : QObject(parent), slide_(std::move(slide)), base_capacity_(std::max<std::size_t>(capacity, 16)), capacity_(base_capacity_) {
    for (int i = 0; i < std::max(1, threads); ++i) loaders_.emplace_back([this] { load_loop(); });
}

TileCache::~TileCache() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
        queue_.clear();
    }
    wake_.notify_all();
    for (auto& t : loaders_) t.join();
}

QImage TileCache::get(const TileKey& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = tiles_.find(key);
    if (it == tiles_.end()) return {};
    recency_.splice(recency_.begin(), recency_, it->second.second);
    return it->second.first;
}

std::size_t TileCache::capacity() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return capacity_;
}

void TileCache::want(const std::vector<TileKey>& keys, std::size_t in_view) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        capacity_ = std::clamp(in_view + in_view / 2, base_capacity_, std::max(base_capacity_, kMaxTiles));
        queue_.clear();
        for (const TileKey& k : keys) {
            if (!tiles_.count(k) && !loading_.count(k)) queue_.push_back(k);
        }
    }
    wake_.notify_all();
}

void TileCache::tile_rect(const TileKey& key, double& x, double& y, double& w, double& h) const {
    const SlideLevel& level = slide_->levels()[key.level];
    const double ds = level.downsample;
    const std::int64_t px = static_cast<std::int64_t>(key.col) * kTilePx, py = static_cast<std::int64_t>(key.row) * kTilePx;
    x = px * ds;
    y = py * ds;
    w = static_cast<double>(std::min<std::int64_t>(kTilePx, level.width - px)) * ds;
    h = static_cast<double>(std::min<std::int64_t>(kTilePx, level.height - py)) * ds;
}

std::size_t TileCache::loaded_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return loaded_;
}

std::size_t TileCache::pending_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size() + loading_.size();
}

std::size_t TileCache::failed_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return failed_;
}

void TileCache::load_loop() {
    for (;;) {
        TileKey key;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
            if (stop_) return;
            key = queue_.front();
            queue_.pop_front();
            loading_.insert(key);
        }
        QImage image;
        bool failed = false;
        try {
            double x, y, w, h;
            tile_rect(key, x, y, w, h);
            const double ds = slide_->levels()[key.level].downsample;
            const int pw = std::max(1, static_cast<int>(std::lround(w / ds))), ph = std::max(1, static_cast<int>(std::lround(h / ds)));
            image = overlay::to_qimage(slide_->read_region(key.level, std::llround(x), std::llround(y), pw, ph))
                        .convertToFormat(QImage::Format_RGB32);  // the format QPainter draws fastest
        } catch (const std::exception& e) {
            // A damaged region shows as a grey tile instead of stopping the viewer.
            log(LogLevel::Warning, "tile " + std::to_string(key.col) + "," + std::to_string(key.row) + " of level " +
                        std::to_string(key.level) + ": " + e.what());
            image = QImage(kTilePx, kTilePx, QImage::Format_RGB32);
            image.fill(QColor(215, 215, 215));
            failed = true;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            loading_.erase(key);
            ++loaded_;
            failed_ += failed ? 1 : 0;
            recency_.push_front(key);
            tiles_[key] = {std::move(image), recency_.begin()};
            while (tiles_.size() > capacity_) {
                tiles_.erase(recency_.back());
                recency_.pop_back();
            }
        }
        QMetaObject::invokeMethod(this, [this] { Q_EMIT tileLoaded(); }, Qt::QueuedConnection);
    }
}

}  // namespace muse::viewer
