// The exception family every muse function throws: what failed, on which input.
//
//   try {
//       auto model = muse::Model::load("model.muse");
//   } catch (const muse::UnsupportedFormat& e) {   // not a muse model file at all
//   } catch (const muse::CorruptFile& e) {         // a model file, but damaged
//   } catch (const muse::Error& e) {               // anything else muse reports
//       std::cerr << e.what() << "\n";
//   }
//
// The code that detects a problem writes the message once (what, the value, what was
// expected). Callers higher up only add context ("importing 'x.pth'"), never reword it.
// muse::Cancelled is deliberately not an Error: a user stopping a run is not a failure.
// Thread-safety: exception objects are plain values; nothing here is shared.
#pragma once

#include <exception>
#include <string>

namespace muse {

/// Base of everything the library throws on failure.
class Error : public std::exception {
public:
    explicit Error(std::string message);

    /// Full text: context layers, outermost first, then the original message.
    const char* what() const noexcept override { return full_.c_str(); }

    /// The message as the detecting code wrote it, without added context.
    const std::string& message() const noexcept { return message_; }

    /// Prefixes the text with "context: ". Use from a catch block, then `throw;` so the
    /// dynamic type is kept.
    Error& add_context(const std::string& context);

private:
    std::string message_;
    std::string full_;
};

/// The input is not in a format we read (e.g. a file that is not a checkpoint or model file).
class UnsupportedFormat : public Error {
public:
    using Error::Error;
};

/// The input is in a format we read, but is damaged: truncated, inconsistent, out of bounds.
class CorruptFile : public Error {
public:
    using Error::Error;
};

/// A value given by the caller is out of range or inconsistent (option, image size, point).
class InvalidArgument : public Error {
public:
    using Error::Error;
};

/// The weights do not fit the architecture: missing, unexpected or misshaped tensors.
class ModelMismatch : public Error {
public:
    using Error::Error;
};

/// An operating-system level failure: file cannot be opened, read, written or renamed.
class IoError : public Error {
public:
    using Error::Error;
};

/// Thrown when a caller's cancellation request stops a long operation. Not an Error.
class Cancelled : public std::exception {
public:
    const char* what() const noexcept override { return "cancelled"; }
};

}  // namespace muse
