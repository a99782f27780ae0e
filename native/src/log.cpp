// The process-wide log sink behind muse::log.
#include "muse/log.hpp"

#include <mutex>

namespace muse {
namespace {

struct SinkState {
    std::mutex mutex;
    LogSink sink;
    LogLevel min_level = LogLevel::Info;
};

SinkState& state() {
    static SinkState s;
    return s;
}

}  // namespace

void set_log_sink(LogSink sink, LogLevel min_level) {
    auto& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    s.sink = std::move(sink);
    s.min_level = min_level;
}

void log(LogLevel level, const std::string& text) {
    auto& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.sink && level >= s.min_level) s.sink(level, text);
}

const char* log_level_name(LogLevel level) {
    switch (level) {
        case LogLevel::Debug: return "debug";
        case LogLevel::Info: return "info";
        case LogLevel::Warning: return "warning";
    }
    return "?";
}

}  // namespace muse
