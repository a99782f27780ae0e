#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/): small, valid inputs
made by this project, from which libFuzzer mutates. Needs Debian's python3-torch for the .pth
seeds. The .muse seed is written by the project's own writer (make_model_file_seed, built with
the fuzz targets). Rerun after a reader learns a new format: python3 tests/fuzz/make_seeds.py
"""
import io
import json
import os
import pickle
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def checkpoint(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


torch.manual_seed(0)
# A MUSE-like training checkpoint: tensors under teacher module.backbone., some other entries.
vit = {
    "teacher": {
        "module.backbone.encoder.encoder.cls_token": torch.randn(1, 1, 8),
        "module.backbone.encoder.encoder.pos_embed": torch.randn(1, 5, 8),
        "module.backbone.encoder.encoder.patch_embed.proj.weight": torch.randn(8, 3, 2, 2).half(),
        "head.last_layer.weight": torch.randn(4, 8),
    },
    "epoch": 3,
    "args": {"arch": "vit_small", "lr": 1e-4, "flags": [True, None, 2.5, "x"]},
}
resnet = {
    "teacher": {
        "module.backbone.encoder.encoder.conv1.weight": torch.randn(4, 3, 3, 3),
        "module.backbone.encoder.encoder.bn1.running_mean": torch.zeros(4),
        "module.backbone.encoder.encoder.bn1.num_batches_tracked": torch.tensor(7),
    },
}
shared = torch.randn(6)
views = {"teacher": {"module.backbone.a": shared[1:4], "module.backbone.b": shared.view(2, 3).t()}}  # offsets and strides
for name, obj in [("vit.pth", vit), ("resnet.pth", resnet), ("views.pth", views)]:
    data = checkpoint(obj)
    put("fuzz_torch_checkpoint", name, data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        pkl = [n for n in z.namelist() if n.endswith("data.pkl")][0]
        put("fuzz_pickle", name.replace(".pth", ".pkl"), z.read(pkl))
put("fuzz_torch_checkpoint", "no-teacher.pth", checkpoint({"model": {"w": torch.ones(2)}}))
for proto in (2, 4):
    put("fuzz_pickle", "plain-p%d.pkl" % proto,
        pickle.dumps({"a": [1, 2.5, "s", b"b", None, True, (1, 2)], "n": -(2 ** 40), "d": {"k": {}}}, protocol=proto))

# Safetensors without a muse config (the .muse seed comes from make_model_file_seed).
header = {"__metadata__": {"format": "pt"}, "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
          "i": {"dtype": "I64", "shape": [1], "data_offsets": [16, 24]}}
h = json.dumps(header).encode()
put("fuzz_safetensors_header", "plain.safetensors", len(h).to_bytes(8, "little") + h + bytes(24))

square = [[[100, 100], [400, 100], [400, 400], [100, 400], [100, 100]]]
holed = [[[0, 0], [50, 0], [50, 50], [0, 50], [0, 0]], [[10, 10], [20, 10], [20, 20], [10, 10]]]


def feature(geometry, properties=None, object_type="annotation"):
    f = {"type": "Feature", "geometry": geometry, "properties": {"objectType": object_type}}
    f["properties"].update(properties or {})
    return f


annotations = {"type": "FeatureCollection", "features": [
    feature({"type": "Polygon", "coordinates": square}, {"name": "area 1"}),
    feature({"type": "Polygon", "coordinates": holed}, {"name": "no nuclei"}),
    feature({"type": "MultiPoint", "coordinates": [[150, 150], [200, 210.5]]},
            {"classification": {"name": "Tumor", "color": [200, 0, 0]}}),
    feature({"type": "MultiPoint", "coordinates": [[300, 300]]}, {"classification": {"name": "Other", "colorRGB": -16776961}}),
    feature({"type": "Point", "coordinates": [120, 130]}, {"classification": {"name": "Lymphocyte"}}),
]}
put("fuzz_geojson_annotations", "areas-and-points.geojson", json.dumps(annotations, indent=1))
put("fuzz_geojson_annotations", "single-feature.geojson", json.dumps(annotations["features"][0]))
put("fuzz_geojson_annotations", "array.geojson", json.dumps(annotations["features"][:3]))

detections = {"type": "FeatureCollection", "features": [
    feature({"type": "Point", "coordinates": [10.5, 20.25]},
            {"name": "MUSE muse-default", "classification": {"name": "Tumor", "color": [200, 0, 0]},
             "measurements": {"Score": 0.9, "Probability: Tumor": 0.9}}, "detection"),
    feature({"type": "Polygon", "coordinates": square}, {"classification": {"name": "Stroma"}}, "detection"),
]}
put("fuzz_geojson_detections", "points.geojson", json.dumps(detections))
regions = {"type": "FeatureCollection", "features": [
    feature({"type": "Polygon", "coordinates": holed}),
    feature({"type": "MultiPolygon", "coordinates": [square, holed]}),
]}
put("fuzz_geojson_regions", "regions.geojson", json.dumps(regions))
put("fuzz_geojson_regions", "geometry.geojson", json.dumps({"type": "Polygon", "coordinates": square}))
put("fuzz_points_csv", "header.csv", "x,y\n10.5,20\n30,40.25\n")
put("fuzz_points_csv", "plain.csv", "1,2\r\n3e2,4E-1\n\n-5,6\n")
