// JNI plumbing: thread environments, value conversion, exception translation.
#include "jni_support.hpp"

#include <atomic>
#include <new>

#include "muse/errors.hpp"

namespace muse::jni {
namespace {

std::atomic<JavaVM*> g_vm{nullptr};

jstring new_java_string(JNIEnv* env, const std::string& s) noexcept;

/// Detaches an engine thread that was attached here, when the thread ends.
struct ThreadAttachment {
    bool attached = false;
    ~ThreadAttachment() {
        if (attached) {
            if (JavaVM* v = g_vm.load()) v->DetachCurrentThread();
        }
    }
};

// Both never throw: they run inside guarded()'s handlers, at the JNI boundary.
void throw_java(JNIEnv* env, const char* class_name, const char* message) noexcept {
    jclass cls = env->FindClass(class_name);
    if (cls) env->ThrowNew(cls, message);
}

void throw_muse(JNIEnv* env, const char* kind, const char* message) noexcept {
    jclass cls = env->FindClass("io/github/musequpath/engine/MuseException");
    if (!cls) return;  // NoClassDefFoundError is pending
    jmethodID ctor = env->GetMethodID(cls, "<init>", "(Ljava/lang/String;Ljava/lang/String;)V");
    if (!ctor) return;
    jstring k = env->NewStringUTF(kind);  // ASCII
    if (!k) return;
    jstring m = nullptr;
    try {
        m = new_java_string(env, message);
    } catch (...) {
    }
    if (!m) {
        if (env->ExceptionCheck()) return;
        m = env->NewStringUTF("(the native message could not be converted)");
        if (!m) return;
    }
    auto ex = static_cast<jthrowable>(env->NewObject(cls, ctor, k, m));
    if (ex) env->Throw(ex);
}

}  // namespace

JavaVM* vm() { return g_vm.load(); }
void set_vm(JavaVM* v) { g_vm.store(v); }

JNIEnv* env_of_this_thread() {
    JavaVM* v = g_vm.load();
    if (!v) throw Error("the JVM is not known to the MUSE native library (JNI_OnLoad did not run)");
    JNIEnv* env = nullptr;
    if (v->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_8) == JNI_OK) return env;
    thread_local ThreadAttachment attachment;
    JavaVMAttachArgs args{JNI_VERSION_1_8, const_cast<char*>("muse-tile-reader"), nullptr};
    if (v->AttachCurrentThreadAsDaemon(reinterpret_cast<void**>(&env), &args) != JNI_OK) {
        throw Error("cannot attach an engine thread to the JVM");
    }
    attachment.attached = true;
    return env;
}

JavaCallbackFailed::JavaCallbackFailed(JNIEnv* env, jthrowable t, std::string description)
    : ref_(static_cast<jthrowable>(env->NewGlobalRef(t))), description_(std::move(description)) {}

JavaCallbackFailed::JavaCallbackFailed(const JavaCallbackFailed& other) : description_(other.description_) {
    if (other.ref_) ref_ = static_cast<jthrowable>(env_of_this_thread()->NewGlobalRef(other.ref_));
}

JavaCallbackFailed::~JavaCallbackFailed() {
    if (!ref_) return;
    try {
        env_of_this_thread()->DeleteGlobalRef(ref_);
    } catch (...) {
    }
}

void throw_if_java_exception(JNIEnv* env) {
    if (!env->ExceptionCheck()) return;
    jthrowable t = env->ExceptionOccurred();
    env->ExceptionClear();
    std::string description = "a Java callback failed";
    jclass object_class = env->FindClass("java/lang/Object");
    jmethodID to_string_id = object_class ? env->GetMethodID(object_class, "toString", "()Ljava/lang/String;") : nullptr;
    if (to_string_id) {
        auto s = static_cast<jstring>(env->CallObjectMethod(t, to_string_id));
        if (env->ExceptionCheck()) env->ExceptionClear();
        else if (s) description = to_string(env, s);
        if (s) env->DeleteLocalRef(s);
    }
    if (object_class) env->DeleteLocalRef(object_class);
    if (env->ExceptionCheck()) env->ExceptionClear();  // a failed lookup must not stay pending
    JavaCallbackFailed failure(env, t, description);
    env->DeleteLocalRef(t);
    throw failure;
}

GlobalRef::~GlobalRef() {
    if (!ref_) return;
    try {
        env_of_this_thread()->DeleteGlobalRef(ref_);
    } catch (...) {
    }
}

