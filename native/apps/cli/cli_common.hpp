// Pieces shared by several `muse` subcommands: checkpoint options, messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "muse/annotations.hpp"
#include "muse/model.hpp"
#include "muse/precision.hpp"
#include "muse/progress.hpp"

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

/// A Progress whose cancel() Ctrl-C (SIGINT) triggers while it is alive: the running
/// operation then throws muse::Cancelled and main() exits 130 without a partial output.
class InterruptibleProgress {
public:
    explicit InterruptibleProgress(Progress::Callback on_update);
    ~InterruptibleProgress();
    InterruptibleProgress(const InterruptibleProgress&) = delete;
    InterruptibleProgress& operator=(const InterruptibleProgress&) = delete;
    const Progress& get() const { return progress_; }

private:
    Progress progress_;
};

/// One line on stderr (the data a command produces goes to files or stdout).
void status(const std::string& text);

/// "124.3 MB"
std::string human_bytes(std::uint64_t bytes);
/// "31,070,784"
std::string grouped(std::int64_t n);

/// The architecture names of the registry, "a|b|c", for help texts.
std::string arch_choices();

/// "none, weak-h, ...": the names --stain accepts, for help texts.
std::string stain_choices();

/// The labelled images as another lab or scanner would show them: recoloured by the stain
/// preset `stain` ("none": unchanged), then resampled by `rescale` (2: as scanned at half the
/// pixel size) with their points and pixel size moved along. Used by eval and thresholds.
void simulate_lab(std::vector<LabelledImage>& images, const std::string& stain, double rescale);

/// Adds --precision auto|fp32|bf16 to `cmd`, parsed into `target`, which starts as `fallback`.
void add_precision_option(CLI::App& cmd, Precision& target, Precision fallback = Precision::Auto);

/// Checks a share given on the command line: a number in [0, 1] ((0, 1] when `zero_allowed` is
/// false). With `auto_value`, the word "auto" is accepted too and becomes that number, so the
/// option can read straight into its double.
CLI::Validator share_validator(bool zero_allowed, std::optional<double> auto_value = std::nullopt);

/// "bf16 (AVX512-BF16)", "fp32 (this CPU has no native bfloat16)": what a run will use.
std::string describe_precision(Precision requested);

}  // namespace muse::cli
