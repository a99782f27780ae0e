#include "detection_grid.hpp"

#include <algorithm>
#include <cmath>

namespace muse::viewer {

void DetectionGrid::build(const std::vector<Detection>& detections) {
    order_.clear();
    start_.assign(1, 0);
    cols_ = rows_ = 0;
    if (detections.empty()) return;
    double x1 = detections[0].x, y1 = detections[0].y;
    x0_ = x1;
    y0_ = y1;
    for (const Detection& d : detections) {
        x0_ = std::min(x0_, d.x);
        y0_ = std::min(y0_, d.y);
        x1 = std::max(x1, d.x);
        y1 = std::max(y1, d.y);
    }
    cell_ = std::max({256.0, (x1 - x0_) / 2048, (y1 - y0_) / 2048});
    cols_ = static_cast<int>((x1 - x0_) / cell_) + 1;
    rows_ = static_cast<int>((y1 - y0_) / cell_) + 1;
    std::vector<std::uint32_t> count(static_cast<std::size_t>(cols_) * rows_ + 1, 0);
    auto cell_of = [&](const Detection& d) {
        const int c = std::min(cols_ - 1, static_cast<int>((d.x - x0_) / cell_));
        const int r = std::min(rows_ - 1, static_cast<int>((d.y - y0_) / cell_));
        return static_cast<std::size_t>(r) * cols_ + c;
    };
    for (const Detection& d : detections) ++count[cell_of(d) + 1];
    for (std::size_t i = 1; i < count.size(); ++i) count[i] += count[i - 1];
    start_ = count;
    order_.resize(detections.size());
    for (std::size_t i = 0; i < detections.size(); ++i) order_[count[cell_of(detections[i])]++] = static_cast<std::uint32_t>(i);
}

void DetectionGrid::query(const QRectF& rect, const std::vector<Detection>& detections, std::vector<std::uint32_t>& out) const {
    if (cols_ == 0) return;
    const int c0 = std::max(0, static_cast<int>(std::floor((rect.left() - x0_) / cell_)));
    const int r0 = std::max(0, static_cast<int>(std::floor((rect.top() - y0_) / cell_)));
    const int c1 = std::min(cols_ - 1, static_cast<int>(std::floor((rect.right() - x0_) / cell_)));
    const int r1 = std::min(rows_ - 1, static_cast<int>(std::floor((rect.bottom() - y0_) / cell_)));
    for (int r = r0; r <= r1; ++r) {
        for (int c = c0; c <= c1; ++c) {
            const std::size_t cell = static_cast<std::size_t>(r) * cols_ + c;
            for (std::uint32_t k = start_[cell]; k < start_[cell + 1]; ++k) {
                const Detection& d = detections[order_[k]];
                if (d.x >= rect.left() && d.x <= rect.right() && d.y >= rect.top() && d.y <= rect.bottom()) out.push_back(order_[k]);
            }
        }
    }
}

}  // namespace muse::viewer
