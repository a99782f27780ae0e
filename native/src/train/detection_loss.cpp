// Hungarian matching of proposals to nuclei, and the weighted CE + MSE loss.
#include "train/detection_loss.hpp"

#include <ATen/ATen.h>

#include "eval/hungarian.hpp"
#include "train/loss_proposals.hpp"

namespace muse::train {

std::vector<std::pair<int, int>> match_proposals(const at::Tensor& points, const at::Tensor& probs,
                                                 const std::vector<LabelledPoint>& nuclei, double distance_weight) {
    if (nuclei.empty()) return {};
    at::NoGradGuard no_grad;
    const auto m = static_cast<std::int64_t>(nuclei.size());
    std::vector<float> xy;
    for (const auto& p : nuclei) {
        xy.push_back(static_cast<float>(p.x));
        xy.push_back(static_cast<float>(p.y));
    }
    std::vector<std::int64_t> cls;
    for (const auto& p : nuclei) cls.push_back(p.class_index);
    const at::Tensor targets = at::from_blob(xy.data(), {m, 2}, at::kFloat);
    const at::Tensor target_classes = at::from_blob(cls.data(), {m}, at::kLong);
    const at::Tensor pts = points.detach().to(at::kFloat);
    const at::Tensor distance = at::cdist(targets, pts);                               // [M, N]
    const at::Tensor class_prob = probs.detach().to(at::kFloat).index_select(1, target_classes).t();  // [M, N]
    const at::Tensor cost = (distance * distance_weight - class_prob).to(at::kDouble).contiguous();
    const double* c = cost.data_ptr<double>();
    const std::vector<double> matrix(c, c + cost.numel());
    return eval::min_cost_pairs(matrix, static_cast<int>(m), static_cast<int>(pts.size(0)));
}

DetectionLoss detection_loss(const at::Tensor& points, const at::Tensor& logits,
                             const std::vector<std::vector<LabelledPoint>>& nuclei, const LossWeights& w,
                             const at::Tensor& in_region) {
    const std::int64_t batch = logits.size(0), n = logits.size(1), k = logits.size(2) - 1;
    constexpr std::int64_t kIgnore = -100;  // cross_entropy's ignore_index
    const bool partial = in_region.defined();
    const at::Tensor region = partial ? in_region.to(at::kBool).reshape({batch, n}).contiguous() : at::Tensor();
    // Background unless matched; outside the annotated region not part of L_type.
    at::Tensor target = partial ? at::where(region, at::full({batch, n}, k, at::kLong), at::full({batch, n}, kIgnore, at::kLong))
                                : at::full({batch, n}, k, at::kLong);
    auto target_of = target.accessor<std::int64_t, 2>();
    std::vector<std::int64_t> flat_index;
    std::vector<float> matched_xy;
    const at::Tensor probs = logits.detach().softmax(-1);
    for (std::int64_t b = 0; b < batch; ++b) {
        const auto& tile_nuclei = nuclei.at(static_cast<std::size_t>(b));
        // Candidates: the region's proposals (all of them without a region).
        const at::Tensor candidates = partial ? region[b].nonzero().reshape({-1}) : at::Tensor();
        if (partial && candidates.numel() == 0) continue;
        const at::Tensor cand_points = partial ? points[b].index_select(0, candidates) : points[b];
        const at::Tensor cand_probs = partial ? probs[b].index_select(0, candidates) : probs[b];
        for (const auto& [g, c] : match_proposals(cand_points, cand_probs, tile_nuclei, w.match_distance)) {
            const std::int64_t j = partial ? candidates[c].item<std::int64_t>() : c;
            target_of[b][j] = tile_nuclei[g].class_index;
            flat_index.push_back(b * n + j);
            matched_xy.push_back(static_cast<float>(tile_nuclei[g].x));
            matched_xy.push_back(static_cast<float>(tile_nuclei[g].y));
        }
    }
    at::Tensor class_weights = at::ones({k + 1});
    for (std::int64_t c = 0; c < k && c < static_cast<std::int64_t>(w.classes.size()); ++c) class_weights[c] = w.classes[c];
    class_weights[k] = w.background;
    DetectionLoss out;
    const bool any_annotated = !partial || region.any().item<bool>();
    at::Tensor ce = any_annotated
                        ? at::cross_entropy_loss(logits.reshape({-1, k + 1}), target.reshape({-1}), class_weights)
                        : at::zeros({}, logits.options());
    at::Tensor reg = at::zeros({}, logits.options());
    at::Tensor cons = at::zeros({}, logits.options());
    out.matched = static_cast<std::int64_t>(flat_index.size());
    if (out.matched > 0) {
        const at::Tensor idx = at::from_blob(flat_index.data(), {out.matched}, at::kLong).clone();
        const at::Tensor gt = at::from_blob(matched_xy.data(), {out.matched, 2}, at::kFloat).clone();
        const at::Tensor pred = points.reshape({-1, 2}).index_select(0, idx);
        reg = (pred - gt).pow(2).sum(1).mean();  // squared pixel distance per matched nucleus
    }
    if (partial) {
        // Pseudo-labels: outside the region, proposals whose best nucleus class is confident.
        const auto [pseudo, best_class] = pseudo_labels(probs, region, w.cons_threshold);
        out.pseudo_labels = pseudo.sum().item<std::int64_t>();
        if (out.pseudo_labels > 0) {
            const at::Tensor pseudo_target = at::where(pseudo, best_class, at::full_like(best_class, kIgnore));
            cons = at::cross_entropy_loss(logits.reshape({-1, k + 1}), pseudo_target.reshape({-1}));
        }
    }
    out.total = ce * w.type + reg * w.reg;
    if (partial && w.cons > 0) out.total = out.total + cons * w.cons;
    out.type = ce.detach();
    out.reg = reg.detach();
    out.cons = cons.detach();
    return out;
}

}  // namespace muse::train
