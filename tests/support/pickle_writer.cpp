// PickleWriter: the binary opcodes torch.save emits (protocol 2).
#include <cstring>
#include <vector>

#include "support/pickle_writer.hpp"

namespace muse::test {

PickleWriter& PickleWriter::proto(int version) { return op(0x80).byte(static_cast<std::uint8_t>(version)); }

PickleWriter& PickleWriter::integer(std::int64_t v) {
    if (v >= 0 && v < 256) return op('K').byte(static_cast<std::uint8_t>(v));
    if (v >= 0 && v < 65536) return op('M').byte(v & 0xff).byte((v >> 8) & 0xff);
    if (v >= INT32_MIN && v <= INT32_MAX) {
        op('J');
        for (int i = 0; i < 4; ++i) byte((static_cast<std::uint32_t>(v) >> (8 * i)) & 0xff);
        return *this;
    }
    op(0x8a).byte(8);  // LONG1 with 8 bytes, two's complement little-endian
    for (int i = 0; i < 8; ++i) byte((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff);
    return *this;
}

PickleWriter& PickleWriter::real(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    op('G');
    for (int i = 7; i >= 0; --i) byte((bits >> (8 * i)) & 0xff);
    return *this;
}

PickleWriter& PickleWriter::str(const std::string& s) {
    if (s.size() < 256) {
        op(0x8c).byte(static_cast<std::uint8_t>(s.size()));  // SHORT_BINUNICODE
    } else {
        op('X');
        for (int i = 0; i < 4; ++i) byte((s.size() >> (8 * i)) & 0xff);
    }
    return raw(s);
}

PickleWriter& PickleWriter::global(const std::string& module, const std::string& name) {
    return op('c').raw(module + "\n" + name + "\n");
}

PickleWriter& PickleWriter::int_tuple(const std::vector<std::int64_t>& values) {
    mark();
    for (auto v : values) integer(v);
    return tuple();
}

PickleWriter& PickleWriter::tensor(const std::string& storage_type, const std::string& key, std::int64_t numel,
                                   std::int64_t offset, const std::vector<std::int64_t>& sizes,
                                   const std::vector<std::int64_t>& strides) {
    global("torch._utils", "_rebuild_tensor_v2");
    mark();
    mark().str("storage").global("torch", storage_type).str(key).str("cpu").integer(numel).tuple().binpersid();
    integer(offset);
    int_tuple(sizes);
    int_tuple(strides);
    boolean(false);
    global("collections", "OrderedDict").empty_tuple().reduce();
    tuple();
    return reduce();
}

}  // namespace muse::test
