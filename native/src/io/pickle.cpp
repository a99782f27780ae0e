// The pickle virtual machine, restricted: a fixed opcode set and a fixed table of the
// torch reconstructors that are interpreted as data. Anything else becomes an Opaque value.
#include "io/pickle.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "muse/errors.hpp"

namespace muse::io::pickle {

const char* kind_name(Kind kind) {
    switch (kind) {
        case Kind::None: return "None";
        case Kind::Bool: return "bool";
        case Kind::Int: return "int";
        case Kind::Float: return "float";
        case Kind::String: return "str";
        case Kind::Bytes: return "bytes";
        case Kind::List: return "list";
        case Kind::Tuple: return "tuple";
        case Kind::Dict: return "dict";
        case Kind::Global: return "global";
        case Kind::Storage: return "storage";
        case Kind::Tensor: return "tensor";
        case Kind::Opaque: return "object";
    }
    return "?";
}

const Value* Value::find(std::string_view key) const {
    if (kind != Kind::Dict) return nullptr;
    for (const auto& [k, v] : entries) {
        if (k->kind == Kind::String && k->text == key) return v;
    }
    return nullptr;
}

class Parser {
public:
    Parser(std::string_view bytes, const std::string& source, Document& doc)
        : in_(bytes), source_(source), doc_(doc) {}

    Value* run();

private:
    [[noreturn]] void corrupt(const std::string& why) const {
        throw CorruptFile(source_ + ": malformed pickle at byte " + std::to_string(op_pos_) + ": " + why);
    }

    Value* make(Kind kind) {
        doc_.arena_.push_back(std::make_unique<Value>());
        Value* v = doc_.arena_.back().get();
        v->kind = kind;
        return v;
    }
    Value* opaque(const std::string& class_name) {
        Value* v = make(Kind::Opaque);
        v->text = class_name;
        auto& seen = doc_.opaque_classes_;
        if (std::find(seen.begin(), seen.end(), class_name) == seen.end()) seen.push_back(class_name);
        return v;
    }

    const char* take(std::size_t n) {
        if (n > in_.size() - pos_) corrupt("stream ends inside an opcode argument");
        const char* p = in_.data() + pos_;
        pos_ += n;
        return p;
    }
    std::uint64_t uint_le(std::size_t n) {
        const auto* p = reinterpret_cast<const unsigned char*>(take(n));
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
        return v;
    }
    std::string line() {
        auto end = in_.find('\n', pos_);
        if (end == std::string_view::npos) corrupt("stream ends inside a text argument");
        std::string s(in_.substr(pos_, end - pos_));
        pos_ = end + 1;
        return s;
    }
    std::string counted(std::uint64_t n) {
        if (n > in_.size() - pos_) corrupt("a string of " + std::to_string(n) + " bytes runs past the end of the stream");
        return std::string(take(static_cast<std::size_t>(n)), static_cast<std::size_t>(n));
    }

    Value* pop() {
        if (stack_.size() <= base()) corrupt("stack underflow");
        Value* v = stack_.back();
        stack_.pop_back();
        return v;
    }
    Value* top() {
        if (stack_.size() <= base()) corrupt("stack underflow");
        return stack_.back();
    }
    std::size_t base() const { return marks_.empty() ? 0 : marks_.back(); }
    std::vector<Value*> pop_mark() {
        if (marks_.empty()) corrupt("no MARK on the stack");
        std::size_t m = marks_.back();
        marks_.pop_back();
        std::vector<Value*> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
        stack_.resize(m);
        return items;
    }
    Value* tuple_of(std::vector<Value*> items) {
        Value* t = make(Kind::Tuple);
        t->items = std::move(items);
        return t;
    }

    void memo_put(std::uint64_t index) { memo_[index] = top(); }
    Value* memo_get(std::uint64_t index) {
        auto it = memo_.find(index);
        if (it == memo_.end()) corrupt("memo index " + std::to_string(index) + " was never stored");
        return it->second;
    }

