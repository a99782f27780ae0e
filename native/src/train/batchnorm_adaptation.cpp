// BatchNorm statistics re-estimated on unlabelled tiles (muse/adapt.hpp).
#include "muse/adapt.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/nn/modules/batchnorm.h>

#include "detect/tile_plan.hpp"
#include "model/network.hpp"
#include "model/weights.hpp"
#include "muse/errors.hpp"
#include "muse/version.hpp"
#include "slide/tissue_mask.hpp"

namespace muse {

void AdaptOptions::validate() const {
    if (tiles < 1 || tiles > 100000) throw InvalidArgument("tiles must be in 1..100000, got " + std::to_string(tiles));
    if (tile_px < 64 || tile_px % 32 != 0 || tile_px > 2048) {
        throw InvalidArgument("tile_px must be a multiple of 32 in 64..2048, got " + std::to_string(tile_px));
    }
    if (batch < 2 || batch > 64) {
        throw InvalidArgument("batch must be in 2..64 (BatchNorm needs more than one tile), got " + std::to_string(batch));
    }
    if (!(weight > 0.0 && weight <= 1.0)) throw InvalidArgument("weight must be in (0, 1], got " + std::to_string(weight));
}

namespace {

struct TileRef {
    std::size_t slide;  ///< index into the slides and their plans
    detect::PlannedTile tile;
};

struct ChosenTiles {
    std::vector<detect::TilePlan> plans;  ///< one per slide
    std::vector<TileRef> tiles;
};

/// Up to `options.tiles` tissue tiles spread evenly over the slides (every k-th tile of each
/// slide's grid, in proportion to its tissue): deterministic, no random state.
ChosenTiles choose_tiles(const Model& base, const std::vector<AdaptSlide>& slides, const AdaptOptions& o, bool optional) {
    ChosenTiles out;
    std::vector<detect::TilePlan>& plans = out.plans;
    std::size_t total = 0;
    for (std::size_t s = 0; s < slides.size(); ++s) {
        if (!slides[s].slide) throw InvalidArgument("adaptation slide " + std::to_string(s + 1) + " is missing");
        const SlideSource& slide = *slides[s].slide;
        detect::TilePlanOptions po;
        po.model_mpp = base.config().mpp;
        po.slide_mpp = slide_mpp(slide, slides[s].mpp);
        po.tile_px = o.tile_px;
        po.margin_px = 0;
        po.stride_px = base.config().detection.proposal_stride_px;
        slide::TissueMask mask;
        if (o.tissue_mask) mask = slide::compute_tissue_mask(slide, slide::kTissueMaskPixelUm / po.slide_mpp);
        plans.push_back(detect::plan_tiles(slide, po, [&](double x0, double y0, double x1, double y1) {
            return !o.tissue_mask || mask.any(x0, y0, x1, y1);
        }));
        total += plans.back().tiles.size();
    }
    if (total == 0 && !optional) throw InvalidArgument("the adaptation slides hold no tissue tile");
    std::vector<TileRef>& chosen = out.tiles;
    const double step = std::max(1.0, static_cast<double>(total) / o.tiles);
    double next = 0.0;
    std::size_t index = 0;
    for (std::size_t s = 0; s < plans.size(); ++s) {
        for (const auto& t : plans[s].tiles) {
            if (static_cast<double>(index++) >= next && static_cast<int>(chosen.size()) < o.tiles) {
                chosen.push_back({s, t});
                next += step;
            }
        }
    }
    return out;
}

/// The adaptation; with `min_tiles` > 0, nothing (instead of an error) when it cannot be done.
std::optional<AdaptResult> adapt(const Model& base, const std::vector<AdaptSlide>& slides, const AdaptOptions& options,
                                 std::int64_t min_tiles, const Progress& progress) {
    options.validate();
    if (slides.empty()) throw InvalidArgument("adaptation needs at least one slide");
    const bool optional = min_tiles > 0;
    const ModelConfig& config = base.config();
    model::Network network = model::build_network(config);
    model::load_weights(*network.net, base.state_dict(), "architecture '" + config.arch + "'");

    // Every BatchNorm forgets its statistics and averages those of the batches it now sees
    // (momentum none = cumulative average); everything else stays in inference mode.
    network.net->eval();
    std::vector<torch::nn::BatchNorm2dImpl*> norms;
    for (auto& m : network.net->modules(false)) {
        if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get())) {
            norms.push_back(bn);
            bn->options.momentum(c10::nullopt);
            bn->reset_running_stats();
            bn->train();
        }
    }
    if (norms.empty()) {
        if (optional) return std::nullopt;
        throw InvalidArgument("this model has no BatchNorm layer: nothing to adapt");
    }

