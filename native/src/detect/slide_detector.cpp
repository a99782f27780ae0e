// Whole-slide detection: plan -> reader pool (bounded queue) -> batched model -> owned
// candidates -> region filter -> seam merge -> sink.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include <ATen/ATen.h>

#include "detect/decode.hpp"
#include "detect/flip_averaging.hpp"
#include "detect/seam_merge.hpp"
#include "detect/tile_plan.hpp"
#include "muse/detect.hpp"
#include "muse/errors.hpp"
#include "muse/log.hpp"
#include "muse/model.hpp"
#include "slide/tissue_mask.hpp"

namespace muse {
namespace {

using Clock = std::chrono::steady_clock;

struct ReadResult {
    std::size_t index = 0;
    RgbImage pixels;
    std::string error;  ///< non-empty when the tile could not be read
};

/// Readers read tiles ahead from a shared tile counter; the model thread takes them in plan
/// order, in batches of a fixed size (the last one may be smaller). Batches therefore never
/// depend on which reader was faster: the same slide and options give the same numbers (batch
/// composition changes the kernels' float rounding) and the same output order on every run.
/// At most `capacity` tiles wait beyond the next one to take. Stopping (destructor, or an error
/// in the model thread) wakes and joins every reader.
class ReaderPool {
public:
    ReaderPool(const SlideSource& slide, const detect::TilePlan& plan, int threads, std::size_t capacity)
        : slide_(slide), plan_(plan), capacity_(std::max<std::size_t>(capacity, static_cast<std::size_t>(threads))) {
        try {
            for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { run(); });
        } catch (...) {
            stop();  // the system refused a thread: the started ones must be joined before unwinding
            throw;
        }
    }
    ~ReaderPool() { stop(); }

    /// The next min(max, tiles left) tiles in plan order; blocks until all of them are read.
    std::vector<ReadResult> take(std::size_t max) {
        std::unique_lock<std::mutex> lock(mutex_);
        const std::size_t want = std::min(max, plan_.tiles.size() - next_out_);
        ready_.wait(lock, [&] {
            if (stop_) return true;
            for (std::size_t i = next_out_; i < next_out_ + want; ++i) {
                if (!done_.count(i)) return false;
            }
            return true;
        });
        std::vector<ReadResult> out;
        for (std::size_t i = 0; i < want && !stop_; ++i) {
            auto it = done_.find(next_out_);
            out.push_back(std::move(it->second));
            done_.erase(it);
            ++next_out_;
        }
        space_.notify_all();
        return out;
    }

private:
    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        space_.notify_all();
        ready_.notify_all();
        for (auto& w : workers_) {
            if (w.joinable()) w.join();
        }
    }

    void run() {
        for (;;) {
            const std::size_t i = next_.fetch_add(1);
            if (i >= plan_.tiles.size()) return;
            {
                // Read at most `capacity` tiles ahead of the model. Never deadlocks: the tile the
                // model waits for (next_out_) is always allowed, and capacity >= readers.
                std::unique_lock<std::mutex> lock(mutex_);
                space_.wait(lock, [&] { return i < next_out_ + capacity_ || stop_; });
                if (stop_) return;
            }
            ReadResult r;
            r.index = i;
            try {
                r.pixels = detect::read_tile(slide_, plan_, plan_.tiles[i]);
            } catch (const std::exception& e) {
                r.error = e.what();
            }
            std::lock_guard<std::mutex> lock(mutex_);
            if (stop_) return;
            done_.emplace(i, std::move(r));
            ready_.notify_all();
        }
    }

    const SlideSource& slide_;
    const detect::TilePlan& plan_;
    std::size_t capacity_;
    std::atomic<std::size_t> next_{0};
    std::mutex mutex_;
    std::condition_variable ready_, space_;
    std::map<std::size_t, ReadResult> done_;  ///< read tiles not yet taken, by plan index
    std::size_t next_out_ = 0;                ///< the next tile the model takes
    bool stop_ = false;
    std::vector<std::thread> workers_;
};

}  // namespace

