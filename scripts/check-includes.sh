#!/bin/sh
# Checks the include rules of ../shared/design/style-anchors.md (habits 1 and 2), so compile
# time and module boundaries stay as designed:
#  - nothing includes <torch/torch.h> (about 30 s and 1.1 GB per translation unit);
#  - native/src/{io,slide,eval} include no LibTorch header at all;
#  - public headers include no OpenSlide, OpenCV or Qt, and only model.hpp / finetune.hpp
#    include a LibTorch header (<ATen/core/Tensor.h>).
# Prints every violation as file:line and exits 1 when there is one.
set -u
cd "$(dirname "$0")/.."
status=0
report() {
    if [ -n "$2" ]; then
        printf '%s\n%s\n' "check-includes: $1" "$2"
        status=1
    fi
}
torch_any='#[[:space:]]*include[[:space:]]*<(torch|ATen|c10)/'
report "<torch/torch.h> is banned; include the narrowest headers" \
    "$(grep -rnE '#[[:space:]]*include[[:space:]]*<torch/torch\.h>' native jni tests bench 2>/dev/null)"
report "io/, slide/ and eval/ must not depend on LibTorch" \
    "$(grep -rnE "$torch_any" native/src/io native/src/slide native/src/eval 2>/dev/null)"
report "public headers must not include OpenSlide, OpenCV or Qt" \
    "$(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](openslide|opencv2|Q[A-Za-z]+[>/])' native/include 2>/dev/null)"
report "only model.hpp and finetune.hpp may include LibTorch headers among public headers" \
    "$(grep -rnE "$torch_any" native/include 2>/dev/null | grep -vE '^native/include/muse/(model|finetune)\.hpp:')"
[ $status -eq 0 ] && echo "check-includes: ok"
exit $status
