plugins {
    id("com.gradleup.shadow") version "8.3.5"
    id("qupath-conventions")
}

qupathExtension {
    name = "muse-qupath-extension"
    group = "io.github.musequpath"
    version = "0.1.0"
    description = "MUSE nucleus detection and LFoV fine-tuning for QuPath, on a native engine"
    automaticModule = "io.github.musequpath.extension"
}

// The engine's Java API lives in ../jni; it goes into the same jar. The native library
// (libmuse_jni.so from the CMake build) is installed beside the jar, see docs/qupath.md.
sourceSets {
    main {
        java.srcDir("../jni/src/main/java")
    }
}

// Java 17 bytecode, so that QuPath 0.5.1 (Java 17) and 0.6.0 (Java 21) both load the jar.
tasks.withType<JavaCompile>().configureEach {
    options.release.set(17)
}

dependencies {
    shadow(libs.bundles.qupath)
    shadow(libs.bundles.logging)
    shadow(libs.qupath.fxtras)
    testImplementation(libs.bundles.qupath)
    testImplementation(libs.junit)
}
