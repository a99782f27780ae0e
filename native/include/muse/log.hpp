// Library logging: muse never prints; messages go to a sink the application installs.
//
//   muse::set_log_sink([](muse::LogLevel level, const std::string& text) {
//       std::cerr << muse::log_level_name(level) << ": " << text << "\n";
//   });
//
// Without a sink, messages are dropped. Thread-safety: set_log_sink and log may be called
// from any thread; the sink itself is called under a lock, one message at a time.
#pragma once

#include <functional>
#include <string>

namespace muse {

enum class LogLevel { Debug = 0, Info = 1, Warning = 2 };

using LogSink = std::function<void(LogLevel, const std::string&)>;

/// Installs `sink` (an empty function removes it). Messages below `min_level` are dropped.
void set_log_sink(LogSink sink, LogLevel min_level = LogLevel::Info);

/// Sends one message to the sink, if any.
void log(LogLevel level, const std::string& text);

/// "debug", "info" or "warning".
const char* log_level_name(LogLevel level);

}  // namespace muse
