// Temporary directories, shared-data lookup and command running for the tests.
#include "support/test_env.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace muse::test {

TempDir::TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "muse-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::filesystem::path shared_dir() {
    if (const char* env = std::getenv("MUSE_SHARED_DIR"); env && *env) {
        return std::filesystem::exists(env) ? std::filesystem::path(env) : std::filesystem::path();
    }
    std::filesystem::path p = MUSE_TEST_SHARED_DIR;
    return std::filesystem::exists(p) ? std::filesystem::canonical(p) : std::filesystem::path();
}

std::string python_with_torch() { return MUSE_TEST_PYTHON; }

int run_muse(const std::string& args, std::string* output) {
    return run_command(std::string(MUSE_CLI_PATH) + " " + args, output);
}

int run_command(const std::string& command, std::string* output) {
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return -1;
    std::string out;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
    const int status = ::pclose(pipe);
    if (output) *output = out;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

}  // namespace muse::test
