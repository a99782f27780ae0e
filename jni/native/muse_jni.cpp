// The JNI entry points of io.github.musequpath.engine.NativeBridge: marshal Java values into
// engine calls and results back; every failure leaves through jni::guarded as a Java exception.
#include <jni.h>

#include <cstring>
#include <memory>

#include "jni_support.hpp"
#include "muse/annotations.hpp"
#include "muse/detect.hpp"
#include "muse/errors.hpp"
#include "muse/finetune.hpp"
#include "muse/model.hpp"
#include "muse/runtime.hpp"
#include "muse/slide.hpp"
#include "muse/version.hpp"

using namespace muse;

namespace {

/// What a model handle points to.
struct ModelHandle {
    Model model;
    std::filesystem::path file;  ///< where it was loaded from: fine-tuning never overwrites it
};

const ModelHandle& handle_of(jlong handle) {
    if (handle == 0) throw InvalidArgument("the model is closed");
    return *reinterpret_cast<ModelHandle*>(handle);
}

const Model& model_of(jlong handle) { return handle_of(handle).model; }
const std::filesystem::path& base_file_of(jlong handle) { return handle_of(handle).file; }

std::vector<Point> ring_of(const std::vector<double>& xy) {
    std::vector<Point> ring;
    for (std::size_t i = 0; i + 1 < xy.size(); i += 2) ring.push_back({xy[i], xy[i + 1]});
    return ring;
}

/// double[][][]: per polygon {outer, hole, ...} as x, y pairs.
std::vector<Polygon> polygons_of(JNIEnv* env, jobjectArray regions) {
    std::vector<Polygon> out;
    if (!regions) return out;
    const jsize n = env->GetArrayLength(regions);
    for (jsize i = 0; i < n; ++i) {
        auto rings = static_cast<jobjectArray>(env->GetObjectArrayElement(regions, i));
        if (!rings || env->GetArrayLength(rings) < 1) throw InvalidArgument("region " + std::to_string(i + 1) + " has no outline");
        Polygon p;
        for (jsize k = 0; k < env->GetArrayLength(rings); ++k) {
            auto ring = static_cast<jdoubleArray>(env->GetObjectArrayElement(rings, k));
            std::vector<Point> points = ring_of(jni::to_vector(env, ring));
            env->DeleteLocalRef(ring);
            if (points.size() < 3) throw InvalidArgument("region " + std::to_string(i + 1) + " has a ring with fewer than 3 points");
            if (k == 0) p.outer = std::move(points);
            else p.holes.push_back(std::move(points));
        }
        env->DeleteLocalRef(rings);
        out.push_back(std::move(p));
    }
    return out;
}

/// Reads a NativePixelFeed's description and calls its read() from the engine's reader threads.
std::unique_ptr<SlideSource> pixel_feed(JNIEnv* env, jobject feed) {
    const std::string name = jni::to_string(env, static_cast<jstring>(jni::object_field(env, feed, "name", "Ljava/lang/String;")));
    const double mpp = jni::double_field(env, feed, "mpp");
    auto sizes = static_cast<jlongArray>(jni::object_field(env, feed, "levelSizes", "[J"));
    const std::vector<double> downsamples =
        jni::to_vector(env, static_cast<jdoubleArray>(jni::object_field(env, feed, "downsamples", "[D")));
    std::vector<jlong> wh(static_cast<std::size_t>(sizes ? env->GetArrayLength(sizes) : 0));
    if (!wh.empty()) env->GetLongArrayRegion(sizes, 0, static_cast<jsize>(wh.size()), wh.data());
    if (wh.size() != 2 * downsamples.size()) throw InvalidArgument("pixel source '" + name + "': level sizes and downsamples differ in number");
    std::vector<SlideLevel> levels;
    for (std::size_t i = 0; i < downsamples.size(); ++i) levels.push_back({wh[2 * i], wh[2 * i + 1], downsamples[i]});

    jclass cls = env->GetObjectClass(feed);
    jmethodID read = env->GetMethodID(cls, "read", "(IJJII)[B");
    env->DeleteLocalRef(cls);
    jni::throw_if_java_exception(env);
    auto ref = std::make_shared<jni::GlobalRef>(env, feed);
    return make_pixel_feed(name, std::move(levels), mpp, [ref, read, name](int level, std::int64_t x, std::int64_t y, int w, int h) {
        JNIEnv* e = jni::env_of_this_thread();
        auto bytes = static_cast<jbyteArray>(e->CallObjectMethod(ref->get(), read, level, static_cast<jlong>(x),
                                                                   static_cast<jlong>(y), w, h));
        try {
            jni::throw_if_java_exception(e);
        } catch (const jni::JavaCallbackFailed& f) {
            throw IoError("reading pixels of '" + name + "': " + f.what());  // the tile is skipped and counted
        }
        RgbImage img(w, h);
        const jsize length = bytes ? e->GetArrayLength(bytes) : 0;
        if (static_cast<std::size_t>(length) != img.pixels.size()) {  // NativePixelFeed checks too; never trust a length
            if (bytes) e->DeleteLocalRef(bytes);
            throw CorruptFile("pixel source '" + name + "' returned " + std::to_string(length) + " bytes for a " +
                              std::to_string(w) + "x" + std::to_string(h) + " RGB region");
        }
        e->GetByteArrayRegion(bytes, 0, length, reinterpret_cast<jbyte*>(img.pixels.data()));
        e->DeleteLocalRef(bytes);  // reader threads stay attached: free every local reference
        jni::throw_if_java_exception(e);
        return img;
    });
}

/// A muse::Progress that reports to a NativeProgress and cancels when it answers false.
/// Reports may come from any engine thread, so the listener is held globally.
class JavaProgress {
public:
    JavaProgress(JNIEnv* env, jobject listener) : listener_(env, listener) {
        if (!listener) throw InvalidArgument("no progress listener");
        jclass cls = env->GetObjectClass(listener);
        update_ = env->GetMethodID(cls, "update", "(JJLjava/lang/String;Ljava/lang/String;)Z");
        env->DeleteLocalRef(cls);
        jni::throw_if_java_exception(env);
        progress_ = Progress([this](const ProgressUpdate& u) { relay(u); });
    }
    JavaProgress(const JavaProgress&) = delete;
    JavaProgress& operator=(const JavaProgress&) = delete;
    const Progress& get() const { return progress_; }

private:
    void relay(const ProgressUpdate& u) {
        JNIEnv* env = jni::env_of_this_thread();
        jstring unit = jni::to_java(env, u.unit);
        jstring message = nullptr;
        try {
            message = jni::to_java(env, u.message);
        } catch (...) {
            env->DeleteLocalRef(unit);
            throw;
        }
        const jboolean go_on = env->CallBooleanMethod(listener_.get(), update_, static_cast<jlong>(u.done),
                                                      static_cast<jlong>(u.total), unit, message);
        env->DeleteLocalRef(unit);
        env->DeleteLocalRef(message);
        jni::throw_if_java_exception(env);
        if (!go_on) progress_.cancel();
    }

