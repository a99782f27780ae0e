# What the reliability scripts share; sourced (`. "$here/common.sh"`), defines:
#   annotations  one annotated square of the sample slide with a few clicked nuclei (positions
#                need not be right: these tests are about files, not accuracy)
#   same_weights A B  true when two .muse files hold the same weights: the tensor bytes after
#                the safetensors header are equal (the header's provenance records each epoch's
#                seconds, which differ from run to run)
annotations=$here/sample-annotations.geojson
same_weights() {
    a=$(od -An -t u8 -N8 "$1" | tr -d ' ') b=$(od -An -t u8 -N8 "$2" | tr -d ' ')
    [ "$(tail -c +$((a + 9)) "$1" | md5sum)" = "$(tail -c +$((b + 9)) "$2" | md5sum)" ]
}
