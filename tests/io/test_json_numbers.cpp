// Checked conversions of JSON numbers: every value a file may hold either converts exactly or
// is refused, never cast with undefined behaviour (this file also runs under UBSan).
#include <gtest/gtest.h>

#include <climits>
#include <limits>

#include "io/json_numbers.hpp"

namespace muse::io {
namespace {

using nlohmann::json;

TEST(JsonNumbers, IntegersConvertExactlyInsideTheirRange) {
    EXPECT_EQ(json_integer(json(42), 0, 100), 42);
    EXPECT_EQ(json_integer(json(-3), -5, 5), -3);
    EXPECT_EQ(json_integer(json(7.0), 0, 10), 7);  // 7.0 from another tool is 7
    EXPECT_EQ(json_integer(json(LLONG_MAX), 0, LLONG_MAX), LLONG_MAX);
    EXPECT_FALSE(json_integer(json(101), 0, 100));
    EXPECT_FALSE(json_integer(json(7.5), 0, 10));
    EXPECT_FALSE(json_integer(json(1.33e24), 0, 255));
    EXPECT_FALSE(json_integer(json(-1e300), INT_MIN, INT_MAX));
    EXPECT_FALSE(json_integer(json(9223372036854775808.0), 0, LLONG_MAX));  // 2^63: one past the range
    EXPECT_FALSE(json_integer(json(std::numeric_limits<std::uint64_t>::max()), 0, LLONG_MAX));
    EXPECT_FALSE(json_integer(json("3"), 0, 10));
    EXPECT_FALSE(json_integer(json(nullptr), 0, 10));
    EXPECT_FALSE(json_integer(json(true), 0, 10));
}

TEST(JsonNumbers, FloatsMustBeFiniteAndFitTheirType) {
    EXPECT_EQ(json_finite(json(0.25)), 0.25);
    EXPECT_EQ(json_finite(json(3)), 3.0);
    EXPECT_FALSE(json_finite(json(std::numeric_limits<double>::infinity())));
    EXPECT_FALSE(json_finite(json("0.5")));
    EXPECT_EQ(json_float(json(0.5)), 0.5f);
    EXPECT_FALSE(json_float(json(1e300)));  // a finite double, but no float holds it
}

}  // namespace
}  // namespace muse::io
