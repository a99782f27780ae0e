// Random-access, bounds-checked reading of one file (positional reads, no shared cursor).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace muse::io {

/// An open, read-only file. Every read is checked against the file size, so a truncated
/// file is reported as CorruptFile with the byte range that was missing.
/// Thread-safety: read_at may be called from several threads at once (pread, no cursor).
class FileReader {
public:
    /// Opens `path`; throws IoError naming the path and the OS reason.
    explicit FileReader(std::filesystem::path path);
    ~FileReader();
    FileReader(const FileReader&) = delete;
    FileReader& operator=(const FileReader&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::uint64_t size() const { return size_; }

    /// Copies `n` bytes starting at `offset`. `what` names the item being read for the error
    /// message ("zip central directory"); throws CorruptFile when the range is past the end.
    void read_at(std::uint64_t offset, void* dst, std::size_t n, const char* what) const;
    std::string read_string(std::uint64_t offset, std::size_t n, const char* what) const;

    /// Throws CorruptFile unless [offset, offset + n) lies inside the file.
    void check_range(std::uint64_t offset, std::uint64_t n, const std::string& what) const;

    /// "'<path>'", for messages.
    std::string quoted() const;

private:
    std::filesystem::path path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

}  // namespace muse::io