    void append_items(Value* target, const std::vector<Value*>& items) {
        if (target->kind == Kind::List) {
            target->items.insert(target->items.end(), items.begin(), items.end());
        } else if (target->kind != Kind::Opaque) {  // list subclasses we do not know: dropped
            corrupt(std::string("APPEND to a ") + kind_name(target->kind));
        }
    }
    void set_items(Value* target, const std::vector<Value*>& kv) {
        if (kv.size() % 2 != 0) corrupt("SETITEMS with an odd number of values");
        if (target->kind == Kind::Dict) {
            for (std::size_t i = 0; i < kv.size(); i += 2) {
                Value* key = kv[i];
                auto same = [&](const std::pair<Value*, Value*>& e) {
                    return e.first->kind == Kind::String && key->kind == Kind::String && e.first->text == key->text;
                };
                auto it = std::find_if(target->entries.begin(), target->entries.end(), same);
                if (it != target->entries.end()) it->second = kv[i + 1];
                else target->entries.emplace_back(key, kv[i + 1]);
            }
        } else if (target->kind != Kind::Opaque) {
            corrupt(std::string("SETITEM on a ") + kind_name(target->kind));
        }
    }

    Value* global(const std::string& module, const std::string& name) {
        Value* g = make(Kind::Global);
        g->text = module + "." + name;
        return g;
    }
    Value* persistent(Value* pid);
    Value* call(Value* callable, Value* args);
    Value* instantiate(Value* cls) {
        if (cls->kind == Kind::Global && cls->text == "collections.OrderedDict") return make(Kind::Dict);
        return opaque(cls->kind == Kind::Global ? cls->text : std::string("object"));
    }

