// safetensors reading (validated header) and atomic writing.
#include "io/safetensors.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "muse/errors.hpp"

namespace muse::io {
namespace {

// A header bigger than this is not a model file we wrote (ours are a few hundred KiB).
constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

}  // namespace

std::size_t safetensors_dtype_size(const std::string& dtype) {
    static const std::map<std::string, std::size_t> sizes = {
        {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4},
        {"I16", 2}, {"I8", 1},  {"U8", 1},  {"BOOL", 1}, {"U16", 2}, {"U32", 4}, {"U64", 8}};
    auto it = sizes.find(dtype);
    return it == sizes.end() ? 0 : it->second;
}

SafetensorsHeader read_safetensors_header(const FileReader& file) {
    const std::string& where = file.quoted();
    if (file.size() < 8) throw UnsupportedFormat(where + " is not a safetensors file (shorter than 8 bytes)");
    unsigned char len_bytes[8];
    file.read_at(0, len_bytes, 8, "safetensors header length");
    std::uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
    if (header_len < 2 || header_len > kMaxHeaderBytes) {
        throw UnsupportedFormat(where + " is not a safetensors file (header length " + std::to_string(header_len) +
                                " is implausible)");
    }
    std::string text = file.read_string(8, header_len, "safetensors header");
    if (text.front() != '{') throw UnsupportedFormat(where + " is not a safetensors file (header is not a JSON object)");
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw CorruptFile(where + ": safetensors header is not valid JSON: " + e.what());
    }
    if (!header.is_object()) throw CorruptFile(where + ": safetensors header is not a JSON object");

    const std::uint64_t data_start = 8 + header_len;
    const std::uint64_t data_size = file.size() - data_start;
    SafetensorsHeader out;
    for (const auto& [name, info] : header.items()) {
        if (name == "__metadata__") {
            if (!info.is_object()) throw CorruptFile(where + ": __metadata__ is not an object");
            for (const auto& [k, v] : info.items()) {
                if (!v.is_string()) throw CorruptFile(where + ": __metadata__ value '" + k + "' is not a string");
                out.metadata[k] = v.get<std::string>();
            }
            continue;
        }
        const std::string& tensor_name = name;  // C++17 lambdas cannot capture a structured binding (clang refuses)
        auto bad = [&](const std::string& why) { return CorruptFile(where + ": tensor '" + tensor_name + "': " + why); };
        if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets")) {
            throw bad("needs dtype, shape and data_offsets");
        }
        SafetensorsEntry e;
        e.name = name;
        if (!info["dtype"].is_string()) throw bad("dtype is not a string");
        e.dtype = info["dtype"].get<std::string>();
        const std::size_t elem = safetensors_dtype_size(e.dtype);
        if (elem == 0) throw bad("unknown dtype '" + e.dtype + "'");
        const auto& shape = info["shape"];
        const auto& offsets = info["data_offsets"];
        if (!shape.is_array() || !offsets.is_array() || offsets.size() != 2) throw bad("malformed shape or data_offsets");
        std::uint64_t numel = 1;
        for (const auto& d : shape) {
            if (!d.is_number_unsigned()) throw bad("shape holds a value that is not a non-negative integer");
            const std::uint64_t dim = d.get<std::uint64_t>();
            if (dim != 0 && numel > (std::uint64_t{1} << 62) / dim) throw bad("shape is too large");
            numel *= dim;
            e.shape.push_back(static_cast<std::int64_t>(dim));
        }
        if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) throw bad("data_offsets are not integers");
        const std::uint64_t begin = offsets[0].get<std::uint64_t>(), end = offsets[1].get<std::uint64_t>();
        if (begin > end || end > data_size) {
            throw CorruptFile(where + " is truncated or damaged: tensor '" + name + "' needs data bytes [" +
                              std::to_string(begin) + ", " + std::to_string(end) + ") but the data section has " +
                              std::to_string(data_size) + " bytes");
        }
        if (end - begin != numel * elem) {
            throw bad("holds " + std::to_string(end - begin) + " bytes but dtype " + e.dtype + " and its shape need " +
                      std::to_string(numel * elem));
        }
        e.offset = data_start + begin;
        e.size = end - begin;
        out.tensors.push_back(std::move(e));
    }
    std::sort(out.tensors.begin(), out.tensors.end(),
              [](const SafetensorsEntry& a, const SafetensorsEntry& b) { return a.offset < b.offset; });
    for (std::size_t i = 1; i < out.tensors.size(); ++i) {
        if (out.tensors[i].offset < out.tensors[i - 1].offset + out.tensors[i - 1].size) {
            throw CorruptFile(where + ": tensors '" + out.tensors[i - 1].name + "' and '" + out.tensors[i].name +
                              "' overlap");
        }
    }
    return out;
}

void write_safetensors(const std::string& path, const std::vector<SafetensorsBlob>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    for (const auto& t : tensors) {
        const std::size_t elem = safetensors_dtype_size(t.dtype);
        if (elem == 0) throw InvalidArgument("cannot write tensor '" + t.name + "': unknown dtype '" + t.dtype + "'");
        std::uint64_t numel = 1;
        for (auto d : t.shape) numel *= static_cast<std::uint64_t>(d);
        if (numel * elem != t.size) {
            throw InvalidArgument("cannot write tensor '" + t.name + "': byte size does not match its shape");
        }
        if (header.contains(t.name)) throw InvalidArgument("cannot write tensor '" + t.name + "' twice");
        header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.size}}};
        offset += t.size;
    }
    std::string text = header.dump();
    // Pad with spaces so the data section starts 8-byte aligned, as the format recommends.
    text.append((8 - (8 + text.size()) % 8) % 8, ' ');
    unsigned char len_bytes[8];
    std::uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>(n >> (8 * i));

    AtomicFileWriter out(path);
    out.write(len_bytes, 8);
    out.write(text);
    for (const auto& t : tensors) out.write(t.data, t.size);
    out.commit();
}

}  // namespace muse::io
