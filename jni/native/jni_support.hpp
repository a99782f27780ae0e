// JNI plumbing for the bridge: the JVM handle, environments for engine threads, Java <-> C++
// values, and the one place where C++ exceptions become Java exceptions.
#pragma once

#include <jni.h>

#include <cstdint>
#include <string>
#include <vector>

namespace muse::jni {

/// The JVM, set when the library loads.
JavaVM* vm();
void set_vm(JavaVM* vm);

/// The JNIEnv of the calling thread; engine threads (tile readers) are attached as daemons on
/// first use and detached when they end.
JNIEnv* env_of_this_thread();

/// A Java exception that happened during a callback into Java (listener, pixel source). Carried
/// through the engine as a C++ exception and thrown again, unchanged, when the call returns to Java.
class JavaCallbackFailed : public std::exception {
public:
    JavaCallbackFailed(JNIEnv* env, jthrowable t, std::string description);
    JavaCallbackFailed(const JavaCallbackFailed& other);
    JavaCallbackFailed& operator=(const JavaCallbackFailed&) = delete;
    ~JavaCallbackFailed() override;
    const char* what() const noexcept override { return description_.c_str(); }
    jthrowable throwable() const { return ref_; }

private:
    jthrowable ref_ = nullptr;  ///< global reference
    std::string description_;
};

/// If a Java exception is pending: clears it and throws JavaCallbackFailed carrying it.
void throw_if_java_exception(JNIEnv* env);

/// A global reference owned for a scope (an object used from several threads).
class GlobalRef {
public:
    GlobalRef(JNIEnv* env, jobject local) : ref_(local ? env->NewGlobalRef(local) : nullptr) {}
    GlobalRef(const GlobalRef&) = delete;
    GlobalRef& operator=(const GlobalRef&) = delete;
    ~GlobalRef();
    jobject get() const { return ref_; }

private:
    jobject ref_;
};

std::string to_string(JNIEnv* env, jstring s);  ///< "" for null; through UTF-8 bytes
jstring to_java(JNIEnv* env, const std::string& s);
std::vector<double> to_vector(JNIEnv* env, jdoubleArray a);  ///< empty for null
std::vector<int> to_vector(JNIEnv* env, jintArray a);
jobjectArray string_array(JNIEnv* env, const std::vector<std::string>& values);
jdoubleArray double_array(JNIEnv* env, const std::vector<double>& values);
jfloatArray float_array(JNIEnv* env, const std::vector<float>& values);
jintArray int_array(JNIEnv* env, const std::vector<int>& values);
jlongArray long_array(JNIEnv* env, const std::vector<std::int64_t>& values);

/// Field access for the package's plain carrier classes (Native*.java): options arrive and
/// results leave by field name, so the order of values is written nowhere. A missing field is
/// an error naming it (the Java and C++ sides were built from different sources).
jobject object_field(JNIEnv* env, jobject obj, const char* name, const char* signature);
double double_field(JNIEnv* env, jobject obj, const char* name);
int int_field(JNIEnv* env, jobject obj, const char* name);
std::int64_t long_field(JNIEnv* env, jobject obj, const char* name);
bool bool_field(JNIEnv* env, jobject obj, const char* name);
std::string string_field(JNIEnv* env, jobject obj, const char* name);  ///< "" for null
void set_object_field(JNIEnv* env, jobject obj, const char* name, const char* signature, jobject value);  ///< frees `value`
void set_double_field(JNIEnv* env, jobject obj, const char* name, double value);
void set_int_field(JNIEnv* env, jobject obj, const char* name, int value);
void set_long_field(JNIEnv* env, jobject obj, const char* name, std::int64_t value);

/// Inside a catch block: the exception being handled becomes a pending Java exception:
/// muse::Cancelled -> java.util.concurrent.CancellationException, muse errors -> MuseException
/// of the matching kind with the engine's message, std::bad_alloc -> MuseException
/// OUT_OF_MEMORY, a Java exception from a callback -> that exception, anything else ->
/// MuseException INTERNAL. Never throws. Returns false.
bool translate_current_exception(JNIEnv* env) noexcept;

/// Runs `body` at a JNI entry point; nothing escapes (a C++ exception leaving an extern "C"
/// function would end the JVM). Returns false when a Java exception is pending (the entry
/// point then returns a null value).
template <typename Body>
bool guarded(JNIEnv* env, Body&& body) noexcept {
    try {
        body();
        return !env->ExceptionCheck();
    } catch (...) {
        return translate_current_exception(env);
    }
}

}  // namespace muse::jni
