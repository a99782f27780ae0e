// .pth import: zip records -> restricted pickle -> teacher backbone tensors rebuilt from storages.
#include "model/checkpoint_import.hpp"

#include <cmath>

#include <ATen/ATen.h>

#include "io/file_reader.hpp"
#include "io/pickle.hpp"
#include "io/zip_archive.hpp"
#include "model/variants.hpp"
#include "muse/errors.hpp"
#include "muse/model.hpp"

namespace muse::model {
namespace {

constexpr const char* kBackbonePrefix = "module.backbone.";

at::ScalarType storage_dtype(const std::string& type_name) {
    static const std::map<std::string, at::ScalarType> types = {
        {"FloatStorage", at::kFloat}, {"DoubleStorage", at::kDouble}, {"HalfStorage", at::kHalf},
        {"BFloat16Storage", at::kBFloat16}, {"LongStorage", at::kLong}, {"IntStorage", at::kInt},
        {"ShortStorage", at::kShort}, {"CharStorage", at::kChar}, {"ByteStorage", at::kByte},
        {"BoolStorage", at::kBool}};
    auto it = types.find(type_name);
    if (it == types.end()) throw UnsupportedFormat("storage type '" + type_name + "' is not supported");
    return it->second;
}

/// The record-name prefix: torch.save puts every record under one top-level folder.
std::string archive_prefix(const io::ZipArchive& zip) {
    for (const auto& e : zip.entries()) {
        const auto slash = e.name.find('/');
        if (e.name == "data.pkl") return "";
        if (slash != std::string::npos && e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
            return e.name.substr(0, slash + 1);
        }
    }
    throw UnsupportedFormat(zip.file().quoted() +
                            " is a zip archive but not a PyTorch checkpoint: it has no data.pkl record");
}

class TensorBuilder {
public:
    TensorBuilder(const io::ZipArchive& zip, std::string prefix) : zip_(zip), prefix_(std::move(prefix)) {}

    at::Tensor build(const io::pickle::TensorRef& ref, const std::string& name) {
        try {
            return build_unchecked(ref);
        } catch (Error& e) {
            e.add_context(zip_.file().quoted() + ": tensor '" + name + "'");
            throw;
        }
    }

private:
    at::Tensor build_unchecked(const io::pickle::TensorRef& ref) {
        const at::Tensor& storage = storage_of(ref.storage);
        std::int64_t extent = ref.storage_offset;  // highest element index touched, + 1
        bool empty = false;
        for (std::size_t i = 0; i < ref.sizes.size(); ++i) {
            if (ref.sizes[i] < 0 || ref.strides[i] < 0) throw CorruptFile("negative size or stride");
            if (ref.sizes[i] == 0) empty = true;
            extent += (ref.sizes[i] - 1) * ref.strides[i];
        }
        if (ref.storage_offset < 0 || (!empty && extent >= storage.numel())) {
            throw CorruptFile("view reaches element " + std::to_string(extent) + " of a storage of " +
                              std::to_string(storage.numel()));
        }
        at::Tensor t = storage.as_strided(ref.sizes, ref.strides, ref.storage_offset);
        // A tensor that is its whole storage (the usual case) is used as is; views are copied
        // so that no tensor keeps a larger storage alive.
        if (!(t.is_contiguous() && t.numel() == storage.numel())) t = t.clone(at::MemoryFormat::Contiguous);
        return at::isFloatingType(t.scalar_type()) && t.scalar_type() != at::kFloat ? t.to(at::kFloat) : t;
    }

    const at::Tensor& storage_of(const io::pickle::StorageRef& s) {
        auto cached = storages_.find(s.key);
        if (cached != storages_.end()) return cached->second;
        const at::ScalarType dtype = storage_dtype(s.type_name);
        const std::string record = prefix_ + "data/" + s.key;
        const io::ZipEntry* entry = zip_.find(record);
        if (!entry) throw CorruptFile("its storage record '" + record + "' is missing");
        const auto bytes = static_cast<std::uint64_t>(s.numel) * at::elementSize(dtype);
        if (entry->size != bytes) {
            throw CorruptFile("storage record '" + record + "' has " + std::to_string(entry->size) + " bytes, expected " +
                              std::to_string(bytes) + " (" + std::to_string(s.numel) + " x " + s.type_name + ")");
        }
        at::Tensor t = at::empty({s.numel}, at::TensorOptions().dtype(dtype));
        zip_.read_into(*entry, t.data_ptr());
        return storages_.emplace(s.key, t).first->second;
    }

