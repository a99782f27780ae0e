// Pieces shared by several `muse` subcommands: checkpoint options, messages.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "muse/model.hpp"

namespace muse::cli {

/// The options that describe how to read an official .pth checkpoint.
struct CheckpointOptions {
    std::string arch;
    int img_size = 0;
    double mpp = 0.5;

    /// Adds --arch, --img-size, --mpp to `cmd`; `required` makes --img-size mandatory.
    void add_to(CLI::App& cmd, bool for_import);
    ImportOptions to_import_options() const;
};

/// One line on stderr (the data a command produces goes to files or stdout).
void status(const std::string& text);

/// "124.3 MB"
std::string human_bytes(std::uint64_t bytes);
/// "31,070,784"
std::string grouped(std::int64_t n);

/// The architecture names of the registry, "a|b|c", for help texts.
std::string arch_choices();

}  // namespace muse::cli
