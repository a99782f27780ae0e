// FileReader: pread-based access with truncation reported as CorruptFile.
#include "io/file_reader.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "muse/errors.hpp"

namespace muse::io {

FileReader::FileReader(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw IoError("cannot open " + quoted() + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        int err = errno;
        ::close(fd_);
        throw IoError("cannot stat " + quoted() + ": " + std::strerror(err));
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd_);
        throw IoError(quoted() + " is a directory, not a file");
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
}

FileReader::~FileReader() {
    if (fd_ >= 0) ::close(fd_);
}

std::string FileReader::quoted() const { return "'" + path_.string() + "'"; }

void FileReader::check_range(std::uint64_t offset, std::uint64_t n, const std::string& what) const {
    if (offset > size_ || n > size_ - offset) {
        throw CorruptFile(quoted() + " is truncated: " + what + " needs bytes [" +
                          std::to_string(offset) + ", " + std::to_string(offset + n) +
                          ") but the file has " + std::to_string(size_) + " bytes");
    }
}

void FileReader::read_at(std::uint64_t offset, void* dst, std::size_t n, const char* what) const {
    check_range(offset, n, what);
    auto* out = static_cast<char*>(dst);
    while (n > 0) {
        ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
        if (got < 0) {
            if (errno == EINTR) continue;
            throw IoError("cannot read " + quoted() + ": " + std::strerror(errno));
        }
        if (got == 0) throw CorruptFile(quoted() + " shrank while being read");
        out += got;
        offset += static_cast<std::uint64_t>(got);
        n -= static_cast<std::size_t>(got);
    }
}

std::string FileReader::read_string(std::uint64_t offset, std::size_t n, const char* what) const {
    check_range(offset, n, what);
    std::string s(n, '\0');
    read_at(offset, s.data(), n, what);
    return s;
}

}  // namespace muse::io
