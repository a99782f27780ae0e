// Model file reading and writing on top of the safetensors container.
#include "model/model_file.hpp"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "io/checksum.hpp"
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

/// Metadata key of the checksums: a JSON object of tensor name -> checksum of its bytes, and
/// kConfigChecksumName -> checksum of the config JSON; "algorithm" names the hash.
constexpr const char* kChecksumsKey = "muse_checksums";
constexpr const char* kConfigChecksumName = "__config__";

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
    // Checksums (files written since they were introduced; older files have none and load as before).
    nlohmann::json sums;
    if (auto c = header.metadata.find(kChecksumsKey); c != header.metadata.end()) {
        sums = nlohmann::json::parse(c->second, nullptr, false);
        if (!sums.is_object() || sums.value("algorithm", "") != io::kChecksumAlgorithm || !sums.contains("tensors") ||
            !sums["tensors"].is_object()) {
            throw CorruptFile(f.quoted() + " is damaged: its checksum table cannot be read");
        }
    }
    auto verify = [&](const std::string& name, const void* data, std::size_t size, const std::string& what) {
        if (sums.is_null()) return;
        const auto& table = sums["tensors"];
        if (!table.contains(name) || !table[name].is_string()) {
            throw CorruptFile(f.quoted() + " is damaged: " + what + " has no checksum");
        }
        const std::string computed = io::checksum_hex(data, size);
        if (table[name].get<std::string>() != computed) {
            throw CorruptFile(f.quoted() + " is damaged: " + what + " does not match its checksum (stored " +
                              table[name].get<std::string>() + ", computed " + computed + "); use an intact copy");
        }
    };
    verify(kConfigChecksumName, cfg->second.data(), cfg->second.size(), "the model config");
    ModelFileContents out;
    out.config = config_from_json(cfg->second, f.quoted());
    for (const auto& e : header.tensors) {
        auto type = dtype_table().find(e.dtype);
        if (type == dtype_table().end()) throw UnsupportedFormat(f.quoted() + ": tensor '" + e.name + "' has dtype " + e.dtype);
        at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(type->second));
        f.read_at(e.offset, t.data_ptr(), e.size, ("tensor '" + e.name + "'").c_str());
        verify(e.name, t.data_ptr(), e.size, "tensor '" + e.name + "'");
        out.weights.emplace(e.name, std::move(t));
    }
    if (!sums.is_null() && sums["tensors"].size() != header.tensors.size() + 1) {
        throw CorruptFile(f.quoted() + " is damaged: it lists " + std::to_string(sums["tensors"].size() - 1) +
                          " tensor checksums for " + std::to_string(header.tensors.size()) + " tensors");
    }
    return out;
}

void write_model_file(const std::filesystem::path& path, const ModelConfig& config,
                      const std::map<std::string, at::Tensor>& weights) {
    config.validate();
    std::vector<at::Tensor> keep_alive;  // contiguous copies must outlive the write
    std::vector<io::SafetensorsBlob> blobs;
    const std::string config_json = config_to_json(config);
    nlohmann::json table = nlohmann::json::object();
    table[kConfigChecksumName] = io::checksum_hex(config_json.data(), config_json.size());
    for (const auto& [name, tensor] : weights) {
        keep_alive.push_back(tensor.contiguous());
        const at::Tensor& t = keep_alive.back();
        io::SafetensorsBlob b;
        b.name = name;
        b.dtype = dtype_name(t.scalar_type());
        b.shape.assign(t.sizes().begin(), t.sizes().end());
        b.data = t.data_ptr();
        b.size = static_cast<std::uint64_t>(t.numel()) * t.element_size();
        if (name == kConfigChecksumName) throw InvalidArgument("a tensor cannot be named '" + name + "'");
        table[name] = io::checksum_hex(b.data, b.size);
        blobs.push_back(std::move(b));
    }
    const nlohmann::json sums = {{"algorithm", io::kChecksumAlgorithm}, {"tensors", table}};
    io::write_safetensors(path.string(), blobs,
                          {{kConfigMetadataKey, config_json}, {kChecksumsKey, sums.dump()}, {"format", "pt"}});
}

}  // namespace muse::model
