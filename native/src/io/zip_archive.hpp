// Reading the zip container that torch.save writes (the records of a .pth checkpoint).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/file_reader.hpp"

namespace muse::io {

struct ZipEntry {
    std::string name;
    std::uint64_t data_offset = 0;      ///< absolute file offset of the entry's bytes
    std::uint64_t compressed_size = 0;
    std::uint64_t size = 0;             ///< uncompressed size
    std::uint16_t method = 0;           ///< 0 stored, 8 deflate
    std::uint32_t crc32 = 0;
};

/// The central directory of a zip file (ZIP64 included). Entry data is read on demand and
/// checked against its CRC-32, so a damaged record is reported rather than silently used.
/// Thread-safety: const methods may be called from several threads at once.
class ZipArchive {
public:
    /// Parses the central directory. Throws UnsupportedFormat when the file is not a zip
    /// archive at all, CorruptFile when it is one but is damaged or truncated.
    explicit ZipArchive(std::shared_ptr<const FileReader> file);

    /// True when the file starts with a zip local-file signature.
    static bool has_zip_signature(const FileReader& file);

    const std::vector<ZipEntry>& entries() const { return entries_; }
    const ZipEntry* find(std::string_view name) const;

    /// The whole, uncompressed, CRC-checked content of `entry`.
    std::string read(const ZipEntry& entry) const;

    /// Reads an entry straight into `dst` (exactly entry.size bytes), CRC-checked.
    void read_into(const ZipEntry& entry, void* dst) const;

    const FileReader& file() const { return *file_; }

private:
    void parse_central_directory();
    /// Throws UnsupportedFormat unless the entry is stored or deflated (the methods read here).
    void require_readable_method(const ZipEntry& entry) const;

    std::shared_ptr<const FileReader> file_;
    std::vector<ZipEntry> entries_;
};

}  // namespace muse::io
