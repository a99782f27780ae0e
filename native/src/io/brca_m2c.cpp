// The BRCA-M2C dataset layout: images/, labels/<stem>_gt_class_coords.txt, split lists.
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "muse/annotations.hpp"
#include "muse/errors.hpp"

namespace muse {
namespace {

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

/// Labels above 3 are a data set's further classes (a lab's own, in the same layout): a bound
/// that no real class list reaches but that catches a column of coordinates read as classes.
constexpr int kMaxLabelClass = 64;

}  // namespace

std::vector<ClassInfo> brca_m2c_classes() {
    return {{"Lymphocyte", {160, 90, 160}}, {"Tumor", {200, 0, 0}}, {"Stroma", {150, 200, 150}}};
}

std::vector<LabelledPoint> read_brca_m2c_labels(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw IoError("cannot open " + quoted(path) + ": " + std::strerror(errno));
    std::vector<LabelledPoint> points;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (trimmed(line).empty()) continue;
        std::istringstream row(line);
        double y = 0, x = 0;
        int cls = 0;
        std::string extra;
        if (!(row >> y >> x >> cls) || (row >> extra) || !std::isfinite(x) || !std::isfinite(y)) {
            throw CorruptFile(quoted(path) + " line " + std::to_string(number) + ": expected 'Y X CLASS', got '" +
                              trimmed(line) + "'");
        }
        if (cls < 1 || cls > kMaxLabelClass) {
            throw CorruptFile(quoted(path) + " line " + std::to_string(number) + ": class " + std::to_string(cls) +
                              " is not 1 (lymphocyte), 2 (tumour), 3 (stroma) or a further class up to " +
                              std::to_string(kMaxLabelClass));
        }
        points.push_back({x, y, cls - 1});
    }
    return points;
}

std::vector<LabelledImage> read_brca_m2c(const std::filesystem::path& dir, const std::filesystem::path& split_file,
                                         double mpp) {
    const std::filesystem::path list = split_file.is_absolute() ? split_file : dir / split_file;
    std::ifstream in(list);
    if (!in) throw IoError("cannot open the split list " + quoted(list) + ": " + std::strerror(errno));
    std::vector<LabelledImage> images;
    std::string line;
    while (std::getline(in, line)) {
        const std::string file = trimmed(line);
        if (file.empty()) continue;
        const std::filesystem::path image_path = dir / "images" / file;
        LabelledImage item;
        item.name = std::filesystem::path(file).stem().string();
        item.mpp = mpp;
        item.image = read_image_file(image_path);
        item.nuclei = read_brca_m2c_labels(dir / "labels" / (item.name + "_gt_class_coords.txt"));
        for (std::size_t i = 0; i < item.nuclei.size(); ++i) {
            const LabelledPoint& p = item.nuclei[i];
            if (p.x < 0 || p.y < 0 || p.x >= item.image.width || p.y >= item.image.height) {
                throw CorruptFile("labels of " + quoted(image_path) + ": nucleus " + std::to_string(i + 1) + " at (x " +
                                  std::to_string(p.x) + ", y " + std::to_string(p.y) + ") lies outside the " +
                                  std::to_string(item.image.width) + "x" + std::to_string(item.image.height) + " image");
            }
        }
        images.push_back(std::move(item));
    }
    if (images.empty()) throw CorruptFile("the split list " + quoted(list) + " names no images");
    return images;
}

}  // namespace muse
