// `muse detect --summary`: the per-slide numbers a cohort table is made of, checked against the
// GeoJSON written in the same run.
#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "support/cli_refusal.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

using test::shell_quote;
using test::TempDir;
using nlohmann::json;

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

const std::filesystem::path kSamples = MUSE_SAMPLES_DIR;
const std::filesystem::path kModel = kSamples.parent_path() / "models" / "muse-default.muse";

/// The command line of `muse detect` on the sample slide with the bundled model and `args`.
std::string detect(const std::string& args) {
    const std::string slide = shell_quote((kSamples / "CMU-1-Small-Region.svs").string());
    return "detect " + slide + " -m " + shell_quote(kModel.string()) + " " + args;
}

TEST(CliSummary, AgreesWithTheDetectionsWrittenInTheSameRun) {
    TempDir work;
    std::string out;
    ASSERT_EQ(test::run_muse(detect("-o " + shell_quote((work / "d.geojson").string()) + " --summary " +
                                    shell_quote((work / "s.json").string())),
                             &out),
              0)
        << out;
    const json s = json::parse(test::read_file(work / "s.json"));
    const json geo = json::parse(test::read_file(work / "d.geojson"));
    EXPECT_EQ(s["format"], "muse-slide-summary");
    EXPECT_EQ(s["format_version"], 1);
    EXPECT_FALSE(s["muse_version"].get<std::string>().empty());
    EXPECT_EQ(s["mpp_source"], "file");
    EXPECT_NEAR(s["mpp"].get<double>(), 0.499, 0.001);  // from the SVS header
    EXPECT_EQ(s["model"]["arch"], "r50_w16");
    EXPECT_TRUE(s["model"]["provenance"].is_object());

    // Nuclei: the total, the classes and the GeoJSON agree.
    std::map<std::string, std::int64_t> in_geojson;
    for (const auto& f : geo["features"]) ++in_geojson[f["properties"]["classification"]["name"].get<std::string>()];
    ASSERT_EQ(s["classes"].size(), 3u);
    std::int64_t sum = 0;
    for (const auto& c : s["classes"]) {
        const auto n = c["nuclei"].get<std::int64_t>();
        EXPECT_EQ(n, in_geojson[c["name"].get<std::string>()]) << c["name"];
        sum += n;
        ASSERT_GT(n, 0) << c["name"];
        EXPECT_GT(c["mean_score"].get<double>(), 0.0);
        EXPECT_LE(c["mean_score"].get<double>(), 1.0);
        EXPECT_NEAR(c["density_per_mm2"].get<double>(), static_cast<double>(n) / s["tissue_mm2"].get<double>(), 1e-6);
    }
    EXPECT_EQ(sum, s["nuclei"].get<std::int64_t>());
    EXPECT_EQ(sum, static_cast<std::int64_t>(geo["features"].size()));

    // Areas: the tissue lies inside the processed tiles, which cover less than the slide
    // (2220 x 2967 px at 0.499 um/px = 1.64 mm^2).
    const double tissue = s["tissue_mm2"].get<double>(), processed = s["processed_mm2"].get<double>();
    EXPECT_GT(tissue, 0.2);
    EXPECT_LE(tissue, processed * 1.02);
    EXPECT_LE(processed, 1.64 * 1.3);
    EXPECT_EQ(s["density_area"], "tissue");
    EXPECT_EQ(s["tiles"]["done"], s["tiles"]["with_tissue"]);
    EXPECT_EQ(s["tiles"]["total"].get<std::int64_t>(),
              s["tiles"]["with_tissue"].get<std::int64_t>() + s["tiles"]["skipped_no_tissue"].get<std::int64_t>());
    EXPECT_EQ(s["tiles"]["unreadable"], 0);
    EXPECT_GT(s["seconds"].get<double>(), 0.0);
}

TEST(CliSummary, ARegionOfInterestCountsOnlyItsTissueAndAnUnwritableSummaryFailsFirst) {
    TempDir work;
    std::string out;
    test::write_file(work / "roi.geojson",
                     R"({"type":"Feature","properties":{"objectType":"annotation"},"geometry":{"type":"Polygon",)"
                     R"("coordinates":[[[600,800],[1600,800],[1600,1800],[600,1800],[600,800]]]}})");
    ASSERT_EQ(test::run_muse(detect("--roi " + shell_quote((work / "roi.geojson").string()) + " -o " +
                                    shell_quote((work / "d.csv").string()) + " --summary " +
                                    shell_quote((work / "s.json").string())),
                             &out),
              0)
        << out;
    const json s = json::parse(test::read_file(work / "s.json"));
    const double roi_mm2 = 1000.0 * 1000.0 * s["mpp"].get<double>() * s["mpp"].get<double>() / 1e6;
    EXPECT_GT(s["tissue_mm2"].get<double>(), 0.0);
    EXPECT_LE(s["tissue_mm2"].get<double>(), roi_mm2 * 1.01);
    EXPECT_EQ(s["options"]["regions"], 1);

    // --no-tissue-mask: no tissue area, and the density is per processed area, said so.
    ASSERT_EQ(test::run_muse(detect("--roi " + shell_quote((work / "roi.geojson").string()) + " --no-tissue-mask -o " +
                                    shell_quote((work / "d2.csv").string()) + " --summary " +
                                    shell_quote((work / "s2.json").string())),
                             &out),
              0)
        << out;
    const json s2 = json::parse(test::read_file(work / "s2.json"));
    EXPECT_TRUE(s2["tissue_mm2"].is_null());
    EXPECT_EQ(s2["density_area"], "processed tiles (no tissue mask)");
    EXPECT_NEAR(s2["density_per_mm2"].get<double>(), s2["nuclei"].get<double>() / s2["processed_mm2"].get<double>(), 1e-6);

    // A summary that cannot be written fails at the start, before any detection work.
    EXPECT_TRUE(test::muse_refuses(detect("-o " + shell_quote((work / "x.geojson").string()) + " --summary " +
                                          shell_quote((work / "no-such-folder" / "x.json").string())),
                                   {"cannot write the summary", "no-such-folder' does not exist"}, work / "x.geojson"));
}

}  // namespace
}  // namespace muse
