// `muse detect`: nuclei of a whole slide (or of regions of it) -> QuPath GeoJSON or CSV.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"
#include "muse/detect.hpp"
#include "muse/errors.hpp"
#include "muse/files.hpp"
#include "muse/geojson.hpp"
#include "muse/log.hpp"
#include "muse/slide.hpp"
#include "muse/slide_summary.hpp"

namespace muse::cli {
namespace {

std::string duration(double seconds) {
    char buf[32];
    const long s = static_cast<long>(seconds + 0.5);
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%lds", s);
    return buf;
}

/// A bar redrawn in place on a terminal; elsewhere (logs, CI) a line every 10 seconds.
class ProgressDisplay {
public:
    ProgressDisplay() : tty_(::isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

    void operator()(const ProgressUpdate& u) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        const bool last = u.total > 0 && u.done >= u.total;
        if (!tty_ && !last && elapsed - last_line_ < 10.0) return;
        last_line_ = elapsed;
        const double fraction = u.total > 0 ? static_cast<double>(u.done) / static_cast<double>(u.total) : 0.0;
        const double eta = u.done > 0 ? elapsed / static_cast<double>(u.done) * static_cast<double>(u.total - u.done) : 0.0;
        char line[256];
        if (tty_) {
            const int width = 24, filled = static_cast<int>(fraction * width);
            std::string bar = std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '.');
            std::snprintf(line, sizeof line, "\r[%s] %lld/%lld %s, %s, ETA %s   ", bar.c_str(), static_cast<long long>(u.done),
                          static_cast<long long>(u.total), u.unit.c_str(), u.message.c_str(), duration(eta).c_str());
            std::fputs(line, stderr);
            if (last) std::fputs("\n", stderr);
        } else {
            std::snprintf(line, sizeof line, "muse: %lld/%lld %s (%.0f %%), %s, ETA %s\n", static_cast<long long>(u.done),
                          static_cast<long long>(u.total), u.unit.c_str(), 100.0 * fraction, u.message.c_str(),
                          duration(eta).c_str());
            std::fputs(line, stderr);
        }
        std::fflush(stderr);
    }

private:
    bool tty_;
    std::chrono::steady_clock::time_point start_;
    double last_line_ = -1e9;
};

}  // namespace

