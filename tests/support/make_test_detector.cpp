// muse_make_test_detector OUT.muse: trains the synthetic test detector (train_synthetic_detector)
// and writes it with its floating-point weights stored as float16, half the size of float32;
// the tests load it into float32 (the rounding is part of the fixture, the same everywhere).
#include <cstdio>
#include <exception>
#include <map>
#include <string>

#include <ATen/ATen.h>

#include "model/model_file.hpp"
#include "muse/model.hpp"
#include "support/synthetic_nuclei.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: muse_make_test_detector OUT.muse\n");
        return 2;
    }
    try {
        const muse::Model trained = muse::test::train_synthetic_detector();
        std::map<std::string, at::Tensor> half;
        for (const auto& [name, t] : trained.state_dict()) half[name] = t.is_floating_point() ? t.to(at::kHalf) : t;
        muse::model::write_model_file(argv[1], trained.config(), half);
        std::printf("wrote %s\n", argv[1]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "muse_make_test_detector: %s\n", e.what());
        return 1;
    }
    return 0;
}
