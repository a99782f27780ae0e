// muse::Model: building the network for a variant, the load/import/save flows, forward and
// per-point feature sampling.
#include "muse/model.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "model/bf16_autocast.hpp"
#include "model/checkpoint_import.hpp"
#include "model/model_file.hpp"
#include "model/network.hpp"
#include "model/variants.hpp"
#include "model/weights.hpp"
#include "nn/bf16_weights.hpp"
#include "muse/errors.hpp"
#include "muse/version.hpp"
#include "nn/muse_net.hpp"
#include "nn/vit.hpp"

namespace muse {

struct Model::Impl {
    ModelConfig config;
    const model::Variant* variant = nullptr;
    std::shared_ptr<nn::EncoderDecoder> net;
    nn::DetectionHead head{nullptr};  // null without classes
    std::int64_t parameters = 0;
    /// bfloat16 copies of the weights, made by the first bfloat16 pass (nn/bf16_weights.hpp).
    mutable nn::Bf16Weights bf16_weights;
};

namespace {

/// Wraps a network holding its final weights into an immutable Model::Impl ready for inference.
std::shared_ptr<Model::Impl> finish(ModelConfig config, model::Network network) {
    auto impl = std::make_shared<Model::Impl>();
    impl->variant = &model::find_variant(config.arch);
    std::shared_ptr<nn::EncoderDecoder> net = std::move(network.net);
    net->eval();
    net->fold_batchnorm();
    impl->parameters = model::count_parameters(*net);
    impl->head = network.head;
    impl->net = std::move(net);
    impl->config = std::move(config);
    return impl;
}

std::shared_ptr<Model::Impl> make_impl(ModelConfig config, const std::map<std::string, at::Tensor>& weights) {
    config.validate();
    model::Network network = model::build_network(config);
    model::load_weights(*network.net, weights,
                        "architecture '" + config.arch + "' (img_size " + std::to_string(config.img_size) +
                            (config.has_heads() ? ", " + std::to_string(config.classes.size()) + " classes" : "") + ")");
    return finish(std::move(config), std::move(network));
}

}  // namespace

void ImportOptions::validate() const {
    if (!arch.empty()) model::find_variant(arch);
    if (img_size <= 0) {
        throw InvalidArgument("the model image size is required: 224 for MUSE checkpoints, 512 for LFoV-MUSE ones");
    }
    if (img_size % 32 != 0) {
        throw InvalidArgument("the model image size must be a multiple of 32 (224 or 512 for the released models), got " +
                              std::to_string(img_size));
    }
    if (!(mpp > 0.0 && mpp < 100.0)) throw InvalidArgument("mpp must be in (0, 100), got " + std::to_string(mpp));
}

Model Model::load(const std::filesystem::path& path) {
    try {
        model::ModelFileContents contents = model::read_model_file(path);
        return Model(make_impl(std::move(contents.config), contents.weights));
    } catch (ModelMismatch& e) {
        e.add_context("loading '" + path.string() + "'");
        throw;
    }
}

Model Model::import_checkpoint(const std::filesystem::path& path, const ImportOptions& options) {
    options.validate();
    model::CheckpointBackbone ckpt = model::read_checkpoint_backbone(path);
    const std::string guessed = model::guess_architecture(ckpt.weights);
    ModelConfig config;
    config.arch = options.arch.empty() ? guessed : options.arch;
    if (config.arch.empty()) {
        throw ModelMismatch("'" + path.string() + "': cannot tell the architecture from the weights; pass it explicitly");
    }
    config.img_size = options.img_size;
    config.mpp = options.mpp;
    const model::Variant& v = model::find_variant(config.arch);
    try {
        // The reference re-grids the stored position embedding at load time, even when the grid
        // already matches (it is not an identity): the model file keeps the re-gridded one.
        auto pos = ckpt.weights.find("encoder.encoder.pos_embed");
        if (v.family == model::Family::VisionTransformer && pos != ckpt.weights.end() && pos->second.dim() == 3) {
            pos->second = nn::regrid_pos_embed(pos->second, config.img_size / 16);
        }
        nlohmann::json prov = {{"source", "MUSE .pth checkpoint (teacher backbone)"},
                               {"checkpoint", path.filename().string()},
                               {"checkpoint_bytes", ckpt.file_bytes},
                               {"imported_by", std::string("muse ") + MUSE_VERSION_STRING},
                               {"import", {{"arch", config.arch}, {"img_size", config.img_size}, {"mpp", config.mpp}}}};
        config.provenance_json = prov.dump();
        return Model(make_impl(std::move(config), ckpt.weights));
    } catch (ModelMismatch& e) {
        if (!guessed.empty() && guessed != v.name) {
            e.add_context("the checkpoint looks like '" + guessed + "', not '" + v.name + "'");
        }
        e.add_context("importing '" + path.string() + "'");
        throw;
    }
}

Model Model::open(const std::filesystem::path& path, const ImportOptions& options) {
    if (model::has_checkpoint_signature(path)) return import_checkpoint(path, options);
    return load(path);
}

Model Model::create_untrained(const ModelConfig& config, std::uint64_t seed) {
    config.validate();
    model::Network network = model::build_network(config);
    model::init_untrained(*network.net, seed);
    return Model(finish(config, std::move(network)));
}

Model Model::from_weights(const ModelConfig& config, const std::map<std::string, at::Tensor>& weights) {
    return Model(make_impl(config, weights));
}

void Model::save(const std::filesystem::path& path) const {
    model::write_model_file(path, impl_->config, model::weights_of(*impl_->net));
}

const ModelConfig& Model::config() const { return impl_->config; }
std::int64_t Model::feature_dim() const { return impl_->variant->feature_dim; }
std::int64_t Model::parameter_count() const { return impl_->parameters; }

std::map<std::string, at::Tensor> Model::state_dict() const { return model::weights_of(*impl_->net); }


ForwardOutput Model::forward(const at::Tensor& rgb, Precision precision) const {
    if (!rgb.defined() || rgb.dim() != 4 || rgb.size(3) != 3 || rgb.scalar_type() != at::kByte) {
        throw InvalidArgument("forward expects RGB uint8 tiles shaped [batch, height, width, 3]");
    }
    const std::int64_t h = rgb.size(1), w = rgb.size(2);
    if (h != w || h % kTileMultiple != 0 || h == 0 || rgb.size(0) == 0) {
        throw InvalidArgument("tiles must be square with a side that is a positive multiple of 32, got " +
                              std::to_string(w) + "x" + std::to_string(h) + " (width x height)");
    }
    c10::InferenceMode guard;
    at::Tensor x = model::normalise_rgb(rgb, impl_->config);
    if (resolve_precision(precision) == Precision::Bf16) {
        nn::EncoderDecoder::Output out;
        {
            model::Bf16Autocast autocast;
            nn::UseBf16Weights copies(impl_->bf16_weights);
            out = impl_->net->forward(x);
        }
        return {out.dense.to(at::kFloat).contiguous(), out.global.to(at::kFloat)};
    }
    nn::EncoderDecoder::Output out = impl_->net->forward(x);
    return {out.dense, out.global};
}

at::Tensor Model::point_features(const at::Tensor& dense_map, int tile_px, const std::vector<Point>& points) const {
    at::Tensor map = dense_map.dim() == 3 ? dense_map.unsqueeze(0) : dense_map;
    if (map.dim() != 4 || map.size(0) != 1) throw InvalidArgument("point_features expects one dense map [1, C, h, w]");
    if (tile_px <= 0) throw InvalidArgument("tile_px must be positive");
    std::vector<float> grid;
    grid.reserve(points.size() * 2);
    for (std::size_t i = 0; i < points.size(); ++i) {
        const Point& p = points[i];
        if (!(p.x >= 0.0 && p.x <= tile_px && p.y >= 0.0 && p.y <= tile_px)) {
            throw InvalidArgument("point " + std::to_string(i) + " (x=" + std::to_string(p.x) + ", y=" +
                                  std::to_string(p.y) + ") lies outside the " + std::to_string(tile_px) + "x" +
                                  std::to_string(tile_px) + " tile (coordinates must be within [0, " +
                                  std::to_string(tile_px) + "])");
        }
        // The reference's normalisation: 2 * c / S - 1 with S the input width, both axes.
        grid.push_back(static_cast<float>(p.x) * 2.0f / static_cast<float>(tile_px) - 1.0f);
        grid.push_back(static_cast<float>(p.y) * 2.0f / static_cast<float>(tile_px) - 1.0f);
    }
    c10::InferenceMode guard;
    if (points.empty()) return at::empty({0, map.size(1)});
    at::Tensor g = at::from_blob(grid.data(), {1, 1, static_cast<std::int64_t>(points.size()), 2}).clone();
    // bilinear (0), zero padding (0), align_corners=True
    at::Tensor sampled = at::grid_sampler(map, g, 0, 0, true);  // [1, C, 1, N]
    return sampled[0].select(1, 0).t().contiguous();
}

Proposals Model::predict(const at::Tensor& rgb, Precision precision) const {
    if (!impl_->head) {
        throw InvalidArgument("this model has no detection heads (a backbone only, e.g. imported from a .pth "
                              "checkpoint): train or fine-tune it on labelled nuclei first");
    }
    ForwardOutput out = forward(rgb, precision);
    c10::InferenceMode guard;
    nn::DetectionHeadImpl::Output h =
        impl_->head.ptr()->forward(out.dense_map, rgb.size(2), impl_->config.detection.proposal_stride_px);
    return {out.dense_map, h.points, h.logits.softmax(-1)};
}

at::Tensor Model::class_probabilities_at(const at::Tensor& dense_map, int tile_px, const std::vector<Point>& points) const {
    if (!impl_->head) throw InvalidArgument("this model has no detection heads: it cannot classify nuclei");
    point_features(dense_map, tile_px, {});  // validates the map
    std::vector<float> xy;
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (!(points[i].x >= 0.0 && points[i].x <= tile_px && points[i].y >= 0.0 && points[i].y <= tile_px)) {
            throw InvalidArgument("point " + std::to_string(i) + " lies outside the " + std::to_string(tile_px) + " px tile");
        }
        xy.push_back(static_cast<float>(points[i].x));
        xy.push_back(static_cast<float>(points[i].y));
    }
    c10::InferenceMode guard;
    if (points.empty()) return at::empty({0, static_cast<std::int64_t>(impl_->config.classes.size()) + 1});
    // The heads' own sampling (nn/heads.hpp), as in training.
    const at::Tensor at_points = at::from_blob(xy.data(), {static_cast<std::int64_t>(points.size()), 2}, at::kFloat).clone();
    const at::Tensor map = dense_map.dim() == 3 ? dense_map.unsqueeze(0) : dense_map;
    const at::Tensor features = nn::sample_features(map, at_points, tile_px)[0];
    return impl_->head.ptr()->classify(features).softmax(-1);
}

at::Tensor Model::point_features(const RgbImage& tile, const std::vector<Point>& points, Precision precision) const {
    ForwardOutput out = forward(image_to_tensor(tile), precision);
    return point_features(out.dense_map, tile.width, points);
}

at::Tensor image_to_tensor(const RgbImage& image) {
    if (image.width <= 0 || image.height <= 0 ||
        image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3) {
        throw InvalidArgument("image buffer does not hold width x height x 3 bytes");
    }
    return at::from_blob(const_cast<std::uint8_t*>(image.pixels.data()), {1, image.height, image.width, 3}, at::kByte)
        .clone();
}

}  // namespace muse