    jni::GlobalRef listener_;
    jmethodID update_ = nullptr;
    Progress progress_;
};

/// A NativeDetectOptions, field by field. Ranges are checked by SlideDetectOptions::validate.
SlideDetectOptions detect_options(JNIEnv* env, jobject options) {
    if (!options) throw InvalidArgument("detection options are missing");
    SlideDetectOptions o;
    o.decode.score_threshold = jni::double_field(env, options, "scoreThreshold");
    o.decode.merge_radius_um = jni::double_field(env, options, "mergeRadiusUm");
    o.mpp = jni::double_field(env, options, "mpp");
    o.overlap_um = jni::double_field(env, options, "overlapUm");
    o.tile_px = jni::int_field(env, options, "tilePx");
    o.batch = jni::int_field(env, options, "batch");
    o.reader_threads = jni::int_field(env, options, "readerThreads");
    o.tissue_mask = jni::bool_field(env, options, "tissueMask");
    o.decode.precision = parse_precision(jni::string_field(env, options, "precision"));
    auto regions = static_cast<jobjectArray>(jni::object_field(env, options, "regions", "[[[D"));
    o.regions = polygons_of(env, regions);
    if (regions) env->DeleteLocalRef(regions);
    return o;
}

/// A NativeFinetuneOptions, field by field (output and provenance aside). Ranges are checked by
/// FinetuneOptions::validate.
FinetuneOptions finetune_options(JNIEnv* env, jobject options) {
    if (!options) throw InvalidArgument("fine-tuning options are missing");
    FinetuneOptions o;
    o.mode = parse_finetune_mode(jni::string_field(env, options, "mode"));
    o.precision = parse_precision(jni::string_field(env, options, "precision"));
    o.seed = static_cast<std::uint64_t>(jni::long_field(env, options, "seed"));
    o.lr = jni::double_field(env, options, "lr");
    o.lr_min = jni::double_field(env, options, "lrMin");
    o.cons_weight = jni::double_field(env, options, "consWeight");
    o.cons_threshold = jni::double_field(env, options, "consThreshold");
    o.adapt_weight = jni::double_field(env, options, "adaptWeight");
    o.epochs = jni::int_field(env, options, "epochs");
    o.stain_fit_epochs = jni::int_field(env, options, "stainFitEpochs");
    o.batch = jni::int_field(env, options, "batch");
    o.sample_px = jni::int_field(env, options, "samplePx");
    o.lfov = jni::bool_field(env, options, "lfov");
    o.resume = jni::bool_field(env, options, "resume");
    o.checkpoint = jni::string_field(env, options, "checkpoint");
    o.provenance_json = jni::string_field(env, options, "provenanceJson");
    return o;
}

/// Collects detections, then fills a NativeDetections.
struct DetectionArrays {
    std::vector<double> xy;
    std::vector<int> classes;
    std::vector<float> scores, probabilities;
    void add(const Detection& d) {
        xy.push_back(d.x);
        xy.push_back(d.y);
        classes.push_back(d.class_index);
        scores.push_back(d.score);
        probabilities.insert(probabilities.end(), d.probabilities.begin(), d.probabilities.end());
    }
    void to_java(JNIEnv* env, const SlideDetectSummary& s, jobject out) const {
        jni::set_object_field(env, out, "xy", "[D", jni::double_array(env, xy));
        jni::set_object_field(env, out, "classes", "[I", jni::int_array(env, classes));
        jni::set_object_field(env, out, "scores", "[F", jni::float_array(env, scores));
        jni::set_object_field(env, out, "probabilities", "[F", jni::float_array(env, probabilities));
        jni::set_long_field(env, out, "tilesTotal", s.tiles_total);
        jni::set_long_field(env, out, "tilesPlanned", s.tiles_planned);
        jni::set_long_field(env, out, "tilesDone", s.tiles_done);
        jni::set_long_field(env, out, "tilesFailed", s.tiles_failed);
        jni::set_double_field(env, out, "seconds", s.seconds);
        jni::set_double_field(env, out, "mpp", s.slide_mpp);
        jni::set_object_field(env, out, "failures", "[Ljava/lang/String;", jni::string_array(env, s.failures));
    }
};

/// The slide of a NativeAnnotatedImage (a file, or its pixel feed) and its regions.
struct AnnotatedSlide {
    std::shared_ptr<const SlideSource> slide;
    double mpp = 0;
    std::vector<AnnotationArea> areas;
    std::vector<ClassifiedPoints> points;
};

AnnotatedSlide annotated_slide(JNIEnv* env, jobject image) {
    if (!image) throw InvalidArgument("an annotated image is missing");
    AnnotatedSlide a;
    const std::string path = jni::to_string(env, static_cast<jstring>(jni::object_field(env, image, "path", "Ljava/lang/String;")));
    jobject feed = jni::object_field(env, image, "feed", "Lio/github/musequpath/engine/NativePixelFeed;");
    if (!path.empty()) a.slide = open_slide(path);
    else if (feed) a.slide = pixel_feed(env, feed);
    else throw InvalidArgument("an annotated image has neither a file nor a pixel source");
    a.mpp = jni::double_field(env, image, "mpp");
    const std::vector<Polygon> polygons =
        polygons_of(env, static_cast<jobjectArray>(jni::object_field(env, image, "areas", "[[[D")));
    auto names = static_cast<jobjectArray>(jni::object_field(env, image, "areaNames", "[Ljava/lang/String;"));
    if (!names || static_cast<std::size_t>(env->GetArrayLength(names)) != polygons.size()) {
        throw InvalidArgument("an annotated image's areas and area names differ in number");
    }
    for (std::size_t i = 0; i < polygons.size(); ++i) {
        auto name = static_cast<jstring>(env->GetObjectArrayElement(names, static_cast<jsize>(i)));
        a.areas.push_back({jni::to_string(env, name), polygons[i]});
        env->DeleteLocalRef(name);
    }
    auto classes = static_cast<jobjectArray>(jni::object_field(env, image, "pointClasses", "[Ljava/lang/String;"));
    const std::vector<int> rgb = jni::to_vector(env, static_cast<jintArray>(jni::object_field(env, image, "pointRgb", "[I")));
    auto xys = static_cast<jobjectArray>(jni::object_field(env, image, "pointXy", "[[D"));
    if (!classes || !xys || static_cast<std::size_t>(env->GetArrayLength(classes)) != rgb.size() ||
        static_cast<std::size_t>(env->GetArrayLength(xys)) != rgb.size()) {
        throw InvalidArgument("an annotated image's point classes, colours and coordinates differ in number");
    }
    for (std::size_t i = 0; i < rgb.size(); ++i) {
        ClassifiedPoints p;
        auto name = static_cast<jstring>(env->GetObjectArrayElement(classes, static_cast<jsize>(i)));
        p.class_name = jni::to_string(env, name);
        env->DeleteLocalRef(name);
        if (rgb[i] >= 0) {
            p.color = {static_cast<std::uint8_t>((rgb[i] >> 16) & 0xFF), static_cast<std::uint8_t>((rgb[i] >> 8) & 0xFF),
                       static_cast<std::uint8_t>(rgb[i] & 0xFF)};
            p.has_color = true;
        }
        auto xy = static_cast<jdoubleArray>(env->GetObjectArrayElement(xys, static_cast<jsize>(i)));
        p.points = ring_of(jni::to_vector(env, xy));
        env->DeleteLocalRef(xy);
        a.points.push_back(std::move(p));
    }
    return a;
}

}  // namespace

