// The LFoV semi-supervised fine-tuning loop: samples around annotated regions -> network +
// heads -> L_reg + L_type inside the regions, L_cons on confident pseudo-labels outside ->
// Adam with a cosine schedule; per-epoch checkpoints that a resumed run continues exactly.
#include "muse/finetune.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/nn/modules/batchnorm.h>
#include <torch/optim/adam.h>

#include "detect/tile_plan.hpp"
#include "io/json_numbers.hpp"
#include "model/model_file.hpp"
#include "model/network.hpp"
#include "model/weights.hpp"
#include "muse/errors.hpp"
#include "muse/version.hpp"
#include "nn/bf16_weights.hpp"
#include "nn/heads.hpp"
#include "train/adam_state.hpp"
#include "train/class_weights.hpp"
#include "train/detection_loss.hpp"
#include "train/lr_schedule.hpp"
#include "train/lfov_sampler.hpp"
#include "train/loss_proposals.hpp"

namespace muse {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
const double kPi = std::acos(-1.0);
constexpr const char* kAdamPrefix = "finetune.adam.";
constexpr const char* kCheckpointKey = "finetune_checkpoint";

/// Fewer tissue tiles than this give statistics too noisy to adapt to: the step is skipped.
constexpr int kMinAdaptTiles = 8;

/// FinetuneOptions::adapt_weight: `base` with its BatchNorm statistics moved towards the
/// slides' tissue (all the way when the weight is to be chosen: the blends are made from it),
/// or nothing when off, impossible (no BatchNorm) or too few tiles. The tiles are spread
/// evenly, not drawn, so a resumed run adapts to the same statistics.
std::optional<AdaptResult> adapt_to_slides(const Model& base, const std::vector<FinetuneSlide>& data, const FinetuneOptions& o,
                                           const Progress& progress) {
    const bool choose = o.adapt_weight == FinetuneOptions::kAdaptAuto;
    if (!choose && o.adapt_weight <= 0.0) return std::nullopt;
    AdaptOptions ao;
    ao.weight = choose ? 1.0 : o.adapt_weight;
    ao.tiles = o.adapt_tiles;
    ao.tissue_mask = o.adapt_tissue_mask;
    std::vector<AdaptSlide> slides;
    for (const auto& d : data) slides.push_back({d.slide, d.mpp});
    return adapt_batchnorm_if_possible(base, slides, ao, kMinAdaptTiles, progress);
}

/// The options that determine the weights (what a resumed run must share with the first).
json options_json(const FinetuneOptions& o) {
    json j = {{"mode", to_string(o.mode)},
            {"epochs", o.epochs},
            {"batch", o.batch},
            {"sample_px", o.sample_px},
            {"lfov", o.lfov},
            {"lr", o.lr},
            {"lr_min", o.lr_min},
            {"weight_decay", o.weight_decay},
            {"reg_weight", o.reg_weight},
            {"type_weight", o.type_weight},
            {"cons_weight", o.cons_weight},
            {"cons_threshold", o.cons_threshold},
            {"background_weight", o.background_weight},
            {"class_balance", o.class_balance},
            {"match_distance_weight", o.match_distance_weight},
            {"flips", o.flips},
            {"rotations", o.rotations},
            {"colour_jitter", o.colour_jitter},
            {"stain_fit_epochs", o.stain_fit_epochs},
            {"stain_fit_lr", o.stain_fit_lr},
            {"adapt_weight", o.adapt_weight},
            {"adapt_tiles", o.adapt_tiles},
            {"adapt_tissue_mask", o.adapt_tissue_mask},
            {"seed", o.seed}};
    // Written only when they differ from the values of the time before they existed, so that
    // checkpoints made then still resume with those values.
    if (o.backbone_lr_scale != 1.0) j["backbone_lr_scale"] = o.backbone_lr_scale;
    if (o.stain_fit_batch != 4) j["stain_fit_batch"] = o.stain_fit_batch;
    const Precision used = resolve_precision(o.precision);
    if (used != Precision::Fp32) j["precision"] = to_string(used);
    return j;
}

json epoch_json(const FinetuneEpoch& e) {
    return {{"epoch", e.epoch},   {"loss", e.loss},       {"loss_type", e.loss_type},
            {"loss_reg", e.loss_reg}, {"loss_cons", e.loss_cons}, {"lambda_cons", e.lambda_cons},
            {"lr", e.lr},         {"seconds", e.seconds}, {"pseudo_labels", e.pseudo_labels}};
}

FinetuneEpoch epoch_from_json(const json& j, const std::string& where) {
    FinetuneEpoch e;
    const auto epoch = io::json_integer(j.at("epoch"), 0, std::numeric_limits<int>::max());
    if (!epoch) throw CorruptFile(where + ": a history entry's epoch is not a non-negative integer");
    e.epoch = static_cast<int>(*epoch);
    e.loss = j.at("loss").get<double>();
    e.loss_type = j.at("loss_type").get<double>();
    e.loss_reg = j.at("loss_reg").get<double>();
    e.loss_cons = j.at("loss_cons").get<double>();
    e.lambda_cons = j.at("lambda_cons").get<double>();
    e.lr = j.at("lr").get<double>();
    e.seconds = j.at("seconds").get<double>();
    const auto pseudo = io::json_integer(j.at("pseudo_labels"), 0, std::numeric_limits<std::int64_t>::max());
    if (!pseudo) throw CorruptFile(where + ": a history entry's pseudo-label count is not a non-negative integer");
    e.pseudo_labels = *pseudo;
    return e;
}

/// The base weights with H_type's output grown from K + 1 to K' + 1 rows: the old classes keep
/// their rows, background moves to the end, new classes start from `fresh`'s rows.
model::NamedTensors grow_type_head(model::NamedTensors weights, const model::NamedTensors& fresh, std::int64_t old_k,
                                   std::int64_t new_k) {
    for (const char* name : nn::kTypeHeadOutputTensors) {
        const at::Tensor old_t = weights.at(name);
        at::Tensor grown = fresh.at(name).detach().clone();
        grown.narrow(0, 0, old_k).copy_(old_t.narrow(0, 0, old_k));
        grown.narrow(0, new_k, 1).copy_(old_t.narrow(0, old_k, 1));
        weights[name] = grown;
    }
    return weights;
}

struct RegionRef {
    std::size_t slide = 0, region = 0;
};

/// The loss of one sample through the whole network, `input` being its normalised pixels; the
/// heads run with autograd only where the loss reaches (train/loss_proposals.hpp).
train::DetectionLoss sample_loss(model::Network& network, const at::Tensor& input, const train::LfovSample& sample,
                                 const train::LossWeights& weights, int stride, Precision precision) {
    const at::Tensor dense = model::forward_dense(network, input, precision);
    const nn::GridFeatures g = nn::grid_features(dense, sample.side, stride);
    return train::loss_where_it_reaches(*network.head, g.features, g.proposals, sample.in_region.unsqueeze(0), sample.nuclei,
                                        weights, stride);
}

/// Mean loss (L_reg and L_type as fine-tuning weighs them, no L_cons) of `network` on each
/// annotated region's own square, unaugmented: how well a starting point already fits the
/// lab's clicks. The squares alone, not LFoV samples, keep this to a few seconds.
double loss_on_regions(model::Network& network, const ModelConfig& config, const std::vector<FinetuneSlide>& data,
                       const std::vector<RegionRef>& refs, const std::vector<detect::TilePlan>& plans,
                       train::LfovOptions lfov, train::LossWeights weights, Precision precision) {
    at::NoGradGuard no_grad;
    network.net->eval();
    lfov.lfov = false;
    weights.cons = 0.0;
    std::mt19937_64 rng(0);  // unused without LFoV and augmentation; the sampler wants one
    double sum = 0.0;
    for (const RegionRef& ref : refs) {
        const auto& d = data[ref.slide];
        train::LfovSample s = train::make_lfov_sample(*d.slide, plans[ref.slide], d.regions[ref.region], lfov, rng, false);
        sum += sample_loss(network, model::normalise_rgb(s.rgb.unsqueeze(0), config), s, weights, lfov.stride_px, precision)
                   .total.item<double>();
    }
    return sum / static_cast<double>(refs.size());
}

/// Heads mode: the features at the proposals of one fixed sample per region.
struct CachedSample {
    at::Tensor features;   ///< [1, N, C]
    at::Tensor proposals;  ///< [N, 2]
    at::Tensor in_region;  ///< [1, N] bool
    std::vector<LabelledPoint> nuclei;
};

/// FinetuneOptions::stain_fit_epochs: the 12 numbers of ModelConfig::od_transform (starting
/// from `config`'s, or none) that minimise L_reg + L_type on the regions' own squares with every
/// weight of `network` frozen. Twelve numbers cannot learn the clicked nuclei by heart; they
/// can undo how the lab's stain and scanner differ (linear in optical density).
std::vector<float> fit_stain_correction(model::Network& network, const ModelConfig& config, const std::vector<FinetuneSlide>& data,
                                        const std::vector<RegionRef>& refs, const std::vector<detect::TilePlan>& plans,
                                        train::LfovOptions lfov, train::LossWeights weights, const FinetuneOptions& o,
                                        FinetuneResult& result, const Progress& progress) {
    network.net->eval();
    for (auto& p : network.net->parameters()) p.set_requires_grad(false);
    // Frozen and in eval mode, the network's BatchNorms fold into its convolutions: each pass
    // and its backward then skip a sweep over every activation map per BatchNorm.
    network.net->fold_batchnorm();
    // In bfloat16 passes the folded weights' bfloat16 copies are made once, not cast per pass.
    nn::Bf16Weights bf16_weights;
    std::optional<nn::UseBf16Weights> use_bf16_weights;
    if (resolve_precision(o.precision) == Precision::Bf16) use_bf16_weights.emplace(bf16_weights);
    at::Tensor matrix = at::eye(3), offset = at::zeros({3});
    if (!config.od_transform.empty()) {
        const at::Tensor t = at::tensor(at::ArrayRef<float>(config.od_transform.data(), 12));
        matrix = t.narrow(0, 0, 9).view({3, 3}).clone();
        offset = t.narrow(0, 9, 3).clone();
    }
    matrix.set_requires_grad(true);
    offset.set_requires_grad(true);
    torch::optim::Adam optimiser(std::vector<at::Tensor>{matrix, offset}, torch::optim::AdamOptions(o.stain_fit_lr));
    lfov.lfov = false;
    lfov.augment.colour_jitter = 0.0;  // the colours are what is being fitted
    weights.cons = 0.0;
    const std::size_t batch = static_cast<std::size_t>(o.stain_fit_batch);
    const auto steps_per_epoch = static_cast<std::int64_t>((refs.size() + batch - 1) / batch);
    const int epochs = o.stain_fit_epochs;
    const std::int64_t total = static_cast<std::int64_t>(refs.size()) * epochs;
    std::int64_t step = 0, done = 0;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        std::mt19937_64 rng(o.seed * 0xBF58476D1CE4E5B9ULL + static_cast<std::uint64_t>(epoch));
        std::vector<std::size_t> order(refs.size());
        std::iota(order.begin(), order.end(), 0);
        std::shuffle(order.begin(), order.end(), rng);
        double epoch_loss = 0.0;
        for (std::int64_t s = 0; s < steps_per_epoch; ++s, ++step) {
            train::set_learning_rate(optimiser, train::cosine_lr(o.stain_fit_lr, o.stain_fit_lr / 10, step,
                                                                 steps_per_epoch * epochs));
            optimiser.zero_grad();
            const std::size_t first = static_cast<std::size_t>(s) * batch;
            const std::size_t last = std::min(first + batch, order.size());
            for (std::size_t i = first; i < last; ++i) {
                progress.check();
                const RegionRef& ref = refs[order[i]];
                const auto& d = data[ref.slide];
                train::LfovSample smp = train::make_lfov_sample(*d.slide, plans[ref.slide], d.regions[ref.region], lfov, rng);
                const at::Tensor loss = sample_loss(network, model::normalise_rgb(smp.rgb.unsqueeze(0), config, matrix, offset), smp,
                                                    weights, lfov.stride_px, o.precision)
                                            .total;
                (loss / static_cast<double>(last - first)).backward();
                epoch_loss += loss.item<double>();
                progress.report({++done, total, "samples", "fitting a correction of the lab's stain"});
            }
            optimiser.step();
        }
        epoch_loss /= static_cast<double>(refs.size());
        if (epoch == 1) result.stain_fit_loss_first = epoch_loss;
        result.stain_fit_loss_last = epoch_loss;
    }
    const at::Tensor t = at::cat({matrix.detach().flatten(), offset.detach()}).contiguous();
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + 12);
}

