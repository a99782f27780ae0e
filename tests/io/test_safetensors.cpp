// The safetensors container: exact round trip, and damaged headers reported as such.
#include <gtest/gtest.h>

#include <cstring>

#include "io/safetensors.hpp"
#include "muse/errors.hpp"
#include "support/test_env.hpp"

namespace muse::io {
namespace {

using muse::test::TempDir;

std::string header_file(const std::string& json, std::size_t data_bytes) {
    std::string out(8, '\0');
    std::uint64_t n = json.size();
    std::memcpy(out.data(), &n, 8);
    return out + json + std::string(data_bytes, '\0');
}

TEST(Safetensors, RoundTripKeepsBytesShapesAndMetadata) {
    TempDir dir;
    const float a[6] = {1, -2, 3.5f, 4, 5, 6};
    const std::int64_t b[1] = {100};
    write_safetensors((dir / "m.safetensors").string(),
                      {{"a.weight", "F32", {2, 3}, a, sizeof a}, {"b.count", "I64", {}, b, sizeof b}},
                      {{"muse.config", "{\"x\": 1}"}});
    FileReader f(dir / "m.safetensors");
    SafetensorsHeader h = read_safetensors_header(f);
    ASSERT_EQ(h.tensors.size(), 2u);
    EXPECT_EQ(h.metadata.at("muse.config"), "{\"x\": 1}");
    EXPECT_EQ((h.tensors[0].offset - 8) % 8, 0u) << "data section is 8-byte aligned";
    const SafetensorsEntry& ea = h.tensors[0].name == "a.weight" ? h.tensors[0] : h.tensors[1];
    EXPECT_EQ(ea.dtype, "F32");
    EXPECT_EQ(ea.shape, (std::vector<std::int64_t>{2, 3}));
    float back[6];
    f.read_at(ea.offset, back, sizeof back, "a");
    EXPECT_EQ(std::memcmp(back, a, sizeof a), 0);
}

TEST(SafetensorsBadInput, WrongByteCountForShapeIsCorrupt) {
    TempDir dir;
    muse::test::write_file(dir / "x", header_file(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", 12));
    FileReader f(dir / "x");
    try {
        read_safetensors_header(f);
        FAIL();
    } catch (const CorruptFile& e) {
        EXPECT_NE(std::string(e.what()).find("tensor 'w': holds 12 bytes but dtype F32 and its shape need 16"),
                  std::string::npos)
            << e.what();
    }
}

TEST(SafetensorsBadInput, DataPastTheEndIsReportedAsTruncated) {
    TempDir dir;
    muse::test::write_file(dir / "x", header_file(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 10));
    FileReader f(dir / "x");
    try {
        read_safetensors_header(f);
        FAIL();
    } catch (const CorruptFile& e) {
        EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
}

TEST(SafetensorsBadInput, BrokenJsonUnknownDtypeAndOverlapAreCorrupt) {
    TempDir dir;
    const std::pair<std::string, std::string> cases[] = {
        {R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})", "not valid JSON"},
        {R"({"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}})", "unknown dtype 'Q7'"},
        {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
         "overlap"},
    };
    for (const auto& [json, expected] : cases) {
        muse::test::write_file(dir / "x", header_file(json, 8));
        FileReader f(dir / "x");
        try {
            read_safetensors_header(f);
            ADD_FAILURE() << "accepted: " << json;
        } catch (const CorruptFile& e) {
            EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
        }
    }
}

TEST(SafetensorsBadInput, RandomBytesAreNotSafetensors) {
    TempDir dir;
    muse::test::write_file(dir / "x", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f garbage", 16));
    FileReader f(dir / "x");
    EXPECT_THROW(read_safetensors_header(f), UnsupportedFormat);
}

}  // namespace
}  // namespace muse::io