extern "C" {

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* vm, void*) {
    jni::set_vm(vm);
    return JNI_VERSION_1_8;
}

JNIEXPORT jstring JNICALL Java_io_github_musequpath_engine_NativeBridge_version(JNIEnv* env, jclass) {
    jstring out = nullptr;
    jni::guarded(env, [&] { out = jni::to_java(env, MUSE_VERSION_STRING); });
    return out;
}

JNIEXPORT jint JNICALL Java_io_github_musequpath_engine_NativeBridge_setComputeThreads(JNIEnv* env, jclass, jint threads) {
    jint out = 0;
    jni::guarded(env, [&] {
        if (threads < 0 || threads > 1024) throw InvalidArgument("threads must be in 0..1024 (0 = one per core), got " + std::to_string(threads));
        out = set_compute_threads(threads);
    });
    return out;
}

JNIEXPORT jboolean JNICALL Java_io_github_musequpath_engine_NativeBridge_retainFreedMemory(JNIEnv* env, jclass) {
    jboolean out = JNI_FALSE;
    jni::guarded(env, [&] { out = retain_freed_memory() ? JNI_TRUE : JNI_FALSE; });
    return out;
}

JNIEXPORT jlong JNICALL Java_io_github_musequpath_engine_NativeBridge_loadModel(JNIEnv* env, jclass, jstring path) {
    jlong out = 0;
    jni::guarded(env, [&] {
        const std::string file = jni::to_string(env, path);
        auto h = std::make_unique<ModelHandle>(ModelHandle{Model::load(file), file});
        out = reinterpret_cast<jlong>(h.release());
    });
    return out;
}

