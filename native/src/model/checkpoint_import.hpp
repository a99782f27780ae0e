// Reading the backbone weights out of an official MUSE .pth checkpoint (torch.save zip + pickle),
// without Python and without executing any pickled code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace muse::model {

struct CheckpointBackbone {
    std::map<std::string, at::Tensor> weights;  ///< 'teacher' entries under 'module.backbone.', prefix stripped
    std::vector<std::string> top_level_keys;    ///< of the checkpoint dict, for messages and `muse info`
    std::size_t ignored_teacher_entries = 0;    ///< teacher entries outside the backbone (projection head)
    std::vector<std::string> skipped_objects;   ///< classes of values that were not interpreted
    std::uint64_t file_bytes = 0;
};

/// True when the file looks like a torch.save archive (zip signature), without parsing it.
bool has_checkpoint_signature(const std::filesystem::path& path);

/// Reads the teacher backbone weights. Floating-point tensors come back as float32.
/// Errors: IoError (cannot open), UnsupportedFormat (not a torch.save zip checkpoint, legacy
/// format, unsupported pickle opcode, no 'teacher'), CorruptFile (truncated or inconsistent),
/// ModelMismatch (no backbone weights in 'teacher').
CheckpointBackbone read_checkpoint_backbone(const std::filesystem::path& path);

/// The registry variant whose weights these look like ("" when none): ViT by embedding
/// width, ResNet by its stem convolution's width.
std::string guess_architecture(const std::map<std::string, at::Tensor>& weights);

}  // namespace muse::model
