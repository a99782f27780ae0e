// muse_make_test_checkpoint: writes a checkpoint laid out like a released MUSE .pth, with
// untrained weights, for tests and for the example script (the released weights cannot be
// downloaded on this project's machines).
#include <cstdlib>
#include <iostream>
#include <string>

#include "support/checkpoint_writer.hpp"

int main(int argc, char** argv) {
    if (argc != 5) {
        std::cerr << "usage: muse_make_test_checkpoint ARCH IMG_SIZE SEED OUT.pth\n"
                     "  ARCH: vit_small | vit_base | r50; IMG_SIZE: 224 | 512 (ViT position grid = IMG_SIZE/16)\n";
        return 2;
    }
    try {
        muse::test::TestCheckpoint ckpt;
        ckpt.backbone = muse::test::untrained_backbone(argv[1], std::atoi(argv[2]), std::strtoull(argv[3], nullptr, 10));
        muse::test::write_checkpoint(argv[4], ckpt);
    } catch (const std::exception& e) {
        std::cerr << "muse_make_test_checkpoint: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