JNIEXPORT void JNICALL Java_io_github_musequpath_engine_NativeBridge_freeModel(JNIEnv* env, jclass, jlong handle) {
    jni::guarded(env, [&] { delete reinterpret_cast<ModelHandle*>(handle); });
}

JNIEXPORT void JNICALL Java_io_github_musequpath_engine_NativeBridge_modelInfo(JNIEnv* env, jclass, jlong handle, jobject out) {
    jni::guarded(env, [&] {
        const ModelConfig& c = model_of(handle).config();
        std::vector<std::string> names;
        std::vector<int> rgb;
        for (const auto& k : c.classes) {
            names.push_back(k.name);
            rgb.push_back((k.color[0] << 16) | (k.color[1] << 8) | k.color[2]);
        }
        jni::set_object_field(env, out, "arch", "Ljava/lang/String;", jni::to_java(env, c.arch));
        jni::set_object_field(env, out, "provenanceJson", "Ljava/lang/String;", jni::to_java(env, c.provenance_json));
        jni::set_object_field(env, out, "classNames", "[Ljava/lang/String;", jni::string_array(env, names));
        jni::set_object_field(env, out, "classRgb", "[I", jni::int_array(env, rgb));
        jni::set_double_field(env, out, "mpp", c.mpp);
        jni::set_double_field(env, out, "scoreThreshold", c.detection.score_threshold);
        jni::set_double_field(env, out, "mergeRadiusUm", c.detection.merge_radius_um);
        jni::set_int_field(env, out, "imageSize", c.img_size);
        jni::set_int_field(env, out, "proposalStridePx", c.detection.proposal_stride_px);
    });
}

