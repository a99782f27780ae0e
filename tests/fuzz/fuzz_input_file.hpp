// The bytes of one fuzz input as a file path that the project's readers open like any other
// (they take paths): an anonymous in-memory file (memfd) reached through /proc/self/fd, so that
// no disk is touched and the readers' own open/pread/ifstream code is what gets fuzzed.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace muse::fuzz {

/// One memfd, reused for every input of the process (libFuzzer runs inputs one at a time).
inline const std::string& input_path(const std::uint8_t* data, std::size_t size) {
    static int fd = -1;
    static std::string path;
    if (fd < 0) {
        fd = memfd_create("muse-fuzz-input", 0);
        if (fd < 0) {
            std::perror("memfd_create");
            std::abort();
        }
        path = "/proc/self/fd/" + std::to_string(fd);
    }
    if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))) {
        std::perror("writing the fuzz input");
        std::abort();
    }
    return path;
}

}  // namespace muse::fuzz
