#include "default_model.hpp"

#include <cstdlib>
#include <system_error>

#include "muse/errors.hpp"

namespace muse::apps {

std::string model_or_default(const std::string& given) {
    if (!given.empty()) return given;
    std::vector<std::string> looked;
    const std::string found = find_default_model(&looked).string();
    if (found.empty()) {
        std::string where;
        for (const auto& l : looked) where += "\n  " + l;
        throw IoError("no model given and the default model was not found; looked in:" + where +
                      "\n(set MUSE_DEFAULT_MODEL, or name a model file)");
    }
    return found;
}

std::filesystem::path find_default_model(std::vector<std::string>* looked) {
    std::vector<std::filesystem::path> candidates;
    if (const char* env = std::getenv("MUSE_DEFAULT_MODEL"); env && *env) {
        candidates.emplace_back(env);  // the user said where: look nowhere else
    }
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (candidates.empty()) {
        if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share" / "muse" / "models" / kDefaultModelName);
        candidates.push_back(std::filesystem::path(MUSE_SOURCE_MODELS_DIR) / kDefaultModelName);
    }
    for (const auto& c : candidates) {
        if (looked) looked->push_back(c.string());
        if (std::filesystem::is_regular_file(c)) return c;
    }
    return {};
}

}  // namespace muse::apps
