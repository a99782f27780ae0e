// Writing whole files atomically: readers see the old file or the complete new one, never part.
//
//   muse::write_file_atomically("report.json", json_text);
//
// Thread-safety: distinct targets may be written from different threads at once.
#pragma once

#include <filesystem>
#include <string_view>

namespace muse {

/// Writes `content` to a temporary file beside `target`, flushes it to disk and renames it over
/// `target`. Throws IoError naming the file; on failure `target` is untouched and no temporary
/// file is left.
void write_file_atomically(const std::filesystem::path& target, std::string_view content);

}  // namespace muse
