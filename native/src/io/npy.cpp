// .npy format version 1.0: magic, header dict padded to 64 bytes, raw data.
#include "muse/array_files.hpp"

#include <cstring>
#include <regex>
#include <string>

#include "io/atomic_file.hpp"
#include "io/file_reader.hpp"
#include "muse/errors.hpp"

namespace muse {

void write_npy_f32(const std::filesystem::path& path, const float* values, const std::vector<std::int64_t>& shape) {
    std::string dims;
    std::uint64_t numel = 1;
    for (auto d : shape) {
        dims += std::to_string(d) + ", ";
        numel *= static_cast<std::uint64_t>(d);
    }
    if (shape.size() > 1) dims.resize(dims.size() - 2);  // (N,) keeps its comma, (N, C) does not
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header.push_back('\n');
    const auto len = static_cast<std::uint16_t>(header.size());
    const unsigned char preamble[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                        static_cast<unsigned char>(len & 0xff), static_cast<unsigned char>(len >> 8)};
    io::AtomicFileWriter out(path);
    out.write(preamble, sizeof preamble);
    out.write(header);
    out.write(values, numel * sizeof(float));
    out.commit();
}

NpyArray read_npy_f32(const std::filesystem::path& path) {
    io::FileReader f(path);
    unsigned char pre[10];
    if (f.size() < 10) throw UnsupportedFormat(f.quoted() + " is not a .npy file (too short)");
    f.read_at(0, pre, 10, "npy preamble");
    if (pre[0] != 0x93 || std::memcmp(pre + 1, "NUMPY", 5) != 0) throw UnsupportedFormat(f.quoted() + " is not a .npy file");
    std::uint64_t header_len = 0, header_at = 10;
    if (pre[6] == 1) {
        header_len = pre[8] | (pre[9] << 8);
    } else {
        unsigned char l4[4];
        f.read_at(8, l4, 4, "npy header length");
        header_len = l4[0] | (l4[1] << 8) | (l4[2] << 16) | (static_cast<std::uint64_t>(l4[3]) << 24);
        header_at = 12;
    }
    const std::string header = f.read_string(header_at, header_len, "npy header");
    std::smatch m;
    if (!std::regex_search(header, m, std::regex("'descr':\\s*'([<>|]?[a-z][0-9]+)'"))) {
        throw CorruptFile(f.quoted() + ": .npy header has no descr");
    }
    const std::string descr = m[1];
    if (descr != "<f4" && descr != "<f8") throw UnsupportedFormat(f.quoted() + ": .npy dtype " + descr + " is not float32/float64");
    if (header.find("'fortran_order': False") == std::string::npos) {
        throw UnsupportedFormat(f.quoted() + ": Fortran-ordered .npy arrays are not read");
    }
    if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([0-9,\\s]*)\\)"))) {
        throw CorruptFile(f.quoted() + ": .npy header has no shape");
    }
    NpyArray out;
    std::uint64_t numel = 1;
    const std::string dims = m[1];
    std::regex num("[0-9]+");
    for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it) {
        out.shape.push_back(std::stoll(it->str()));
        numel *= static_cast<std::uint64_t>(out.shape.back());
    }
    const std::uint64_t data_at = header_at + header_len;
    const std::size_t elem = descr == "<f4" ? 4 : 8;
    out.values.resize(numel);
    if (elem == 4) {
        f.read_at(data_at, out.values.data(), numel * 4, "npy data");
    } else {
        std::vector<double> tmp(numel);
        f.read_at(data_at, tmp.data(), numel * 8, "npy data");
        for (std::uint64_t i = 0; i < numel; ++i) out.values[i] = static_cast<float>(tmp[i]);
    }
    return out;
}

}  // namespace muse
