// Writing a file so that readers see either the old file or the complete new one, never a part.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

namespace muse::io {

/// Writes to a temporary file beside `target`; commit() flushes it to disk and renames it over
/// `target`. If commit() is never reached (error, exception, cancellation), the destructor
/// removes the temporary file, so no partial output is ever left behind. A process killed before
/// either (kill -9, power loss) leaves its temporary file; the next writer of the same target
/// removes those of processes that no longer run.
/// Thread-safety: one writer per thread; distinct writers are independent.
class AtomicFileWriter {
public:
    explicit AtomicFileWriter(std::filesystem::path target);
    ~AtomicFileWriter();
    AtomicFileWriter(const AtomicFileWriter&) = delete;
    AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

    void write(const void* data, std::size_t n);
    void write(std::string_view s) { write(s.data(), s.size()); }
    std::uint64_t bytes_written() const { return written_; }

    /// Makes the file visible under its final name. Throws IoError on failure (the temporary
    /// file is then removed and `target` is untouched).
    void commit();

    const std::filesystem::path& target() const { return target_; }

private:
    void discard() noexcept;

    std::filesystem::path target_;
    std::filesystem::path temp_;
    int fd_ = -1;
    std::uint64_t written_ = 0;
};

/// Convenience: the whole content at once.
void write_file_atomically(const std::filesystem::path& target, std::string_view content);

}  // namespace muse::io
