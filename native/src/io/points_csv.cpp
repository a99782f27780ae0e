// Parsing of `x,y` point CSV files with line-numbered errors.
#include "muse/array_files.hpp"

#include <cerrno>
#include <cstring>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "muse/errors.hpp"

namespace muse {
namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(trim(cell));
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    return cells;
}

}  // namespace

std::vector<Point> read_points_csv(const std::filesystem::path& path) {
    std::ifstream in(path);
    const std::string where = "'" + path.string() + "'";
    if (!in) throw IoError("cannot open " + where + ": " + std::strerror(errno));
    std::vector<Point> points;
    std::string line;
    int line_no = 0;
    bool header_seen = false;
    while (std::getline(in, line)) {
        ++line_no;
        if (trim(line).empty()) continue;
        auto cells = split(line);
        if (!header_seen) {
            if (cells.size() < 2 || cells[0] != "x" || cells[1] != "y") {
                throw InvalidArgument(where + " line " + std::to_string(line_no) +
                                      ": expected the header 'x,y', found '" + trim(line) + "'");
            }
            header_seen = true;
            continue;
        }
        if (cells.size() < 2) {
            throw InvalidArgument(where + " line " + std::to_string(line_no) + ": expected two values 'x,y', found '" +
                                  trim(line) + "'");
        }
        double xy[2];
        for (int i = 0; i < 2; ++i) {
            char* end = nullptr;
            xy[i] = std::strtod(cells[i].c_str(), &end);
            if (cells[i].empty() || *end != '\0' || !std::isfinite(xy[i])) {
                throw InvalidArgument(where + " line " + std::to_string(line_no) + ": '" + cells[i] +
                                      "' is not a finite number");
            }
        }
        points.push_back({xy[0], xy[1]});
    }
    if (!header_seen) throw InvalidArgument(where + " is empty: expected the header 'x,y' and one point per line");
    return points;
}

}  // namespace muse