JNIEXPORT void JNICALL Java_io_github_musequpath_engine_NativeBridge_checkDetectOptions(JNIEnv* env, jclass, jobject options) {
    jni::guarded(env, [&] { detect_options(env, options).validate(); });
}

JNIEXPORT void JNICALL Java_io_github_musequpath_engine_NativeBridge_checkFinetuneOptions(JNIEnv* env, jclass, jobject options) {
    jni::guarded(env, [&] { finetune_options(env, options).validate(); });
}

JNIEXPORT void JNICALL Java_io_github_musequpath_engine_NativeBridge_detect(JNIEnv* env, jclass, jlong handle, jstring path,
                                                                         jobject feed, jobject options, jobject listener,
                                                                         jobject out) {
    jni::guarded(env, [&] {
        const Model& model = model_of(handle);
        const SlideDetectOptions o = detect_options(env, options);
        o.validate();
        if (!path && !feed) throw InvalidArgument("neither a slide file nor a pixel source was given");
        const std::unique_ptr<SlideSource> slide = path ? open_slide(jni::to_string(env, path)) : pixel_feed(env, feed);
        JavaProgress progress(env, listener);
        DetectionArrays found;
        const SlideDetectSummary s = detect_slide(model, *slide, o, [&](const Detection& d) { found.add(d); }, progress.get());
        found.to_java(env, s, out);
    });
}

