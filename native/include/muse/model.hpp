// The MUSE encoder-decoder: loading (model files, official checkpoints), forward, point features.
//
//   muse::Model model = muse::Model::load("models/muse-vit_s_16-224.muse");
//   muse::RgbImage tile = muse::read_image_file("tile.png");          // square, side % 32 == 0
//   at::Tensor feats = model.point_features(tile, {{12.0, 40.5}});    // [1, feature_dim]
//
//   // The released checkpoints are imported once, without Python or pickled code running:
//   muse::ImportOptions opt;  opt.arch = "vit_small";  opt.img_size = 224;
//   muse::Model::import_checkpoint("vit_s_16-224.pth", opt).save("vit_s_16-224.muse");
//
// Thread-safety: a Model never changes after loading. Its const methods (forward,
// point_features, save) may be called from several threads at once on one Model; copies of
// a Model share the weights. Every function throws muse::Error subclasses (muse/errors.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "muse/precision.hpp"
#include "muse/geometry.hpp"
#include "muse/image.hpp"
#include "muse/nucleus_class.hpp"

namespace muse {

/// How a model with detection heads proposes and decodes nuclei (muse-paper-detection.md).
struct DetectionConfig {
    int proposal_stride_px = 8;     ///< proposals at the centres of stride x stride cells (4, 8, 16 or 32)
    int head_hidden = 256;          ///< width of the H_reg and H_type MLPs
    double score_threshold = 0.5;   ///< keep nuclei whose best class probability reaches this
    /// Empty: score_threshold for every class. Otherwise one per class (same order): a nucleus
    /// whose best class is c is kept when its probability reaches class_score_thresholds[c]
    /// (chosen on validation images where one class needs more certainty than another).
    std::vector<double> class_score_thresholds;
    double merge_radius_um = 3.0;   ///< of two nuclei closer than this, the less likely is dropped

    void validate() const;  ///< throws InvalidArgument naming the bad field
};

/// Everything a model file says about the model besides its weights.
struct ModelConfig {
    std::string arch;     ///< variant name from the registry: "vit_small", "vit_base", "r50", ...
    int img_size = 224;   ///< training tile side in px (ViT pos-embed grid = img_size / 16)
    double mpp = 0.5;     ///< working resolution in micrometres per pixel
    std::array<float, 3> norm_mean{0.485f, 0.456f, 0.406f};  ///< applied to RGB / 255
    std::array<float, 3> norm_std{0.229f, 0.224f, 0.225f};
    /// Empty, or a lab's stain correction fitted by fine-tuning: 12 numbers, a 3 x 3 matrix M
    /// (row-major) and an offset b, applied to each pixel's optical density OD = -ln(RGB / 255)
    /// before the normalisation: OD' = max(0, OD M + b). Stain amounts and a scanner's tint are
    /// linear in OD, so this family holds how one lab's H&E differs from another's.
    std::vector<float> od_transform;
    std::vector<ClassInfo> classes;   ///< empty for a backbone without detection heads
    DetectionConfig detection;        ///< used when `classes` is not empty
    std::string provenance_json = "{}";  ///< JSON object: where the weights came from

    bool has_heads() const { return !classes.empty(); }

    /// Throws InvalidArgument naming the first bad field.
    void validate() const;
};

/// How to read an official MUSE checkpoint.
struct ImportOptions {
    std::string arch;   ///< "vit_small" | "vit_base" | "r50"; empty = infer from the weights
    int img_size = 0;   ///< 224 (MUSE) or 512 (LFoV-MUSE); required for ViT, recorded for R50
    double mpp = 0.5;   ///< working resolution to record in the model (the checkpoint has none)

    void validate() const;
};

/// Output of one forward pass.
struct ForwardOutput {
    at::Tensor dense_map;  ///< float32 [B, feature_dim, H/4, W/4]
    /// ViT: the normalised CLS token of the last block, [B, C, 1, 1].
    /// ResNet-50: the last stage's map, [B, 2048, H/32, W/32] (as the reference returns it).
    at::Tensor global;
};

/// Detection output of a batch of tiles: every proposal, before thresholds and merging.
struct Proposals {
    at::Tensor dense_map;  ///< float32 [B, feature_dim, H/4, W/4]
    at::Tensor points;     ///< float32 [B, N, 2]: (x, y) tile pixels, proposal + predicted offset
    at::Tensor probs;      ///< float32 [B, N, K + 1]: class probabilities, index K = background
};

/// Description of one registered architecture variant.
struct VariantInfo {
    std::string name;
    std::string description;
    std::int64_t feature_dim = 0;
};

/// The registered variants, in registry order.
std::vector<VariantInfo> model_variants();

class Model {
public:
    /// Loads a muse model file (.muse: safetensors with the config in its metadata).
    static Model load(const std::filesystem::path& path);