/// What fine-tuning does before its first epoch (the stain fit, then the BatchNorm adaptation
/// and its choice), in the `result` fields and the start model's provenance: a checkpoint keeps
/// it so that a resumed run neither repeats it nor reports it differently.
/// FinetuneResult::adapt_losses as the model's provenance and the checkpoint write them.
json adapt_losses_json(const FinetuneResult& r) {
    json losses = json::array();
    for (const auto& [w, loss] : r.adapt_losses) losses.push_back({{"weight", w}, {"loss", loss}});
    return losses;
}

json preparation_json(const FinetuneResult& r, const json& start_provenance) {
    return {{"stain_fit_loss_first", r.stain_fit_loss_first},
            {"stain_fit_loss_last", r.stain_fit_loss_last},
            {"adapt_weight", r.adapt_weight},
            {"adapt_losses", adapt_losses_json(r)},
            {"adapted_tiles", r.adapted_tiles},
            {"adapted_layers", r.adapted_layers},
            {"base_model_provenance", start_provenance}};
}

void restore_preparation(const json& j, FinetuneResult& r, const std::string& where) {
    try {
        r.stain_fit_loss_first = j.at("stain_fit_loss_first").get<double>();
        r.stain_fit_loss_last = j.at("stain_fit_loss_last").get<double>();
        r.adapt_weight = j.at("adapt_weight").get<double>();
        for (const auto& e : j.at("adapt_losses")) r.adapt_losses.emplace_back(e.at("weight").get<double>(), e.at("loss").get<double>());
        r.adapted_tiles = j.at("adapted_tiles").get<std::int64_t>();
        r.adapted_layers = j.at("adapted_layers").get<std::int64_t>();
        if (!j.at("base_model_provenance").is_object()) throw CorruptFile(where + ": base_model_provenance is not an object");
    } catch (const json::exception& e) {
        throw CorruptFile(where + ": the fine-tuning's first steps are recorded wrongly: " + e.what());
    }
}