    const io::ZipArchive& zip_;
    std::string prefix_;
    std::map<std::string, at::Tensor> storages_;
};

bool is_legacy_torch_save(const io::FileReader& f) {
    // Pre-1.6 torch.save: a bare pickle stream starting with the magic number 0x1950a86a20f9469cfc6c.
    if (f.size() < 4) return false;
    unsigned char head[4];
    f.read_at(0, head, 4, "file signature");
    return head[0] == 0x80 && head[2] == 0x8a && head[3] == 0x0a;
}

}  // namespace

bool has_checkpoint_signature(const std::filesystem::path& path) {
    io::FileReader f(path);
    return io::ZipArchive::has_zip_signature(f);
}

CheckpointBackbone read_checkpoint_backbone(const std::filesystem::path& path) {
    auto file = std::make_shared<io::FileReader>(path);
    const std::string where = file->quoted();
    if (!io::ZipArchive::has_zip_signature(*file)) {
        if (is_legacy_torch_save(*file)) {
            throw UnsupportedFormat(where + " uses the legacy torch.save format of PyTorch < 1.6; re-save it with a "
                                            "newer PyTorch (torch.save(torch.load(f), f))");
        }
        throw UnsupportedFormat(where + " is not a PyTorch checkpoint (expected the zip archive torch.save writes)");
    }
    io::ZipArchive zip(file);
    const std::string prefix = archive_prefix(zip);
    if (const io::ZipEntry* order = zip.find(prefix + "byteorder")) {
        if (zip.read(*order) != "little") throw UnsupportedFormat(where + " was saved on a big-endian machine");
    }
    const io::ZipEntry* pkl = zip.find(prefix + "data.pkl");
    auto doc = io::pickle::Document::parse(zip.read(*pkl), where + " (" + pkl->name + ")");

    CheckpointBackbone out;
    out.file_bytes = file->size();
    out.skipped_objects = doc.opaque_classes();
    const io::pickle::Value& root = doc.root();
    if (!root.is(io::pickle::Kind::Dict)) {
        throw UnsupportedFormat(where + ": the checkpoint holds a " + io::pickle::kind_name(root.kind) +
                                ", expected a dict with a 'teacher' entry");
    }
    std::string keys;
    for (const auto& [k, v] : root.entries) {
        if (k->is(io::pickle::Kind::String)) {
            out.top_level_keys.push_back(k->text);
            keys += (keys.empty() ? "'" : ", '") + k->text + "'";
        }
    }
    const io::pickle::Value* teacher = root.find("teacher");
    if (!teacher) {
        throw UnsupportedFormat(where + " has no 'teacher' entry (top-level keys: " + (keys.empty() ? "none" : keys) +
                                "): not a MUSE training checkpoint");
    }
    if (!teacher->is(io::pickle::Kind::Dict)) {
        throw CorruptFile(where + ": 'teacher' is a " + io::pickle::kind_name(teacher->kind) + ", expected a dict of tensors");
    }
    TensorBuilder builder(zip, prefix);
    const std::string p = kBackbonePrefix;
    for (const auto& [k, v] : teacher->entries) {
        if (!k->is(io::pickle::Kind::String) || k->text.compare(0, p.size(), p) != 0) {
            ++out.ignored_teacher_entries;
            continue;
        }
        if (!v->is(io::pickle::Kind::Tensor)) {
            throw CorruptFile(where + ": teacher entry '" + k->text + "' is a " + io::pickle::kind_name(v->kind) +
                              ", expected a tensor");
        }
        out.weights[k->text.substr(p.size())] = builder.build(v->tensor, k->text);
    }
    if (out.weights.empty()) {
        throw ModelMismatch(where + ": 'teacher' has no weights under '" + p + "' (" +
                            std::to_string(out.ignored_teacher_entries) + " other entries)");
    }
    return out;
}

std::string guess_architecture(const std::map<std::string, at::Tensor>& weights) {
    auto stem = weights.find("encoder.encoder.conv1.weight");
    if (stem != weights.end() && stem->second.dim() == 4) {
        for (const auto& v : variants()) {
            if (v.family == Family::ResNet && v.base_width == stem->second.size(0)) return v.name;
        }
    }
    auto cls = weights.find("encoder.encoder.cls_token");
    if (cls != weights.end() && cls->second.dim() == 3) {
        for (const auto& v : variants()) {
            if (v.family == Family::VisionTransformer && v.embed_dim == cls->second.size(2)) return v.name;
        }
    }
    return "";
}

}  // namespace muse::model

namespace muse {

CheckpointSummary inspect_checkpoint(const std::filesystem::path& path) {
    model::CheckpointBackbone ckpt = model::read_checkpoint_backbone(path);
    CheckpointSummary s;
    s.top_level_keys = ckpt.top_level_keys;
    s.backbone_tensors = ckpt.weights.size();
    for (const auto& [name, t] : ckpt.weights) s.backbone_values += t.numel();
    s.ignored_teacher_entries = ckpt.ignored_teacher_entries;
    s.skipped_objects = ckpt.skipped_objects;
    s.guessed_arch = model::guess_architecture(ckpt.weights);
    auto pos = ckpt.weights.find("encoder.encoder.pos_embed");
    if (pos != ckpt.weights.end() && pos->second.dim() == 3) {
        s.pos_embed_grid = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(pos->second.size(1) - 1))));
    }
    s.file_bytes = ckpt.file_bytes;
    return s;
}

bool is_checkpoint_file(const std::filesystem::path& path) { return model::has_checkpoint_signature(path); }

}  // namespace muse
