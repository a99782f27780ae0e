// JSON form of ModelConfig, and its validation rules.
#include "model/model_config.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "model/variants.hpp"
#include "muse/errors.hpp"

namespace muse {

void DetectionConfig::validate() const {
    if (proposal_stride_px != 4 && proposal_stride_px != 8 && proposal_stride_px != 16 && proposal_stride_px != 32) {
        throw InvalidArgument("detection.proposal_stride_px must be 4, 8, 16 or 32 (it divides every tile side), got " +
                              std::to_string(proposal_stride_px));
    }
    if (head_hidden < 1 || head_hidden > 8192) {
        throw InvalidArgument("detection.head_hidden must be in 1..8192, got " + std::to_string(head_hidden));
    }
    if (!(score_threshold > 0.0 && score_threshold < 1.0)) {
        throw InvalidArgument("detection.score_threshold must be in (0, 1), got " + std::to_string(score_threshold));
    }
    for (double t : class_score_thresholds) {
        if (!(t > 0.0 && t < 1.0)) {
            throw InvalidArgument("detection.class_score_thresholds must be in (0, 1), got " + std::to_string(t));
        }
    }
    if (!(merge_radius_um > 0.0) || !std::isfinite(merge_radius_um)) {
        throw InvalidArgument("detection.merge_radius_um must be a positive number of micrometres, got " +
                              std::to_string(merge_radius_um));
    }
}

void ModelConfig::validate() const {
    model::find_variant(arch);  // throws with the list of known names
    if (img_size <= 0 || img_size % 16 != 0) {
        throw InvalidArgument("img_size must be a positive multiple of 16, got " + std::to_string(img_size));
    }
    if (!(mpp > 0.0 && mpp < 100.0)) throw InvalidArgument("mpp must be in (0, 100) micrometres per pixel, got " + std::to_string(mpp));
    for (int c = 0; c < 3; ++c) {
        if (!(norm_std[c] > 0.0f) || !std::isfinite(norm_mean[c])) {
            throw InvalidArgument("normalisation: std must be positive and mean finite");
        }
    }
    for (std::size_t i = 0; i < classes.size(); ++i) {
        if (classes[i].name.empty()) throw InvalidArgument("class " + std::to_string(i) + " has an empty name");
        for (std::size_t j = 0; j < i; ++j) {
            if (classes[j].name == classes[i].name) throw InvalidArgument("class name '" + classes[i].name + "' appears twice");
        }
    }
    if (has_heads()) detection.validate();
    if (has_heads() && !detection.class_score_thresholds.empty() &&
        detection.class_score_thresholds.size() != classes.size()) {
        throw InvalidArgument("detection.class_score_thresholds has " +
                              std::to_string(detection.class_score_thresholds.size()) + " values for " +
                              std::to_string(classes.size()) + " classes");
    }
    if (!nlohmann::json::accept(provenance_json) || !nlohmann::json::parse(provenance_json).is_object()) {
        throw InvalidArgument("provenance must be a JSON object");
    }
}

}  // namespace muse

namespace muse::model {

std::string config_to_json(const ModelConfig& c) {
    nlohmann::json j;
    j["format"] = "muse-model";
    j["format_version"] = kModelFormatVersion;
    j["arch"] = c.arch;
    j["img_size"] = c.img_size;
    j["mpp"] = c.mpp;
    j["normalization"] = {{"mean", c.norm_mean}, {"std", c.norm_std}, {"scale", "rgb/255"}};
    nlohmann::json classes = nlohmann::json::array();
    for (const auto& k : c.classes) classes.push_back({{"name", k.name}, {"color", k.color}});
    j["classes"] = classes;
    j["detection"] = {{"proposal_stride_px", c.detection.proposal_stride_px},
                      {"head_hidden", c.detection.head_hidden},
                      {"score_threshold", c.detection.score_threshold},
                      {"merge_radius_um", c.detection.merge_radius_um}};
    if (!c.detection.class_score_thresholds.empty()) {
        j["detection"]["class_score_thresholds"] = c.detection.class_score_thresholds;
    }
    j["provenance"] = nlohmann::json::parse(c.provenance_json);
    return j.dump(2);
}

ModelConfig config_from_json(const std::string& json, const std::string& source) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(json);
    } catch (const nlohmann::json::exception& e) {
        throw CorruptFile(source + ": model config is not valid JSON: " + e.what());
    }
    ModelConfig c;
    try {
        if (!j.is_object() || j.value("format", "") != "muse-model") {
            throw CorruptFile(source + ": model config does not declare \"format\": \"muse-model\"");
        }
        const int version = j.at("format_version").get<int>();
        if (version > kModelFormatVersion) {
            throw UnsupportedFormat(source + ": model format version " + std::to_string(version) +
                                    " is newer than this muse reads (" + std::to_string(kModelFormatVersion) +
                                    "); update muse");
        }
        c.arch = j.at("arch").get<std::string>();
        c.img_size = j.at("img_size").get<int>();
        c.mpp = j.at("mpp").get<double>();
        const auto& norm = j.at("normalization");
        c.norm_mean = norm.at("mean").get<std::array<float, 3>>();
        c.norm_std = norm.at("std").get<std::array<float, 3>>();
        for (const auto& k : j.at("classes")) {
            c.classes.push_back({k.at("name").get<std::string>(), k.at("color").get<std::array<std::uint8_t, 3>>()});
        }
        if (j.contains("detection")) {
            const auto& d = j.at("detection");
            c.detection.proposal_stride_px = d.at("proposal_stride_px").get<int>();
            c.detection.head_hidden = d.at("head_hidden").get<int>();
            c.detection.score_threshold = d.at("score_threshold").get<double>();
            c.detection.merge_radius_um = d.at("merge_radius_um").get<double>();
            if (d.contains("class_score_thresholds")) {
                c.detection.class_score_thresholds = d.at("class_score_thresholds").get<std::vector<double>>();
            }
        }
        c.provenance_json = j.value("provenance", nlohmann::json::object()).dump();
    } catch (const nlohmann::json::exception& e) {
        throw CorruptFile(source + ": model config field missing or of the wrong type: " + e.what());
    }
    try {
        c.validate();
    } catch (const InvalidArgument& e) {
        throw CorruptFile(source + ": model config: " + e.message());
    }
    return c;
}

}  // namespace muse::model