JNIEXPORT void JNICALL Java_io_github_musequpath_engine_NativeBridge_pseudoLabel(JNIEnv* env, jclass, jlong handle, jobject image,
                                                                              jdouble ring_um, jdouble threshold, jobject options,
                                                                              jobject listener, jobject out) {
    jni::guarded(env, [&] {
        const Model& model = model_of(handle);
        PseudoLabelOptions po;
        po.ring_um = ring_um;
        po.threshold = threshold;
        po.detect = detect_options(env, options);
        po.detect.regions.clear();  // the rings around the areas are the regions
        po.validate();
        AnnotatedSlide a = annotated_slide(env, image);
        AnnotationReadOptions ro;
        ro.classes = model.config().classes;
        ro.allow_new_classes = true;  // only the areas matter here
        const AnnotationSet set = assemble_annotations(std::move(a.areas), a.points, ro, "the annotations of '" + a.slide->path().string() + "'");
        if (a.mpp > 0) po.detect.mpp = a.mpp;
        JavaProgress progress(env, listener);
        DetectionArrays found;
        const SlideDetectSummary s = pseudo_label(model, *a.slide, set.regions, po, [&](const Detection& d) { found.add(d); }, progress.get());
        found.to_java(env, s, out);
    });
}

JNIEXPORT void JNICALL Java_io_github_musequpath_engine_NativeBridge_finetune(JNIEnv* env, jclass, jlong handle, jobjectArray images,
                                                                           jobject options, jobject listener, jobject out) {
    jni::guarded(env, [&] {
        const Model& base = model_of(handle);
        const FinetuneOptions o = finetune_options(env, options);
        o.validate();
        const std::string output_path = jni::string_field(env, options, "output");
        FinetuneData data(base, jni::bool_field(env, options, "allowNewClasses"));
        const jsize count = images ? env->GetArrayLength(images) : 0;
        for (jsize k = 0; k < count; ++k) {
            jobject image = env->GetObjectArrayElement(images, k);
            AnnotatedSlide a = annotated_slide(env, image);
            env->DeleteLocalRef(image);
            AnnotationSet set = assemble_annotations(std::move(a.areas), a.points, data.read_options(),
                                                     "the annotations of '" + a.slide->path().string() + "'");
            data.add(a.slide, a.mpp, std::move(set));
        }
        JavaProgress progress(env, listener);
        const FinetuneResult r = finetune_to_file(base, base_file_of(handle), data, o, output_path, progress.get());

        jclass cls = env->GetObjectClass(out);
        const jmethodID add_epoch = env->GetMethodID(cls, "addEpoch", "(IDDDDDDDJ)V");
        env->DeleteLocalRef(cls);
        jni::throw_if_java_exception(env);
        for (const FinetuneEpoch& e : r.history) {
            env->CallVoidMethod(out, add_epoch, static_cast<jint>(e.epoch), e.loss, e.loss_type, e.loss_reg, e.loss_cons, e.lambda_cons,
                                e.lr, e.seconds, static_cast<jlong>(e.pseudo_labels));
            jni::throw_if_java_exception(env);
        }
        jni::set_long_field(env, out, "regions", r.regions);
        jni::set_long_field(env, out, "nuclei", data.nuclei);
        jni::set_int_field(env, out, "resumedAfterEpoch", static_cast<int>(r.resumed_after_epoch));
        jni::set_double_field(env, out, "cacheSeconds", r.cache_seconds);
        jni::set_long_field(env, out, "adaptedTiles", r.adapted_tiles);
        jni::set_double_field(env, out, "adaptWeight", r.adapted_tiles > 0 ? r.adapt_weight : 0.0);
        jni::set_int_field(env, out, "adaptWeightsTried", static_cast<int>(r.adapt_losses.size()));
        jni::set_object_field(env, out, "newClasses", "[Ljava/lang/String;", jni::string_array(env, data.new_classes()));
    });
}

}  // extern "C"
