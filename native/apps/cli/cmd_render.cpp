// `muse render`: a picture of a slide region with its detections (and annotations) and a
// legend, for reports and documentation. Qt draws it offscreen: no display is needed.
#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include <QGuiApplication>
#include <QImage>
#include <QPainter>

#include "cli_common.hpp"
#include "commands.hpp"
#include "muse/annotations.hpp"
#include "muse/errors.hpp"
#include "muse/geojson.hpp"
#include "overlay_painter.hpp"
#include "picture_file.hpp"
#include "slide_raster.hpp"

namespace muse::cli {
namespace {

/// "x,y,w,h" in level-0 pixels.
QRectF parse_region(const std::string& text) {
    std::istringstream in(text);
    double v[4];
    char comma = 0;
    for (int i = 0; i < 4; ++i) {
        if (!(in >> v[i]) || (i < 3 && !(in >> comma && comma == ','))) {
            throw InvalidArgument("--region must be x,y,w,h in level-0 pixels (e.g. 1000,2000,1024,768), got '" + text + "'");
        }
    }
    in >> std::ws;
    if (!in.eof() || v[2] <= 0 || v[3] <= 0) {
        throw InvalidArgument("--region must be x,y,w,h with w and h > 0, got '" + text + "'");
    }
    return {v[0], v[1], v[2], v[3]};
}

/// Qt needs an application object for fonts; offscreen unless the caller chose a platform.
std::unique_ptr<QGuiApplication> offscreen_gui() {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    static int argc = 1;
    static char name[] = "muse";
    static char* argv[] = {name, nullptr};
    return std::make_unique<QGuiApplication>(argc, argv);
}

}  // namespace

Command add_render_command(CLI::App& app) {
    struct Options {
        std::string slide, detections, annotations, region, output;
        double mpp = 0.0, slide_mpp = 0.0;
        int max_side = 2048;
        bool no_legend = false;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("render", "Draw a slide region with its detections and a legend as a PNG");
    cmd->add_option("slide", o->slide, "Slide or image file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--detections", o->detections, "GeoJSON of detections (from `muse detect` or QuPath)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--annotations", o->annotations, "QuPath GeoJSON of annotated areas and classified points to draw too")
        ->check(CLI::ExistingFile);
    cmd->add_option("--region", o->region, "x,y,w,h in level-0 pixels (default: the whole slide)");
    cmd->add_option("--mpp", o->mpp, "um per picture pixel (default: the slide's full resolution, or coarser to fit --max-side)");
    cmd->add_option("--max-side", o->max_side, "Longest picture side when --mpp is not given")->capture_default_str()->check(
        CLI::Range(16, 32768));
    cmd->add_option("--slide-mpp", o->slide_mpp, "Level-0 um/px of the slide (default: from the file)");
    cmd->add_flag("--no-legend", o->no_legend, "Leave the legend out");
    cmd->add_option("-o,--output", o->output, "PNG file to write")->required();
    cmd->footer(
        "Each detection is a disc of its class's colour (about 3 um across on the slide); annotated\n"
        "areas are yellow outlines and classified points small squares. The legend lists every class\n"
        "with its number of detections in the picture. The file is written atomically.\n\n"
        "Example:\n"
        "  muse detect samples/CMU-1-Small-Region.svs -o nuclei.geojson\n"
        "  muse render samples/CMU-1-Small-Region.svs --detections nuclei.geojson \\\n"
        "       --region 600,700,600,400 --mpp 0.5 -o overlay.png");
    return {cmd, [o] {
        const auto slide = open_slide(o->slide);
        const auto& level0 = slide->levels()[0];
        const QRectF rect = o->region.empty() ? QRectF(0, 0, double(level0.width), double(level0.height)) : parse_region(o->region);
        double scale;  // picture pixels per level-0 pixel
        if (o->mpp > 0) {
            scale = slide_mpp(*slide, o->slide_mpp) / o->mpp;
        } else {
            scale = std::min(1.0, o->max_side / std::max(rect.width(), rect.height()));
        }
        const double w = std::max(1.0, std::round(rect.width() * scale)), h = std::max(1.0, std::round(rect.height() * scale));
        if (w > 32768 || h > 32768 || w * h > 400e6) {
            throw InvalidArgument("the picture would be " + std::to_string(std::llround(w)) + " x " + std::to_string(std::llround(h)) +
                                  " px (at most 32768 a side and 400 megapixels); choose a smaller --region or a coarser --mpp");
        }
        const int width = static_cast<int>(w), height = static_cast<int>(h);
        const DetectionSet set = read_geojson_detections(o->detections);
        AnnotationObjects annotations;
        if (!o->annotations.empty()) annotations = read_qupath_annotation_objects(o->annotations);

        auto gui = offscreen_gui();
        QImage picture = overlay::read_view(*slide, rect, QSize(width, height));
        const overlay::ViewTransform view{rect.x(), rect.y(), scale};
        const double known_mpp = o->slide_mpp > 0 ? o->slide_mpp : slide->mpp();
        std::vector<Detection> shown;
        for (const Detection& d : set.detections) {
            if (rect.contains(d.x, d.y)) shown.push_back(d);
        }
        {
            QPainter painter(&picture);
            overlay::paint_detections(painter, view, shown, set.classes, {}, {overlay::nucleus_radius_for(scale, known_mpp)});
            overlay::paint_annotations(painter, view, annotations, set.classes);
            if (!o->no_legend) overlay::paint_legend(painter, overlay::legend_entries(set.classes, shown, {}), {8, 8});
        }
        overlay::write_png(picture, o->output);
        status("wrote " + o->output + ": " + std::to_string(width) + " x " + std::to_string(height) + " px, " +
               grouped(static_cast<std::int64_t>(shown.size())) + " detections in the region");
    }};
}

}  // namespace muse::cli