/// A checkpoint to resume from, checked against the options it must have been made with.
struct SavedRun {
    ModelConfig config;           ///< od_transform: the stain fit it did
    model::NamedTensors weights;  ///< the network's, after `epoch`
    model::NamedTensors adam;     ///< the optimiser's state
    int epoch = 0;
    std::vector<FinetuneEpoch> history;
    json prepared;                ///< preparation_json; null in checkpoints made before it was kept
};

SavedRun read_checkpoint(const FinetuneOptions& o) {
    const std::string where = "'" + o.checkpoint.string() + "'";
    if (!std::filesystem::exists(o.checkpoint)) throw InvalidArgument("cannot resume: no checkpoint at " + where);
    model::ModelFileContents file = model::read_model_file(o.checkpoint);
    const json state = json::parse(file.config.provenance_json).value(kCheckpointKey, json());
    if (!state.is_object()) throw InvalidArgument(where + " is not a fine-tuning checkpoint");
    if (state.value("options", json()) != options_json(o)) {
        throw InvalidArgument("cannot resume from " + where + ": it was made with other options (" +
                              state.value("options", json()).dump() + ")");
    }
    SavedRun saved;
    saved.adam = model::take_prefixed(file.weights, kAdamPrefix);
    saved.weights = std::move(file.weights);
    saved.config = std::move(file.config);
    // The checkpoint's checksums prove it was written whole, not by whom: its state is read
    // with checked numbers, and a wrong field is an error naming the file.
    try {
        const auto epoch = io::json_integer(state.at("epoch"), 0, o.epochs);
        if (!epoch) throw CorruptFile(where + ": its epoch is not in 0.." + std::to_string(o.epochs));
        saved.epoch = static_cast<int>(*epoch);
        for (const auto& e : state.at("history")) saved.history.push_back(epoch_from_json(e, where));
    } catch (const json::exception& e) {
        throw CorruptFile(where + ": fine-tuning state is damaged: " + e.what());
    }
    saved.prepared = state.value("prepared", json());
    return saved;
}

