// `muse-viewer`: look at a slide with its detections, annotate, detect and fine-tune.
#include <QApplication>
#include <QCommandLineParser>

#include <iostream>

#include "default_model.hpp"
#include "main_window.hpp"
#include "muse/errors.hpp"
#include "muse/log.hpp"
#include "muse/precision.hpp"
#include "muse/version.hpp"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("muse-viewer");
    QApplication::setApplicationVersion(MUSE_VERSION_STRING);
    muse::set_log_sink([](muse::LogLevel level, const std::string& text) {
        std::cerr << "muse-viewer: " << muse::log_level_name(level) << ": " << text << std::endl;
    });

    QCommandLineParser parser;
    parser.setApplicationDescription(
        "MUSE viewer: pan and zoom a slide, see detections coloured by class, draw annotation\n"
        "rectangles with classified points, detect and fine-tune on a worker thread.\n\n"
        "Example:\n"
        "  muse-viewer samples/CMU-1-Small-Region.svs --detections nuclei.geojson");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("slide", "Slide or image to open");
    QCommandLineOption detections("detections", "GeoJSON of detections to show", "file");
    QCommandLineOption annotations("annotations", "QuPath GeoJSON of areas and classified points to edit", "file");
    QCommandLineOption model("model", "Model file (.muse); default: the bundled default model", "file");
    QCommandLineOption precision("precision",
                                 "Network arithmetic for detection and fine-tuning: auto (bfloat16 where the CPU has it natively, "
                                 "AVX512-BF16 or AMX; else fp32), fp32 or bf16",
                                 "auto|fp32|bf16", "auto");
    parser.addOptions({detections, annotations, model, precision});
    parser.process(app);

    muse::viewer::MainWindow window;
    try {
        window.set_precision(muse::parse_precision(parser.value(precision).toStdString()));
    } catch (const muse::Error& e) {
        std::cerr << "muse-viewer: --precision: " << e.what() << std::endl;
        return 2;
    }
    const QStringList args = parser.positionalArguments();
    if (!args.isEmpty()) window.open_slide(args.first().toStdString());
    if (parser.isSet(detections)) window.open_detections(parser.value(detections).toStdString());
    if (parser.isSet(annotations)) window.open_annotations(parser.value(annotations).toStdString());
    const std::string model_path = parser.isSet(model) ? parser.value(model).toStdString() : muse::apps::find_default_model(nullptr).string();
    if (!model_path.empty()) window.load_model(model_path);
    window.show();
    return app.exec();
}
