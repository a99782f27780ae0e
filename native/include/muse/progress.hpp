// Progress reports out of long operations, and cancellation requests into them.
//
//   muse::Progress progress([](const muse::ProgressUpdate& u) {
//       std::cerr << u.done << "/" << u.total << " " << u.message << "\n";
//   });
//   std::thread t([&] { muse::train_detector(..., progress); });   // a long operation
//   progress.cancel();              // from any thread: the operation throws muse::Cancelled
//
// Long operations call report() at least once per tile or training step and check() as often,
// so a cancellation takes effect within one unit of work. Copies share the cancellation flag.
// Thread-safety: cancel(), cancelled() and check() from any thread; the callback is called on
// the thread doing the work.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace muse {

struct ProgressUpdate {
    std::int64_t done = 0;   ///< units finished (tiles, training steps, ...)
    std::int64_t total = 0;  ///< units in all; 0 when unknown
    std::string unit;        ///< what a unit is: "tiles", "steps"
    std::string message;     ///< one line for a person, may be empty
};

class Progress {
public:
    using Callback = std::function<void(const ProgressUpdate&)>;

    Progress() : cancelled_(std::make_shared<std::atomic<bool>>(false)) {}
    explicit Progress(Callback on_update) : Progress() { on_update_ = std::move(on_update); }

    void report(const ProgressUpdate& update) const {
        if (on_update_) on_update_(update);
    }
    void cancel() { cancelled_->store(true); }
    bool cancelled() const { return cancelled_->load(); }
    /// Throws muse::Cancelled when cancel() was called.
    void check() const;

    /// A copy that shares the cancellation flag but reports nothing (for inner steps whose
    /// units are not the caller's).
    Progress silent() const {
        Progress p = *this;
        p.on_update_ = nullptr;
        return p;
    }

private:
    Callback on_update_;
    std::shared_ptr<std::atomic<bool>> cancelled_;
};

}  // namespace muse
