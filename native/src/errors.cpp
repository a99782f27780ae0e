// Error message composition (context prefixes) for muse::Error; the cancellation check that
// turns a request into muse::Cancelled.
#include "muse/errors.hpp"
#include "muse/progress.hpp"

#include <utility>

namespace muse {

Error::Error(std::string message) : message_(std::move(message)), full_(message_) {}

Error& Error::add_context(const std::string& context) {
    full_ = context + ": " + full_;
    return *this;
}

void Progress::check() const {
    if (cancelled()) throw Cancelled();
}

}  // namespace muse
