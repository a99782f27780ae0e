// .npy matrices and `x,y` point CSV files, atomic writing.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include "io/atomic_file.hpp"
#include "muse/array_files.hpp"
#include "muse/errors.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

using muse::test::TempDir;

TEST(Npy, RoundTripOfAMatrix) {
    TempDir dir;
    std::vector<float> v(3 * 5);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.25f * static_cast<float>(i) - 1.0f;
    write_npy_f32(dir / "m.npy", v.data(), {3, 5});
    NpyArray back = read_npy_f32(dir / "m.npy");
    EXPECT_EQ(back.shape, (std::vector<std::int64_t>{3, 5}));
    EXPECT_EQ(back.values, v);
    const std::string raw = muse::test::read_file(dir / "m.npy");
    EXPECT_EQ(raw.substr(1, 5), "NUMPY");
    EXPECT_NE(raw.find("'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }"), std::string::npos);
    EXPECT_EQ((raw.size() - 3 * 5 * 4) % 64, 0u) << "header padded to 64 bytes";
}

TEST(Npy, ZeroRowsIsAValidMatrix) {
    TempDir dir;
    write_npy_f32(dir / "e.npy", nullptr, {0, 384});
    EXPECT_EQ(read_npy_f32(dir / "e.npy").shape, (std::vector<std::int64_t>{0, 384}));
}

TEST(PointsCsv, ReadsHeaderAndRows) {
    TempDir dir;
    muse::test::write_file(dir / "p.csv", "x,y\n0.0000,0.0000\n223,223\n\n  12.5 , 7.25 ,extra\n");
    std::vector<Point> pts = read_points_csv(dir / "p.csv");
    ASSERT_EQ(pts.size(), 3u);
    EXPECT_DOUBLE_EQ(pts[1].x, 223.0);
    EXPECT_DOUBLE_EQ(pts[2].x, 12.5);
    EXPECT_DOUBLE_EQ(pts[2].y, 7.25);
}

TEST(PointsCsvBadInput, ErrorsNameTheFileAndLine) {
    TempDir dir;
    const std::pair<std::string, std::string> cases[] = {
        {"y,x\n1,2\n", "line 1: expected the header 'x,y'"},
        {"x,y\n1,2\n3\n", "line 3: expected two values"},
        {"x,y\n1,abc\n", "line 2: 'abc' is not a finite number"},
        {"x,y\nnan,1\n", "line 2: 'nan' is not a finite number"},
        {"", "is empty"},
    };
    for (const auto& [content, expected] : cases) {
        muse::test::write_file(dir / "bad.csv", content);
        try {
            read_points_csv(dir / "bad.csv");
            ADD_FAILURE() << "accepted: " << content;
        } catch (const InvalidArgument& e) {
            EXPECT_NE(std::string(e.what()).find("bad.csv"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
        }
    }
    EXPECT_THROW(read_points_csv(dir / "missing.csv"), IoError);
}

TEST(AtomicFile, NothingIsLeftWhenAWriteIsAbandoned) {
    TempDir dir;
    {
        io::AtomicFileWriter w(dir / "out.bin");
        w.write("partial");
    }  // no commit: as if an exception or a cancellation happened
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(AtomicFile, CommitReplacesTheTargetWhole) {
    TempDir dir;
    muse::test::write_file(dir / "out.bin", "old content");
    io::write_file_atomically(dir / "out.bin", "new");
    EXPECT_EQ(muse::test::read_file(dir / "out.bin"), "new");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(AtomicFile, TheNextWriterRemovesWhatAKilledProcessLeftButNothingElse) {
    TempDir dir;
    // A process that ran and ended (as if killed with -9 mid-write): its temporary file stays.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) ::_exit(0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    const std::string dead = ".out.bin.tmp-" + std::to_string(child) + "-0";
    muse::test::write_file(dir / dead, "half of a file");
    // Files that are not a dead writer's temporary of this target stay.
    const std::string alive = ".out.bin.tmp-" + std::to_string(::getppid()) + "-3";  // a running process
    for (const std::string& keep : {alive, std::string(".other.bin.tmp-") + std::to_string(child) + "-0",
                                    std::string(".out.bin.tmp-notapid"), std::string("out.bin.tmp-1-1")}) {
        muse::test::write_file(dir / keep, "not ours to remove");
    }
    io::write_file_atomically(dir / "out.bin", "complete");
    EXPECT_FALSE(std::filesystem::exists(dir / dead));
    EXPECT_EQ(muse::test::read_file(dir / "out.bin"), "complete");
    EXPECT_TRUE(std::filesystem::exists(dir / alive));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 5);
}

TEST(AtomicFileBadInput, UnwritableDirectoryIsAnIoError) {
    EXPECT_THROW(io::AtomicFileWriter("/nonexistent-dir/x.bin"), IoError);
}

}  // namespace
}  // namespace muse
