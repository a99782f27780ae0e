// Writes checkpoints laid out like the released MUSE .pth files (torch.save zip + pickle),
// so import can be tested without Python and with any defect a test needs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <ATen/core/Tensor.h>

namespace muse::test {

struct TestCheckpoint {
    std::map<std::string, at::Tensor> backbone;  ///< state-dict names without 'module.backbone.'
    bool include_head = true;            ///< teacher 'module.head.*' entries (loaders must ignore)
    bool include_student = true;         ///< a 'student' dict sharing the teacher's storages
    bool include_training_state = true;  ///< 'optimizer', 'epoch' and 'args' (argparse.Namespace)
};

/// The pickle stream (data.pkl) of `ckpt`; storages are keyed "0", "1", ... in name order.
std::string checkpoint_pickle(const TestCheckpoint& ckpt);

/// The complete zip archive as torch.save writes it (LibTorch's own zip writer).
std::string checkpoint_bytes(const TestCheckpoint& ckpt);

/// A zip archive with the given records (names are placed under "archive/").
std::string zip_with_records(const std::map<std::string, std::string>& records);

void write_checkpoint(const std::filesystem::path& path, const TestCheckpoint& ckpt);

/// The reference-named weights of an untrained model of `arch` (deterministic in `seed`).
std::map<std::string, at::Tensor> untrained_backbone(const std::string& arch, int img_size, std::uint64_t seed);

}  // namespace muse::test
