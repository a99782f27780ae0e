// Model file reading and writing on top of the safetensors container.
#include "model/model_file.hpp"

#include <ATen/ATen.h>

#include "io/file_reader.hpp"
#include "io/safetensors.hpp"
#include "model/model_config.hpp"
#include "muse/errors.hpp"

namespace muse::model {
namespace {

const std::map<std::string, at::ScalarType>& dtype_table() {
    static const std::map<std::string, at::ScalarType> t = {
        {"F32", at::kFloat}, {"F64", at::kDouble}, {"F16", at::kHalf}, {"BF16", at::kBFloat16},
        {"I64", at::kLong},  {"I32", at::kInt},    {"I16", at::kShort}, {"I8", at::kChar},
        {"U8", at::kByte},   {"BOOL", at::kBool}};
    return t;
}

std::string dtype_name(at::ScalarType type) {
    for (const auto& [name, t] : dtype_table()) {
        if (t == type) return name;
    }
    throw InvalidArgument(std::string("cannot store tensors of type ") + at::toString(type) + " in a model file");
}

}  // namespace

bool has_model_file_signature(const std::filesystem::path& path) {
    io::FileReader f(path);
    if (f.size() < 9) return false;
    unsigned char head[9];
    f.read_at(0, head, 9, "file signature");
    std::uint64_t len = 0;
    for (int i = 7; i >= 0; --i) len = (len << 8) | head[i];
    return head[8] == '{' && len >= 2 && len < f.size();
}

ModelFileContents read_model_file(const std::filesystem::path& path) {
    io::FileReader f(path);
    const io::SafetensorsHeader header = io::read_safetensors_header(f);
    auto cfg = header.metadata.find(kConfigMetadataKey);
    if (cfg == header.metadata.end()) {
        throw UnsupportedFormat(f.quoted() + " is a safetensors file but not a muse model (no '" +
                                std::string(kConfigMetadataKey) + "' metadata)");
    }
    ModelFileContents out;
    out.config = config_from_json(cfg->second, f.quoted());
    for (const auto& e : header.tensors) {
        auto type = dtype_table().find(e.dtype);
        if (type == dtype_table().end()) throw UnsupportedFormat(f.quoted() + ": tensor '" + e.name + "' has dtype " + e.dtype);
        at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(type->second));
        f.read_at(e.offset, t.data_ptr(), e.size, ("tensor '" + e.name + "'").c_str());
        out.weights.emplace(e.name, std::move(t));
    }
    return out;
}

void write_model_file(const std::filesystem::path& path, const ModelConfig& config,
                      const std::map<std::string, at::Tensor>& weights) {
    config.validate();
    std::vector<at::Tensor> keep_alive;  // contiguous copies must outlive the write
    std::vector<io::SafetensorsBlob> blobs;
    for (const auto& [name, tensor] : weights) {
        keep_alive.push_back(tensor.contiguous());
        const at::Tensor& t = keep_alive.back();
        io::SafetensorsBlob b;
        b.name = name;
        b.dtype = dtype_name(t.scalar_type());
        b.shape.assign(t.sizes().begin(), t.sizes().end());
        b.data = t.data_ptr();
        b.size = static_cast<std::uint64_t>(t.numel()) * t.element_size();
        blobs.push_back(std::move(b));
    }
    io::write_safetensors(path.string(), blobs, {{kConfigMetadataKey, config_to_json(config)}, {"format", "pt"}});
}

}  // namespace muse::model
