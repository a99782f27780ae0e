// The restricted pickle reader: what it builds, what it refuses, and that it never runs code.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/pickle.hpp"
#include "muse/errors.hpp"
#include "support/pickle_writer.hpp"

namespace muse::io::pickle {
namespace {

using muse::test::PickleWriter;

Document parse(const PickleWriter& w) { return Document::parse(w.data(), "test.pkl"); }

TEST(Pickle, BuildsNestedPlainData) {
    PickleWriter w;
    w.proto(2).empty_dict().mark();
    w.str("ints").mark().integer(7).integer(300).integer(-5).integer(1LL << 40).tuple();
    w.str("list").empty_list().mark().str("a").real(2.5).none().boolean(true).appends();
    w.setitems().stop();
    Document doc = parse(w);
    const Value& root = doc.root();
    ASSERT_TRUE(root.is(Kind::Dict));
    const Value* ints = root.find("ints");
    ASSERT_TRUE(ints && ints->is(Kind::Tuple));
    ASSERT_EQ(ints->items.size(), 4u);
    EXPECT_EQ(ints->items[0]->integer, 7);
    EXPECT_EQ(ints->items[1]->integer, 300);
    EXPECT_EQ(ints->items[2]->integer, -5);
    EXPECT_EQ(ints->items[3]->integer, 1LL << 40);
    const Value* list = root.find("list");
    ASSERT_TRUE(list && list->is(Kind::List));
    ASSERT_EQ(list->items.size(), 4u);
    EXPECT_EQ(list->items[0]->text, "a");
    EXPECT_DOUBLE_EQ(list->items[1]->real, 2.5);
    EXPECT_TRUE(list->items[2]->is(Kind::None));
    EXPECT_TRUE(list->items[3]->boolean);
}

TEST(Pickle, OrderedDictIsADictAndMemoSharesValues) {
    PickleWriter w;
    w.proto(2).global("collections", "OrderedDict").empty_tuple().reduce().binput(1);
    w.mark().str("k").str("v").setitems();
    w.empty_dict().str("a").binget(1).setitem();  // second container refers to the same dict
    w.tuple_n(2).stop();
    Document doc = parse(w);
    const Value& t = doc.root();
    ASSERT_TRUE(t.is(Kind::Tuple));
    ASSERT_TRUE(t.items[0]->is(Kind::Dict));
    EXPECT_EQ(t.items[0]->find("k")->text, "v");
    EXPECT_EQ(t.items[1]->find("a"), t.items[0]);
}

TEST(Pickle, RebuildsTensorRecordsAsData) {
    PickleWriter w;
    w.proto(2).tensor("FloatStorage", "3", 24, 4, {2, 3}, {6, 1}).stop();
    Document doc = parse(w);
    ASSERT_TRUE(doc.root().is(Kind::Tensor));
    const TensorRef& t = doc.root().tensor;
    EXPECT_EQ(t.storage.type_name, "FloatStorage");
    EXPECT_EQ(t.storage.key, "3");
    EXPECT_EQ(t.storage.location, "cpu");
    EXPECT_EQ(t.storage.numel, 24);
    EXPECT_EQ(t.storage_offset, 4);
    EXPECT_EQ(t.sizes, (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(t.strides, (std::vector<std::int64_t>{6, 1}));
}

TEST(Pickle, UnknownClassesBecomeOpaqueWithoutBeingCalled) {
    // os.system('...') as a REDUCE: a classic malicious pickle. It must stay inert data.
    PickleWriter w;
    w.proto(2).empty_dict().mark();
    w.str("evil").global("os", "system").str("touch /tmp/muse-pwned").tuple_n(1).reduce();
    w.str("args").global("argparse", "Namespace").empty_tuple().newobj().empty_dict().str("lr").real(0.1).setitem().build();
    w.setitems().stop();
    Document doc = parse(w);
    EXPECT_TRUE(doc.root().find("evil")->is(Kind::Opaque));
    EXPECT_EQ(doc.root().find("evil")->text, "os.system");
    EXPECT_TRUE(doc.root().find("args")->is(Kind::Opaque));
    EXPECT_EQ(doc.opaque_classes(), (std::vector<std::string>{"os.system", "argparse.Namespace"}));
    EXPECT_FALSE(std::filesystem::exists("/tmp/muse-pwned"));
}

TEST(Pickle, SelfReferencingListIsFineToHoldAndFree) {
    PickleWriter w;
    w.proto(2).empty_list().binput(0).binget(0).append().stop();  // l = []; l.append(l)
    Document doc = parse(w);
    ASSERT_TRUE(doc.root().is(Kind::List));
    ASSERT_EQ(doc.root().items.size(), 1u);
    EXPECT_EQ(doc.root().items[0], &doc.root());
}

TEST(PickleBadInput, UnknownOpcodeIsNamedWithItsOffset) {
    PickleWriter w;
    w.proto(2).empty_dict().op(0xff).stop();
    try {
        parse(w);
        FAIL() << "expected UnsupportedFormat";
    } catch (const UnsupportedFormat& e) {
        EXPECT_NE(std::string(e.what()).find("test.pkl: unsupported pickle opcode 0xff at byte 3"), std::string::npos)
            << e.what();
    }
}

TEST(PickleBadInput, TextOpcodesOfProtocolZeroAreRefused) {
    EXPECT_THROW(Document::parse("I42\n.", "p0.pkl"), UnsupportedFormat);
}

TEST(PickleBadInput, TruncatedStreamIsCorrupt) {
    PickleWriter w;
    w.proto(2).empty_dict().mark().str("teacher").empty_dict().setitems().stop();
    const std::string full = w.data();
    for (std::size_t cut = 0; cut < full.size(); ++cut) {
        EXPECT_THROW(Document::parse(full.substr(0, cut), "cut.pkl"), CorruptFile) << "cut at " << cut;
    }
}

TEST(PickleBadInput, StringLongerThanTheStreamIsCorrupt) {
    PickleWriter w;
    w.proto(2).op('X').byte(0xff).byte(0xff).byte(0xff).byte(0x7f).raw("abc");
    EXPECT_THROW(parse(w), CorruptFile);
}

TEST(PickleBadInput, StackUnderflowAndMissingMarkAreCorrupt) {
    EXPECT_THROW(Document::parse(std::string("\x80\x02R.", 4), "u.pkl"), CorruptFile);  // REDUCE on empty stack
    EXPECT_THROW(Document::parse(std::string("\x80\x02t.", 4), "m.pkl"), CorruptFile);  // TUPLE without MARK
    EXPECT_THROW(Document::parse(std::string("\x80\x02h\x05.", 5), "g.pkl"), CorruptFile);  // memo never stored
}

TEST(PickleBadInput, MalformedTensorRecordIsCorrupt) {
    PickleWriter w;  // _rebuild_tensor_v2 whose first argument is not a storage
    w.proto(2).global("torch._utils", "_rebuild_tensor_v2").mark().integer(1).integer(0).empty_tuple().empty_tuple().tuple().reduce().stop();
    EXPECT_THROW(parse(w), CorruptFile);
}

}  // namespace
}  // namespace muse::io::pickle
