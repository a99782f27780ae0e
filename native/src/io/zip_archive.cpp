// ZipArchive: end-of-central-directory search, ZIP64 records, local headers, CRC checks.
#include "io/zip_archive.hpp"

#include <algorithm>
#include <cstring>
#include <zlib.h>

#include "muse/errors.hpp"

namespace muse::io {
namespace {

constexpr std::uint32_t kLocalHeaderSig = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSig = 0x02014b50;
constexpr std::uint32_t kEndSig = 0x06054b50;
constexpr std::uint32_t kZip64EndSig = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kCentralHeaderSize = 46;
constexpr std::size_t kLocalHeaderSize = 30;
constexpr std::uint64_t kMaxDeflateRatio = 1032;  ///< deflate's largest expansion (258 bytes per 2 bits)

std::uint16_t u16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t u32(const unsigned char* p) {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
           (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint64_t u64(const unsigned char* p) {
    return static_cast<std::uint64_t>(u32(p)) | (static_cast<std::uint64_t>(u32(p + 4)) << 32);
}

// zlib's crc32 takes a uInt length; feed large buffers in pieces.
std::uint32_t crc_of(const void* data, std::uint64_t n, std::uint32_t crc = 0) {
    const auto* p = static_cast<const Bytef*>(data);
    uLong c = crc;
    while (n > 0) {
        uInt chunk = static_cast<uInt>(std::min<std::uint64_t>(n, 1u << 30));
        c = ::crc32(c, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return static_cast<std::uint32_t>(c);
}

}  // namespace

bool ZipArchive::has_zip_signature(const FileReader& file) {
    if (file.size() < 4) return false;
    unsigned char sig[4];
    file.read_at(0, sig, 4, "zip signature");
    return u32(sig) == kLocalHeaderSig;
}

ZipArchive::ZipArchive(std::shared_ptr<const FileReader> file) : file_(std::move(file)) {
    parse_central_directory();
}

void ZipArchive::parse_central_directory() {
    const FileReader& f = *file_;
    if (!has_zip_signature(f)) {
        throw UnsupportedFormat(f.quoted() + " is not a zip archive (no zip signature at its start)");
    }
    // The end record sits in the last 22 bytes plus an optional comment of up to 64 KiB.
    const std::uint64_t tail_size = std::min<std::uint64_t>(f.size(), kEndSize + 0xFFFF);
    const std::uint64_t tail_start = f.size() - tail_size;
    std::string tail = f.read_string(tail_start, tail_size, "zip end record search");
    const auto* t = reinterpret_cast<const unsigned char*>(tail.data());
    std::int64_t end_pos = -1;
    for (std::int64_t i = static_cast<std::int64_t>(tail_size) - static_cast<std::int64_t>(kEndSize); i >= 0; --i) {
        if (u32(t + i) == kEndSig) {
            end_pos = i;
            break;
        }
    }
    if (end_pos < 0) {
        throw CorruptFile(f.quoted() + " is a damaged or truncated zip archive: no end-of-central-directory record");
    }
    const unsigned char* e = t + end_pos;
    std::uint64_t count = u16(e + 10);
    std::uint64_t cd_size = u32(e + 12);
    std::uint64_t cd_offset = u32(e + 16);
    const std::uint64_t end_abs = tail_start + static_cast<std::uint64_t>(end_pos);
    if (count == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_offset == 0xFFFFFFFFu) {
        // ZIP64: a locator just before the end record points to the ZIP64 end record.
        if (end_abs < 20) throw CorruptFile(f.quoted() + " is a damaged zip archive: ZIP64 locator missing");
        unsigned char loc[20];
        f.read_at(end_abs - 20, loc, 20, "zip64 locator");
        if (u32(loc) != kZip64LocatorSig) {
            throw CorruptFile(f.quoted() + " is a damaged zip archive: ZIP64 locator missing");
        }
        unsigned char z[56];
        f.read_at(u64(loc + 8), z, sizeof z, "zip64 end record");
        if (u32(z) != kZip64EndSig) {
            throw CorruptFile(f.quoted() + " is a damaged zip archive: bad ZIP64 end record signature");
        }
        count = u64(z + 32);
        cd_size = u64(z + 40);
        cd_offset = u64(z + 48);
    }
    f.check_range(cd_offset, cd_size, "zip central directory");
    if (count > cd_size / kCentralHeaderSize) {
        throw CorruptFile(f.quoted() + " is a damaged zip archive: " + std::to_string(count) +
                          " entries cannot fit in a central directory of " + std::to_string(cd_size) + " bytes");
    }
    std::string cd = f.read_string(cd_offset, cd_size, "zip central directory");
    const auto* c = reinterpret_cast<const unsigned char*>(cd.data());
    std::uint64_t pos = 0;
    entries_.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
        auto bad = [&](const std::string& why) {
            return CorruptFile(f.quoted() + " is a damaged zip archive: central directory entry " +
                               std::to_string(i) + ": " + why);
        };
        if (cd_size - pos < kCentralHeaderSize) throw bad("runs past the end of the directory");
        const unsigned char* h = c + pos;
        if (u32(h) != kCentralHeaderSig) throw bad("bad signature");
        ZipEntry entry;
        entry.method = u16(h + 10);
        entry.crc32 = u32(h + 16);
        entry.compressed_size = u32(h + 20);
        entry.size = u32(h + 24);
        const std::uint16_t name_len = u16(h + 28), extra_len = u16(h + 30), comment_len = u16(h + 32);
        std::uint64_t local_offset = u32(h + 42);
        const std::uint64_t var_len = std::uint64_t{name_len} + extra_len + comment_len;
        if (cd_size - pos - kCentralHeaderSize < var_len) throw bad("name or extra field runs past the directory");
        entry.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_len);
        // ZIP64 extended information: 64-bit values for the fields saturated at 0xFFFFFFFF.
        const unsigned char* x = h + kCentralHeaderSize + name_len;
        for (std::size_t xp = 0; xp + 4 <= extra_len;) {
            const std::uint16_t id = u16(x + xp), len = u16(x + xp + 2);
            if (xp + 4 + len > extra_len) throw bad("extra field runs past its end");
            if (id == 0x0001) {
                const unsigned char* v = x + xp + 4;
                std::size_t vp = 0;
                auto take = [&](std::uint64_t& field) {
                    if (vp + 8 > len) throw bad("short ZIP64 extra field");
                    field = u64(v + vp);
                    vp += 8;
                };
                if (entry.size == 0xFFFFFFFFu) take(entry.size);
                if (entry.compressed_size == 0xFFFFFFFFu) take(entry.compressed_size);
                if (local_offset == 0xFFFFFFFFu) take(local_offset);
            }
            xp += 4 + len;
        }
        pos += kCentralHeaderSize + var_len;

        unsigned char lh[kLocalHeaderSize];
        f.read_at(local_offset, lh, kLocalHeaderSize, "zip local header");
        if (u32(lh) != kLocalHeaderSig) {
            throw bad("local header of '" + entry.name + "' has a bad signature");
        }
        entry.data_offset = local_offset + kLocalHeaderSize + u16(lh + 26) + u16(lh + 28);
        f.check_range(entry.data_offset, entry.compressed_size, "zip entry '" + entry.name + "'");
        // Deflate expands at most about 1032:1, so a larger declared size is a lie that would
        // only make a reader allocate gigabytes for a small file (found by fuzz_torch_checkpoint).
        if (entry.method == 0 && entry.size != entry.compressed_size) {
            throw bad("zip entry '" + entry.name + "' is stored but its sizes differ");
        }
        if (entry.method == 8 && entry.size > entry.compressed_size * kMaxDeflateRatio + 64) {
            throw bad("zip entry '" + entry.name + "' declares " + std::to_string(entry.size) + " bytes from " +
                      std::to_string(entry.compressed_size) + " compressed: more than deflate can produce");
        }
        entries_.push_back(std::move(entry));
    }
}

const ZipEntry* ZipArchive::find(std::string_view name) const {
    for (const auto& e : entries_) {
        if (e.name == name) return &e;
    }
    return nullptr;
}

void ZipArchive::require_readable_method(const ZipEntry& entry) const {
    if (entry.method != 0 && entry.method != 8) {
        throw UnsupportedFormat(file_->quoted() + ": zip entry '" + entry.name + "' uses zip compression method " +
                                std::to_string(entry.method) + " (only stored and deflate are read)");
    }
}

std::string ZipArchive::read(const ZipEntry& entry) const {
    require_readable_method(entry);  // before allocating the declared size
    std::string out(entry.size, '\0');
    read_into(entry, out.data());
    return out;
}

void ZipArchive::read_into(const ZipEntry& entry, void* dst) const {
    const FileReader& f = *file_;
    const std::string what = "zip entry '" + entry.name + "'";
    require_readable_method(entry);
    if (entry.method == 0) {  // the directory reader made sure a stored entry's two sizes agree
        f.read_at(entry.data_offset, dst, entry.size, what.c_str());
    } else if (entry.method == 8) {
        std::string packed = f.read_string(entry.data_offset, entry.compressed_size, what.c_str());
        z_stream zs{};
        if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw Error("zlib inflateInit2 failed");
        zs.next_in = reinterpret_cast<Bytef*>(packed.data());
        zs.avail_in = static_cast<uInt>(packed.size());
        auto* out = static_cast<Bytef*>(dst);
        std::uint64_t left = entry.size;
        int rc = Z_OK;
        while (rc == Z_OK) {
            const uInt chunk = static_cast<uInt>(std::min<std::uint64_t>(left, 1u << 30));
            zs.next_out = out;
            zs.avail_out = chunk;
            rc = inflate(&zs, Z_FINISH);
            const uInt produced = chunk - zs.avail_out;
            out += produced;
            left -= produced;
            if (rc == Z_BUF_ERROR && left > 0 && produced > 0) rc = Z_OK;  // more output room needed
        }
        inflateEnd(&zs);
        if (rc != Z_STREAM_END || left != 0) {
            throw CorruptFile(f.quoted() + ": " + what + " does not decompress to its declared size");
        }
    }
    if (crc_of(dst, entry.size) != entry.crc32) {
        throw CorruptFile(f.quoted() + ": " + what + " fails its CRC-32 check (the file is damaged)");
    }
}

}  // namespace muse::io
