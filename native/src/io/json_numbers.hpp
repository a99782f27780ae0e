// Checked conversions from JSON numbers for readers of untrusted files. nlohmann's get<int>() on a
// number such as 1e24 is a cast with undefined behaviour (found by fuzzing the model reader), so
// every integer or float that comes from a file goes through these; the caller names the file.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

namespace muse::io {

/// The value as an integer in [lo, hi]; nullopt when it is not a number, not integral, or outside.
std::optional<long long> json_integer(const nlohmann::json& value, long long lo, long long hi);

/// The value as a finite double; nullopt when it is not a number or not finite.
std::optional<double> json_finite(const nlohmann::json& value);

/// The value as a finite float (|v| <= FLT_MAX); nullopt otherwise.
std::optional<float> json_float(const nlohmann::json& value);

}  // namespace muse::io
