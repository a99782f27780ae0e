// `muse pseudolabel`: confident detections around annotated regions, as QuPath annotations to review.
#include <cstdio>
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"
#include "muse/detect.hpp"
#include "muse/errors.hpp"
#include "muse/finetune.hpp"
#include "muse/geojson.hpp"

namespace muse::cli {

Command add_pseudolabel_command(CLI::App& app) {
    struct Options {
        std::string slide, annotations, model, output, name = "MUSE pseudo-label";
        double ring_um = 50.0, threshold = 0.9, mpp = 0.0;
        Precision precision = Precision::Auto;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("pseudolabel", "Propose confident nuclei around annotated regions for review");
    cmd->add_option("slide", o->slide, "Slide or image file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--annotations", o->annotations, "QuPath GeoJSON with the annotated regions")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("-m,--model", o->model, "Model file (.muse); default: the bundled default model")->check(CLI::ExistingFile);
    cmd->add_option("-o,--output", o->output, "GeoJSON file of pseudo-labels to write")->required();
    cmd->add_option("--ring-um", o->ring_um, "Width of the ring around each region, um")->capture_default_str();
    cmd->add_option("--threshold", o->threshold, "Confidence a pseudo-label needs")->capture_default_str();
    cmd->add_option("--name", o->name, "Name given to every pseudo-label object")->capture_default_str();
    cmd->add_option("--mpp", o->mpp, "Level-0 um/px of the slide (default: from the file)");
    add_precision_option(*cmd, o->precision);
    cmd->footer(
        "Detects nuclei in a ring around each annotated region (an area holding classified points, or\n"
        "named 'no nuclei') and keeps those at least --threshold likely. They are written as QuPath\n"
        "point annotations named 'MUSE pseudo-label', classified, with their confidence as the\n"
        "measurement 'Score'. Review them in QuPath (delete or reclassify), then export them with\n"
        "the regions and fine-tune again: accepted pseudo-labels inside a region count as labels.\n\n"
        "Example:\n"
        "  muse pseudolabel slide.svs --annotations slide.geojson -o pseudo.geojson --ring-um 50");
    return {cmd, [o] {
        const std::string model_path = model_or_default(o->model);
        const Model model = Model::load(model_path);
        const auto slide = open_slide(o->slide);
        AnnotationReadOptions ro;
        ro.classes = model.config().classes;
        ro.allow_new_classes = true;  // only the areas matter here
        const AnnotationSet a = read_qupath_annotations(o->annotations, ro);
        PseudoLabelOptions po;
        po.ring_um = o->ring_um;
        po.threshold = o->threshold;
        po.detect.mpp = o->mpp;  // 0 = from the slide
        po.detect.decode.precision = o->precision;
        DetectionWriterOptions wo;
        wo.classes = model.config().classes;
        wo.object_type = "annotation";
        wo.name = o->name;
        auto writer = DetectionWriter::create(o->output, wo);
        InterruptibleProgress progress(nullptr);
        const SlideDetectSummary s =
            pseudo_label(model, *slide, a.regions, po, [&](const Detection& det) { writer->write(det); }, progress.get());
        writer->commit();
        status("wrote " + o->output + ": " + std::to_string(writer->count()) + " pseudo-labels (score >= " +
               std::to_string(o->threshold).substr(0, 4) + ") in rings of " + std::to_string(o->ring_um).substr(0, 5) +
               " um around " + std::to_string(a.regions.size()) + " regions, " + std::to_string(s.tiles_done) + " tiles");
    }};
}

}  // namespace muse::cli
