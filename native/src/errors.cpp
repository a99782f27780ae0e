// Error message composition (context prefixes) for muse::Error.
#include "muse/errors.hpp"

#include <utility>

namespace muse {

Error::Error(std::string message) : message_(std::move(message)), full_(message_) {}

Error& Error::add_context(const std::string& context) {
    full_ = context + ": " + full_;
    return *this;
}

}  // namespace muse
