// The zip container reader against archives written by LibTorch's own writer, and hand-made
// ZIP64 and damaged archives.
#include <gtest/gtest.h>

#include <cstring>
#include <zlib.h>

#include "io/zip_archive.hpp"
#include "muse/errors.hpp"
#include "support/checkpoint_writer.hpp"
#include "support/test_env.hpp"

namespace muse::io {
namespace {

using muse::test::TempDir;

std::shared_ptr<FileReader> file_with(const TempDir& dir, const std::string& bytes, const std::string& name = "a.zip") {
    muse::test::write_file(dir / name, bytes);
    return std::make_shared<FileReader>(dir / name);
}

TEST(ZipArchive, ReadsRecordsWrittenByTorch) {
    TempDir dir;
    const std::string big(100000, 'x');
    ZipArchive zip(file_with(dir, muse::test::zip_with_records({{"data.pkl", "pickle"}, {"data/0", big}})));
    const ZipEntry* pkl = zip.find("archive/data.pkl");
    ASSERT_NE(pkl, nullptr);
    EXPECT_EQ(zip.read(*pkl), "pickle");
    const ZipEntry* data = zip.find("archive/data/0");
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(data->data_offset % 64, 0u) << "torch aligns record data to 64 bytes";
    EXPECT_EQ(zip.read(*data), big);
    EXPECT_NE(zip.find("archive/version"), nullptr);
}

// A one-entry archive whose central directory uses ZIP64 fields, as writers do past 4 GiB.
std::string zip64_archive(const std::string& name, const std::string& data) {
    std::string z;
    auto u16 = [&](std::uint16_t v) { z.append(reinterpret_cast<const char*>(&v), 2); };
    auto u32 = [&](std::uint32_t v) { z.append(reinterpret_cast<const char*>(&v), 4); };
    auto u64 = [&](std::uint64_t v) { z.append(reinterpret_cast<const char*>(&v), 8); };
    const auto crc = static_cast<std::uint32_t>(
        ::crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    u32(0x04034b50); u16(45); u16(0); u16(0); u16(0); u16(0); u32(crc);
    u32(0xFFFFFFFF); u32(0xFFFFFFFF); u16(static_cast<std::uint16_t>(name.size())); u16(20);
    z += name;
    u16(1); u16(16); u64(data.size()); u64(data.size());
    z += data;
    const std::uint64_t cd_at = z.size();
    u32(0x02014b50); u16(45); u16(45); u16(0); u16(0); u16(0); u16(0); u32(crc);
    u32(0xFFFFFFFF); u32(0xFFFFFFFF); u16(static_cast<std::uint16_t>(name.size())); u16(28); u16(0);
    u16(0); u16(0); u32(0); u32(0xFFFFFFFF);
    z += name;
    u16(1); u16(24); u64(data.size()); u64(data.size()); u64(0);
    const std::uint64_t cd_size = z.size() - cd_at;
    const std::uint64_t z64_at = z.size();
    u32(0x06064b50); u64(44); u16(45); u16(45); u32(0); u32(0); u64(1); u64(1); u64(cd_size); u64(cd_at);
    u32(0x07064b50); u32(0); u64(z64_at); u32(1);
    u32(0x06054b50); u16(0); u16(0); u16(0xFFFF); u16(0xFFFF); u32(0xFFFFFFFF); u32(0xFFFFFFFF); u16(0);
    return z;
}

TEST(ZipArchive, ReadsZip64Records) {
    TempDir dir;
    ZipArchive zip(file_with(dir, zip64_archive("archive/data.pkl", "zip64 payload")));
    ASSERT_EQ(zip.entries().size(), 1u);
    EXPECT_EQ(zip.read(zip.entries()[0]), "zip64 payload");
}

TEST(ZipBadInput, NotAZipIsUnsupported) {
    TempDir dir;
    try {
        ZipArchive zip(file_with(dir, "hello, I am text", "t.zip"));
        FAIL();
    } catch (const UnsupportedFormat& e) {
        EXPECT_NE(std::string(e.what()).find("is not a zip archive"), std::string::npos) << e.what();
    }
}

TEST(ZipBadInput, EveryTruncationIsReportedAsCorrupt) {
    TempDir dir;
    const std::string full = muse::test::zip_with_records({{"data.pkl", "pickle"}, {"data/0", std::string(300, 'y')}});
    for (std::size_t cut = 4; cut < full.size(); cut += 37) {
        auto f = file_with(dir, full.substr(0, cut), "cut" + std::to_string(cut) + ".zip");
        try {
            ZipArchive zip(f);
            for (const auto& e : zip.entries()) zip.read(e);
            FAIL() << "truncation at " << cut << " of " << full.size() << " went unnoticed";
        } catch (const CorruptFile&) {
        }
    }
}

TEST(ZipBadInput, DamagedDataFailsItsCrc) {
    TempDir dir;
    std::string bytes = muse::test::zip_with_records({{"data/0", std::string(1000, 'z')}});
    const auto at = bytes.find(std::string(1000, 'z'));
    bytes[at + 500] = 'Q';
    ZipArchive zip(file_with(dir, bytes));
    try {
        zip.read(*zip.find("archive/data/0"));
        FAIL();
    } catch (const CorruptFile& e) {
        EXPECT_NE(std::string(e.what()).find("fails its CRC-32 check"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace muse::io
