// `muse`: the command-line front end of the engine. Parses global options, dispatches to the
// subcommand table, and turns every failure into a message on stderr and a non-zero exit.
#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "muse/errors.hpp"
#include "muse/log.hpp"
#include "muse/runtime.hpp"
#include "muse/version.hpp"

namespace {

// The subcommands, in the order `muse --help` lists them.
constexpr muse::cli::AddCommand kCommands[] = {
    muse::cli::add_detect_command,
    muse::cli::add_finetune_command,
    muse::cli::add_adapt_command,
    muse::cli::add_pseudolabel_command,
    muse::cli::add_render_command,
    muse::cli::add_import_command,
    muse::cli::add_info_command,
    muse::cli::add_features_command,
    muse::cli::add_train_command,
    muse::cli::add_eval_command,
    muse::cli::add_thresholds_command,
};

void log_to_stderr(muse::LogLevel level, const std::string& text) {
    std::cerr << "muse: " << muse::log_level_name(level) << ": " << text << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"muse " MUSE_VERSION_STRING
                 ": MUSE nucleus detection and classification for H&E slides (native engine)"};
    app.set_version_flag("--version", MUSE_VERSION_STRING);
    int threads = 0;
    bool verbose = false;
    app.add_option("--threads", threads, "CPU threads for the model's math (default 0 = all cores)")
        ->check(CLI::NonNegativeNumber);
    app.add_flag("-v,--verbose", verbose, "Also print debug messages");
    app.require_subcommand(1);
    app.footer("Run `muse COMMAND --help` for a command's options and an example.");
    std::vector<muse::cli::Command> commands;
    for (auto add : kCommands) commands.push_back(add(app));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    muse::set_log_sink(log_to_stderr, verbose ? muse::LogLevel::Debug : muse::LogLevel::Info);
    try {
        muse::set_compute_threads(threads);
        muse::retain_freed_memory();  // a one-shot command: speed over returning memory early
        for (auto& c : commands) {
            if (c.parser->parsed()) c.run();
        }
    } catch (const muse::Cancelled&) {
        std::cerr << "muse: cancelled" << std::endl;
        return 130;
    } catch (const muse::Error& e) {
        std::cerr << "muse: error: " << e.what() << std::endl;
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "muse: internal error: " << e.what() << std::endl;
        return 2;
    }
    return 0;
}
