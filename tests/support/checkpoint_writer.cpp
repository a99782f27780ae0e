// Test checkpoints: pickle via PickleWriter, zip via caffe2's PyTorchStreamWriter.
#include "support/checkpoint_writer.hpp"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>

#include "muse/model.hpp"
#include "support/pickle_writer.hpp"
#include "support/test_env.hpp"

namespace muse::test {
namespace {

std::string storage_type(at::ScalarType t) {
    switch (t) {
        case at::kFloat: return "FloatStorage";
        case at::kHalf: return "HalfStorage";
        case at::kDouble: return "DoubleStorage";
        case at::kLong: return "LongStorage";
        default: throw std::runtime_error("test checkpoint: unsupported dtype");
    }
}

std::vector<std::int64_t> vec(at::IntArrayRef r) { return {r.begin(), r.end()}; }

}  // namespace

std::string checkpoint_pickle(const TestCheckpoint& ckpt) {
    PickleWriter p;
    p.proto(2).empty_dict().binput(0).mark();
    auto state_dict = [&](bool with_head) {
        p.global("collections", "OrderedDict").empty_tuple().reduce().mark();
        int key = 0;
        for (const auto& [name, t] : ckpt.backbone) {
            p.str("module.backbone." + name);
            p.tensor(storage_type(t.scalar_type()), std::to_string(key++), t.numel(), 0, vec(t.sizes()), vec(t.strides()));
        }
        if (with_head) {
            p.str("module.head.mlp.0.weight").real(0.5);  // not a tensor: loaders must not care
        }
        p.setitems();
    };
    p.str("teacher");
    state_dict(ckpt.include_head);
    if (ckpt.include_student) {
        p.str("student");
        state_dict(false);
    }
    if (ckpt.include_training_state) {
        p.str("epoch").integer(100);
        p.str("optimizer").empty_dict().mark().str("param_groups").empty_list().setitems();
        p.str("args").global("argparse", "Namespace").empty_tuple().newobj().empty_dict();
        p.mark().str("arch").str("vit_small").str("lr").real(0.001).setitems().build();
    }
    p.setitems().stop();
    return p.data();
}

std::string zip_with_records(const std::map<std::string, std::string>& records) {
    std::string out;
    caffe2::serialize::PyTorchStreamWriter writer([&out](const void* data, size_t n) {
        out.append(static_cast<const char*>(data), n);
        return n;
    });
    for (const auto& [name, bytes] : records) writer.writeRecord(name, bytes.data(), bytes.size());
    writer.writeEndOfFile();
    return out;
}

std::string checkpoint_bytes(const TestCheckpoint& ckpt) {
    std::map<std::string, std::string> records;
    records["data.pkl"] = checkpoint_pickle(ckpt);
    int key = 0;
    for (const auto& [name, t] : ckpt.backbone) {
        at::Tensor c = t.contiguous();
        records["data/" + std::to_string(key++)] =
            std::string(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
    }
    return zip_with_records(records);
}

void write_checkpoint(const std::filesystem::path& path, const TestCheckpoint& ckpt) {
    write_file(path, checkpoint_bytes(ckpt));
}

std::map<std::string, at::Tensor> untrained_backbone(const std::string& arch, int img_size, std::uint64_t seed) {
    ModelConfig config;
    config.arch = arch;
    config.img_size = img_size;
    std::map<std::string, at::Tensor> out;
    for (const auto& [name, t] : Model::create_untrained(config, seed).state_dict()) out[name] = t.clone();
    return out;
}

}  // namespace muse::test
