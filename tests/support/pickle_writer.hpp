// Builds pickle byte streams opcode by opcode, for reader tests and test checkpoints.
#pragma once

#include <cstdint>
#include <string>

namespace muse::test {

class PickleWriter {
public:
    PickleWriter& proto(int version = 2);
    PickleWriter& mark() { return op('('); }
    PickleWriter& stop() { return op('.'); }
    PickleWriter& none() { return op('N'); }
    PickleWriter& boolean(bool v) { return op(v ? 0x88 : 0x89); }
    PickleWriter& integer(std::int64_t v);
    PickleWriter& real(double v);
    PickleWriter& str(const std::string& s);
    PickleWriter& global(const std::string& module, const std::string& name);
    PickleWriter& empty_dict() { return op('}'); }
    PickleWriter& empty_list() { return op(']'); }
    PickleWriter& empty_tuple() { return op(')'); }
    PickleWriter& tuple() { return op('t'); }       ///< MARK ... TUPLE
    PickleWriter& tuple_n(int n) { return op(0x84 + n); }  ///< TUPLE1/2/3
    PickleWriter& setitem() { return op('s'); }
    PickleWriter& setitems() { return op('u'); }
    PickleWriter& append() { return op('a'); }
    PickleWriter& appends() { return op('e'); }
    PickleWriter& reduce() { return op('R'); }
    PickleWriter& build() { return op('b'); }
    PickleWriter& newobj() { return op(0x81); }
    PickleWriter& binpersid() { return op('Q'); }
    PickleWriter& binput(std::uint8_t i) { return op('q').byte(i); }
    PickleWriter& binget(std::uint8_t i) { return op('h').byte(i); }
    PickleWriter& op(int code) { return byte(static_cast<std::uint8_t>(code)); }
    PickleWriter& byte(std::uint8_t b) {
        data_.push_back(static_cast<char>(b));
        return *this;
    }
    PickleWriter& raw(const std::string& bytes) {
        data_ += bytes;
        return *this;
    }

    /// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())
    /// with the storage as a persistent id ('storage', torch.<type>, key, 'cpu', numel).
    PickleWriter& tensor(const std::string& storage_type, const std::string& key, std::int64_t numel,
                         std::int64_t offset, const std::vector<std::int64_t>& sizes,
                         const std::vector<std::int64_t>& strides);

    const std::string& data() const { return data_; }

private:
    PickleWriter& int_tuple(const std::vector<std::int64_t>& values);
    std::string data_;
};

}  // namespace muse::test
