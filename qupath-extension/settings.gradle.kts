// Gradle build of the QuPath extension, for users (CI builds the same sources with plain javac
// through CMake, see CMakeLists.txt). Same shape as QuPath's extension template.
pluginManagement {
    repositories {
        gradlePluginPortal()
        maven { url = uri("https://maven.scijava.org/content/repositories/releases") }
    }
}

qupath {
    // One jar serves 0.5.1 and 0.6.0 (compiled for Java 17, using only API both have);
    // change to "0.5.1" to build and test against that version.
    version = "0.6.0"
}

plugins {
    id("io.github.qupath.qupath-extension-settings") version "0.2.1"
}

rootProject.name = "muse-qupath-extension"