    /// Imports an official MUSE .pth checkpoint: reads the 'teacher' weights under
    /// 'module.backbone.', ignores everything else, and re-grids the ViT position embedding
    /// exactly as the reference loader does. Throws ModelMismatch listing missing, unexpected
    /// and misshaped weights when the checkpoint does not fit `options.arch`.
    static Model import_checkpoint(const std::filesystem::path& path, const ImportOptions& options);

    /// Opens either kind of file: a model file as is, a .pth checkpoint with `options`.
    static Model open(const std::filesystem::path& path, const ImportOptions& options = {});

    /// A model with freshly initialised (untrained) weights, for benchmarks and tests.
    static Model create_untrained(const ModelConfig& config, std::uint64_t seed);

    /// A model from weights under the model file's names (e.g. from training). Throws
    /// ModelMismatch listing what does not fit, InvalidArgument for a bad config.
    static Model from_weights(const ModelConfig& config, const std::map<std::string, at::Tensor>& weights);

    /// Writes the model file atomically (temporary file, then rename).
    void save(const std::filesystem::path& path) const;

    const ModelConfig& config() const;
    std::int64_t feature_dim() const;
    std::int64_t parameter_count() const;  ///< trainable parameters (BatchNorm statistics excluded)
    static constexpr int kDenseStride = 4;  ///< input px per dense-map cell
    static constexpr int kTileMultiple = 32;

    /// Forward pass. `rgb`: uint8 [B, H, W, 3] with H == W, a multiple of 32 (any size; the
    /// ViT position embedding is interpolated when H differs from img_size). `precision`
    /// (muse/precision.hpp): the outputs are float32 either way.
    ForwardOutput forward(const at::Tensor& rgb, Precision precision = Precision::Fp32) const;

    /// Features at `points` (tile pixels of a tile of side `tile_px`, each in [0, tile_px]),
    /// sampled from `dense_map` ([1, C, h, w] or [C, h, w]) exactly as the reference does:
    /// bilinear, align_corners=True, normalised coordinate 2 * c / tile_px - 1.
    /// Returns float32 [N, C]. Throws InvalidArgument for a point outside the tile.
    at::Tensor point_features(const at::Tensor& dense_map, int tile_px, const std::vector<Point>& points) const;

    /// Convenience: forward on one image, then point_features.
    at::Tensor point_features(const RgbImage& tile, const std::vector<Point>& points,
                              Precision precision = Precision::Fp32) const;

    /// Forward and both detection heads on `rgb` (as forward()). Throws InvalidArgument when
    /// the model has no heads (a backbone imported from a .pth file).
    /// The heads run in float32 whatever the network's `precision`.
    Proposals predict(const at::Tensor& rgb, Precision precision = Precision::Fp32) const;

    /// H_type's class probabilities [N, K + 1] at `points` of a tile of side `tile_px`, from
    /// its dense map ([1, C, h, w]): classification of known nuclei. The features are sampled
    /// as the heads sample them (nn/heads.hpp), which differs slightly from point_features.
    at::Tensor class_probabilities_at(const at::Tensor& dense_map, int tile_px, const std::vector<Point>& points) const;

    /// The weights under the reference's state-dict names (shared, do not modify).
    std::map<std::string, at::Tensor> state_dict() const;

    struct Impl;

private:
    explicit Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

/// What an official checkpoint holds, read without building a model (`muse info x.pth`).
struct CheckpointSummary {
    std::vector<std::string> top_level_keys;   ///< e.g. teacher, student, optimizer, epoch, args
    std::size_t backbone_tensors = 0;          ///< 'teacher' entries under 'module.backbone.'
    std::int64_t backbone_values = 0;          ///< their total number of elements
    std::size_t ignored_teacher_entries = 0;   ///< other 'teacher' entries (projection head)
    std::vector<std::string> skipped_objects;  ///< classes seen but not interpreted (never executed)
    std::string guessed_arch;                  ///< "" when the weights fit no registered variant
    std::int64_t pos_embed_grid = 0;           ///< ViT: side of the stored position grid
    std::uint64_t file_bytes = 0;
};

/// Reads an official .pth checkpoint's backbone (see Model::import_checkpoint for errors).
CheckpointSummary inspect_checkpoint(const std::filesystem::path& path);

/// True when `path` starts like a torch.save checkpoint (zip), false for anything else.
/// Throws IoError when it cannot be opened.
bool is_checkpoint_file(const std::filesystem::path& path);

/// Converts an RGB image to the uint8 [1, H, W, 3] tensor that Model::forward takes
/// (shares no memory with `image`).
at::Tensor image_to_tensor(const RgbImage& image);

}  // namespace muse
