// Test environment: temporary directories, the shared data location, helper programs.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace muse::test {

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

/// ../shared next to the repository (or $MUSE_SHARED_DIR); empty when absent.
std::filesystem::path shared_dir();

/// Debian's python3 with torch (/usr/bin/python3 first: an earlier python3 on PATH may lack torch).
std::string python_with_torch();

/// Runs a shell command; returns its exit status and fills `output` with stdout+stderr.
int run_command(const std::string& command, std::string* output = nullptr);

/// Runs the `muse` command built with the tests, with `args` (already quoted for the shell).
int run_muse(const std::string& args, std::string* output = nullptr);

/// Writes bytes to a file (test data; not atomic).
void write_file(const std::filesystem::path& path, const std::string& bytes);
std::string read_file(const std::filesystem::path& path);

/// Single-quotes a path for a shell command line.
std::string shell_quote(const std::string& s);

}  // namespace muse::test

/// Skips the current test, with a message saying what is missing, when ../shared is absent.
#define MUSE_REQUIRE_SHARED_DIR(sub)                                                               \
    do {                                                                                            \
        if (::muse::test::shared_dir().empty() ||                                                   \
            !std::filesystem::exists(::muse::test::shared_dir() / (sub))) {                         \
            GTEST_SKIP() << "shared data not found: " << (sub)                                      \
                         << " (expected ../shared next to the repository, or set MUSE_SHARED_DIR)"; \
        }                                                                                           \
    } while (0)