Command add_detect_command(CLI::App& app) {
    struct Options {
        std::string slide, model, output, roi, format, geometry = "point", summary;
        double ellipse_um = 3.0;
        SlideDetectOptions detect;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("detect", "Detect and classify the nuclei of a slide; write QuPath GeoJSON or CSV");
    cmd->add_option("slide", o->slide, "Slide (SVS, NDPI, MRXS, SCN, tiled TIFF, ...) or PNG/JPEG/TIFF image")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("-m,--model", o->model, "Model file (.muse); default: the bundled default model")->check(CLI::ExistingFile);
    cmd->add_option("-o,--output", o->output, "Output file: .geojson (QuPath) or .csv")->required();
    cmd->add_option("--roi", o->roi, "Only inside the areas of this GeoJSON file (QuPath annotations, level-0 px)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--mpp", o->detect.mpp, "Slide resolution, um/px (needed when the file does not say it)");
    cmd->add_option("--batch", o->detect.batch, "Tiles per forward pass")->capture_default_str();
    cmd->add_option("--tile-px", o->detect.tile_px, "Tile side at the model's resolution (multiple of 32)")->capture_default_str();
    cmd->add_option("--overlap-um", o->detect.overlap_um, "Context margin on each tile side, um")->capture_default_str();
    cmd->add_option("--readers", o->detect.reader_threads, "Threads reading tiles ahead of the model")->capture_default_str();
    cmd->add_option("--score-threshold", o->detect.decode.score_threshold, "Keep nuclei at least this likely (default: the model's)");
    cmd->add_flag("--tta", o->detect.decode.tta,
                  "Average the model over each tile and its three mirror images (about 4x slower; docs/detection.md)");
    add_precision_option(*cmd, o->detect.decode.precision);
    cmd->add_option("--merge-radius-um", o->detect.decode.merge_radius_um, "Duplicate suppression radius (default: the model's)");
    cmd->add_flag("--no-tissue-mask", [o](std::int64_t) { o->detect.tissue_mask = false; }, "Also process tiles without tissue");
    cmd->add_option("--format", o->format, "geojson or csv (default: from the output's extension)")
        ->check(CLI::IsMember({"geojson", "csv"}));
    cmd->add_option("--geometry", o->geometry, "GeoJSON shape of a nucleus: point, or ellipse (a small circle)")
        ->check(CLI::IsMember({"point", "ellipse"}))
        ->capture_default_str();
    cmd->add_option("--ellipse-radius-um", o->ellipse_um, "Radius of the ellipse geometry, um")->capture_default_str();
    cmd->add_option("--summary", o->summary,
                    "Also write the slide's numbers as JSON: tissue mm2, tiles, nuclei, density and mean score per class, "
                    "model, pixel size, time (docs/cohort.md)");
    cmd->footer(
        "Tiles the slide at the model's resolution (best pyramid level, exact resampling), skips tiles\n"
        "without tissue, and writes each nucleus once with its class and per-class probabilities. The\n"
        "output appears when the run is complete; Ctrl-C stops without leaving a partial file.\n"
        "Open a .geojson in QuPath by dragging it onto the slide (File > Import objects).\n\n"
        "Examples:\n"
        "  muse detect samples/CMU-1-Small-Region.svs -o CMU-1-Small-Region.geojson\n"
        "  muse detect slide.svs -o slide.geojson --summary slide.summary.json   (one row of a cohort table)\n"
        "A whole cohort on a cluster: workflows/cohort (Snakemake).");
    return {cmd, [o] {
        if (!o->summary.empty()) {
            // Fail before an hour of detection, not after it.
            const auto folder = std::filesystem::absolute(o->summary).parent_path();
            if (!std::filesystem::is_directory(folder)) {
                throw IoError("cannot write the summary '" + o->summary + "': the folder '" + folder.string() +
                              "' does not exist");
            }
        }
        const std::string model_path = model_or_default(o->model);
        const Model model = Model::load(model_path);
        const auto slide = open_slide(o->slide);
        if (!o->roi.empty()) o->detect.regions = read_geojson_regions(o->roi);
        DetectionWriterOptions wo;
        wo.classes = model.config().classes;
        wo.name = detection_object_name(model_path);  // QuPath's extension then replaces them, and nothing else
        wo.format = o->format.empty() ? output_format_for(o->output)
                                      : (o->format == "csv" ? OutputFormat::Csv : OutputFormat::GeoJson);
        wo.geometry = o->geometry == "ellipse" ? DetectionGeometry::Ellipse : DetectionGeometry::Point;
        const double slide_mpp = o->detect.mpp > 0 ? o->detect.mpp : slide->mpp();
        wo.ellipse_radius_px = slide_mpp > 0 ? o->ellipse_um / slide_mpp : 6.0;
        status("detecting with " + model_path + " (" + model.config().arch + ") on " + o->slide + " (" + slide->format() +
               ", " + std::to_string(slide->levels()[0].width) + "x" + std::to_string(slide->levels()[0].height) + " px), " +
               describe_precision(o->detect.decode.precision));
        auto writer = DetectionWriter::create(o->output, wo);
        ProgressDisplay display;
        InterruptibleProgress progress([&display](const ProgressUpdate& u) { display(u); });
        DetectionTally tally(model.config().classes.size());
        const SlideDetectSummary s = detect_slide(
            model, *slide, o->detect,
            [&](const Detection& d) {
                tally.add(d);
                writer->write(d);
            },
            progress.get());
        writer->commit();
        if (!o->summary.empty()) {
            write_file_atomically(o->summary, slide_summary_json({model_path, &model.config(), slide.get(), &o->detect, &s,
                                                                  &tally, o->output}));
        }
        char line[320];
        std::snprintf(line, sizeof line,
                      "wrote %s: %lld nuclei from %lld tiles (%lld of %lld hold tissue; %lld unreadable, skipped), "
                      "%.2f mm2 in %s, level %d, %.3f um/px",
                      o->output.c_str(), static_cast<long long>(s.nuclei), static_cast<long long>(s.tiles_done),
                      static_cast<long long>(s.tiles_planned), static_cast<long long>(s.tiles_total),
                      static_cast<long long>(s.tiles_failed), s.area_mm2, duration(s.seconds).c_str(), s.level, s.slide_mpp);
        status(line);
        if (!o->summary.empty()) status("wrote " + o->summary + ": the slide's summary");
        if (s.tiles_planned == 0 && o->detect.tissue_mask) {
            // 0 nuclei can be genuine (empty glass), but is more often a faint slide the tissue mask missed.
            status("warning: none of the " + std::to_string(s.tiles_total) + " tiles " +
                   (o->detect.regions.empty() ? "of the slide" : "in the --roi areas") +
                   " holds tissue, so no nucleus was detected; if there is tissue (a faint stain, an unusual "
                   "background), run again with --no-tissue-mask");
        }
    }};
}

}  // namespace muse::cli
