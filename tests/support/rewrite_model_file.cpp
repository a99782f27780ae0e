// muse_rewrite_model_file IN.muse OUT.muse: writes a model file again with the same config and
// the same tensors byte for byte (dtypes kept), so that a file written before model files carried
// checksums gets them. Used once for the committed files (models/, tests/fixtures/).
#include <cstdio>
#include <exception>

#include "model/model_file.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: muse_rewrite_model_file IN.muse OUT.muse\n");
        return 2;
    }
    try {
        const muse::model::ModelFileContents in = muse::model::read_model_file(argv[1]);
        muse::model::write_model_file(argv[2], in.config, in.weights);
        const muse::model::ModelFileContents out = muse::model::read_model_file(argv[2]);  // verifies every checksum
        std::printf("wrote %s: %zu tensors with checksums\n", argv[2], out.weights.size());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "muse_rewrite_model_file: %s\n", e.what());
        return 1;
    }
    return 0;
}
