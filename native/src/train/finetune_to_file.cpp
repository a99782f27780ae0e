// The fine-tuning entry point the CLI, the viewer and the JNI bridge share: gathering the
// annotated slides (classes carried across slides), refusing to overwrite the base model, writing
// the model, removing the finished run's checkpoint.
#include <system_error>

#include "muse/errors.hpp"
#include "muse/finetune.hpp"

namespace muse {
namespace {

/// Same file: both exist and are one file, or (not yet existing) the same normalised path.
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
    if (a.empty() || b.empty()) return false;
    std::error_code ec;
    if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec)) {
        const bool same = std::filesystem::equivalent(a, b, ec);
        if (!ec) return same;
    }
    const auto ca = std::filesystem::weakly_canonical(a, ec);
    if (ec) return false;
    const auto cb = std::filesystem::weakly_canonical(b, ec);
    return !ec && ca == cb;
}

}  // namespace

FinetuneData::FinetuneData(const Model& base, bool allow_new_classes)
    : classes(base.config().classes), base_classes_(base.config().classes.size()), allow_new_classes_(allow_new_classes) {}

AnnotationReadOptions FinetuneData::read_options() const {
    AnnotationReadOptions o;
    o.classes = classes;  // classes added by earlier slides keep their indices
    o.allow_new_classes = allow_new_classes_;
    return o;
}

void FinetuneData::add(std::shared_ptr<const SlideSource> slide, double mpp, AnnotationSet annotations) {
    if (annotations.classes.size() < classes.size()) {
        throw InvalidArgument("fine-tuning data: annotations read without this run's classes (use read_options())");
    }
    classes = std::move(annotations.classes);
    for (const auto& r : annotations.regions) nuclei += static_cast<std::int64_t>(r.nuclei.size());
    regions += annotations.regions.size();
    points_outside += annotations.points_outside;
    areas_without_points += annotations.areas_without_points;
    slides.push_back({std::move(slide), mpp, std::move(annotations.regions)});
}

std::vector<std::string> FinetuneData::new_classes() const {
    std::vector<std::string> out;
    for (std::size_t c = base_classes_; c < classes.size(); ++c) out.push_back(classes[c].name);
    return out;
}

void check_finetune_paths(const std::filesystem::path& base_file, const std::filesystem::path& output,
                          const std::filesystem::path& checkpoint) {
    if (output.empty()) throw InvalidArgument("no file was given for the fine-tuned model");
    if (same_file(output, base_file)) {
        throw InvalidArgument("Choose a new file for the fine-tuned model: '" + output.string() +
                              "' is the base model it starts from, which is never overwritten");
    }
    if (same_file(checkpoint, base_file) || same_file(checkpoint, output)) {
        throw InvalidArgument("the checkpoint '" + checkpoint.string() +
                              "' must be neither the base model nor the fine-tuned model's file");
    }
}

FinetuneResult finetune_to_file(const Model& base, const std::filesystem::path& base_file, const FinetuneData& data,
                                const FinetuneOptions& options, const std::filesystem::path& output, const Progress& progress,
                                const std::function<void(const FinetuneEpoch&)>& on_epoch) {
    check_finetune_paths(base_file, output, options.checkpoint);
    FinetuneResult r = finetune(base, data.classes, data.slides, options, progress, on_epoch);
    r.model.save(output);  // atomic: the file appears complete or not at all
    if (!options.checkpoint.empty()) {
        std::error_code ignored;
        std::filesystem::remove(options.checkpoint, ignored);
    }
    return r;
}

}  // namespace muse
