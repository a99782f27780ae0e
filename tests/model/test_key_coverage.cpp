// Every state-dict entry of the reference (../shared/fixtures/parity/keys_<arch>.txt) exists
// in our modules with the same shape, and we have no entry it lacks.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "muse/model.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

class KeyCoverage : public ::testing::TestWithParam<std::string> {};

TEST_P(KeyCoverage, StateDictEqualsTheReferenceInBothDirections) {
    const std::string arch = GetParam();
    MUSE_REQUIRE_SHARED_DIR("fixtures/parity/keys_" + arch + ".txt");
    std::map<std::string, std::string> reference;
    std::ifstream in(muse::test::shared_dir() / "fixtures" / "parity" / ("keys_" + arch + ".txt"));
    std::string line;
    while (std::getline(in, line)) {
        const auto sp = line.find(' ');
        if (sp != std::string::npos) reference[line.substr(0, sp)] = line.substr(sp + 1);
    }
    ASSERT_FALSE(reference.empty());
    ModelConfig c;
    c.arch = arch;
    c.img_size = 224;
    auto ours = Model::create_untrained(c, 1).state_dict();
    for (const auto& [key, shape] : reference) {
        auto it = ours.find(key);
        ASSERT_NE(it, ours.end()) << "reference key missing from our model: " << key;
        std::ostringstream s;
        s << "[";
        for (std::int64_t i = 0; i < it->second.dim(); ++i) s << (i ? ", " : "") << it->second.size(i);
        s << "]";
        EXPECT_EQ(s.str(), shape) << key;
    }
    for (const auto& [key, t] : ours) EXPECT_TRUE(reference.count(key)) << "key not in the reference: " << key;
}

INSTANTIATE_TEST_SUITE_P(Variants, KeyCoverage, ::testing::Values("vit_small", "vit_base", "r50"));

}  // namespace
}  // namespace muse
