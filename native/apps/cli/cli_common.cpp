// Shared helpers of the `muse` subcommands.
#include "cli_common.hpp"

#include <cmath>
#include <csignal>
#include <exception>
#include <cstdio>
#include <iostream>

#include "muse/stain.hpp"

namespace muse::cli {

void CheckpointOptions::add_to(CLI::App& cmd, bool for_import) {
    const std::string when = for_import ? "" : " (only for a .pth checkpoint)";
    cmd.add_option("--arch", arch, "Architecture: " + arch_choices() + "; default: inferred from the weights" + when);
    auto* size = cmd.add_option("--img-size", img_size,
                                "Model image size: 224 for MUSE, 512 for LFoV-MUSE checkpoints" + when);
    if (for_import) size->required();
    cmd.add_option("--mpp", mpp, "Working resolution to record, um/px (default 0.5 = 20x)" + when)
        ->check(CLI::PositiveNumber);
}

ImportOptions CheckpointOptions::to_import_options() const {
    ImportOptions o;
    o.arch = arch;
    o.img_size = img_size;
    o.mpp = mpp;
    return o;
}

namespace {
Progress* g_interruptible = nullptr;  // the one InterruptibleProgress alive, if any

extern "C" void on_sigint(int) {
    // Only an atomic store: safe in a signal handler.
    if (g_interruptible) g_interruptible->cancel();
}
}  // namespace

InterruptibleProgress::InterruptibleProgress(Progress::Callback on_update) : progress_(std::move(on_update)) {
    g_interruptible = &progress_;
    std::signal(SIGINT, on_sigint);
}

InterruptibleProgress::~InterruptibleProgress() {
    std::signal(SIGINT, SIG_DFL);
    g_interruptible = nullptr;
}

void status(const std::string& text) { std::cerr << text << std::endl; }

std::string human_bytes(std::uint64_t bytes) {
    char buf[32];
    if (bytes >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
    else if (bytes >= 1000) std::snprintf(buf, sizeof buf, "%.1f kB", static_cast<double>(bytes) / 1e3);
    else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    return buf;
}

std::string grouped(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

std::string stain_choices() {
    std::string s = "none";
    for (const auto& n : stain_preset_names()) s += ", " + n;
    return s;
}

void simulate_lab(std::vector<LabelledImage>& images, const std::string& stain, double rescale) {
    const StainChange change = stain_preset(stain);
    for (auto& img : images) {
        if (!change.is_identity()) change_stains(img.image.pixels.data(), img.image.pixels.size() / 3, change);
        if (rescale != 1.0) {
            const int w0 = img.image.width, h0 = img.image.height;
            img.image = resample_image(img.image, rescale);
            const double fx = static_cast<double>(img.image.width) / w0, fy = static_cast<double>(img.image.height) / h0;
            for (auto& p : img.nuclei) p = {(p.x + 0.5) * fx - 0.5, (p.y + 0.5) * fy - 0.5, p.class_index};
            img.mpp /= std::sqrt(fx * fy);
        }
    }
}

std::string arch_choices() {
    std::string s;
    for (const auto& v : model_variants()) s += (s.empty() ? "" : "|") + v.name;
    return s;
}

void add_precision_option(CLI::App& cmd, Precision& target, Precision fallback) {
    const std::string isa = native_bf16_isa();
    cmd.add_option_function<std::string>(
           "--precision", [&target](const std::string& v) { target = parse_precision(v); },
           "auto: bfloat16 where the CPU has it natively (this one: " + (isa.empty() ? std::string("no") : isa) +
               "), else float32; fp32; bf16 (docs/performance.md)")
        ->check(CLI::IsMember({"auto", "fp32", "bf16"}))
        ->default_str(to_string(fallback));
    target = fallback;
}

CLI::Validator share_validator(bool zero_allowed, std::optional<double> auto_value) {
    const std::string range = zero_allowed ? "in 0..1" : "in (0, 1]";
    const std::string expected = auto_value ? "neither 'auto' nor a share " + range : "not a share " + range;
    return CLI::Validator(
        [=](std::string& v) -> std::string {
            if (auto_value && v == "auto") {
                v = std::to_string(*auto_value);
                return "";
            }
            try {
                std::size_t used = 0;
                const double s = std::stod(v, &used);
                if (used == v.size() && (zero_allowed ? s >= 0.0 : s > 0.0) && s <= 1.0) return "";
            } catch (const std::exception&) {
            }
            return "Value " + v + " is " + expected;
        },
        auto_value ? "auto|SHARE" : "SHARE");
}

std::string describe_precision(Precision requested) {
    const Precision used = resolve_precision(requested);
    const std::string isa = native_bf16_isa();
    if (used == Precision::Fp32) {
        return requested == Precision::Auto && isa.empty() ? "fp32 (this CPU has no native bfloat16)" : "fp32";
    }
    return "bf16 (" + isa + ")";
}

}  // namespace muse::cli
