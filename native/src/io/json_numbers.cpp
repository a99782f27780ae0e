// Checked conversions from JSON numbers (see json_numbers.hpp for why).
#include "io/json_numbers.hpp"

#include <cmath>
#include <limits>

namespace muse::io {

std::optional<long long> json_integer(const nlohmann::json& value, long long lo, long long hi) {
    if (value.is_number_unsigned()) {
        const auto u = value.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<long long>::max())) return std::nullopt;
        const auto v = static_cast<long long>(u);
        if (v < lo || v > hi) return std::nullopt;
        return v;
    }
    if (value.is_number_integer()) {
        const auto v = value.get<std::int64_t>();
        if (v < lo || v > hi) return std::nullopt;
        return static_cast<long long>(v);
    }
    if (value.is_number_float()) {
        // A file written by another tool may say 3.0 for 3; compare as doubles before casting.
        const double d = value.get<double>();
        if (!std::isfinite(d) || d != std::floor(d)) return std::nullopt;
        // 2^63 rounds to itself as a double: anything at or above it cannot be cast.
        if (d < static_cast<double>(lo) || d > static_cast<double>(hi) || d >= 0x1p63 || d < -0x1p63) return std::nullopt;
        const auto v = static_cast<long long>(d);
        if (v < lo || v > hi) return std::nullopt;  // hi near 2^63 rounds up as a double
        return v;
    }
    return std::nullopt;
}

std::optional<double> json_finite(const nlohmann::json& value) {
    if (!value.is_number()) return std::nullopt;
    const double d = value.get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    return d;
}

std::optional<float> json_float(const nlohmann::json& value) {
    const auto d = json_finite(value);
    if (!d || std::fabs(*d) > static_cast<double>(std::numeric_limits<float>::max())) return std::nullopt;
    return static_cast<float>(*d);
}

}  // namespace muse::io