/// The model training starts from: the base with the lab's stain correction fitted
/// (FinetuneOptions::stain_fit_epochs; written into `config`) and its BatchNorm statistics
/// adapted to the slides (FinetuneOptions::adapt_weight), what was done recorded in `result`.
template <class StartNetwork>
Model prepare_start(const Model& base, const ModelConfig& base_config, ModelConfig& config, const std::vector<FinetuneSlide>& data,
                    const std::vector<RegionRef>& refs, const std::vector<detect::TilePlan>& plans,
                    const train::LfovOptions& lfov, const train::LossWeights& weights, const FinetuneOptions& o,
                    FinetuneResult& result, const StartNetwork& start_network, const Progress& progress) {
    // The stain correction, fitted first (FinetuneOptions::stain_fit_epochs): everything after
    // it, the statistics included, sees the lab's pixels as corrected.
    Model corrected = base;
    if (o.stain_fit_epochs > 0) {
        model::Network net = start_network(base);
        config.od_transform = fit_stain_correction(net, config, data, refs, plans, lfov, weights, o, result, progress);
        ModelConfig with = base_config;
        with.od_transform = config.od_transform;
        corrected = Model::from_weights(with, base.state_dict());
    }

    // The label-free first step: the statistics of the lab's tissue, so that the heads (and,
    // in heads mode, the cached features) start from activations normalised as in training.
    // Chosen (kAdaptAuto): each blend's model scores the clicked nuclei before any training, and
    // the best fit is where training starts; a lab like the training data keeps the model's own.
    const std::optional<AdaptResult> adapted = adapt_to_slides(corrected, data, o, progress);
    std::optional<Model> chosen;
    if (adapted) {
        result.adapted_tiles = adapted->tiles;
        result.adapted_layers = adapted->batchnorm_layers;
        result.adapt_weight = o.adapt_weight;
        if (o.adapt_weight == FinetuneOptions::kAdaptAuto) {
            double best = std::numeric_limits<double>::infinity();
            for (const double w : kAdaptChoices) {
                progress.check();
                Model candidate = blend_batchnorm_statistics(corrected, *adapted, w);
                model::Network net = start_network(candidate);
                const double loss = loss_on_regions(net, config, data, refs, plans, lfov, weights, o.precision);
                result.adapt_losses.emplace_back(w, loss);
                progress.report({static_cast<std::int64_t>(result.adapt_losses.size()),
                                 static_cast<std::int64_t>(std::size(kAdaptChoices)), "weights",
                                 "choosing how far to adapt to the slides' stain"});
                if (loss < best) {
                    best = loss;
                    result.adapt_weight = w;
                    chosen = std::move(candidate);
                }
            }
            if (result.adapt_weight == 0.0) result.adapted_tiles = result.adapted_layers = 0;  // the model's own kept
        } else {
            chosen = adapted->model;
        }
    }
    return chosen ? *chosen : corrected;
}

}  // namespace

