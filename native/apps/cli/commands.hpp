// The table of `muse` subcommands: each file registers one, main.cpp lists them in order.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "default_model.hpp"

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
Command add_thresholds_command(CLI::App& app);
Command add_detect_command(CLI::App& app);
Command add_finetune_command(CLI::App& app);
Command add_adapt_command(CLI::App& app);
Command add_pseudolabel_command(CLI::App& app);
Command add_render_command(CLI::App& app);

using apps::model_or_default;

}  // namespace muse::cli
