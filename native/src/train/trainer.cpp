// The supervised training loop: tiles -> network + heads -> matched loss -> Adam with a cosine
// schedule; validation, best-epoch selection, threshold tuning, atomic checkpoints.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/optim/adam.h>

#include "detect/model_evaluation.hpp"
#include "model/model_config.hpp"
#include "model/model_file.hpp"
#include "model/network.hpp"
#include "model/weights.hpp"
#include "muse/errors.hpp"
#include "muse/train.hpp"
#include "muse/version.hpp"
#include "train/adam_state.hpp"
#include "train/augment.hpp"
#include "train/class_weights.hpp"
#include "train/detection_loss.hpp"
#include "train/lr_schedule.hpp"
#include "train/training_checkpoint.hpp"

namespace muse {
namespace {

using Clock = std::chrono::steady_clock;

void check_labels(const std::vector<LabelledImage>& images, std::size_t classes, const char* which) {
    for (const auto& img : images) {
        for (std::size_t i = 0; i < img.nuclei.size(); ++i) {
            const int c = img.nuclei[i].class_index;
            if (c < 0 || static_cast<std::size_t>(c) >= classes) {
                throw InvalidArgument(std::string(which) + " image '" + img.name + "': nucleus " + std::to_string(i) +
                                      " has class " + std::to_string(c) + " but the model has " +
                                      std::to_string(classes) + " classes");
            }
        }
        if (!(img.mpp > 0.0)) throw InvalidArgument(std::string(which) + " image '" + img.name + "' has no valid mpp");
    }
}

nlohmann::json options_json(const TrainOptions& o) {
    nlohmann::json j = {{"epochs", o.epochs},
            {"batch", o.batch},
            {"tile_px", o.tile_px},
            {"lr", o.lr},
            {"lr_min", o.lr_min},
            {"weight_decay", o.weight_decay},
            {"reg_weight", o.reg_weight},
            {"type_weight", o.type_weight},
            {"background_weight", o.background_weight},
            {"class_balance", o.class_balance},
            {"match_distance_weight", o.match_distance_weight},
            {"flips", o.flips},
            {"rotations", o.rotations},
            {"colour_jitter", o.colour_jitter},
            {"scale_jitter", o.scale_jitter},
            {"stain_jitter", o.stain_jitter},
            {"blur_probability", o.blur_probability},
            {"jpeg_probability", o.jpeg_probability},
            {"distractor_probability", o.distractor_probability},
            {"ema_decay", o.ema_decay},
            {"freeze_backbone", o.freeze_backbone},
            {"seed", o.seed},
            {"val_every", o.val_every},
            {"val_radius_um", o.val_radius_um},
            {"tune_threshold", o.tune_threshold},
            {"class_thresholds", o.class_thresholds}};
    // The precision used, written only when it is not float32 (as every run was before the
    // option), so that older checkpoints still resume.
    const Precision used = resolve_precision(o.precision);
    if (used != Precision::Fp32) j["precision"] = to_string(used);
    return j;
}

model::NamedTensors clone_all(const model::NamedTensors& weights) {
    model::NamedTensors out;
    for (const auto& [name, t] : weights) out[name] = t.clone();
    return out;
}

/// Validation F1 of the current weights at the config's threshold.
EvalReport validate(const ModelConfig& config, const model::NamedTensors& weights, const std::vector<LabelledImage>& val,
                    const TrainOptions& o, const Progress& progress) {
    const Model m = Model::from_weights(config, weights);
    EvalOptions eval;
    eval.radius_um = o.val_radius_um;
    return detect::evaluate_at_thresholds(m, val, {config.detection.score_threshold}, config.detection.merge_radius_um,
                                          eval, progress.silent())
        .front();
}

/// Labelled nuclei of each class over the training images (what --class-balance weighs by).
std::vector<double> class_counts(const std::vector<LabelledImage>& images, std::size_t classes) {
    std::vector<double> count(classes, 0.0);
    for (const auto& img : images) train::add_class_counts(img.nuclei, count);
    return count;
}

/// What a resumed run must share with the run that wrote the checkpoint to end with the same
/// model: the model's configuration (architecture, input, classes, detection settings; not its
/// provenance, which names paths), the options, the images and the thread count (LibTorch's
/// reductions are summed in another order on another count).
nlohmann::json run_identity(const ModelConfig& config, const std::vector<LabelledImage>& train,
                            const std::vector<LabelledImage>& val, const TrainOptions& o, bool initial_weights) {
    ModelConfig bare = config;
    bare.provenance_json = "{}";
    nlohmann::json train_names = nlohmann::json::array(), val_names = nlohmann::json::array();
    for (const auto& img : train) train_names.push_back(img.name);
    for (const auto& img : val) val_names.push_back(img.name);
    return {{"model", nlohmann::json::parse(model::config_to_json(bare))},
            {"options", options_json(o)},
            {"train_images", train_names},
            {"val_images", val_names},
            {"initial_weights", initial_weights},
            {"threads", at::get_num_threads()}};
}

/// Throws CorruptFile naming `file` unless `saved` has exactly the names, shapes and types of
/// `live` (the moving average and the best weights of a checkpoint).
void require_same_tensors(const model::NamedTensors& saved, const model::NamedTensors& live, const std::string& what,
                          const std::filesystem::path& file) {
    bool same = saved.size() == live.size();
    for (auto it = live.begin(); same && it != live.end(); ++it) {
        const auto s = saved.find(it->first);
        same = s != saved.end() && s->second.sizes().equals(it->second.sizes()) &&
               s->second.scalar_type() == it->second.scalar_type();
    }
    if (!same) throw CorruptFile("'" + file.string() + "': " + what + " do not match the model's weights");
}

}  // namespace

void TrainOptions::validate() const {
    auto require = [](bool ok, const std::string& what) {
        if (!ok) throw InvalidArgument(what);
    };
    require(epochs >= 1, "epochs must be at least 1, got " + std::to_string(epochs));
    require(batch >= 1, "batch must be at least 1, got " + std::to_string(batch));
    require(tile_px >= 32 && tile_px % 32 == 0, "tile_px must be a positive multiple of 32, got " + std::to_string(tile_px));
    require(lr > 0 && lr_min >= 0 && lr_min <= lr, "the learning rates must satisfy 0 <= lr_min <= lr and lr > 0");
    require(weight_decay >= 0, "weight_decay must be >= 0");
    require(reg_weight >= 0 && type_weight > 0, "reg_weight must be >= 0 and type_weight > 0");
    require(background_weight > 0, "background_weight must be > 0");
    require(class_balance >= 0 && class_balance <= 1, "class_balance must be in [0, 1]");
    require(match_distance_weight >= 0, "match_distance_weight must be >= 0");
    require(colour_jitter >= 0 && colour_jitter < 1, "colour_jitter must be in [0, 1)");
    require(scale_jitter >= 0 && scale_jitter < 0.5, "scale_jitter must be in [0, 0.5)");
    require(stain_jitter >= 0 && stain_jitter < 1, "stain_jitter must be in [0, 1)");
    require(blur_probability >= 0 && blur_probability <= 1, "blur_probability must be in [0, 1]");
    require(jpeg_probability >= 0 && jpeg_probability <= 1, "jpeg_probability must be in [0, 1]");
    require(distractor_probability >= 0 && distractor_probability <= 1, "distractor_probability must be in [0, 1]");
    require(ema_decay >= 0 && ema_decay < 1, "ema_decay must be in [0, 1)");
    require(val_every >= 1, "val_every must be at least 1");
    require(val_radius_um > 0, "val_radius_um must be > 0");
    require(checkpoint_every >= 1, "checkpoint_every must be at least 1, got " + std::to_string(checkpoint_every));
    require(!resume || !checkpoint.empty(), "resume needs a checkpoint file");
    resolve_precision(precision);  // bf16 on a CPU without native bfloat16: refused now
}

TrainResult train_detector(const ModelConfig& config_in, const std::map<std::string, at::Tensor>& initial_weights,
                           const std::vector<LabelledImage>& train, const std::vector<LabelledImage>& val,
                           const TrainOptions& o, const Progress& progress,
                           const std::function<void(const EpochReport&)>& on_epoch) {
    o.validate();
    ModelConfig config = config_in;
    config.validate();
    if (!config.has_heads()) throw InvalidArgument("training needs the nucleus classes in the model config");
    if (train.empty()) throw InvalidArgument("training needs at least one labelled image");
    check_labels(train, config.classes.size(), "training");
    check_labels(val, config.classes.size(), "validation");
    if (o.tile_px % config.detection.proposal_stride_px != 0) {
        throw InvalidArgument("tile_px must be a multiple of the proposal stride");
    }

    at::manual_seed(o.seed);  // LibTorch's default initialisation of the modules
    std::mt19937_64 rng(o.seed);
    model::Network network = model::build_network(config);
    if (!initial_weights.empty()) {
        model::load_weights(*network.net, initial_weights, "architecture '" + config.arch + "'", "head.");
    }
    if (o.freeze_backbone && initial_weights.empty()) {
        throw InvalidArgument("freezing the backbone needs initial weights (a pretrained or imported backbone)");
    }
    const nlohmann::json identity = run_identity(config, train, val, o, !initial_weights.empty());
    std::optional<train::TrainingState> resumed;
    if (o.resume) {
        resumed = train::read_training_checkpoint(o.checkpoint, identity);
        if (resumed->epoch > o.epochs || resumed->best_epoch > resumed->epoch) {
            throw CorruptFile("'" + o.checkpoint.string() + "': its epoch (" + std::to_string(resumed->epoch) +
                              ") or best epoch is out of range");
        }
        model::load_weights(*network.net, resumed->weights, "the training checkpoint '" + o.checkpoint.string() + "'");
        rng = resumed->random_stream;
    }
    std::vector<at::Tensor> trainable;
    train::NamedParameters named_trainable;  // Adam's state in checkpoints goes by these names
    for (auto& p : network.net->named_parameters()) {
        const bool train = !(o.freeze_backbone && model::in_backbone(p.key()));
        p.value().set_requires_grad(train);
        if (train) {
            trainable.push_back(p.value());
            named_trainable.emplace_back(p.key(), p.value());
        }
    }
    network.net->train();
    if (o.freeze_backbone) {
        for (auto& m : network.net->named_modules()) {
            if (model::in_backbone(m.key())) m.value()->eval();  // its BatchNorm statistics stay the pretrained ones
        }
    }
    torch::optim::Adam optimiser(trainable, torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
    if (resumed) train::restore_adam_state(optimiser, named_trainable, resumed->adam);

    train::AugmentOptions augment;
    augment.tile_px = o.tile_px;
    augment.model_mpp = config.mpp;
    augment.flips = o.flips;
    augment.rotations = o.rotations;
    augment.colour_jitter = o.colour_jitter;
    augment.scale_jitter = o.scale_jitter;
    augment.stain_jitter = o.stain_jitter;
    augment.blur_probability = o.blur_probability;
    augment.jpeg_probability = o.jpeg_probability;
    augment.distractor_probability = o.distractor_probability;
    train::LossWeights weights;
    weights.reg = o.reg_weight;
    weights.type = o.type_weight;
    weights.background = o.background_weight;
    weights.classes = train::class_balance_weights(class_counts(train, config.classes.size()), o.class_balance);
    weights.match_distance = o.match_distance_weight;

    const auto per_epoch = static_cast<std::int64_t>((train.size() + o.batch - 1) / o.batch);
    const std::int64_t total_steps = per_epoch * o.epochs;
    std::vector<std::size_t> order(train.size());
    std::iota(order.begin(), order.end(), 0);

    // The weights' moving average follows each step; it, not the last step, is validated and kept.
    const model::NamedTensors live = model::weights_of(*network.net);
    model::NamedTensors ema;
    if (o.ema_decay > 0) ema = resumed ? clone_all(resumed->average) : model::copy_weights_of(*network.net);
    if (o.ema_decay > 0 && o.resume) require_same_tensors(ema, live, "the moving average's tensors", o.checkpoint);
    auto update_ema = [&](std::int64_t done) {
        at::NoGradGuard no_grad;
        // Short warm-up so that the average does not drag the random start along.
        const double d = std::min(o.ema_decay, (1.0 + static_cast<double>(done)) / (10.0 + static_cast<double>(done)));
        for (auto& [name, avg] : ema) {
            const at::Tensor& now = live.at(name);
            if (avg.is_floating_point()) {
                avg.mul_(d).add_(now.detach(), 1.0 - d);
            } else {
                avg.copy_(now);
            }
        }
    };
    auto current_weights = [&] { return o.ema_decay > 0 ? clone_all(ema) : model::copy_weights_of(*network.net); };

    TrainResult result{Model::from_weights(config, model::copy_weights_of(*network.net)), 0, {}, {}};
    model::NamedTensors best_weights;
    double best_f1 = -1.0;
    int start_epoch = 0;
    if (resumed) {
        start_epoch = resumed->epoch;
        best_weights = clone_all(resumed->best);
        if (!best_weights.empty()) require_same_tensors(best_weights, live, "the best weights", o.checkpoint);
        best_f1 = resumed->best_f1;
        result.best_epoch = resumed->best_epoch;
        result.history = resumed->history;
        if (resumed->order.size() != order.size()) {
            throw CorruptFile("'" + o.checkpoint.string() + "': its image order does not match the " +
                              std::to_string(order.size()) + " training images");
        }
        order = resumed->order;
        if (!best_weights.empty()) result.best_val = validate(config, best_weights, val, o, progress);
        resumed.reset();
    }
    auto save_state = [&](int epoch) {
        train::TrainingState s;
        s.epoch = epoch;
        s.weights = model::copy_weights_of(*network.net);
        s.average = ema;
        s.best = best_weights;
        s.adam = train::save_adam_state(optimiser, named_trainable);
        s.random_stream = rng;
        s.best_epoch = result.best_epoch;
        s.best_f1 = best_f1;
        s.history = result.history;
        s.order = order;
        train::write_training_checkpoint(o.checkpoint, config, s, identity);
    };
    const auto start = Clock::now();
    const std::int64_t start_step = per_epoch * start_epoch;
    std::int64_t step = start_step;
    for (int epoch = start_epoch + 1; epoch <= o.epochs; ++epoch) {
        const auto epoch_start = Clock::now();
        EpochReport report;
        report.epoch = epoch;
        std::shuffle(order.begin(), order.end(), rng);
        for (std::int64_t s = 0; s < per_epoch; ++s, ++step) {
            progress.check();
            const double lr = train::cosine_lr(o.lr, o.lr_min, step, total_steps);
            train::set_learning_rate(optimiser, lr);

            std::vector<at::Tensor> tiles;
            std::vector<std::vector<LabelledPoint>> nuclei;
            const std::size_t first = static_cast<std::size_t>(s) * o.batch;
            for (std::size_t i = first; i < std::min(first + o.batch, order.size()); ++i) {
                train::TrainingTile t = train::make_training_tile(train[order[i]], augment, rng);
                tiles.push_back(t.rgb);
                nuclei.push_back(std::move(t.nuclei));
            }
            const at::Tensor x = model::normalise_rgb(at::stack(tiles), config);
            const at::Tensor dense = model::forward_dense(network, x, o.precision);
            const nn::DetectionHeadImpl::Output out = network.head->forward(dense, o.tile_px, config.detection.proposal_stride_px);
            const train::DetectionLoss loss = train::detection_loss(out.points, out.logits, nuclei, weights);
            optimiser.zero_grad();
            loss.total.backward();
            optimiser.step();
            if (o.ema_decay > 0) update_ema(step);

            report.loss += loss.total.item<double>();
            report.loss_type += loss.type.item<double>();
            report.loss_reg += loss.reg.item<double>();
            report.lr = lr;
            const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
            const double eta = elapsed / static_cast<double>(step + 1 - start_step) * static_cast<double>(total_steps - step - 1);
            char msg[160];
            std::snprintf(msg, sizeof msg, "epoch %d/%d, loss %.4f (type %.4f, reg %.3f), lr %.2e, ETA %.0f s", epoch,
                          o.epochs, loss.total.item<double>(), loss.type.item<double>(), loss.reg.item<double>(), lr, eta);
            progress.report({step + 1, total_steps, "steps", msg});
        }
        report.loss /= static_cast<double>(per_epoch);
        report.loss_type /= static_cast<double>(per_epoch);
        report.loss_reg /= static_cast<double>(per_epoch);

        const bool last = epoch == o.epochs;
        if (!val.empty() && (epoch % o.val_every == 0 || last)) {
            model::NamedTensors current = current_weights();
            const EvalReport r = validate(config, current, val, o, progress);
            report.validated = true;
            report.val_mean_f1 = r.mean_f1;
            if (r.mean_f1 > best_f1) {
                report.best = true;
                best_f1 = r.mean_f1;
                best_weights = std::move(current);
                result.best_epoch = epoch;
                result.best_val = r;
                if (!o.checkpoint_dir.empty()) {
                    model::write_model_file(o.checkpoint_dir / "best.muse", config, best_weights);
                }
            }
        }
        if (!o.checkpoint_dir.empty() && (report.validated || last)) {
            model::write_model_file(o.checkpoint_dir / "last.muse", config, current_weights());
        }
        report.seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
        result.history.push_back(report);
        if (!o.checkpoint.empty() && (epoch % o.checkpoint_every == 0 || report.validated || last)) save_state(epoch);
        if (on_epoch) on_epoch(report);
    }
    if (best_weights.empty()) {  // no validation images: the last epoch
        best_weights = current_weights();
        result.best_epoch = o.epochs;
    }

    if (o.tune_threshold && !val.empty()) {
        // The score thresholds are a decoding setting: choose them on the validation images.
        EvalOptions eval;
        eval.radius_um = o.val_radius_um;
        const ThresholdChoice choice = choose_score_thresholds(Model::from_weights(config, best_weights), val,
                                                               o.class_thresholds, eval, progress.silent());
        config.detection.score_threshold = choice.score_threshold;
        config.detection.class_score_thresholds = choice.class_score_thresholds;
        result.best_val = choice.report;
    }

    nlohmann::json provenance = nlohmann::json::parse(config.provenance_json);
    provenance["training"] = {{"by", std::string("muse ") + MUSE_VERSION_STRING},
                              {"train_images", train.size()},
                              {"val_images", val.size()},
                              {"options", options_json(o)},
                              {"initial_weights", initial_weights.empty() ? "LibTorch default initialisation"
                                                                          : "given (backbone and/or heads)"},
                              {"best_epoch", result.best_epoch},
                              {"score_threshold", config.detection.score_threshold},
                              {"class_score_thresholds", config.detection.class_score_thresholds},
                              {"seconds", std::chrono::duration<double>(Clock::now() - start).count()}};
    if (!val.empty()) {
        provenance["training"]["val_mean_f1"] = result.best_val.mean_f1;
        nlohmann::json per_class = nlohmann::json::object();
        for (const auto& c : result.best_val.classes) per_class[c.name] = c.f1;
        provenance["training"]["val_f1"] = per_class;
    }
    config.provenance_json = provenance.dump();
    result.model = Model::from_weights(config, best_weights);
    return result;
}

}  // namespace muse