FinetuneMode parse_finetune_mode(const std::string& name) {
    if (name == "full") return FinetuneMode::Full;
    if (name == "decoder") return FinetuneMode::Decoder;
    if (name == "heads") return FinetuneMode::Heads;
    throw InvalidArgument("unknown fine-tuning mode '" + name + "' (known: full, decoder, heads)");
}

std::string to_string(FinetuneMode mode) {
    switch (mode) {
        case FinetuneMode::Full: return "full";
        case FinetuneMode::Decoder: return "decoder";
        case FinetuneMode::Heads: return "heads";
    }
    return "?";
}

double cons_ramp(int epoch, int epochs, double max) {
    if (epochs <= 1) return max;
    return max * (1.0 - std::cos(kPi * static_cast<double>(epoch) / static_cast<double>(epochs - 1))) / 2.0;
}

void FinetuneOptions::validate() const {
    auto require = [](bool ok, const std::string& what) {
        if (!ok) throw InvalidArgument(what);
    };
    require(epochs >= 1, "epochs must be at least 1, got " + std::to_string(epochs));
    require(batch >= 1, "batch must be at least 1, got " + std::to_string(batch));
    require(sample_px >= 32 && sample_px % 32 == 0, "sample_px must be a positive multiple of 32, got " + std::to_string(sample_px));
    require(lr > 0 && lr_min >= 0 && lr_min <= lr, "the learning rates must satisfy 0 <= lr_min <= lr and lr > 0");
    require(weight_decay >= 0, "weight_decay must be >= 0");
    require(backbone_lr_scale > 0 && backbone_lr_scale <= 1, "backbone_lr_scale must be in (0, 1], got " + std::to_string(backbone_lr_scale));
    require(reg_weight >= 0 && type_weight > 0 && cons_weight >= 0, "reg_weight and cons_weight must be >= 0, type_weight > 0");
    require(cons_threshold > 0 && cons_threshold <= 1, "cons_threshold must be in (0, 1]");
    require(background_weight > 0, "background_weight must be > 0");
    require(class_balance >= 0 && class_balance <= 1, "class_balance must be in [0, 1]");
    require(match_distance_weight >= 0, "match_distance_weight must be >= 0");
    require(colour_jitter >= 0 && colour_jitter < 1, "colour_jitter must be in [0, 1)");
    require(adapt_weight == kAdaptAuto || (adapt_weight >= 0 && adapt_weight <= 1),
            "adapt_weight must be in [0, 1] (0 = no adaptation) or kAdaptAuto, got " + std::to_string(adapt_weight));
    require(adapt_tiles >= kMinAdaptTiles && adapt_tiles <= 100000,
            "adapt_tiles must be in " + std::to_string(kMinAdaptTiles) + "..100000, got " + std::to_string(adapt_tiles));
    require(stain_fit_epochs >= 0 && stain_fit_lr > 0, "stain_fit_epochs must be >= 0 and stain_fit_lr > 0");
    require(stain_fit_batch >= 1, "stain_fit_batch must be at least 1, got " + std::to_string(stain_fit_batch));
    require(!resume || !checkpoint.empty(), "resume needs a checkpoint file");
    resolve_precision(precision);  // bf16 on a CPU without native bfloat16: refused now
}

