#include "support/cli_refusal.hpp"

#include "support/test_env.hpp"

namespace muse::test {

::testing::AssertionResult muse_refuses(const std::string& args, const std::string& message,
                                        const std::filesystem::path& output, std::optional<int> exit_code) {
    return muse_refuses(args, {message}, output, exit_code);
}

::testing::AssertionResult muse_refuses(const std::string& args, std::initializer_list<std::string> messages,
                                        const std::filesystem::path& output, std::optional<int> exit_code) {
    std::string out;
    const int status = run_muse(args, &out);
    if (status == 0) return ::testing::AssertionFailure() << "muse " << args << " succeeded:\n" << out;
    if (exit_code && status != *exit_code) {
        return ::testing::AssertionFailure() << "muse " << args << " exited " << status << ", not " << *exit_code << ":\n" << out;
    }
    for (const std::string& message : messages) {
        if (out.find(message) == std::string::npos) {
            return ::testing::AssertionFailure() << "muse " << args << " (exit " << status << ") did not say \"" << message
                                                 << "\":\n" << out;
        }
    }
    if (std::filesystem::exists(output)) {
        return ::testing::AssertionFailure() << "muse " << args << " refused but left " << output;
    }
    return ::testing::AssertionSuccess();
}

}  // namespace muse::test
