// What a test of the command line expects when it gives bad input (gtest assertions, so kept
// apart from test_env, which the helper programs link without gtest).
#pragma once

#include <filesystem>
#include <optional>
#include <initializer_list>
#include <string>

#include <gtest/gtest.h>

namespace muse::test {

/// `muse ARGS` refuses: exits with `exit_code` (muse's errors: 1; nullopt: any failure, e.g. the
/// option parser's own codes), says something containing `message`, and leaves no file at
/// `output` (bad input never leaves a partial result). The failure says which part failed.
::testing::AssertionResult muse_refuses(const std::string& args, const std::string& message,
                                        const std::filesystem::path& output, std::optional<int> exit_code = 1);

/// The same, where the refusal must say each of `messages`.
::testing::AssertionResult muse_refuses(const std::string& args, std::initializer_list<std::string> messages,
                                        const std::filesystem::path& output, std::optional<int> exit_code = 1);

}  // namespace muse::test
