// The muse model file: exact round trip, and damaged or foreign files reported clearly.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include "io/file_reader.hpp"
#include "io/safetensors.hpp"
#include "model/model_config.hpp"
#include "muse/errors.hpp"
#include "muse/model.hpp"
#include "support/checkpoint_writer.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

using muse::test::TempDir;

ModelConfig config_with_classes() {
    ModelConfig c;
    c.arch = "vit_small";
    c.img_size = 224;
    c.mpp = 0.25;
    c.classes = {{"Lymphocyte", {255, 0, 0}}, {"Tumor", {0, 200, 0}}, {"Stroma", {10, 20, 255}}};
    c.provenance_json = R"({"source":"test","seed":5})";
    c.detection.class_score_thresholds = {0.35, 0.5, 0.6};
    return c;
}

TEST(ModelFile, RoundTripIsBitExact) {
    TempDir dir;
    Model a = Model::create_untrained(config_with_classes(), 5);
    a.save(dir / "m.muse");
    Model b = Model::load(dir / "m.muse");
    auto sa = a.state_dict(), sb = b.state_dict();
    ASSERT_EQ(sa.size(), sb.size());
    for (const auto& [name, t] : sa) {
        ASSERT_TRUE(sb.count(name)) << name;
        EXPECT_EQ(t.scalar_type(), sb.at(name).scalar_type()) << name;
        EXPECT_TRUE(at::equal(t, sb.at(name))) << name;
    }
    const ModelConfig &ca = a.config(), &cb = b.config();
    EXPECT_EQ(cb.arch, ca.arch);
    EXPECT_EQ(cb.img_size, ca.img_size);
    EXPECT_EQ(cb.mpp, ca.mpp);
    EXPECT_EQ(cb.norm_mean, ca.norm_mean);
    EXPECT_EQ(cb.norm_std, ca.norm_std);
    ASSERT_EQ(cb.classes.size(), 3u);
    EXPECT_EQ(cb.classes[2].name, "Stroma");
    EXPECT_EQ(cb.classes[2].color, (std::array<std::uint8_t, 3>{10, 20, 255}));
    EXPECT_EQ(cb.provenance_json, R"({"seed":5,"source":"test"})");
    EXPECT_EQ(cb.detection.class_score_thresholds, (std::vector<double>{0.35, 0.5, 0.6}));

    at::Tensor tile = at::randint(0, 256, {1, 64, 64, 3}, at::kByte);
    EXPECT_TRUE(at::equal(a.forward(tile).dense_map, b.forward(tile).dense_map));
}

TEST(ModelFile, ImportedCheckpointSurvivesSaveAndLoad) {
    TempDir dir;
    muse::test::TestCheckpoint ckpt;
    ckpt.backbone = muse::test::untrained_backbone("r50", 224, 9);
    muse::test::write_checkpoint(dir / "r.pth", ckpt);
    ImportOptions opt;
    opt.img_size = 224;
    Model imported = Model::import_checkpoint(dir / "r.pth", opt);
    imported.save(dir / "r.muse");
    Model loaded = Model::open(dir / "r.muse");
    at::Tensor tile = at::randint(0, 256, {1, 96, 96, 3}, at::kByte);
    EXPECT_TRUE(at::equal(imported.forward(tile).dense_map, loaded.forward(tile).dense_map));
    EXPECT_EQ(loaded.config().provenance_json, imported.config().provenance_json);
}

class ModelFileBadInput : public ::testing::Test {
protected:
    template <class E>
    std::string load_error(const std::filesystem::path& p) {
        try {
            Model::load(p);
        } catch (const E& e) {
            return e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "wrong exception type: " << e.what();
            return "";
        }
        ADD_FAILURE() << "no error";
        return "";
    }
    TempDir dir;
};