// Strings cross as UTF-8 bytes through java.lang.String's own codec: JNI's "modified UTF-8"
// differs for characters outside the BMP (paths with them would not open), and NewStringUTF
// has undefined behaviour for bytes that are not valid modified UTF-8 (a message quoting a
// damaged file); String(byte[], UTF_8) replaces those.
namespace {

jobject utf8_charset(JNIEnv* env) {
    jclass cls = env->FindClass("java/nio/charset/StandardCharsets");
    if (!cls) return nullptr;
    jfieldID f = env->GetStaticFieldID(cls, "UTF_8", "Ljava/nio/charset/Charset;");
    jobject cs = f ? env->GetStaticObjectField(cls, f) : nullptr;
    env->DeleteLocalRef(cls);
    return cs;
}

/// Without throwing: a Java string of `s`, or nullptr with a Java exception pending.
jstring new_java_string(JNIEnv* env, const std::string& s) noexcept {
    jobject cs = utf8_charset(env);
    if (!cs) return nullptr;
    jbyteArray bytes = env->NewByteArray(static_cast<jsize>(s.size()));
    jstring out = nullptr;
    if (bytes) {
        if (!s.empty()) env->SetByteArrayRegion(bytes, 0, static_cast<jsize>(s.size()), reinterpret_cast<const jbyte*>(s.data()));
        jclass string_class = env->FindClass("java/lang/String");
        jmethodID ctor = string_class ? env->GetMethodID(string_class, "<init>", "([BLjava/nio/charset/Charset;)V") : nullptr;
        if (ctor) out = static_cast<jstring>(env->NewObject(string_class, ctor, bytes, cs));
        if (string_class) env->DeleteLocalRef(string_class);
        env->DeleteLocalRef(bytes);
    }
    env->DeleteLocalRef(cs);
    return out;
}

}  // namespace

std::string to_string(JNIEnv* env, jstring s) {
    if (!s) return "";
    jobject cs = utf8_charset(env);
    throw_if_java_exception(env);
    jclass string_class = env->GetObjectClass(s);
    jmethodID get_bytes = env->GetMethodID(string_class, "getBytes", "(Ljava/nio/charset/Charset;)[B");
    env->DeleteLocalRef(string_class);
    throw_if_java_exception(env);
    auto bytes = static_cast<jbyteArray>(env->CallObjectMethod(s, get_bytes, cs));
    env->DeleteLocalRef(cs);
    throw_if_java_exception(env);
    std::string out(static_cast<std::size_t>(env->GetArrayLength(bytes)), '\0');
    if (!out.empty()) env->GetByteArrayRegion(bytes, 0, static_cast<jsize>(out.size()), reinterpret_cast<jbyte*>(out.data()));
    env->DeleteLocalRef(bytes);
    return out;
}

jstring to_java(JNIEnv* env, const std::string& s) {
    jstring out = new_java_string(env, s);
    if (!out) {
        throw_if_java_exception(env);
        throw std::bad_alloc();
    }
    return out;
}

std::vector<double> to_vector(JNIEnv* env, jdoubleArray a) {
    if (!a) return {};
    std::vector<double> out(static_cast<std::size_t>(env->GetArrayLength(a)));
    if (!out.empty()) env->GetDoubleArrayRegion(a, 0, static_cast<jsize>(out.size()), out.data());
    return out;
}

std::vector<int> to_vector(JNIEnv* env, jintArray a) {
    if (!a) return {};
    std::vector<int> out(static_cast<std::size_t>(env->GetArrayLength(a)));
    if (!out.empty()) env->GetIntArrayRegion(a, 0, static_cast<jsize>(out.size()), reinterpret_cast<jint*>(out.data()));
    return out;
}

jobjectArray string_array(JNIEnv* env, const std::vector<std::string>& values) {
    jclass string_class = env->FindClass("java/lang/String");
    throw_if_java_exception(env);
    jobjectArray out = env->NewObjectArray(static_cast<jsize>(values.size()), string_class, nullptr);
    throw_if_java_exception(env);
    for (std::size_t i = 0; i < values.size(); ++i) {
        jstring s = to_java(env, values[i]);
        env->SetObjectArrayElement(out, static_cast<jsize>(i), s);
        env->DeleteLocalRef(s);
    }
    return out;
}

template <typename Array, typename Value, typename New, typename Set>
Array make_array(JNIEnv* env, const std::vector<Value>& values, New make, Set set) {
    Array out = (env->*make)(static_cast<jsize>(values.size()));
    throw_if_java_exception(env);
    if (!values.empty()) (env->*set)(out, 0, static_cast<jsize>(values.size()), values.data());
    return out;
}

