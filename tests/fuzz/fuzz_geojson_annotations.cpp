// libFuzzer target: QuPath GeoJSON annotations (areas and classified points) as `muse finetune`
// and `muse pseudolabel` read them.
#include <cstddef>
#include <cstdint>

#include "fuzz_input_file.hpp"
#include "muse/annotations.hpp"
#include "muse/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string& path = muse::fuzz::input_path(data, size);
    try {
        const auto objects = muse::read_qupath_annotation_objects(path);
        (void)objects;
    } catch (const muse::Error&) {
    }
    try {
        muse::AnnotationReadOptions options;
        options.classes = {{"Lymphocyte", {160, 90, 160}}, {"Tumor", {200, 0, 0}}, {"Stroma", {150, 200, 150}}};
        options.allow_new_classes = (size % 2) == 1;
        const auto set = muse::read_qupath_annotations(path, options);
        (void)set;
    } catch (const muse::Error&) {
    }
    return 0;
}
