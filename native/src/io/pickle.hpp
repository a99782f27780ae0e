// A restricted reader of Python pickle streams, as torch.save writes them: builds plain data,
// recognises tensor and storage records, and never executes or imports anything.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace muse::io::pickle {

enum class Kind {
    None, Bool, Int, Float, String, Bytes, List, Tuple, Dict,
    Global,   ///< a class or function reference ("module.name") that was never called
    Storage,  ///< a torch storage record (persistent id)
    Tensor,   ///< torch._utils._rebuild_tensor_v2(...) and friends, as data
    Opaque,   ///< an instance of a class we do not interpret (argparse.Namespace, ...); skipped
};

const char* kind_name(Kind kind);

struct StorageRef {
    std::string type_name;  ///< e.g. "FloatStorage"
    std::string key;        ///< record name under "<archive>/data/"
    std::string location;   ///< e.g. "cpu"
    std::int64_t numel = 0;
};

struct TensorRef {
    StorageRef storage;
    std::int64_t storage_offset = 0;  ///< in elements
    std::vector<std::int64_t> sizes;
    std::vector<std::int64_t> strides;
};

/// One unpickled value. Containers point into the Document's arena (they may share items,
/// as Python objects do, and may even contain themselves; never walk them recursively
/// without a bound).
struct Value {
    Kind kind = Kind::None;
    bool boolean = false;
    std::int64_t integer = 0;
    double real = 0.0;
    std::string text;  ///< String/Bytes content; Global/Opaque: "module.name"
    std::vector<Value*> items;                        ///< List, Tuple
    std::vector<std::pair<Value*, Value*>> entries;   ///< Dict, in insertion order
    StorageRef storage;                               ///< Storage
    TensorRef tensor;                                 ///< Tensor

    bool is(Kind k) const { return kind == k; }
    /// Dict lookup by string key; nullptr when absent or when this is not a Dict.
    const Value* find(std::string_view key) const;
};

/// The result of parsing one pickle stream. Owns every Value; movable, not copyable.
class Document {
public:
    /// Parses `bytes`. `source` names the stream in error messages (e.g. "'x.pth' (archive/data.pkl)").
    /// Throws CorruptFile for truncated or inconsistent streams, UnsupportedFormat for opcodes
    /// this reader does not implement (e.g. protocol 5 out-of-band buffers).
    static Document parse(std::string_view bytes, const std::string& source);

    const Value& root() const { return *root_; }
    /// Class names of the Opaque values met while parsing (each once), for diagnostics.
    const std::vector<std::string>& opaque_classes() const { return opaque_classes_; }

private:
    friend class Parser;
    std::vector<std::unique_ptr<Value>> arena_;
    Value* root_ = nullptr;
    std::vector<std::string> opaque_classes_;
};

}  // namespace muse::io::pickle
