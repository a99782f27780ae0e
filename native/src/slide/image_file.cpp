// Plain image files (PNG, JPEG, TIFF, BMP, ...) decoded with OpenCV into RGB.
#include <cerrno>
#include <cstring>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "muse/errors.hpp"
#include "muse/image.hpp"

namespace muse {

RgbImage read_image_file(const std::filesystem::path& path) {
    const std::string where = "'" + path.string() + "'";
    {
        std::ifstream probe(path, std::ios::binary);
        if (!probe) throw IoError("cannot open " + where + ": " + std::strerror(errno));
    }
    if (std::filesystem::is_directory(path)) throw IoError(where + " is a directory, not an image");
    cv::Mat bgr;
    try {
        bgr = cv::imread(path.string(), cv::IMREAD_COLOR);  // 8-bit, 3 channels, alpha dropped
    } catch (const cv::Exception& e) {
        throw UnsupportedFormat(where + " cannot be decoded as an image: " + e.what());
    }
    if (bgr.empty()) throw UnsupportedFormat(where + " cannot be decoded as an image (damaged, or not PNG/JPEG/TIFF/BMP)");
    RgbImage out(bgr.cols, bgr.rows);
    cv::Mat rgb(bgr.rows, bgr.cols, CV_8UC3, out.pixels.data());
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);  // writes straight into out.pixels
    return out;
}

}  // namespace muse
