// AtomicFileWriter: temp file in the target's directory, fsync, rename.
#include "io/atomic_file.hpp"
#include "muse/files.hpp"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

#include "muse/errors.hpp"

namespace muse::io {
namespace {

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::filesystem::path target) : target_(std::move(target)) {
    // The temporary name is unique per process and writer so concurrent writers never collide;
    // it lives in the same directory so the final rename stays on one filesystem (atomic).
    static std::atomic<unsigned> counter{0};
    std::filesystem::path dir = target_.parent_path();
    if (dir.empty()) dir = ".";
    temp_ = dir / ("." + target_.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                   std::to_string(counter++));
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        throw IoError("cannot create " + quoted(target_) + " (temporary file " + quoted(temp_) +
                      "): " + std::strerror(errno));
    }
}

AtomicFileWriter::~AtomicFileWriter() { discard(); }

void AtomicFileWriter::discard() noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
        ::unlink(temp_.c_str());
    }
}

void AtomicFileWriter::write(const void* data, std::size_t n) {
    if (fd_ < 0) throw IoError("write to " + quoted(target_) + " after it was committed or failed");
    const auto* p = static_cast<const char*>(data);
    while (n > 0) {
        ssize_t put = ::write(fd_, p, n);
        if (put < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            discard();
            throw IoError("cannot write " + quoted(target_) + ": " + std::strerror(err));
        }
        p += put;
        n -= static_cast<std::size_t>(put);
        written_ += static_cast<std::uint64_t>(put);
    }
}

void AtomicFileWriter::commit() {
    if (fd_ < 0) throw IoError("commit of " + quoted(target_) + " after it was committed or failed");
    if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
        int err = errno;
        fd_ = -1;
        ::unlink(temp_.c_str());
        throw IoError("cannot flush " + quoted(target_) + ": " + std::strerror(err));
    }
    fd_ = -1;
    if (::rename(temp_.c_str(), target_.c_str()) != 0) {
        int err = errno;
        ::unlink(temp_.c_str());
        throw IoError("cannot rename the temporary file to " + quoted(target_) + ": " +
                      std::strerror(err));
    }
}

void write_file_atomically(const std::filesystem::path& target, std::string_view content) {
    AtomicFileWriter w(target);
    w.write(content);
    w.commit();
}

}  // namespace muse::io

namespace muse {

void write_file_atomically(const std::filesystem::path& target, std::string_view content) {
    io::write_file_atomically(target, content);
}

}  // namespace muse