FinetuneResult finetune(const Model& base, const std::vector<ClassInfo>& classes, const std::vector<FinetuneSlide>& data,
                        const FinetuneOptions& o, const Progress& progress,
                        const std::function<void(const FinetuneEpoch&)>& on_epoch) {
    o.validate();
    const ModelConfig& base_config = base.config();
    if (!base_config.has_heads()) {
        throw InvalidArgument("fine-tuning needs a model with detection heads (a detection model such as the default "
                              "model, or one made by muse train); an imported backbone has none");
    }
    if (classes.size() < base_config.classes.size()) throw InvalidArgument("fewer classes than the base model has");
    for (std::size_t i = 0; i < base_config.classes.size(); ++i) {
        if (classes[i].name != base_config.classes[i].name) {
            throw InvalidArgument("the classes must start with the base model's, in its order ('" +
                                  base_config.classes[i].name + "' expected, '" + classes[i].name + "' given)");
        }
    }
    ModelConfig config = base_config;
    config.classes = classes;
    if (!config.detection.class_score_thresholds.empty()) {  // a new class decodes at the overall threshold
        config.detection.class_score_thresholds.resize(classes.size(), config.detection.score_threshold);
    }
    const int stride = config.detection.proposal_stride_px;

    FinetuneResult result{base, {}, 0, 0, 0, 0.0, 0, 0, 0, 0, 0.0, {}};
    std::vector<double> class_counts(classes.size(), 0.0);  // what --class-balance weighs by
    std::vector<RegionRef> refs;
    std::vector<detect::TilePlan> plans;
    for (std::size_t s = 0; s < data.size(); ++s) {
        const auto& d = data[s];
        if (!d.slide) throw InvalidArgument("fine-tuning slide " + std::to_string(s + 1) + " is missing");
        const double mpp = slide_mpp(*d.slide, d.mpp);
        plans.push_back(detect::reading_plan(*d.slide, config.mpp, mpp, 32));
        for (std::size_t r = 0; r < d.regions.size(); ++r) {
            for (const auto& n : d.regions[r].nuclei) {
                if (n.class_index < 0 || static_cast<std::size_t>(n.class_index) >= classes.size()) {
                    throw InvalidArgument("region '" + d.regions[r].name + "' has a nucleus of class " +
                                          std::to_string(n.class_index) + " but there are " +
                                          std::to_string(classes.size()) + " classes");
                }
            }
            train::add_class_counts(d.regions[r].nuclei, class_counts);
            refs.push_back({s, r});
            result.nuclei += static_cast<std::int64_t>(d.regions[r].nuclei.size());
        }
    }
    if (refs.empty()) throw InvalidArgument("fine-tuning needs at least one annotated region");
    result.regions = static_cast<std::int64_t>(refs.size());

    train::LossWeights weights;
    weights.reg = o.reg_weight;
    weights.type = o.type_weight;
    weights.background = o.background_weight;
    weights.classes = train::class_balance_weights(class_counts, o.class_balance);
    weights.match_distance = o.match_distance_weight;
    weights.cons_threshold = o.cons_threshold;
    train::LfovOptions lfov;
    lfov.sample_px = o.sample_px;
    lfov.lfov = o.lfov;
    lfov.stride_px = stride;
    lfov.augment.flips = o.flips;
    lfov.augment.rotations = o.rotations;
    lfov.augment.colour_jitter = o.colour_jitter;
    lfov.augment.model_mpp = config.mpp;

    // The network fine-tuning starts from: `start`'s weights, the type head grown for new
    // classes (its fresh rows drawn from the seed, the same for every start).
    auto start_network = [&](const Model& start) {
        at::manual_seed(o.seed);
        model::Network network = model::build_network(config);
        model::NamedTensors init = start.state_dict();
        if (classes.size() > base_config.classes.size()) {
            init = grow_type_head(std::move(init), model::weights_of(*network.net),
                                  static_cast<std::int64_t>(base_config.classes.size()),
                                  static_cast<std::int64_t>(classes.size()));
        }
        model::load_weights(*network.net, init, "the base model");
        return network;
    };

    // A resumed run reads its checkpoint first: the options must match before any work, and
    // the stain fit and adaptation it already did are taken from it, not done again.
    std::optional<SavedRun> saved;
    if (o.resume) saved = read_checkpoint(o);

    std::optional<Model> prepared;  // where training starts, when this run prepares it
    if (saved && saved->prepared.is_object()) {
        config.od_transform = saved->config.od_transform;
        restore_preparation(saved->prepared, result, "'" + o.checkpoint.string() + "'");
    } else {
        prepared = prepare_start(base, base_config, config, data, refs, plans, lfov, weights, o, result, start_network, progress);
    }
    // The weights come from the checkpoint when resuming; the start only has to have its shapes.
    const Model& start_model = prepared ? *prepared : base;
    const json start_provenance = prepared ? json::parse(start_model.config().provenance_json)
                                           : saved->prepared.at("base_model_provenance");
    model::Network network = start_network(start_model);

    // Two parameter groups: the decoder and heads at the learning rate, the backbone (trained in
    // full mode only) at FinetuneOptions::backbone_lr_scale of it.
    train::NamedParameters trainable;
    std::vector<at::Tensor> head_tensors, backbone_tensors;
    for (auto& p : network.net->named_parameters()) {
        const std::string& name = p.key();
        const bool train = o.mode == FinetuneMode::Full ||
                           (o.mode == FinetuneMode::Decoder && !model::in_backbone(name)) ||
                           (o.mode == FinetuneMode::Heads && model::in_heads(name));
        p.value().set_requires_grad(train);
        if (train) {
            trainable.emplace_back(name, p.value());
            (model::in_backbone(name) ? backbone_tensors : head_tensors).push_back(p.value());
        }
    }
    // Frozen parts keep their BatchNorm statistics. So do the trained ones: samples go through
    // the network one at a time (their sizes differ), and BatchNorm in training mode would
    // normalise each image by its own statistics and drag the running ones after a few
    // hundred images; measured on BRCA-M2C, full fine-tuning then lost half its detection
    // recall (docs/finetune.md). Their scale and shift still train.
    network.net->train();
    for (auto& m : network.net->named_modules()) {
        if ((o.mode == FinetuneMode::Decoder && model::in_backbone(m.key())) ||
            (o.mode == FinetuneMode::Heads && !model::in_heads(m.key()) && !m.key().empty()) ||
            m.value()->as<torch::nn::BatchNorm2d>() != nullptr) {
            m.value()->eval();
        }
    }
    std::vector<torch::optim::OptimizerParamGroup> groups;
    std::vector<double> group_lr_scales;
    for (auto* tensors : {&head_tensors, &backbone_tensors}) {
        if (tensors->empty()) continue;
        groups.emplace_back(*tensors, std::make_unique<torch::optim::AdamOptions>(
                                          torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay)));
        group_lr_scales.push_back(tensors == &backbone_tensors ? o.backbone_lr_scale : 1.0);
    }
    torch::optim::Adam optimiser(std::move(groups), torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));

    // New classes' rows of H_type's output start from random weights while everything else
    // starts trained: at the rate that suits the rest they were hardly learned when the
    // features had not been trained to separate the class (docs/finetune.md). Their Adam steps
    // are taken kNewClassStepScale times over (Adam's step does not depend on the gradient's
    // scale, so scaling the step is scaling these rows' learning rate; nothing to checkpoint).
    constexpr double kNewClassStepScale = 10.0;
    const std::int64_t old_rows = static_cast<std::int64_t>(base_config.classes.size());
    const std::int64_t new_rows = static_cast<std::int64_t>(classes.size()) - old_rows;
    std::vector<at::Tensor> new_class_rows;  // views of the new rows, in the trained parameters
    if (new_rows > 0) {
        const auto params = network.net->named_parameters();
        for (const char* name : nn::kTypeHeadOutputTensors) {
            new_class_rows.push_back(params[name].narrow(0, old_rows, new_rows));  // throws if the name is gone
        }
    }

    int start_epoch = 0;
    if (saved) {
        model::load_weights(*network.net, saved->weights, "the checkpoint");
        train::restore_adam_state(optimiser, trainable, saved->adam);
        start_epoch = saved->epoch;
        result.history = saved->history;
        result.resumed_after_epoch = start_epoch;
    }

    const auto start = Clock::now();
    std::vector<CachedSample> cache;
    if (o.mode == FinetuneMode::Heads) {
        // One fixed sample per region; its features never change while the backbone is frozen.
        at::NoGradGuard no_grad;
        std::mt19937_64 rng(o.seed);
        for (std::size_t i = 0; i < refs.size(); ++i) {
            progress.check();
            const auto& d = data[refs[i].slide];
            train::LfovSample s = train::make_lfov_sample(*d.slide, plans[refs[i].slide], d.regions[refs[i].region], lfov, rng,
                                                          false);
            const at::Tensor dense = model::forward_dense(network, model::normalise_rgb(s.rgb.unsqueeze(0), config), o.precision);
            CachedSample c;
            const nn::GridFeatures g = nn::grid_features(dense, s.side, stride);
            c.proposals = g.proposals;
            c.features = g.features.detach().clone();
            c.in_region = s.in_region.unsqueeze(0);
            c.nuclei = std::move(s.nuclei);
            cache.push_back(std::move(c));
            progress.report({static_cast<std::int64_t>(i + 1), static_cast<std::int64_t>(refs.size()), "regions",
                             "computing the features of the annotated regions once"});
        }
        result.cache_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    }

    const auto steps_per_epoch = static_cast<std::int64_t>((refs.size() + o.batch - 1) / o.batch);
    const std::int64_t total_steps = steps_per_epoch * o.epochs;
    const std::int64_t total_samples = static_cast<std::int64_t>(refs.size()) * o.epochs;
    std::int64_t step = steps_per_epoch * start_epoch;
    std::int64_t samples_done = static_cast<std::int64_t>(refs.size()) * start_epoch;
    const auto loop_start = Clock::now();
    for (int epoch = start_epoch + 1; epoch <= o.epochs; ++epoch) {
        const auto epoch_start = Clock::now();
        // A random stream per epoch: a resumed run draws exactly what the first run would have.
        std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch));
        std::vector<std::size_t> order(refs.size());
        std::iota(order.begin(), order.end(), 0);
        std::shuffle(order.begin(), order.end(), rng);
        FinetuneEpoch report;
        report.epoch = epoch;
        report.lambda_cons = cons_ramp(epoch - 1, o.epochs, o.cons_weight);
        weights.cons = report.lambda_cons;
        for (std::int64_t s = 0; s < steps_per_epoch; ++s, ++step) {
            const double lr = train::cosine_lr(o.lr, o.lr_min, step, total_steps);
            train::set_learning_rate(optimiser, lr, group_lr_scales);
            report.lr = lr;
            optimiser.zero_grad();
            const std::size_t first = static_cast<std::size_t>(s) * o.batch;
            const std::size_t last = std::min(first + o.batch, order.size());
            for (std::size_t i = first; i < last; ++i) {
                progress.check();
                const std::size_t k = order[i];
                train::DetectionLoss loss;
                if (o.mode == FinetuneMode::Heads) {
                    // The heads run with autograd only where the loss reaches (train/loss_proposals.hpp).
                    const CachedSample& c = cache[k];
                    loss = train::loss_where_it_reaches(*network.head, c.features, c.proposals, c.in_region, c.nuclei, weights,
                                                        stride, o.precision);
                } else {
                    const auto& d = data[refs[k].slide];
                    train::LfovSample smp =
                        train::make_lfov_sample(*d.slide, plans[refs[k].slide], d.regions[refs[k].region], lfov, rng);
                    loss = sample_loss(network, model::normalise_rgb(smp.rgb.unsqueeze(0), config), smp, weights, stride,
                                       o.precision);
                }
                (loss.total / static_cast<double>(last - first)).backward();
                report.loss += loss.total.item<double>();
                report.loss_type += loss.type.item<double>();
                report.loss_reg += loss.reg.item<double>();
                report.loss_cons += loss.cons.item<double>();
                report.pseudo_labels += loss.pseudo_labels;
                ++samples_done;
                const double elapsed = std::chrono::duration<double>(Clock::now() - loop_start).count();
                const std::int64_t done_here = samples_done - static_cast<std::int64_t>(refs.size()) * start_epoch;
                const double eta = elapsed / static_cast<double>(done_here) * static_cast<double>(total_samples - samples_done);
                char msg[200];
                std::snprintf(msg, sizeof msg, "epoch %d/%d, loss %.4f (type %.4f, reg %.3f, cons %.4f x %.3f), ETA %.0f s",
                              epoch, o.epochs, loss.total.item<double>(), loss.type.item<double>(),
                              loss.reg.item<double>(), loss.cons.item<double>(), report.lambda_cons, eta);
                progress.report({samples_done, total_samples, "samples", msg});
            }
            std::vector<at::Tensor> rows_before;
            for (const at::Tensor& rows : new_class_rows) rows_before.push_back(rows.detach().clone());
            optimiser.step();
            {
                at::NoGradGuard no_grad;
                for (std::size_t r = 0; r < new_class_rows.size(); ++r) {
                    at::Tensor rows = new_class_rows[r].detach();
                    rows.copy_(rows_before[r] + (rows - rows_before[r]) * kNewClassStepScale);
                }
            }
        }
        const double n = static_cast<double>(refs.size());
        report.loss /= n;
        report.loss_type /= n;
        report.loss_reg /= n;
        report.loss_cons /= n;
        report.seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
        result.history.push_back(report);
        if (!o.checkpoint.empty()) {
            model::NamedTensors all = model::copy_weights_of(*network.net);
            model::put_prefixed(all, train::save_adam_state(optimiser, trainable), kAdamPrefix);
            json history = json::array();
            for (const auto& e : result.history) history.push_back(epoch_json(e));
            ModelConfig cp = config;
            cp.provenance_json = json{{kCheckpointKey,
                                       {{"epoch", epoch},
                                        {"options", options_json(o)},
                                        {"history", history},
                                        {"prepared", preparation_json(result, start_provenance)}}}}
                                     .dump();
            model::write_model_file(o.checkpoint, cp, all);
        }
        if (on_epoch) on_epoch(report);
    }

    json provenance = json::parse(o.provenance_json);
    if (!provenance.is_object()) provenance = json{{"caller", provenance}};
    provenance["source"] = "muse finetune";
    provenance["base_model"] = start_provenance;  // with the adaptation, if any
    json history = json::array();
    for (const auto& e : result.history) history.push_back(epoch_json(e));
    std::vector<std::string> new_classes;
    for (std::size_t i = base_config.classes.size(); i < classes.size(); ++i) new_classes.push_back(classes[i].name);
    provenance["finetune"] = {{"by", std::string("muse ") + MUSE_VERSION_STRING},
                              {"options", options_json(o)},
                              {"adapt_weight", result.adapt_weight},
                              {"stain_fit", {{"od_transform", config.od_transform},
                                             {"loss_first_epoch", result.stain_fit_loss_first},
                                             {"loss_last_epoch", result.stain_fit_loss_last}}},
                              {"adapt_losses", adapt_losses_json(result)},
                              {"regions", result.regions},
                              {"nuclei", result.nuclei},
                              {"new_classes", new_classes},
                              {"resumed_after_epoch", result.resumed_after_epoch},
                              {"seconds", std::chrono::duration<double>(Clock::now() - start).count()},
                              {"history", history}};
    config.provenance_json = provenance.dump();
    result.model = Model::from_weights(config, model::copy_weights_of(*network.net));
    return result;
}

}  // namespace muse