TEST_F(ModelFileBadInput, TruncatedModelFileIsCorrupt) {
    Model::create_untrained(config_with_classes(), 1).save(dir / "m.muse");
    const std::string full = muse::test::read_file(dir / "m.muse");
    muse::test::write_file(dir / "cut.muse", full.substr(0, full.size() - 1000));
    const std::string msg = load_error<CorruptFile>(dir / "cut.muse");
    EXPECT_NE(msg.find("cut.muse"), std::string::npos) << msg;
    EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

// 200 bytes flipped inside the tensor data (the damage that used to load silently and detect
// nothing): the checksum names the file and the tensor. A flip in the config is caught too.
TEST_F(ModelFileBadInput, FlippedBytesFailTheChecksumNamingTheTensor) {
    Model::create_untrained(config_with_classes(), 1).save(dir / "m.muse");
    const std::string full = muse::test::read_file(dir / "m.muse");
    std::uint64_t header = 0;
    for (int i = 7; i >= 0; --i) header = (header << 8) | static_cast<unsigned char>(full[static_cast<std::size_t>(i)]);
    const io::SafetensorsHeader h = io::read_safetensors_header(io::FileReader(dir / "m.muse"));
    const io::SafetensorsEntry& victim = h.tensors[h.tensors.size() / 2];
    ASSERT_GE(victim.size, 400u);
    std::string damaged = full;
    for (std::size_t i = 0; i < 200; ++i) damaged[victim.offset + 100 + i] = static_cast<char>(~damaged[victim.offset + 100 + i]);
    muse::test::write_file(dir / "flipped.muse", damaged);
    const std::string msg = load_error<CorruptFile>(dir / "flipped.muse");
    EXPECT_NE(msg.find("flipped.muse"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'" + victim.name + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("checksum"), std::string::npos) << msg;

    // One character of the config changed (a class colour 255 -> 254, still valid JSON).
    std::string config_flip = full;
    const std::size_t at = config_flip.find("255,", config_flip.find("color", 8));  // the config is pretty-printed JSON
    ASSERT_NE(at, std::string::npos);
    ASSERT_LT(at, 8 + header);
    config_flip[at + 2] = '4';
    muse::test::write_file(dir / "config.muse", config_flip);
    const std::string cmsg = load_error<CorruptFile>(dir / "config.muse");
    EXPECT_NE(cmsg.find("model config"), std::string::npos) << cmsg;

    EXPECT_NO_THROW(Model::load(dir / "m.muse")) << "the intact file still loads";
}

TEST_F(ModelFileBadInput, SafetensorsWithoutMuseConfigIsNotAModel) {
    const float v[2] = {1, 2};
    io::write_safetensors((dir / "plain.safetensors").string(), {{"w", "F32", {2}, v, sizeof v}}, {});
    EXPECT_NE(load_error<UnsupportedFormat>(dir / "plain.safetensors").find("not a muse model"), std::string::npos);
}

// A lab's stain correction (fitted by fine-tuning) is part of the model: it survives the file,
// changes what the network sees, and marks the file version 2 so that a muse that would ignore
// it refuses the file; a model without one stays version 1.
TEST(ModelFile, StainCorrectionTravelsWithTheModelAndOnlyItRaisesTheVersion) {
    TempDir dir;
    ModelConfig c = config_with_classes();
    c.arch = "r50_w16";
    c.img_size = 256;
    EXPECT_EQ(nlohmann::json::parse(model::config_to_json(c))["format_version"], 1);
    Model plain = Model::create_untrained(c, 5);
    c.od_transform = {1.2f, 0.1f, 0.0f, 0.0f, 0.9f, 0.0f, 0.0f, 0.0f, 1.0f, 0.05f, 0.0f, -0.02f};
    EXPECT_EQ(nlohmann::json::parse(model::config_to_json(c))["format_version"], 2);
    Model corrected = Model::from_weights(c, plain.state_dict());
    corrected.save(dir / "c.muse");
    const Model back = Model::load(dir / "c.muse");
    EXPECT_EQ(back.config().od_transform, c.od_transform);
    at::Tensor tile = at::randint(1, 256, {1, 64, 64, 3}, at::kByte);
    EXPECT_TRUE(at::equal(back.forward(tile).dense_map, corrected.forward(tile).dense_map));
    EXPECT_FALSE(at::allclose(back.forward(tile).dense_map, plain.forward(tile).dense_map)) << "the correction must act";
    c.od_transform.pop_back();
    EXPECT_THROW(c.validate(), InvalidArgument);
}

TEST_F(ModelFileBadInput, ConfigProblemsAreNamed) {
    const float v[2] = {1, 2};
    const std::pair<std::string, std::string> cases[] = {
        {R"({"format":"muse-model","format_version":1,"arch":"vit_tiny","img_size":224,"mpp":0.5,)"
         R"("normalization":{"mean":[0,0,0],"std":[1,1,1]},"classes":[]})",
         "unknown architecture 'vit_tiny'"},
        {R"({"format":"muse-model","format_version":1,"arch":"vit_small","img_size":224})", "field missing"},
        {R"({"format":"something-else"})", "does not declare"},
        {"{not json", "not valid JSON"},
        {R"({"format":"muse-model","format_version":1,"arch":"r50_w16","img_size":256,"mpp":0.5,)"
         R"("normalization":{"mean":[0,0,0],"std":[1,1,1]},"classes":[{"name":"A","color":[1,2,3]}],)"
         R"("detection":{"proposal_stride_px":8,"head_hidden":64,"score_threshold":0.5,"merge_radius_um":3,)"
         R"("class_score_thresholds":[0.4,0.5]}})",
         "class_score_thresholds has 2 values for 1 classes"},
        {R"({"format":"muse-model","format_version":2,"arch":"r50_w16","img_size":256,"mpp":0.5,)"
         R"("normalization":{"mean":[0,0,0],"std":[1,1,1],"od_transform":[1,0,0,0,1,0,0,0,1,0,0]},"classes":[]})",
         "\"od_transform\" must be an array of 12 numbers"},
        {R"({"format":"muse-model","format_version":2,"arch":"r50_w16","img_size":256,"mpp":0.5,)"
         R"("normalization":{"mean":[0,0,0],"std":[1,1,1],"od_transform":[1,0,0,0,1,0,0,0,1,0,0,"x"]},"classes":[]})",
         "\"od_transform\" must be a finite number"},
    };
    for (const auto& [json, expected] : cases) {
        io::write_safetensors((dir / "c.muse").string(), {{"w", "F32", {2}, v, sizeof v}}, {{"muse.config", json}});
        const std::string msg = load_error<CorruptFile>(dir / "c.muse");
        EXPECT_NE(msg.find(expected), std::string::npos) << msg;
    }
    io::write_safetensors((dir / "new.muse").string(), {{"w", "F32", {2}, v, sizeof v}},
                          {{"muse.config", R"({"format":"muse-model","format_version":99})"}});
    EXPECT_NE(load_error<UnsupportedFormat>(dir / "new.muse").find("newer than this muse reads"), std::string::npos);
}

// Numbers too large for their type were casts with undefined behaviour (found by fuzzing; this
// file also runs under UBSan): each is now an error naming the field.
TEST_F(ModelFileBadInput, NumbersOutOfRangeForTheirTypeAreNamed) {
    const float v[2] = {1, 2};
    const std::string head = R"({"format":"muse-model","format_version":1,"arch":"r50_w16",)";
    const std::string norm = R"("normalization":{"mean":[0,0,0],"std":[1,1,1]},)";
    const std::pair<std::string, std::string> cases[] = {
        {head + R"("img_size":1e24,"mpp":0.5,)" + norm + R"("classes":[]})", "\"img_size\" must be an integer"},
        {head + R"("img_size":256.5,"mpp":0.5,)" + norm + R"("classes":[]})", "\"img_size\" must be an integer"},
        {R"({"format":"muse-model","format_version":-1e300})", "\"format_version\" must be an integer"},
        {head + R"("img_size":256,"mpp":"0.5",)" + norm + R"("classes":[]})", "\"mpp\" must be a finite number"},
        {head + R"("img_size":256,"mpp":0.5,"normalization":{"mean":[0,1e300,0],"std":[1,1,1]},"classes":[]})",
         "\"mean\" must be an array of 3 finite numbers"},
        {head + R"("img_size":256,"mpp":0.5,)" + norm + R"("classes":[{"name":"A","color":[1,2,1.33e24]}]})",
         "\"color\" must be an array of 3 integers 0-255"},
        {head + R"("img_size":256,"mpp":0.5,)" + norm + R"("classes":[{"name":"A","color":[1,2,256]}]})",
         "\"color\" must be an array of 3 integers 0-255"},
        {head + R"("img_size":256,"mpp":0.5,)" + norm + R"("classes":[{"name":"A","color":[1,2,3]}],)"
                R"("detection":{"proposal_stride_px":4294967304,"head_hidden":64,"score_threshold":0.5,"merge_radius_um":3}})",
         "\"proposal_stride_px\" must be an integer"},
    };
    for (const auto& [json, expected] : cases) {
        io::write_safetensors((dir / "n.muse").string(), {{"w", "F32", {2}, v, sizeof v}}, {{"muse.config", json}});
        const std::string msg = load_error<CorruptFile>(dir / "n.muse");
        EXPECT_NE(msg.find(expected), std::string::npos) << msg;
        EXPECT_NE(msg.find("n.muse"), std::string::npos) << msg;
    }
}

TEST_F(ModelFileBadInput, WeightsThatDoNotFitNameTheFile) {
    const float v[2] = {1, 2};
    ModelConfig c = config_with_classes();
    io::write_safetensors((dir / "w.muse").string(), {{"w", "F32", {2}, v, sizeof v}},
                          {{"muse.config", R"({"format":"muse-model","format_version":1,"arch":"vit_small","img_size":224,)"
                                           R"("mpp":0.5,"normalization":{"mean":[0,0,0],"std":[1,1,1]},"classes":[]})"}});
    const std::string msg = load_error<ModelMismatch>(dir / "w.muse");
    EXPECT_NE(msg.find("loading '"), std::string::npos) << msg;
    EXPECT_NE(msg.find("232 missing, 1 unexpected"), std::string::npos) << msg;
}

TEST_F(ModelFileBadInput, TextFileIsNotAModelFile) {
    muse::test::write_file(dir / "notes.txt", "these are my notes, not a model");
    EXPECT_THROW(Model::open(dir / "notes.txt"), UnsupportedFormat);
}

}  // namespace
}  // namespace muse