void SlideDetectOptions::validate() const {
    decode.validate();
    if (!(mpp >= 0.0) || !std::isfinite(mpp)) throw InvalidArgument("mpp must be >= 0 (0 = from the slide), got " + std::to_string(mpp));
    if (tile_px < 64 || tile_px % 32 != 0 || tile_px > 4096) {
        throw InvalidArgument("tile_px must be a multiple of 32 in 64..4096, got " + std::to_string(tile_px));
    }
    if (!(overlap_um >= 0.0) || !std::isfinite(overlap_um)) throw InvalidArgument("overlap_um must be >= 0");
    if (batch < 1 || batch > 256) throw InvalidArgument("batch must be in 1..256, got " + std::to_string(batch));
    if (reader_threads < 1 || reader_threads > 64) throw InvalidArgument("reader_threads must be in 1..64");
}

SlideDetectSummary detect_slide(const Model& model, const SlideSource& slide, const SlideDetectOptions& options,
                                const std::function<void(const Detection&)>& sink, const Progress& progress) {
    options.validate();
    const auto start = Clock::now();
    const ModelConfig& config = model.config();
    if (!config.has_heads()) throw InvalidArgument("this model has no detection heads: it cannot detect nuclei");
    SlideDetectSummary summary;
    summary.slide_mpp = slide_mpp(slide, options.mpp);
    const int stride = config.detection.proposal_stride_px;
    const detect::ScoreThresholds threshold = detect::thresholds_for(config.detection, options.decode.score_threshold);
    const double radius_um = options.decode.merge_radius_um > 0 ? options.decode.merge_radius_um : config.detection.merge_radius_um;

    detect::TilePlanOptions po;
    po.model_mpp = config.mpp;
    po.slide_mpp = summary.slide_mpp;
    po.tile_px = options.tile_px;
    po.stride_px = stride;
    po.margin_px = static_cast<int>(std::ceil(options.overlap_um / config.mpp / stride)) * stride;
    if (2 * po.margin_px >= po.tile_px) {
        throw InvalidArgument("an overlap of " + std::to_string(options.overlap_um) + " um leaves no core in " +
                              std::to_string(options.tile_px) + " px tiles");
    }
    bool have_region = !options.regions.empty();
    if (have_region) {
        double bx0 = 1e300, by0 = 1e300, bx1 = -1e300, by1 = -1e300;
        for (const auto& r : options.regions) {
            double x0, y0, x1, y1;
            r.bounds(x0, y0, x1, y1);
            bx0 = std::min(bx0, x0);
            by0 = std::min(by0, y0);
            bx1 = std::max(bx1, x1);
            by1 = std::max(by1, y1);
        }
        po.x0 = std::max(0.0, bx0);
        po.y0 = std::max(0.0, by0);
        po.x1 = std::min(static_cast<double>(slide.levels()[0].width), bx1);
        po.y1 = std::min(static_cast<double>(slide.levels()[0].height), by1);
        if (!(po.x1 > po.x0 && po.y1 > po.y0)) throw InvalidArgument("the regions lie outside the slide");
    }
    slide::TissueMask mask;
    if (options.tissue_mask) {
        mask = slide::compute_tissue_mask(slide, slide::kTissueMaskPixelUm / summary.slide_mpp);
        const bool whole = !(po.x1 > po.x0);
        const double ax1 = whole ? static_cast<double>(slide.levels()[0].width) : po.x1;
        const double ay1 = whole ? static_cast<double>(slide.levels()[0].height) : po.y1;
        summary.tissue_mm2 = mask.tissue_area_px2(whole ? 0.0 : po.x0, whole ? 0.0 : po.y0, ax1, ay1, options.regions) *
                             summary.slide_mpp * summary.slide_mpp / 1e6;
    }
    std::int64_t total = 0;
    const detect::TilePlan plan = detect::plan_tiles(slide, po, [&](double x0, double y0, double x1, double y1) {
        ++total;
        if (options.tissue_mask && !mask.any(x0, y0, x1, y1)) return false;
        if (!have_region) return true;
        for (const auto& r : options.regions) {
            double rx0, ry0, rx1, ry1;
            r.bounds(rx0, ry0, rx1, ry1);
            if (rx0 < x1 && x0 < rx1 && ry0 < y1 && y0 < ry1) return true;
        }
        return false;
    });
    summary.tiles_total = total;
    summary.tiles_planned = static_cast<std::int64_t>(plan.tiles.size());
    summary.level = plan.level;
    log(LogLevel::Info, "'" + slide.path().string() + "': " + std::to_string(plan.tiles.size()) + " of " +
                            std::to_string(total) + " tiles of " + std::to_string(plan.tile_px) + " px hold tissue (level " +
                            std::to_string(plan.level) + ", " + std::to_string(plan.s) + " level-0 px per model px)");

    std::vector<char> planned(static_cast<std::size_t>(plan.cols) * plan.rows, 0);
    for (const auto& t : plan.tiles) planned[static_cast<std::size_t>(t.row) * plan.cols + t.col] = 1;
    detect::SeamMerger merger(plan.cols, plan.rows, plan.grid_u0, plan.grid_v0, plan.core_px, radius_um / config.mpp,
                              std::move(planned), [&](Detection&& d) {
                                  d.x = plan.to_level0(d.x);
                                  d.y = plan.to_level0(d.y);
                                  ++summary.nuclei;
                                  sink(d);
                              });
    auto inside_regions = [&](const Detection& d) {
        if (!have_region) return true;
        const double x = plan.to_level0(d.x), y = plan.to_level0(d.y);
        for (const auto& r : options.regions) {
            if (r.contains(x, y)) return true;
        }
        return false;
    };

    ReaderPool readers(slide, plan, options.reader_threads, static_cast<std::size_t>(2 * options.batch));
    const std::size_t n = plan.tiles.size();
    std::size_t finished = 0;
    while (finished < n) {
        progress.check();
        std::vector<ReadResult> batch = readers.take(static_cast<std::size_t>(options.batch));
        std::vector<ReadResult> good;
        for (ReadResult& r : batch) {
            const detect::PlannedTile& t = plan.tiles[r.index];
            if (!r.error.empty()) {
                ++summary.tiles_failed;
                const std::string msg = "tile at level-0 (" + std::to_string(static_cast<long long>(plan.to_level0(t.u0))) +
                                        ", " + std::to_string(static_cast<long long>(plan.to_level0(t.v0))) + ") skipped: " + r.error;
                log(LogLevel::Warning, msg);
                if (summary.failures.size() < 10) summary.failures.push_back(msg);
                merger.add(t.col, t.row, {});
                ++finished;
            } else {
                good.push_back(std::move(r));
            }
        }
        if (!good.empty()) {
            at::Tensor tiles = at::empty({static_cast<std::int64_t>(good.size()), plan.tile_px, plan.tile_px, 3}, at::kByte);
            for (std::size_t i = 0; i < good.size(); ++i) {
                std::memcpy(tiles[static_cast<std::int64_t>(i)].data_ptr(), good[i].pixels.pixels.data(), good[i].pixels.pixels.size());
            }
            const Proposals p = detect::predict_tiles(model, tiles, options.decode.tta, options.decode.precision);
            for (std::size_t i = 0; i < good.size(); ++i) {
                const detect::PlannedTile& t = plan.tiles[good[i].index];
                std::vector<Detection> owned;
                for (Detection& d : detect::candidates_of(p.points[static_cast<std::int64_t>(i)], p.probs[static_cast<std::int64_t>(i)],
                                                          threshold, plan.tile_px, stride, plan.margin_px)) {
                    d.x += static_cast<double>(t.u0);  // tile px -> model frame
                    d.y += static_cast<double>(t.v0);
                    if (inside_regions(d)) owned.push_back(std::move(d));
                }
                merger.add(t.col, t.row, std::move(owned));
                ++summary.tiles_done;
                ++finished;
            }
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        char msg[160];
        std::snprintf(msg, sizeof msg, "%lld nuclei, %.2f tiles/s", static_cast<long long>(summary.nuclei),
                      static_cast<double>(finished) / std::max(seconds, 1e-9));
        progress.report({static_cast<std::int64_t>(finished), static_cast<std::int64_t>(n), "tiles", msg});
    }
    summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double core_um = plan.core_px * config.mpp;
    summary.area_mm2 = static_cast<double>(summary.tiles_done) * core_um * core_um / 1e6;
    return summary;
}

}  // namespace muse
