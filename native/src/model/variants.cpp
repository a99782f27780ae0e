// The variant table. Adding a backbone size is one entry here (its modules are shared).
#include "model/variants.hpp"

#include "muse/errors.hpp"
#include "muse/model.hpp"

namespace muse::model {

const std::vector<Variant>& variants() {
    static const std::vector<Variant> table = [] {
        std::vector<Variant> v;
        Variant s;
        s.name = "vit_small";
        s.description = "ViT-S/16 encoder + U-Net decoder (MUSE muse_vit-s-16 / lfov_muse_vit-s-16)";
        s.family = Family::VisionTransformer;
        s.embed_dim = 384;
        s.depth = 12;
        s.heads = 6;
        s.feature_blocks = {2, 5, 8, 11};
        s.feature_dim = 384;
        v.push_back(s);

        Variant b = s;
        b.name = "vit_base";
        b.description = "ViT-B/16 encoder + U-Net decoder (MUSE muse_vit-b-16 / lfov_muse_vit-b-16)";
        b.embed_dim = 768;
        b.heads = 12;
        b.feature_dim = 768;
        v.push_back(b);

        Variant r;
        r.name = "r50";
        r.description = "ResNet-50 encoder + U-Net decoder (MUSE muse_r50 / lfov_muse_r50)";
        r.family = Family::ResNet;
        r.stage_blocks = {3, 4, 6, 3};
        r.feature_dim = 1024;
        v.push_back(r);

        // Not a released MUSE model: the ResNet-50 layout at a quarter of the width (1/16 of the
        // arithmetic and parameters), small enough to train on a CPU. The default model uses it.
        Variant q = r;
        q.name = "r50_w16";
        q.description = "ResNet-50 layout at 1/4 width (base width 16) + U-Net decoder (muse-qupath, CPU-sized)";
        q.base_width = 16;
        q.feature_dim = 256;
        v.push_back(q);
        return v;
    }();
    return table;
}

const Variant& find_variant(const std::string& name) {
    std::string known;
    for (const auto& v : variants()) {
        if (v.name == name) return v;
        known += (known.empty() ? "" : ", ") + v.name;
    }
    throw InvalidArgument("unknown architecture '" + name + "' (known: " + known + ")");
}

}  // namespace muse::model

namespace muse {

std::vector<VariantInfo> model_variants() {
    std::vector<VariantInfo> out;
    for (const auto& v : model::variants()) out.push_back({v.name, v.description, v.feature_dim});
    return out;
}

}  // namespace muse