jdoubleArray double_array(JNIEnv* env, const std::vector<double>& v) {
    return make_array<jdoubleArray>(env, v, &JNIEnv::NewDoubleArray, &JNIEnv::SetDoubleArrayRegion);
}
jfloatArray float_array(JNIEnv* env, const std::vector<float>& v) {
    return make_array<jfloatArray>(env, v, &JNIEnv::NewFloatArray, &JNIEnv::SetFloatArrayRegion);
}
jintArray int_array(JNIEnv* env, const std::vector<int>& v) {
    static_assert(sizeof(int) == sizeof(jint), "jint is int");
    jintArray out = env->NewIntArray(static_cast<jsize>(v.size()));
    throw_if_java_exception(env);
    if (!v.empty()) env->SetIntArrayRegion(out, 0, static_cast<jsize>(v.size()), reinterpret_cast<const jint*>(v.data()));
    return out;
}
jlongArray long_array(JNIEnv* env, const std::vector<std::int64_t>& v) {
    jlongArray out = env->NewLongArray(static_cast<jsize>(v.size()));
    throw_if_java_exception(env);
    std::vector<jlong> j(v.begin(), v.end());
    if (!j.empty()) env->SetLongArrayRegion(out, 0, static_cast<jsize>(j.size()), j.data());
    return out;
}

namespace {

/// The field `name` of obj's class; an InvalidArgument naming it when the class lacks it.
jfieldID field_id(JNIEnv* env, jobject obj, const char* name, const char* signature) {
    if (!obj) throw InvalidArgument(std::string("a native call got null where an object with field '") + name + "' was expected");
    jclass cls = env->GetObjectClass(obj);
    jfieldID id = env->GetFieldID(cls, name, signature);
    env->DeleteLocalRef(cls);
    if (!id || env->ExceptionCheck()) {
        env->ExceptionClear();
        throw InvalidArgument(std::string("the Java and native sides of the engine differ: no field '") + name + "' (" + signature +
                              "); rebuild the jar and the native library together");
    }
    return id;
}

}  // namespace

jobject object_field(JNIEnv* env, jobject obj, const char* name, const char* signature) {
    return env->GetObjectField(obj, field_id(env, obj, name, signature));
}

double double_field(JNIEnv* env, jobject obj, const char* name) { return env->GetDoubleField(obj, field_id(env, obj, name, "D")); }

int int_field(JNIEnv* env, jobject obj, const char* name) { return env->GetIntField(obj, field_id(env, obj, name, "I")); }

std::int64_t long_field(JNIEnv* env, jobject obj, const char* name) { return env->GetLongField(obj, field_id(env, obj, name, "J")); }

bool bool_field(JNIEnv* env, jobject obj, const char* name) {
    return env->GetBooleanField(obj, field_id(env, obj, name, "Z")) == JNI_TRUE;
}

std::string string_field(JNIEnv* env, jobject obj, const char* name) {
    auto s = static_cast<jstring>(object_field(env, obj, name, "Ljava/lang/String;"));
    std::string out = to_string(env, s);
    if (s) env->DeleteLocalRef(s);
    return out;
}

void set_object_field(JNIEnv* env, jobject obj, const char* name, const char* signature, jobject value) {
    const jfieldID id = field_id(env, obj, name, signature);
    env->SetObjectField(obj, id, value);
    if (value) env->DeleteLocalRef(value);
}

void set_double_field(JNIEnv* env, jobject obj, const char* name, double value) {
    env->SetDoubleField(obj, field_id(env, obj, name, "D"), value);
}

void set_int_field(JNIEnv* env, jobject obj, const char* name, int value) {
    env->SetIntField(obj, field_id(env, obj, name, "I"), value);
}

void set_long_field(JNIEnv* env, jobject obj, const char* name, std::int64_t value) {
    env->SetLongField(obj, field_id(env, obj, name, "J"), static_cast<jlong>(value));
}

bool translate_current_exception(JNIEnv* env) noexcept {
    if (env->ExceptionCheck()) return false;  // a Java exception already says what failed
    try {
        throw;
    } catch (const JavaCallbackFailed& e) {
        if (e.throwable()) env->Throw(e.throwable());
        else throw_muse(env, "INTERNAL", e.what());
    } catch (const Cancelled&) {
        throw_java(env, "java/util/concurrent/CancellationException", "cancelled");
    } catch (const InvalidArgument& e) {
        throw_muse(env, "INVALID_ARGUMENT", e.what());
    } catch (const IoError& e) {
        throw_muse(env, "IO_ERROR", e.what());
    } catch (const UnsupportedFormat& e) {
        throw_muse(env, "UNSUPPORTED_FORMAT", e.what());
    } catch (const CorruptFile& e) {
        throw_muse(env, "CORRUPT_FILE", e.what());
    } catch (const ModelMismatch& e) {
        throw_muse(env, "MODEL_MISMATCH", e.what());
    } catch (const std::bad_alloc&) {
        throw_muse(env, "OUT_OF_MEMORY", "the native engine ran out of memory");
    } catch (const std::exception& e) {
        throw_muse(env, "INTERNAL", e.what());
    } catch (...) {
        throw_muse(env, "INTERNAL", "unknown native failure");
    }
    return false;
}

}  // namespace muse::jni
