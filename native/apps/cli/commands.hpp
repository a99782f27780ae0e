// The table of `muse` subcommands: each file registers one, main.cpp lists them in order.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace muse::cli {

/// Runs a parsed subcommand; may throw muse::Error (main turns it into a message).
using Runner = std::function<void()>;

/// A registered subcommand: its parser and what runs it once it was parsed.
struct Command {
    CLI::App* parser;
    Runner run;
};

/// Adds one subcommand (options, help, example) to `app`.
using AddCommand = Command (*)(CLI::App& app);

Command add_import_command(CLI::App& app);
Command add_info_command(CLI::App& app);
Command add_features_command(CLI::App& app);
Command add_train_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_detect_command(CLI::App& app);
Command add_finetune_command(CLI::App& app);
Command add_pseudolabel_command(CLI::App& app);

/// File name of the default model (models/ in the source tree, share/muse/models when installed).
inline constexpr const char* kDefaultModelName = "muse-default.muse";

/// The default model: $MUSE_DEFAULT_MODEL when set (and then only there); otherwise
/// <prefix>/share/muse/models next to the installed executable, then the source tree's models/. Empty when none exists; `looked` gets the places.
std::filesystem::path find_default_model(std::vector<std::string>* looked);

/// `given` when not empty, else the default model; IoError listing where it looked.
std::string model_or_default(const std::string& given);

}  // namespace muse::cli
