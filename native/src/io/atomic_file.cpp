// AtomicFileWriter: temp file in the target's directory, fsync, rename.
#include "io/atomic_file.hpp"
#include "muse/files.hpp"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <system_error>
#include <unistd.h>

#include "muse/errors.hpp"

namespace muse::io {
namespace {

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

/// True when process `pid` still runs (its /proc entry exists).
bool process_alive(long pid) {
    std::error_code ec;
    return std::filesystem::exists("/proc/" + std::to_string(pid), ec);
}

/// Removes the temporary files that writers of `target` left when their process was killed
/// (`.NAME.tmp-PID-N` whose PID no longer runs), so a killed run leaves no litter after the next
/// one. Files of running processes are never touched; errors are ignored (it is housekeeping).
void remove_stale_temporaries(const std::filesystem::path& dir, const std::string& name) {
    const std::string prefix = "." + name + ".tmp-";
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string file = it->path().filename().string();
        if (file.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string rest = file.substr(prefix.size());
        const std::size_t dash = rest.find('-');
        if (dash == 0 || dash == std::string::npos || rest.find_first_not_of("0123456789-") != std::string::npos) continue;
        const long pid = std::stol(rest.substr(0, dash));
        if (pid != static_cast<long>(::getpid()) && !process_alive(pid)) {
            std::error_code ignored;
            std::filesystem::remove(it->path(), ignored);
        }
    }
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::filesystem::path target) : target_(std::move(target)) {
    // The temporary name is unique per process and writer so concurrent writers never collide;
    // it lives in the same directory so the final rename stays on one filesystem (atomic).
    static std::atomic<unsigned> counter{0};
    std::filesystem::path dir = target_.parent_path();
    if (dir.empty()) dir = ".";
    remove_stale_temporaries(dir, target_.filename().string());
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