    const ChosenTiles chosen = choose_tiles(base, slides, options, optional);
    const std::vector<TileRef>& tiles = chosen.tiles;
    if (optional && static_cast<std::int64_t>(tiles.size()) < min_tiles) return std::nullopt;
    if (tiles.size() < 2) throw InvalidArgument("the adaptation slides hold only one tissue tile; at least 2 are needed");
    at::NoGradGuard no_grad;
    const std::int64_t batches = static_cast<std::int64_t>((tiles.size() + options.batch - 1) / options.batch);
    std::int64_t used = 0;
    for (std::int64_t b = 0; b < batches; ++b) {
        progress.check();
        const std::size_t first = static_cast<std::size_t>(b) * options.batch;
        std::size_t n = std::min<std::size_t>(options.batch, tiles.size() - first);
        if (n < 2) break;  // a batch of one has no variance; its tile is dropped
        at::Tensor rgb = at::empty({static_cast<std::int64_t>(n), options.tile_px, options.tile_px, 3}, at::kByte);
        for (std::size_t i = 0; i < n; ++i) {
            const TileRef& t = tiles[first + i];
            const RgbImage px = detect::read_tile(*slides[t.slide].slide, chosen.plans[t.slide], t.tile);
            std::memcpy(rgb[static_cast<std::int64_t>(i)].data_ptr(), px.pixels.data(), px.pixels.size());
        }
        network.net->forward(model::normalise_rgb(rgb, config));
        used += static_cast<std::int64_t>(n);
        progress.report({b + 1, batches, "batches", "adapting the BatchNorm statistics to the slides' tissue"});
    }
    network.net->eval();

    // The lab's statistics alone; a smaller weight blends them with the model's own in the one
    // place that blends (blend_batchnorm_statistics).
    ModelConfig adapted = config;
    nlohmann::json provenance = nlohmann::json::parse(config.provenance_json);
    provenance["batchnorm_adaptation"] = {{"by", std::string("muse ") + MUSE_VERSION_STRING},
                                          {"slides", slides.size()},
                                          {"tiles", used},
                                          {"tile_px", options.tile_px},
                                          {"weight", 1.0},
                                          {"layers", norms.size()}};
    adapted.provenance_json = provenance.dump();
    AdaptResult lab{Model::from_weights(adapted, model::copy_weights_of(*network.net)), used,
                    static_cast<std::int64_t>(norms.size())};
    if (options.weight < 1.0) lab.model = blend_batchnorm_statistics(base, lab, options.weight);
    return lab;
}

}  // namespace

AdaptResult adapt_batchnorm(const Model& base, const std::vector<AdaptSlide>& slides, const AdaptOptions& options,
                            const Progress& progress) {
    return *adapt(base, slides, options, 0, progress);
}

Model blend_batchnorm_statistics(const Model& base, const AdaptResult& lab, double weight) {
    if (!(weight >= 0.0 && weight <= 1.0)) throw InvalidArgument("weight must be in [0, 1], got " + std::to_string(weight));
    if (weight == 0.0) return base;
    nlohmann::json provenance = nlohmann::json::parse(lab.model.config().provenance_json);
    if (!provenance.contains("batchnorm_adaptation") || provenance["batchnorm_adaptation"].value("weight", 0.0) != 1.0) {
        throw InvalidArgument("blend_batchnorm_statistics needs the statistics of an adaptation at weight 1");
    }
    std::map<std::string, at::Tensor> weights = lab.model.state_dict();
    const std::map<std::string, at::Tensor> own = base.state_dict();
    auto ends_with = [](const std::string& s, const std::string& tail) {
        return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
    };
    for (auto& [name, t] : weights) {
        if (ends_with(name, ".running_mean") || ends_with(name, ".running_var")) {
            t = t.mul(weight).add(own.at(name), 1.0 - weight);
        }
    }
    provenance["batchnorm_adaptation"]["weight"] = weight;
    ModelConfig config = lab.model.config();
    config.provenance_json = provenance.dump();
    return Model::from_weights(config, weights);
}

std::optional<AdaptResult> adapt_batchnorm_if_possible(const Model& base, const std::vector<AdaptSlide>& slides,
                                                       const AdaptOptions& options, std::int64_t min_tiles,
                                                       const Progress& progress) {
    return adapt(base, slides, options, std::max<std::int64_t>(2, min_tiles), progress);  // a batch needs 2
}

}  // namespace muse