    std::string_view in_;
    const std::string& source_;
    Document& doc_;
    std::size_t pos_ = 0;
    std::size_t op_pos_ = 0;
    std::vector<Value*> stack_;
    std::vector<std::size_t> marks_;
    std::unordered_map<std::uint64_t, Value*> memo_;
};

Value* Parser::persistent(Value* pid) {
    // torch.save: ('storage', <StorageType global>, key, location, numel)
    if (pid->kind != Kind::Tuple || pid->items.size() < 5 || pid->items[0]->kind != Kind::String ||
        pid->items[0]->text != "storage") {
        corrupt("persistent id is not a torch storage record");
    }
    const auto& it = pid->items;
    if (it[1]->kind != Kind::Global || it[2]->kind != Kind::String || it[3]->kind != Kind::String ||
        it[4]->kind != Kind::Int) {
        corrupt("storage record has unexpected field types");
    }
    Value* s = make(Kind::Storage);
    const std::string& type = it[1]->text;
    s->storage.type_name = type.substr(type.rfind('.') + 1);
    s->storage.key = it[2]->text;
    s->storage.location = it[3]->text;
    s->storage.numel = it[4]->integer;
    if (s->storage.numel < 0) corrupt("storage '" + s->storage.key + "' has a negative size");
    return s;
}

Value* Parser::call(Value* callable, Value* args) {
    if (callable->kind != Kind::Global) return opaque("object");
    if (args->kind != Kind::Tuple) corrupt("REDUCE arguments are not a tuple");
    const std::string& fn = callable->text;
    const auto& a = args->items;
    auto int_list = [&](const Value* v, const char* what) {
        if (v->kind != Kind::Tuple && v->kind != Kind::List) corrupt(std::string("tensor ") + what + " is not a tuple");
        std::vector<std::int64_t> out;
        for (const Value* x : v->items) {
            if (x->kind != Kind::Int) corrupt(std::string("tensor ") + what + " holds a non-integer");
            out.push_back(x->integer);
        }
        return out;
    };
    if (fn == "torch._utils._rebuild_tensor_v2" || fn == "torch._utils._rebuild_tensor") {
        if (a.size() < 4 || a[0]->kind != Kind::Storage || a[1]->kind != Kind::Int) {
            corrupt("malformed tensor record (" + fn + ")");
        }
        Value* t = make(Kind::Tensor);
        t->tensor.storage = a[0]->storage;
        t->tensor.storage_offset = a[1]->integer;
        t->tensor.sizes = int_list(a[2], "size");
        t->tensor.strides = int_list(a[3], "stride");
        if (t->tensor.sizes.size() != t->tensor.strides.size()) corrupt("tensor size and stride differ in length");
        return t;
    }
    if (fn == "torch._utils._rebuild_parameter" || fn == "torch._utils._rebuild_parameter_with_state") {
        if (a.empty() || a[0]->kind != Kind::Tensor) corrupt("parameter record without a tensor");
        return a[0];
    }
    if (fn == "collections.OrderedDict") {
        Value* d = make(Kind::Dict);
        if (!a.empty() && (a[0]->kind == Kind::List || a[0]->kind == Kind::Tuple)) {
            std::vector<Value*> kv;
            for (Value* pair : a[0]->items) {
                if (pair->kind != Kind::Tuple || pair->items.size() != 2) corrupt("OrderedDict item is not a pair");
                kv.push_back(pair->items[0]);
                kv.push_back(pair->items[1]);
            }
            set_items(d, kv);
        }
        return d;
    }
    if (fn == "torch.Size") {
        if (a.size() != 1 || a[0]->kind != Kind::Tuple) corrupt("malformed torch.Size");
        return a[0];
    }
    if (fn == "builtins.set" || fn == "builtins.frozenset" || fn == "__builtin__.set") {
        Value* l = make(Kind::List);
        if (!a.empty() && (a[0]->kind == Kind::List || a[0]->kind == Kind::Tuple)) l->items = a[0]->items;
        return l;
    }
    return opaque(fn);
}

Value* Parser::run() {
    while (true) {
        op_pos_ = pos_;
        if (pos_ >= in_.size()) corrupt("stream ends without STOP (truncated)");
        const auto op = static_cast<unsigned char>(in_[pos_++]);
        switch (op) {
            case 0x80: take(1); break;                              // PROTO
            case 0x95: take(8); break;                              // FRAME (protocol 4)
            case '.': {                                             // STOP
                Value* result = pop();
                return result;
            }
            case '(': marks_.push_back(stack_.size()); break;       // MARK
            case '0': pop(); break;                                 // POP
            case '1': pop_mark(); break;                            // POP_MARK
            case '2': stack_.push_back(top()); break;               // DUP
            case 'N': stack_.push_back(make(Kind::None)); break;    // NONE
            case 0x88: case 0x89: {                                 // NEWTRUE / NEWFALSE
                Value* b = make(Kind::Bool);
                b->boolean = op == 0x88;
                stack_.push_back(b);
                break;
            }
            case 'J': {                                             // BININT (int32)
                Value* v = make(Kind::Int);
                v->integer = static_cast<std::int32_t>(uint_le(4));
                stack_.push_back(v);
                break;
            }
            case 'K': case 'M': {                                   // BININT1 / BININT2
                Value* v = make(Kind::Int);
                v->integer = static_cast<std::int64_t>(uint_le(op == 'K' ? 1 : 2));
                stack_.push_back(v);
                break;
            }
            case 0x8a: case 0x8b: {                                 // LONG1 / LONG4
                std::uint64_t n = uint_le(op == 0x8a ? 1 : 4);
                if (n > in_.size() - pos_) corrupt("a long integer runs past the end of the stream");
                if (n > 8) {  // larger than int64: kept as an uninterpreted value
                    take(static_cast<std::size_t>(n));
                    stack_.push_back(opaque("int"));
                    break;
                }
                std::uint64_t raw = n ? uint_le(static_cast<std::size_t>(n)) : 0;
                if (n > 0 && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~std::uint64_t{0} << (8 * n);  // sign-extend
                Value* v = make(Kind::Int);
                v->integer = static_cast<std::int64_t>(raw);
                stack_.push_back(v);
                break;
            }
            case 'G': {                                             // BINFLOAT (big-endian)
                const auto* p = reinterpret_cast<const unsigned char*>(take(8));
                std::uint64_t bits = 0;
                for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
                Value* v = make(Kind::Float);
                std::memcpy(&v->real, &bits, sizeof bits);
                stack_.push_back(v);
                break;
            }
            case 'X': case 0x8c: case 0x8d:                         // BINUNICODE / SHORT_ / 8
            case 'T': case 'U': {                                   // BINSTRING / SHORT_BINSTRING
                std::size_t width = (op == 0x8c || op == 'U') ? 1 : (op == 0x8d ? 8 : 4);
                Value* v = make(Kind::String);
                v->text = counted(uint_le(width));
                stack_.push_back(v);
                break;
            }
            case 'B': case 'C': case 0x8e: case 0x96: {             // BINBYTES / SHORT_ / 8, BYTEARRAY8
                std::size_t width = op == 'C' ? 1 : (op == 'B' ? 4 : 8);
                Value* v = make(Kind::Bytes);
                v->text = counted(uint_le(width));
                stack_.push_back(v);
                break;
            }
            case ']': stack_.push_back(make(Kind::List)); break;    // EMPTY_LIST
            case ')': stack_.push_back(make(Kind::Tuple)); break;   // EMPTY_TUPLE
            case '}': stack_.push_back(make(Kind::Dict)); break;    // EMPTY_DICT
            case 0x8f: stack_.push_back(make(Kind::List)); break;   // EMPTY_SET (as a list)
            case 'l': {                                             // LIST
                Value* l = make(Kind::List);
                l->items = pop_mark();
                stack_.push_back(l);
                break;
            }
            case 't': stack_.push_back(tuple_of(pop_mark())); break;  // TUPLE
            case 0x91: {                                            // FROZENSET (as a list)
                Value* l = make(Kind::List);
                l->items = pop_mark();
                stack_.push_back(l);
                break;
            }
            case 0x85: case 0x86: case 0x87: {                      // TUPLE1/2/3
                std::size_t n = static_cast<std::size_t>(op - 0x84);
                if (stack_.size() < base() + n) corrupt("stack underflow");
                std::vector<Value*> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
                stack_.resize(stack_.size() - n);
                stack_.push_back(tuple_of(std::move(items)));
                break;
            }
            case 'd': {                                             // DICT
                Value* d = make(Kind::Dict);
                set_items(d, pop_mark());
                stack_.push_back(d);
                break;
            }
            case 'a': {                                             // APPEND
                Value* v = pop();
                append_items(top(), {v});
                break;
            }
            case 'e': {                                             // APPENDS
                auto items = pop_mark();
                append_items(top(), items);
                break;
            }
            case 0x90: {                                            // ADDITEMS
                auto items = pop_mark();
                append_items(top(), items);
                break;
            }
            case 's': {                                             // SETITEM
                Value* v = pop();
                Value* k = pop();
                set_items(top(), {k, v});
                break;
            }
            case 'u': {                                             // SETITEMS
                auto kv = pop_mark();
                set_items(top(), kv);
                break;
            }
            case 'c': {                                             // GLOBAL
                std::string module = line();
                std::string name = line();
                stack_.push_back(global(module, name));
                break;
            }
            case 0x93: {                                            // STACK_GLOBAL
                Value* name = pop();
                Value* module = pop();
                if (module->kind != Kind::String || name->kind != Kind::String) corrupt("STACK_GLOBAL needs two strings");
                stack_.push_back(global(module->text, name->text));
                break;
            }
            case 'R': {                                             // REDUCE
                Value* args = pop();
                Value* fn = pop();
                stack_.push_back(call(fn, args));
                break;
            }
            case 0x81: {                                            // NEWOBJ
                pop();  // args
                stack_.push_back(instantiate(pop()));
                break;
            }
            case 0x92: {                                            // NEWOBJ_EX
                pop();  // kwargs
                pop();  // args
                stack_.push_back(instantiate(pop()));
                break;
            }
            case 'b': {                                             // BUILD: state is not applied
                pop();
                top();
                break;
            }
            case 'Q': {                                             // BINPERSID
                stack_.push_back(persistent(pop()));
                break;
            }
            case 'q': memo_put(uint_le(1)); break;                  // BINPUT
            case 'r': memo_put(uint_le(4)); break;                  // LONG_BINPUT
            case 0x94: memo_put(memo_.size()); break;               // MEMOIZE
            case 'h': stack_.push_back(memo_get(uint_le(1))); break;  // BINGET
            case 'j': stack_.push_back(memo_get(uint_le(4))); break;  // LONG_BINGET
            default: {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02x", op);
                throw UnsupportedFormat(source_ + ": unsupported pickle opcode " + hex + " at byte " +
                                        std::to_string(op_pos_) +
                                        " (this reader handles the binary opcodes torch.save writes)");
            }
        }
    }
}

Document Document::parse(std::string_view bytes, const std::string& source) {
    Document doc;
    Parser parser(bytes, source, doc);
    doc.root_ = parser.run();
    return doc;
}

}  // namespace muse::io::pickle
