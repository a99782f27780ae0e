// Writes the seed of fuzz_model_file with the project's own writer (valid checksums included):
// a minimal .muse file, a detection config and two tiny tensors.
//   make_model_file_seed tests/fuzz/corpus/fuzz_model_file/tiny.muse
#include <ATen/ATen.h>

#include <cstdio>
#include <exception>

#include "model/model_file.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_model_file_seed OUTPUT.muse\n");
        return 2;
    }
    try {
        muse::ModelConfig config;
        config.arch = "r50_w16";
        config.classes = {{"Lymphocyte", {160, 90, 160}}, {"Tumor", {200, 0, 0}}, {"Stroma", {150, 200, 150}}};
        config.provenance_json = "{\"source\":\"fuzz seed\"}";
        muse::model::write_model_file(argv[1], config,
                                      {{"heads.w", at::arange(6, at::kFloat).reshape({2, 3})}, {"n", at::ones({1}, at::kLong)}});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_model_file_seed: %s\n", e.what());
        return 1;
    }
    return 0;
}
