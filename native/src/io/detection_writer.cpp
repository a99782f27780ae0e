// Streaming GeoJSON (QuPath detection objects) and CSV writers on top of AtomicFileWriter.
#include <cctype>
#include <cmath>
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "muse/errors.hpp"
#include "muse/geojson.hpp"

namespace muse {
namespace {

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

/// A random (version 4) UUID, as QuPath gives every object.
std::string uuid(std::mt19937_64& rng) {
    std::uint64_t hi = rng(), lo = rng();
    hi = (hi & 0xffffffffffff0fffull) | 0x0000000000004000ull;
    lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                  static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffull));
    return buf;
}

}  // namespace

std::string detection_object_name(const std::filesystem::path& model_file) {
    std::string stem = model_file.filename().string();
    if (stem.size() >= 5) {
        std::string ext = stem.substr(stem.size() - 5);
        for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (ext == ".muse") stem.resize(stem.size() - 5);
    }
    const auto first = stem.find_first_not_of(" \t"), last = stem.find_last_not_of(" \t");
    return first == std::string::npos ? "MUSE" : "MUSE " + stem.substr(first, last - first + 1);
}

namespace {

class GeoJsonWriter final : public DetectionWriter {
public:
    GeoJsonWriter(const std::filesystem::path& target, DetectionWriterOptions o)
        : file_(target), o_(std::move(o)), rng_(std::random_device{}()) {
        object_type_ = nlohmann::json(o_.object_type).dump();
        if (!o_.name.empty()) name_ = ",\"name\":" + nlohmann::json(o_.name).dump();
        for (const auto& c : o_.classes) {
            // The class object QuPath needs (a name without a colour fails to import).
            classes_.push_back(nlohmann::json({{"name", c.name}, {"color", {c.color[0], c.color[1], c.color[2]}}}).dump());
            probability_names_.push_back(nlohmann::json("Probability: " + c.name).dump());
        }
        file_.write("{\"type\":\"FeatureCollection\",\"features\":[\n");
    }

    void write(const Detection& d) override {
        if (d.class_index < 0 || d.class_index >= static_cast<int>(classes_.size())) {
            throw InvalidArgument("detection class " + std::to_string(d.class_index) + " is not one of the " +
                                  std::to_string(classes_.size()) + " classes");
        }
        std::string f = count_ ? ",\n" : "";
        f += "{\"type\":\"Feature\",\"id\":\"" + uuid(rng_) + "\",\"geometry\":" + geometry(d) +
             ",\"properties\":{\"objectType\":" + object_type_ + name_ + ",\"classification\":" + classes_[d.class_index] +
             ",\"measurements\":{\"Score\":" + fixed(d.score, 4);
        for (std::size_t c = 0; c < d.probabilities.size() && c < probability_names_.size(); ++c) {
            f += "," + probability_names_[c] + ":" + fixed(d.probabilities[c], 4);
        }
        f += "}}}";
        file_.write(f);
        ++count_;
    }

    void commit() override {
        file_.write("\n]}\n");
        file_.commit();
    }
    std::size_t count() const override { return count_; }

private:
    std::string geometry(const Detection& d) const {
        if (o_.geometry == DetectionGeometry::Point) {
            return "{\"type\":\"Point\",\"coordinates\":[" + fixed(d.x, 2) + "," + fixed(d.y, 2) + "]}";
        }
        // QuPath stores ellipses as a polygon flagged isEllipse; it rebuilds the ellipse from
        // the polygon's bounding box on import.
        constexpr int kVertices = 16;
        std::string ring;
        for (int i = 0; i <= kVertices; ++i) {
            const double a = 2.0 * 3.14159265358979323846 * (i % kVertices) / kVertices;
            ring += std::string(i ? "," : "") + "[" + fixed(d.x + o_.ellipse_radius_px * std::cos(a), 2) + "," +
                    fixed(d.y + o_.ellipse_radius_px * std::sin(a), 2) + "]";
        }
        return "{\"type\":\"Polygon\",\"coordinates\":[[" + ring + "]],\"isEllipse\":true}";
    }

    io::AtomicFileWriter file_;
    DetectionWriterOptions o_;
    std::vector<std::string> classes_, probability_names_;
    std::string object_type_, name_;  ///< JSON-encoded once
    std::mt19937_64 rng_;
    std::size_t count_ = 0;
};

class CsvWriter final : public DetectionWriter {
public:
    CsvWriter(const std::filesystem::path& target, DetectionWriterOptions o) : file_(target), o_(std::move(o)) {
        file_.write("x,y,class,score\n");
    }
    void write(const Detection& d) override {
        if (d.class_index < 0 || d.class_index >= static_cast<int>(o_.classes.size())) {
            throw InvalidArgument("detection class " + std::to_string(d.class_index) + " is not one of the classes");
        }
        std::string name = o_.classes[d.class_index].name;
        if (name.find_first_of(",\"\n") != std::string::npos) {
            std::string q = "\"";
            for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
            name = q + "\"";
        }
        file_.write(fixed(d.x, 2) + "," + fixed(d.y, 2) + "," + name + "," + fixed(d.score, 4) + "\n");
        ++count_;
    }
    void commit() override { file_.commit(); }
    std::size_t count() const override { return count_; }

private:
    io::AtomicFileWriter file_;
    DetectionWriterOptions o_;
    std::size_t count_ = 0;
};

}  // namespace

std::unique_ptr<DetectionWriter> DetectionWriter::create(const std::filesystem::path& target,
                                                         const DetectionWriterOptions& options) {
    if (options.classes.empty()) throw InvalidArgument("the detection writer needs the model's classes");
    if (!(options.ellipse_radius_px > 0)) throw InvalidArgument("ellipse radius must be positive");
    if (options.format == OutputFormat::Csv) return std::make_unique<CsvWriter>(target, options);
    return std::make_unique<GeoJsonWriter>(target, options);
}

OutputFormat output_format_for(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext == ".csv" ? OutputFormat::Csv : OutputFormat::GeoJson;
}

}  // namespace muse
