// JSON form of ModelConfig, and its validation rules.
#include "model/model_config.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "io/json_numbers.hpp"
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
    if (!od_transform.empty() && od_transform.size() != 12) {
        throw InvalidArgument("od_transform must hold 12 numbers (a 3 x 3 matrix and an offset), got " +
                              std::to_string(od_transform.size()));
    }
    for (const float v : od_transform) {
        if (!std::isfinite(v)) throw InvalidArgument("od_transform must hold finite numbers");
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
    // A file without a stain correction stays version 1, readable by every muse that reads 1;
    // one with it must not be read by a muse that would ignore the correction.
    j["format_version"] = c.od_transform.empty() ? 1 : kModelFormatVersion;
    j["arch"] = c.arch;
    j["img_size"] = c.img_size;
    j["mpp"] = c.mpp;
    j["normalization"] = {{"mean", c.norm_mean}, {"std", c.norm_std}, {"scale", "rgb/255"}};
    if (!c.od_transform.empty()) j["normalization"]["od_transform"] = c.od_transform;
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

namespace {

using nlohmann::json;

// Numbers read through the checked conversions of io/json_numbers.hpp; a value out of range for
// its type names the field (ranges that make sense are ModelConfig::validate's business).
class ConfigReader {
public:
    explicit ConfigReader(std::string source) : source_(std::move(source)) {}

    int integer(const json& obj, const char* key) const {
        const auto v = io::json_integer(obj.at(key), std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
        if (!v) throw bad(key, "an integer");
        return static_cast<int>(*v);
    }
    double number(const json& obj, const char* key) const { return finite(obj.at(key), key); }
    double finite(const json& value, const char* key) const {
        const auto v = io::json_finite(value);
        if (!v) throw bad(key, "a finite number");
        return *v;
    }
    std::array<float, 3> floats3(const json& obj, const char* key) const {
        const json& a = obj.at(key);
        if (!a.is_array() || a.size() != 3) throw bad(key, "an array of 3 numbers");
        std::array<float, 3> out{};
        for (std::size_t i = 0; i < 3; ++i) {
            const auto v = io::json_float(a[i]);
            if (!v) throw bad(key, "an array of 3 finite numbers");
            out[i] = *v;
        }
        return out;
    }
    std::array<std::uint8_t, 3> colour(const json& obj, const char* key) const {
        const json& a = obj.at(key);
        if (!a.is_array() || a.size() != 3) throw bad(key, "an array of 3 integers 0-255");
        std::array<std::uint8_t, 3> out{};
        for (std::size_t i = 0; i < 3; ++i) {
            const auto v = io::json_integer(a[i], 0, 255);
            if (!v) throw bad(key, "an array of 3 integers 0-255");
            out[i] = static_cast<std::uint8_t>(*v);
        }
        return out;
    }

private:
    CorruptFile bad(const char* key, const char* what) const {
        return CorruptFile(source_ + ": model config field \"" + key + "\" must be " + what);
    }
    std::string source_;
};

}  // namespace

ModelConfig config_from_json(const std::string& json_text, const std::string& source) {
    json j;
    try {
        j = json::parse(json_text);
    } catch (const json::exception& e) {
        throw CorruptFile(source + ": model config is not valid JSON: " + e.what());
    }
    ModelConfig c;
    const ConfigReader read(source);
    try {
        if (!j.is_object() || j.value("format", "") != "muse-model") {
            throw CorruptFile(source + ": model config does not declare \"format\": \"muse-model\"");
        }
        const int version = read.integer(j, "format_version");
        if (version > kModelFormatVersion) {
            throw UnsupportedFormat(source + ": model format version " + std::to_string(version) +
                                    " is newer than this muse reads (" + std::to_string(kModelFormatVersion) +
                                    "); update muse");
        }
        c.arch = j.at("arch").get<std::string>();
        c.img_size = read.integer(j, "img_size");
        c.mpp = read.number(j, "mpp");
        const auto& norm = j.at("normalization");
        c.norm_mean = read.floats3(norm, "mean");
        c.norm_std = read.floats3(norm, "std");
        if (norm.contains("od_transform")) {
            const json& t = norm.at("od_transform");
            if (!t.is_array() || t.size() != 12) {
                throw CorruptFile(source + ": model config field \"od_transform\" must be an array of 12 numbers");
            }
            for (const auto& v : t) c.od_transform.push_back(static_cast<float>(read.finite(v, "od_transform")));
        }
        for (const auto& k : j.at("classes")) {
            c.classes.push_back({k.at("name").get<std::string>(), read.colour(k, "color")});
        }
        if (j.contains("detection")) {
            const auto& d = j.at("detection");
            c.detection.proposal_stride_px = read.integer(d, "proposal_stride_px");
            c.detection.head_hidden = read.integer(d, "head_hidden");
            c.detection.score_threshold = read.number(d, "score_threshold");
            c.detection.merge_radius_um = read.number(d, "merge_radius_um");
            if (d.contains("class_score_thresholds")) {
                const json& t = d.at("class_score_thresholds");
                if (!t.is_array()) throw CorruptFile(source + ": model config field \"class_score_thresholds\" must be an array");
                for (const auto& v : t) c.detection.class_score_thresholds.push_back(read.finite(v, "class_score_thresholds"));
            }
        }
        c.provenance_json = j.value("provenance", json::object()).dump();
    } catch (const json::exception& e) {
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
